"""Reference data owned by identity: the schools directory (data/reference/schools.csv).

``python -m common.manage load-reference identity`` calls ``load``; it upserts on
the UAI, so running it twice changes nothing."""
from __future__ import annotations

from common.refdata import read_csv, upsert_rows

from .domain.schools import school_from_csv_row, search_key
from .models import schools


def school_row(row: dict) -> dict:
    rec = school_from_csv_row(row)
    rec["name_key"], rec["commune_key"] = search_key(rec["name"], rec["commune_name"])
    return rec


def load(engine) -> int:
    return upsert_rows(engine, schools, read_csv("schools.csv"), key=["uai"], label="schools", transform=school_row)
