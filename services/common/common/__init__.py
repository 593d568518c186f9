"""Shared plumbing of the internship platform's services.

Importing this package makes psycopg 3 cooperate with eventlet: its C wait
function blocks the whole process (5 concurrent ``pg_sleep(1)`` took 5 s),
the select-based one yields to other green threads.
"""
import psycopg.waiting as _psycopg_waiting

_psycopg_waiting.wait = _psycopg_waiting.wait_select
