"""The demo accounts from a shell: ``python -m identity.demo`` (uses IDENTITY_DATABASE_URL, prints the
accounts as JSON). The accounts and the seeding are ``identity.use_cases.demo``; the RPC
``identity.seed_demo()`` does the same and is refused unless STAGES_DEMO=1."""
from __future__ import annotations


def engine_db(engine):
    """A unit-of-work factory (``uow()``, ``session()``) over ``engine``, outside a nameko container (no
    relay: events wait in the outbox for the service's relay)."""
    from common.db import Database, DatabaseAccess

    from .models import metadata

    provider = Database("identity", metadata, relay=False)
    provider.engine = engine
    return DatabaseAccess(provider)


def main() -> int:
    import json

    from common import settings
    from common.clock import PROCESS_CLOCK
    from common.db import make_engine

    from .hashing import PASSWORDS
    from .repository import UnitOfWork
    from .use_cases.context import Context
    from .use_cases.demo import seed

    engine = make_engine(settings.database_url("identity"), pool_size=2)
    try:
        ctx = Context(uow=UnitOfWork(engine_db(engine)), now=PROCESS_CLOCK.now(), passwords=PASSWORDS)
        print(json.dumps(seed(ctx), ensure_ascii=False, indent=2))
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
