"""Where a service finds its settings: environment variables, with defaults
that work on a developer machine set up by ``make up``.

Secrets and URLs are read here, from the raw environment, never through
nameko's YAML config (which re-parses values: ``0123`` would become 83)."""
from __future__ import annotations

import os
from pathlib import Path

SERVICES = ("identity", "offers", "applications", "conventions", "notifications")

REPO_ROOT = Path(__file__).resolve().parents[3]


def database_url(service: str) -> str:
    """``<SERVICE>_DATABASE_URL`` or a local default named after the service."""
    url = os.environ.get(f"{service.upper()}_DATABASE_URL")
    if url:
        # CloudNativePG's generated secrets hold plain ``postgresql://`` URIs: our driver is psycopg 3
        for plain in ("postgresql://", "postgres://"):
            if url.startswith(plain):
                return "postgresql+psycopg://" + url[len(plain):]
        return url
    host = os.environ.get("PGHOST", "127.0.0.1")
    port = os.environ.get("PGPORT", "5432")
    # the development role made by deploy/setup.sh; production sets the URLs
    return f"postgresql+psycopg://stages:stages@{host}:{port}/{service}"


def amqp_uri() -> str:
    return os.environ.get("AMQP_URI", "pyamqp://guest:guest@127.0.0.1:5672/")


def data_dir() -> Path:
    """Reference data (communes, schools, sectors...) shipped with the project."""
    return Path(os.environ.get("STAGES_DATA_DIR", REPO_ROOT / "data" / "reference"))


def env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


RPC_TIMEOUT = env_float("STAGES_RPC_TIMEOUT", 10.0)


def redis_url() -> str:
    """The Redis shared by every gateway replica and identity (rate-limit counters, revoked sessions).
    ``STAGES_REDIS_URL``; tests pass their own."""
    return os.environ.get("STAGES_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_prefix() -> str:
    """Prefix of every key this deployment writes in Redis (``STAGES_REDIS_PREFIX``, default ``stages``):
    each test run uses its own, so runs sharing one Redis never see each other's counters."""
    return os.environ.get("STAGES_REDIS_PREFIX", "stages").strip() or "stages"
