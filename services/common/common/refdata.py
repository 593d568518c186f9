"""Loading reference data (communes, schools, sectors...) from the CSV files
in ``data/reference``: idempotent upserts in batches, with a progress bar."""
from __future__ import annotations

import csv
import sys
import time
from pathlib import Path
from typing import Callable, Iterable, Iterator

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert

from . import settings


def read_csv(name: str) -> list[dict]:
    path = Path(settings.data_dir()) / name
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


class Progress:
    """A text progress bar on stderr (a line per 10 % when not a terminal)."""

    def __init__(self, label: str, total: int, stream=None):
        self.label, self.total, self.done = label, max(total, 1), 0
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last_decile = -1
        self._start = time.monotonic()

    def advance(self, n: int) -> None:
        self.done += n
        ratio = min(self.done / self.total, 1.0)
        if self.tty:
            bar = "#" * int(ratio * 30)
            self.stream.write(f"\r{self.label:<22} [{bar:<30}] {self.done}/{self.total}")
            if self.done >= self.total:
                self.stream.write("\n")
        else:
            decile = int(ratio * 10)
            if decile != self._last_decile:
                self._last_decile = decile
                self.stream.write(f"{self.label}: {self.done}/{self.total} ({decile * 10} %)\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self.done < self.total:
            self.stream.write("\n")
        elapsed = time.monotonic() - self._start
        self.stream.write(f"{self.label}: {self.done} rows in {elapsed:.1f} s\n")
        self.stream.flush()


def batched(rows: Iterable, size: int) -> Iterator[list]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def upsert_rows(engine, table: Table, rows: list[dict], key: list[str], label: str,
                transform: Callable[[dict], dict | None] = lambda r: r, batch_size: int = 2000) -> int:
    """Insert or update ``rows`` (after ``transform``; None skips a row) keyed on ``key``.
    Running it twice leaves the table as after the first run."""
    progress = Progress(label, len(rows))
    count = 0
    with engine.begin() as conn:
        for batch in batched(rows, batch_size):
            values = [v for v in (transform(r) for r in batch) if v is not None]
            if values:
                stmt = insert(table).values(values)
                update_cols = {c: stmt.excluded[c] for c in values[0] if c not in key}
                stmt = (stmt.on_conflict_do_update(index_elements=key, set_=update_cols)
                        if update_cols else stmt.on_conflict_do_nothing(index_elements=key))
                conn.execute(stmt)
                count += len(values)
            progress.advance(len(batch))
    progress.close()
    return count
