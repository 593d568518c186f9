"""``python -m common.manage migrate`` runs one migrator at a time (PostgreSQL advisory lock)."""
import threading
import time
import uuid

import psycopg

from common import manage, settings
from testkit.harness import environ


def test_a_second_migrator_waits_for_the_first_then_finds_the_schema_at_head(backends):
    name = f"t{backends.run_id}_migrate_{uuid.uuid4().hex[:6]}"
    url = backends.create_database(name)
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    key = f"{manage.MIGRATE_LOCK}.offers"
    try:
        with environ(OFFERS_DATABASE_URL=plain):  # a CloudNativePG-style URI works too
            assert settings.database_url("offers").startswith("postgresql+psycopg://")
            with psycopg.connect(plain, autocommit=True) as holder:
                holder.execute("SELECT pg_advisory_lock(hashtext(%s))", (key,))  # another migrator is at work
                done = threading.Event()
                errors = []

                def run():
                    try:
                        manage.migrate("offers")
                    except Exception as exc:  # pragma: no cover - reported below
                        errors.append(exc)
                    done.set()

                threading.Thread(target=run, daemon=True).start()
                # positive signal: the second migrator is waiting on the advisory lock
                deadline = time.monotonic() + 30
                while not holder.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                         "AND NOT granted AND database = (SELECT oid FROM pg_database "
                                         "WHERE datname = current_database())").fetchone()[0]:
                    assert time.monotonic() < deadline, "the migrator never asked for the lock"
                    time.sleep(0.1)
                assert not holder.execute("SELECT to_regclass('outbox') IS NOT NULL").fetchone()[0]
                holder.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))
                assert done.wait(120), "the migrator did not finish after the lock was released"
                assert not errors, errors
                assert holder.execute("SELECT to_regclass('outbox') IS NOT NULL").fetchone()[0]
    finally:
        backends.drop_database(name)
