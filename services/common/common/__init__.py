"""Shared plumbing of the internship platform's services.

Importing this package makes psycopg 3 cooperate with eventlet: its C wait
function blocks the whole process (5 concurrent ``pg_sleep(1)`` took 5 s),
the select-based one yields to other green threads.

It also makes kombu's ``json`` serialiser (nameko's default) the faster,
plain-JSON one of ``common.transport`` for the whole process.
"""
import psycopg.waiting as _psycopg_waiting

_psycopg_waiting.wait = _psycopg_waiting.wait_select

from .transport import install_json_serializer as _install_json_serializer  # noqa: E402

_install_json_serializer()
