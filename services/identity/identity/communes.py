"""The communes and départements of data/reference (read once per process): an admin creating or correcting a
school gives a commune's INSEE code, its name, département and académie come from here."""
from __future__ import annotations

import functools

from common.refdata import read_csv


@functools.lru_cache(maxsize=1)
def _communes() -> dict[str, dict]:
    return {r["insee_code"]: r for r in read_csv("communes.csv")}


@functools.lru_cache(maxsize=1)
def _departements() -> dict[str, dict]:
    return {r["dep_code"]: r for r in read_csv("departements.csv")}


def commune(insee_code) -> dict | None:
    return _communes().get(insee_code.strip()) if isinstance(insee_code, str) else None


def departement(dep_code) -> dict | None:
    return _departements().get(dep_code) if dep_code else None
