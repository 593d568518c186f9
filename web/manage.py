#!/usr/bin/env python
"""Django's command line for the web front end (e.g. `python web/manage.py check`)."""
import os
import sys

if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stages_web.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
