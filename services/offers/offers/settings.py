"""Settings of the offers service, from the environment (``common.settings``)."""
from __future__ import annotations

from common import settings

TIMER_INTERVAL = settings.env_float("OFFERS_TIMER_INTERVAL", 86400.0)   # the daily move of past offers


def search_connections() -> int:
    """Connections of each search pool (two pools: KNN and the others)."""
    return int(settings.env_float("OFFERS_SEARCH_CONNECTIONS", 6))


def demo_enabled() -> bool:
    """``seed_demo_offers`` answers only with STAGES_DEMO=1 (development and demo deployments)."""
    return settings.env_flag("STAGES_DEMO")
