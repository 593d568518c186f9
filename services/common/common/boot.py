"""What a process that talks to the bus and the databases does once, where it starts.

- psycopg 3's C wait function blocks the whole process under eventlet (5 concurrent ``pg_sleep(1)`` took
  5 s); the select-based one yields to other green threads.
- kombu's ``json`` serialiser (nameko's default) becomes the faster, plain-JSON one of ``common.transport``.
- the typed errors of ``common.errors`` are registered with nameko, so they cross RPC typed.

Called by ``common.service`` (every service's entrypoint module), the gateway, ``common.db.make_engine``,
``common.rpc.cluster_rpc`` and the test harness. Idempotent.
"""
from __future__ import annotations

_prepared = False


def prepare_process() -> None:
    global _prepared
    if _prepared:
        return
    import psycopg.waiting

    psycopg.waiting.wait = psycopg.waiting.wait_select

    from . import errors
    from .transport import install_json_serializer

    install_json_serializer()
    errors.register_for_rpc()
    _prepared = True
