"""Opening DuckDB: the one place that does it, with the retry every caller needs.

DuckDB lets one process write and nobody else open the file meanwhile (not even read-only).
Writers therefore hold the file only for short transactions, and every opener (writer or reader)
retries a lock conflict with jittered exponential backoff instead of failing.
"""
from __future__ import annotations

import contextlib
import random
import time
from pathlib import Path
from typing import Iterator

import duckdb

from warehouse.paths import warehouse_path

DEFAULT_LOCK_TIMEOUT_S = 300.0


class WarehouseBusy(RuntimeError):
    """The warehouse stayed locked by another process for longer than the timeout."""


def _is_lock_conflict(exc: Exception) -> bool:
    text = str(exc).lower()
    return (
        "could not set lock" in text
        or "conflicting lock" in text
        or "different configuration" in text  # same process, other connection mode still open
        or "database is locked" in text
    )


@contextlib.contextmanager
def connect(
    read_only: bool = False,
    path: Path | None = None,
    timeout_s: float = DEFAULT_LOCK_TIMEOUT_S,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a connection to the warehouse, retrying while another process holds the lock.

    A read-only open of a warehouse that does not exist yet creates it (with migrations) first,
    so that readers never see a half-initialised file.
    """
    from warehouse import ducklake  # hook: TRAINYARD_WAREHOUSE=ducklake (warehouse/ducklake.py)

    if ducklake.selected(path):
        with ducklake.connect(read_only=read_only, timeout_s=timeout_s) as lake_conn:
            yield lake_conn
        return
    db = Path(path) if path else warehouse_path()
    if read_only and not db.exists():
        from warehouse.migrations import migrate

        migrate(db)
    deadline = time.monotonic() + timeout_s
    delay = 0.02
    while True:
        try:
            conn = duckdb.connect(str(db), read_only=read_only)
            break
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            if not _is_lock_conflict(exc):
                raise
            if time.monotonic() >= deadline:
                raise WarehouseBusy(
                    f"warehouse {db} stayed locked for {timeout_s:.0f}s by another process: {exc}"
                ) from exc
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 1.0)
    try:
        yield conn
    finally:
        conn.close()
