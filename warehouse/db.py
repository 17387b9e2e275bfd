"""Opening DuckDB: the one place that does it, with the retry every caller needs.

DuckDB lets one process write and nobody else open the file meanwhile (not even read-only).
Writers therefore hold the file only for short transactions, and every opener (writer or reader)
retries a lock conflict with jittered exponential backoff instead of failing. Writers of all
processes also queue on a file lock (``writer_lock``) beside the database, held only while a
writer connection is open, so they take turns instead of racing on DuckDB's lock.

Read-only connections are locked down (``read_only=True``): no file access outside the trainyard
home's artifacts (so Parquet-backed views still read), no extension install/load, configuration
locked. What a read-only connection may *run* is checked in ``warehouse.readers``.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import random
import threading
import time
from pathlib import Path
from typing import Iterator

import duckdb

from warehouse.errors import TrainyardError, WarehouseCorrupt
from warehouse.paths import trainyard_home, warehouse_path

DEFAULT_LOCK_TIMEOUT_S = 300.0


class WarehouseBusy(TrainyardError):
    """The warehouse stayed locked by another process for longer than the timeout."""


def lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".writer.lock")


@contextlib.contextmanager
def writer_lock(db: Path | None = None, timeout_s: float = DEFAULT_LOCK_TIMEOUT_S) -> Iterator[None]:
    """Exclusive cross-process lock for writing ``db`` (an ``flock`` on ``<db>.writer.lock``).

    Held by ``connect(read_only=False)`` for the life of the connection — one short transaction —
    so writers of different runs and steps never hold DuckDB's file lock for longer than a write,
    and long computations (training) run in parallel with other steps. Re-entrant per thread
    (a nested writer connection does not deadlock on itself); other threads queue like other
    processes."""
    db = Path(db) if db else warehouse_path()
    key = str(db.resolve())
    _HELD = _LOCAL.__dict__.setdefault("held", {})
    if _HELD.get(key):
        _HELD[key] += 1
        try:
            yield
        finally:
            _HELD[key] -= 1
        return
    db.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path(db), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout_s
        delay = 0.005
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        f"another process kept writing warehouse {db} for {timeout_s:.0f}s; wait for "
                        "it to finish (or stop it) and retry") from None
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 0.25)
        _HELD[key] = 1
        try:
            yield
        finally:
            _HELD.pop(key, None)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


_LOCAL = threading.local()

CONNECTION_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


def reader_allowed_directories(db: Path | None = None) -> list[str]:
    """Directories a read-only connection may read files from: the artifacts of the trainyard
    home, those beside the warehouse file ``db`` (a warehouse of another home), and
    ``$TRAINYARD_ARTIFACT_STORE`` when that is a local directory."""
    dirs = [(trainyard_home() / "artifacts").resolve()]
    if db is not None and (Path(db).resolve().parent / "artifacts").resolve() not in dirs:
        dirs.append((Path(db).resolve().parent / "artifacts").resolve())
    spec = os.environ.get("TRAINYARD_ARTIFACT_STORE", "").strip()
    if spec.startswith(("file://", "/")):
        dirs.append(Path(spec.removeprefix("file://")).resolve())
    return [f"{d.as_posix().rstrip('/')}/" for d in dirs]


def _lock_down(conn: duckdb.DuckDBPyConnection, db: Path) -> None:
    """External access off except the artifact directories, configuration locked. The settings
    are database-wide: a second connection to an instance already locked down keeps them."""
    locked, external = conn.execute(
        "SELECT current_setting('lock_configuration'), current_setting('enable_external_access')"
    ).fetchone()
    if locked and not external:
        return
    conn.execute("SET allowed_directories = ?", [reader_allowed_directories(db)])
    conn.execute("SET enable_external_access = false")
    conn.execute("SET lock_configuration = true")


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
    so that readers never see a half-initialised file. A writer connection holds ``writer_lock``
    while open. A file that is not a DuckDB database raises ``WarehouseCorrupt``.
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
    with contextlib.ExitStack() as stack:
        if not read_only:
            stack.enter_context(writer_lock(db, timeout_s))
        conn = _open(db, read_only, timeout_s)
        stack.callback(conn.close)
        if read_only:
            _lock_down(conn, db)
        yield conn


def _open(db: Path, read_only: bool, timeout_s: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + timeout_s
    delay = 0.02
    while True:
        try:
            try:
                check_header(db)
            except WarehouseCorrupt:
                # a file another process is creating right now has no header yet: wait for it
                if read_only and _writer_active(db) and time.monotonic() < deadline:
                    time.sleep(0.05)
                    continue
                raise
            return duckdb.connect(str(db), read_only=read_only, config=dict(CONNECTION_CONFIG))
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            if not _is_lock_conflict(exc):
                raise corrupt_error(db, exc) from exc
            if time.monotonic() >= deadline:
                raise WarehouseBusy(
                    f"warehouse {db} stayed locked for {timeout_s:.0f}s by another process "
                    f"({str(exc).splitlines()[0]}); wait for the writer to finish and retry"
                ) from exc
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 1.0)


def _writer_active(db: Path) -> bool:
    """Whether some process holds the writer lock of ``db`` now."""
    try:
        fd = os.open(lock_path(db), os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def check_header(db: Path) -> None:
    """A file that exists must carry DuckDB's magic bytes ("DUCK" at offset 8); else DuckDB
    would guess another format (e.g. try to load the SQLite extension)."""
    try:
        with open(db, "rb") as f:
            head = f.read(12)
    except FileNotFoundError:
        return
    if head[8:12] != b"DUCK":
        raise corrupt_error(db, ValueError(f"no DuckDB header (first bytes {head[:16]!r})"), force=True)


def corrupt_error(db: Path, exc: Exception, force: bool = False) -> Exception:
    text = str(exc)
    if (force or "not a valid DuckDB database" in text or "Could not read enough bytes" in text
            or "checksum" in text.lower() or "Corrupt" in text or "magic" in text.lower()):
        size = db.stat().st_size if db.exists() else 0
        return WarehouseCorrupt(
            f"warehouse {db} ({size} bytes) is not a readable DuckDB database "
            f"({text.splitlines()[0].removeprefix('IO Error: ')}); restore a backup with "
            "`trainyard warehouse restore BACKUP`, or move the file away to start a new warehouse")
    return exc
