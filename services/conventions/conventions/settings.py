"""Settings of the conventions service (environment variables, read through ``common.settings``)."""
from __future__ import annotations

import os

from common import settings

# deadline of the RPCs made to pre-fill a convention and to check the acting account (identity, offers,
# applications)
PREFILL_TIMEOUT = settings.env_float("CONVENTIONS_PREFILL_TIMEOUT", 5.0)


def seal_dev_dir() -> str:
    """Where the self-signed development sealing certificate lives (created once)."""
    return str(os.environ.get("CONVENTIONS_SEAL_DEV_DIR") or settings.REPO_ROOT / "var" / "conventions")


def render_prestart() -> bool:
    """Start the rendering worker processes with the service (else on first use)."""
    return settings.env_flag("CONVENTIONS_RENDER_PRESTART", True)
