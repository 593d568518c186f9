"""Connections of the search's hot path: plain psycopg connections in autocommit
(one round trip per query, no BEGIN/ROLLBACK), kept open, handed out last-in
first-out to green threads.

SQLAlchemy's pool cost the search more than its SQL building: a checkout and a
checkin with its reset per query, and, once more searches ran than the pool
held, a PostgreSQL backend started and stopped for each overflow connection.
Here a search that finds every connection busy waits (green) for one; a
connection that failed is dropped with every idle one (a PostgreSQL restart
kills them all at once) and the query retried once on a freshly opened one
(searches only read), so a PostgreSQL restart costs no failed search.
"""
from __future__ import annotations

import contextlib
import logging
import time

import psycopg
from eventlet.semaphore import Semaphore
from psycopg.pq import TransactionStatus

from common.errors import ServiceUnavailable

log = logging.getLogger(__name__)


def conninfo(url) -> str:
    """A libpq URL from a SQLAlchemy URL (``postgresql+psycopg://...``) or a string."""
    if hasattr(url, "render_as_string"):
        url = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return str(url).replace("postgresql+psycopg://", "postgresql://", 1)


class SearchPool:
    def __init__(self, url, size: int, options: str = "", max_age: float = 1800.0, wait: float = 10.0):
        self.conninfo = conninfo(url)
        self.size = size
        self.options = options
        self.max_age = max_age
        self.wait = wait
        self._free: list[tuple[psycopg.Connection, float]] = []
        self._slots = Semaphore(size)

    def _connect(self) -> tuple[psycopg.Connection, float]:
        return psycopg.connect(self.conninfo, autocommit=True, options=self.options or None), time.monotonic()

    @contextlib.contextmanager
    def _slot(self):
        if not self._slots.acquire(timeout=self.wait):
            raise ServiceUnavailable("La recherche est momentanément saturée. Réessayez dans quelques instants.",
                                     code="search_busy")
        try:
            yield
        finally:
            self._slots.release()

    def fetch(self, sql: str, params: dict, row_factory=None, binary: bool = True) -> list:
        """Run one read-only statement and return its rows."""
        with self._slot():
            for attempt in (1, 2):
                conn, born = self._free.pop() if self._free and attempt == 1 else self._connect()
                try:
                    with conn.cursor(row_factory=row_factory, binary=binary) as cur:
                        cur.execute(sql, params)
                        rows = cur.fetchall()
                except psycopg.OperationalError:
                    conn.close()
                    if attempt == 2:
                        raise
                    log.warning("search connection lost; dropping the idle ones and retrying on a new one")
                    self.close()
                    continue
                except BaseException:
                    conn.close()
                    raise
                if conn.info.transaction_status == TransactionStatus.IDLE and \
                        time.monotonic() - born < self.max_age:
                    self._free.append((conn, born))
                else:
                    conn.close()
                return rows
        raise AssertionError("unreachable")

    def close(self):
        free, self._free = self._free, []
        for conn, _ in free:
            with contextlib.suppress(Exception):
                conn.close()


class SearchConnections:
    """``knn`` runs with bitmap scans off for the KNN path (see
    ``search_sql.uses_knn``); ``default`` serves every other search statement.
    The platform must fit in PostgreSQL's 100 connections: at most
    2 x OFFERS_SEARCH_CONNECTIONS (default 6) here, opened on demand."""

    def __init__(self, url, size: int):
        self.default = SearchPool(url, size)
        self.knn = SearchPool(url, size, options="-c enable_bitmapscan=off")

    def close(self):
        self.default.close()
        self.knn.close()

