"""WSGI entry point (gunicorn stages_web.wsgi)."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stages_web.settings")
application = get_wsgi_application()
