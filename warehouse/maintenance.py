"""Integrity check, backup and restore of the warehouse file (``trainyard warehouse ...``).

- ``check``: opens the file read-only and scans every row of every table (a hash over all
  columns, so every data block is read and its checksum verified), and every view (views over
  Parquet artifacts fail here when their files are gone or unreadable).
- ``backup``: holds the writer lock (no writer can start), checkpoints, copies the file, then
  checks the copy. Parquet artifacts behind views are not copied (they stay in the home).
- ``restore``: checks the backup first, then, under the writer lock, swaps it in atomically and
  keeps the replaced file as ``<warehouse>.pre-restore``.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
from pathlib import Path

from warehouse.db import check_header, connect, writer_lock
from warehouse.errors import TrainyardError
from warehouse.paths import trainyard_home, warehouse_path


@dataclasses.dataclass
class ObjectCheck:
    name: str
    kind: str  # "table" | "view"
    rows: int | None
    ok: bool
    error: str = ""


def check(path: Path | None = None) -> list[ObjectCheck]:
    """One ``ObjectCheck`` per table and view; raises ``WarehouseCorrupt`` if the file cannot
    be opened at all."""
    db = Path(path) if path else warehouse_path()
    if not db.exists():
        raise TrainyardError(f"no warehouse at {db}; run `trainyard demo` (or a job) to create it")
    results = []
    with connect(read_only=True, path=db) as conn:
        objects = conn.execute(
            "SELECT table_name, table_type FROM information_schema.tables "
            "WHERE table_schema = 'main' ORDER BY table_type, table_name").fetchall()
        for name, table_type in objects:
            kind = "view" if table_type == "VIEW" else "table"
            quoted = '"' + name.replace('"', '""') + '"'
            try:
                if kind == "table":
                    rows, _ = conn.execute(f"SELECT count(*), bit_xor(hash(t)) FROM {quoted} t").fetchone()
                else:
                    rows = conn.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0]
                results.append(ObjectCheck(name, kind, int(rows), True))
            except Exception as exc:  # every object is reported, one bad one does not stop the scan
                results.append(ObjectCheck(name, kind, None, False, str(exc).splitlines()[0][:300]))
    return results


def default_backup_path() -> Path:
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return trainyard_home() / "backups" / f"warehouse-{stamp}.duckdb"


def backup(dest: Path | None = None, path: Path | None = None) -> tuple[Path, list[ObjectCheck]]:
    """Consistent copy of the warehouse at ``dest`` (default ``$TRAINYARD_HOME/backups/...``)."""
    db = Path(path) if path else warehouse_path()
    if not db.exists():
        raise TrainyardError(f"no warehouse at {db} to back up")
    dest = Path(dest).expanduser() if dest else default_backup_path()
    if dest.is_dir():
        dest = dest / default_backup_path().name
    if dest.resolve() == db.resolve():
        raise TrainyardError("the backup destination is the warehouse itself; choose another path")
    dest.parent.mkdir(parents=True, exist_ok=True)
    check_header(db)  # a file that is not DuckDB at all is named as the warehouse, not the copy
    tmp = dest.with_name(f".{dest.name}.partial")
    with writer_lock(db):
        wal = db.with_name(db.name + ".wal")
        if wal.exists() and wal.stat().st_size:
            # a writer died before DuckDB folded its log into the file: fold it now
            with connect(path=db) as conn:  # re-entrant: same lock
                conn.execute("CHECKPOINT")
        if wal.exists() and wal.stat().st_size:
            raise TrainyardError(f"{wal} still holds changes after a checkpoint; is another "
                                 "DuckDB client writing the warehouse outside trainyard? Stop it and retry")
        shutil.copyfile(db, tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
    os.replace(tmp, dest)
    try:
        results = check(dest)
    except Exception:
        dest.unlink(missing_ok=True)
        raise
    bad = [r for r in results if r.kind == "table" and not r.ok]
    if bad:
        dest.unlink(missing_ok=True)
        raise TrainyardError(
            f"warehouse {db} is damaged ({bad[0].name}: {bad[0].error}); no backup written: restore "
            "an earlier one with `trainyard warehouse restore BACKUP`")
    return dest, results


def restore(src: Path, path: Path | None = None) -> tuple[Path | None, list[ObjectCheck]]:
    """Replace the warehouse with the backup ``src`` after checking it; returns where the
    replaced file was kept (None when there was none) and the check of the restored file."""
    src = Path(src).expanduser()
    if not src.is_file():
        raise TrainyardError(f"backup {src} does not exist; list backups in {trainyard_home() / 'backups'}")
    results = check(src)  # raises WarehouseCorrupt for a file that is not DuckDB
    bad = [r for r in results if r.kind == "table" and not r.ok]
    if bad:
        raise TrainyardError(f"backup {src} fails its check ({bad[0].name}: {bad[0].error}); "
                             "choose another backup")
    db = Path(path) if path else warehouse_path()
    kept = None
    with writer_lock(db):
        tmp = db.with_name(f".{db.name}.restoring")
        shutil.copyfile(src, tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        if db.exists():
            kept = db.with_name(db.name + ".pre-restore")
            shutil.copyfile(db, kept)
        db.with_name(db.name + ".wal").unlink(missing_ok=True)
        os.replace(tmp, db)
    return kept, check(db)
