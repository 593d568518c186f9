"""Operations on the services' databases.

    python -m common.manage createdb [SERVICE ...]
    python -m common.manage migrate [SERVICE ...]    # under a PostgreSQL advisory lock (one at a time)
    python -m common.manage load-reference [SERVICE ...]
    python -m common.manage queues [SERVICE ...]     # the service's RabbitMQ queues: quorum + dead-letter queues
    python -m common.manage setup [SERVICE ...]      # the four above
    python -m common.manage release [SERVICE ...]    # migrate + load-reference under the lock, then queues
    python -m common.manage dead-letters SERVICE     # give dead-lettered messages back to their queues

Without SERVICE, every service. Each step is idempotent.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from contextlib import contextmanager

import psycopg
from sqlalchemy.engine import make_url

from . import migrations, queues, settings
from .db import make_engine


def createdb(service: str) -> None:
    url = make_url(settings.database_url(service))
    admin = url.set(database="postgres", drivername="postgresql")
    dsn = admin.render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (url.database,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{url.database}"')
            print(f"{service}: created database {url.database}", file=sys.stderr)


def dropdb(service: str) -> None:
    url = make_url(settings.database_url(service))
    admin = url.set(database="postgres", drivername="postgresql")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')


MIGRATE_LOCK = "stages.migrate"  # advisory lock key (hashed with the service's name)


@contextmanager
def migration_lock(service: str):
    """One migrator at a time per service database: the release Job, a second Job started by mistake and
    ``make up`` may run together; the others wait on this PostgreSQL advisory lock, then find the schema at
    head and do nothing."""
    url = make_url(settings.database_url(service)).set(drivername="postgresql")
    key = f"{MIGRATE_LOCK}.{service}"
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as lock:
        lock.execute("SELECT pg_advisory_lock(hashtext(%s))", (key,))
        try:
            yield
        finally:
            lock.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))


def migrate(service: str) -> None:
    with migration_lock(service):
        migrations.upgrade(service)
    print(f"{service}: migrations applied", file=sys.stderr)


def release(service: str) -> None:
    """What a release runs once before its new processes start (the Kubernetes Job): the migrations, then the
    reference data, under the migration lock, then the queues. The database itself exists already (made by the
    operator)."""
    with migration_lock(service):
        migrations.upgrade(service)
        load_reference(service)
    declare_queues(service)
    print(f"{service}: released (migrations, reference data and queues)", file=sys.stderr)


def _service_class(service: str):
    module = importlib.import_module(f"{service}.service")
    return next(obj for obj in vars(module).values()
                if isinstance(obj, type) and getattr(obj, "name", None) == service and hasattr(obj, "ops"))


@contextmanager
def _broker():
    from kombu import Connection

    with Connection(settings.amqp_uri(), connect_timeout=5) as conn:
        conn.ensure_connection(max_retries=5, interval_start=1, interval_step=1, interval_max=2)
        yield conn


def declare_queues(service: str) -> None:
    """Declare the service's queues as the platform wants them (``common.queues``: quorum queues with dead-letter
    queues), moving the messages of a queue declared otherwise by an earlier version. Run it before the service's
    processes start."""
    with _broker() as conn:
        for spec in queues.service_queues(_service_class(service)):
            print(f"{service}: {spec.name}: {queues.migrate(conn, spec)}", file=sys.stderr)


def requeue_dead_letters(service: str) -> None:
    with _broker() as conn:
        for spec in queues.service_queues(_service_class(service)):
            moved = queues.requeue_dead_letters(conn, spec.name)
            if moved:
                print(f"{service}: {spec.name}: {moved} dead-lettered messages requeued", file=sys.stderr)


def load_reference(service: str) -> None:
    try:
        module = importlib.import_module(f"{service}.reference")
    except ModuleNotFoundError:
        return  # this service owns no reference data
    engine = make_engine(settings.database_url(service), pool_size=2)
    try:
        module.load(engine)
    finally:
        engine.dispose()


STEPS = {"createdb": [createdb], "migrate": [migrate], "load-reference": [load_reference],
         "queues": [declare_queues], "dead-letters": [requeue_dead_letters],
         "setup": [createdb, migrate, load_reference, declare_queues], "release": [release], "dropdb": [dropdb]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m common.manage", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=sorted(STEPS))
    parser.add_argument("services", nargs="*", metavar="SERVICE")
    args = parser.parse_args(argv)
    unknown = set(args.services) - set(settings.SERVICES)
    if unknown:
        parser.error(f"unknown service(s): {', '.join(sorted(unknown))}")
    for service in args.services or settings.SERVICES:
        for step in STEPS[args.step]:
            step(service)
    return 0


if __name__ == "__main__":
    sys.exit(main())
