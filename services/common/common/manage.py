"""Operations on the services' databases.

    python -m common.manage createdb [SERVICE ...]
    python -m common.manage migrate [SERVICE ...]
    python -m common.manage load-reference [SERVICE ...]
    python -m common.manage setup [SERVICE ...]      # the three above

Without SERVICE, every service. Each step is idempotent.
"""
from __future__ import annotations

import argparse
import importlib
import sys

import psycopg
from sqlalchemy.engine import make_url

from . import migrations, settings
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


def migrate(service: str) -> None:
    migrations.upgrade(service)
    print(f"{service}: migrations applied", file=sys.stderr)


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
         "setup": [createdb, migrate, load_reference], "dropdb": [dropdb]}


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
