"""Django for the web front end's unit tests (no database; sessions in Redis under a per-run prefix)."""
import os
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("STAGES_WEB_ENV", "development")
os.environ["STAGES_WEB_CACHE_PREFIX"] = f"test-web-{uuid.uuid4().hex[:8]}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stages_web.settings")

import django  # noqa: E402

django.setup()


import pytest  # noqa: E402


@pytest.fixture
def settings():
    """Django settings, put back after the test."""
    from django.conf import settings as s
    from django.test import override_settings
    with override_settings():
        yield s
