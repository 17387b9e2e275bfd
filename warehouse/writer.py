"""The one writer API: stage rows as Parquet, then hold the database for one short transaction.

Every row gets the lineage columns (run, asset, partition, versions, time) from a ``Lineage``;
the caller supplies ``source_key``, the natural key of the upstream record the row came from.

Modes:
- ``replace``: delete this asset partition's rows, insert the new ones (full recomputes).
- ``upsert``: delete rows whose natural ``key`` columns match the new rows, insert (incremental).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from pathlib import Path
from typing import Any, Iterable, Sequence

import polars as pl

from warehouse.db import connect
from warehouse.ducklake import materialize_parquet, retry_conflicts, selected as lake_selected
from warehouse.migrations import migrate
from warehouse.paths import artifact_dir, warehouse_path

LINEAGE_FIELDS = (
    "dagster_run_id",
    "asset_key",
    "partition_key",
    "code_version",
    "data_version",
    "materialized_at",
)


@dataclasses.dataclass(frozen=True)
class Lineage:
    """Where a batch of rows came from; one per (run, asset, partition)."""

    dagster_run_id: str
    asset_key: str
    partition_key: str = ""
    code_version: str = ""
    data_version: str = ""
    materialized_at: dt.datetime = dataclasses.field(
        default_factory=lambda: dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    )

    @classmethod
    def adhoc(cls, asset_key: str, partition_key: str = "") -> "Lineage":
        """Lineage for writes made outside Dagster (CLI ingest, benchmarks)."""
        return cls(dagster_run_id=f"adhoc-{uuid.uuid4().hex[:12]}", asset_key=asset_key,
                   partition_key=partition_key)


def to_frame(rows: pl.DataFrame | Iterable[dict[str, Any]]) -> pl.DataFrame:
    if isinstance(rows, pl.DataFrame):
        return rows
    rows = list(rows)
    if not rows:
        return pl.DataFrame()
    return pl.DataFrame(rows, infer_schema_length=None)


class Warehouse:
    """Writes to and migrates one DuckDB file (default: the trainyard home's)."""

    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path else warehouse_path()
        self._migrated = False

    def ensure_schema(self) -> list[str]:
        applied = migrate(self.path)
        self._migrated = True
        return applied

    def _stage(self, table: str, frame: pl.DataFrame, lineage: Lineage) -> Path:
        frame = frame.with_columns(
            *(pl.lit(getattr(lineage, f)).alias(f) for f in LINEAGE_FIELDS)
        )
        staged = artifact_dir("staging", table) / f"{uuid.uuid4().hex}.parquet"
        frame.write_parquet(staged)
        return staged

    @retry_conflicts  # DuckLake: a commit that collided with another process's is redone whole
    def write(
        self,
        table: str,
        rows: pl.DataFrame | Iterable[dict[str, Any]],
        lineage: Lineage,
        mode: str = "replace",
        key: Sequence[str] = (),
    ) -> int:
        """Write rows to ``table``; returns the number of rows inserted."""
        if mode not in ("replace", "upsert"):
            raise ValueError(f"mode must be 'replace' or 'upsert', not {mode!r}")
        if mode == "upsert" and not key:
            raise ValueError("upsert needs the natural key columns")
        if not table.isidentifier():
            raise ValueError(f"not a table name: {table!r}")
        frame = to_frame(rows)
        if frame.height and "source_key" not in frame.columns:
            raise ValueError(f"rows for {table} lack 'source_key' (the upstream record's key)")
        missing = [k for k in key if frame.height and k not in frame.columns]
        if missing:
            raise ValueError(f"rows for {table} lack key columns {missing}")
        if not self._migrated:
            self.ensure_schema()
        staged = self._stage(table, frame, lineage) if frame.height else None
        try:
            with connect(path=self.path) as conn:
                conn.execute("BEGIN TRANSACTION")
                try:
                    if mode == "replace":
                        conn.execute(
                            f"DELETE FROM {table} WHERE asset_key = ? AND partition_key = ?",
                            [lineage.asset_key, lineage.partition_key],
                        )
                    if staged is not None:
                        src = f"read_parquet('{staged.as_posix()}')"
                        if mode == "upsert":
                            match = " AND ".join(
                                f"{table}.{k} IS NOT DISTINCT FROM s.{k}" for k in key
                            )
                            conn.execute(
                                f"DELETE FROM {table} WHERE EXISTS "
                                f"(SELECT 1 FROM {src} s WHERE {match})"
                            )
                        conn.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {src}")
                    conn.execute("COMMIT")
                except Exception:
                    conn.execute("ROLLBACK")
                    raise
        finally:
            if staged is not None:
                staged.unlink(missing_ok=True)
        return frame.height

    @retry_conflicts
    def delete(self, table: str, where: str, params: Sequence[Any] = ()) -> None:
        """Delete rows matching a parameterised condition (for branch-specific clean-ups)."""
        if not self._migrated:
            self.ensure_schema()
        with connect(path=self.path) as conn:
            conn.execute(f"DELETE FROM {table} WHERE {where}", list(params))

    @retry_conflicts
    def create_parquet_view(self, view: str, parquet_glob: str | Path) -> None:
        """Expose Parquet artifacts (under the trainyard home) as a DuckDB view."""
        if not view.isidentifier():
            raise ValueError(f"not a view name: {view!r}")
        if not self._migrated:
            self.ensure_schema()
        glob = str(parquet_glob).replace("'", "''")
        if lake_selected(self.path):  # DuckLake: a table other machines can read (ducklake.py)
            return materialize_parquet(view, glob)
        with connect(path=self.path) as conn:
            conn.execute(
                f"CREATE OR REPLACE VIEW {view} AS SELECT * FROM read_parquet('{glob}', "
                "union_by_name = true)"
            )
