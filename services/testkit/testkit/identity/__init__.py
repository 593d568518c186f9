"""Test helpers of the identity service, importable by any test.

- ``context_for(engine)``: a use-case ``Context`` over a real database, outside a nameko container;
- ``testkit.identity.fakes``: in-memory fakes (``fake_context()``) for use-case unit tests without
  PostgreSQL or RabbitMQ.
"""
from __future__ import annotations

import datetime as dt


def context_for(engine, now: dt.datetime | None = None, **overrides):
    """The use cases' context over ``engine`` (events wait in the outbox; nothing is sent)."""
    from identity.demo import engine_db
    from identity.hashing import PASSWORDS
    from identity.repository import UnitOfWork
    from identity.repository.keys import KeyStore
    from identity.use_cases.context import Context

    values = dict(uow=UnitOfWork(engine_db(engine)), now=now or dt.datetime.now(dt.timezone.utc), keys=KeyStore(engine),
                  passwords=PASSWORDS, deny_sessions=lambda ids: None)
    values.update(overrides)
    return Context(**values)
