"""Settings of the web front end. Everything comes from the environment (see web/README.md).

The front end keeps no database: sessions live in Redis through Django's cache (so every replica
shares them), and the only data it shows comes from the gateway's public HTTP API.
"""
from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


# "development" on a developer's machine and in tests (plain-HTTP cookies, debug pages allowed);
# anything else is treated as production.
ENVIRONMENT = _env("STAGES_WEB_ENV", "production")
DEVELOPMENT = ENVIRONMENT == "development"
DEBUG = _flag("STAGES_WEB_DEBUG", False) and DEVELOPMENT

SECRET_KEY = _env("STAGES_WEB_SECRET_KEY")
if not SECRET_KEY:
    if not DEVELOPMENT:
        raise RuntimeError("STAGES_WEB_SECRET_KEY is required outside development (STAGES_WEB_ENV=development).")
    SECRET_KEY = "development-only-not-secret"

# The gateway's public HTTP API: the only way this front end reaches the platform.
GATEWAY_URL = (_env("STAGES_GATEWAY_URL", "http://127.0.0.1:8000") or "").rstrip("/")
GATEWAY_TIMEOUT = float(_env("STAGES_GATEWAY_TIMEOUT", "15"))
# Send the user's address to the gateway in X-Forwarded-For (the gateway reads it only with
# GATEWAY_TRUST_PROXY=1). The User-Agent is always forwarded.
FORWARD_CLIENT_IP = _flag("STAGES_WEB_FORWARD_CLIENT_IP", False)
# This front end itself behind a reverse proxy: take the user's address from X-Forwarded-For.
TRUST_PROXY = _flag("STAGES_WEB_TRUST_PROXY", False)
# This front end's own public address (links in e-mails point here; shown on some pages).
PUBLIC_URL = (_env("STAGES_PUBLIC_URL", "http://127.0.0.1:8080") or "").rstrip("/")
# Optional map of the search results (JavaScript enhancement; the list alone works): a tile URL template such as
# https://tile.example.org/{z}/{x}/{y}.png and its attribution. Empty: no map (nothing leaves for a tile server).
MAP_TILES_URL = _env("STAGES_WEB_MAP_TILES_URL", "")
MAP_TILES_ATTRIBUTION = _env("STAGES_WEB_MAP_TILES_ATTRIBUTION", "")

ALLOWED_HOSTS = [h.strip() for h in (_env("STAGES_WEB_ALLOWED_HOSTS", "127.0.0.1,localhost") or "").split(",")
                 if h.strip()]
if DEVELOPMENT:
    ALLOWED_HOSTS += ["testserver"]  # Django's test client
CSRF_TRUSTED_ORIGINS = [o.strip() for o in (_env("STAGES_WEB_CSRF_TRUSTED_ORIGINS", "") or "").split(",")
                        if o.strip()]

INSTALLED_APPS = [
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "widget_tweaks",  # django-dsfr's radio and checkbox templates use it
    "dsfr",
    "stages_web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "stages_web.session.SessionEndedMiddleware",
]

ROOT_URLCONF = "stages_web.urls"
WSGI_APPLICATION = "stages_web.wsgi.application"

TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [BASE_DIR / "templates"],
    "APP_DIRS": True,
    "OPTIONS": {
        "context_processors": [
            "django.template.context_processors.request",
            "django.template.context_processors.csrf",
            "django.contrib.messages.context_processors.messages",
            "stages_web.context_processors.site",
            "stages_web.maintenance.notice",
        ],
        "builtins": ["stages_web.templatetags.stages"],
    },
}]

# No database: nothing here is stored but the session.
DATABASES: dict = {}

REDIS_URL = _env("STAGES_WEB_REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": _env("STAGES_WEB_CACHE_PREFIX", "stages-web"),
        "TIMEOUT": 300,
    },
}
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
SESSION_COOKIE_NAME = "stages_session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEVELOPMENT
SESSION_COOKIE_AGE = int(_env("STAGES_WEB_SESSION_SECONDS", str(12 * 3600)))
SESSION_SAVE_EVERY_REQUEST = False
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# CSRF on every form; the token lives in the session (no extra cookie).
CSRF_USE_SESSIONS = True
CSRF_COOKIE_SECURE = not DEVELOPMENT
CSRF_FAILURE_VIEW = "stages_web.views.errors.csrf_failure"

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUST_PROXY else None
SECURE_HSTS_SECONDS = 0 if DEVELOPMENT else int(_env("STAGES_WEB_HSTS_SECONDS", "31536000"))

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(_env("STAGES_WEB_STATIC_ROOT", str(BASE_DIR.parent / "var" / "static")))
# Without collectstatic (make up), WhiteNoise serves the apps' static files directly.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEVELOPMENT

DSFR_MARK_OPTIONAL_FIELDS = True
SITE_TITLE = "1 élève, 1 stage"
SITE_TAGLINE = "Les stages d'observation des élèves de 4e, 3e et 2nde"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"format": '{"level":"%(levelname)s","logger":"%(name)s","message":"%(message)s"}'}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": _env("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
