"""Read-only access for the CLI, tests and users: retries while a writer holds the file."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import duckdb
import polars as pl

from warehouse.db import connect


class ReadOnlyViolation(PermissionError):
    """A statement tried to change the warehouse through a read-only connection."""


def read_sql(sql: str, params: Sequence[Any] = (), path: Path | None = None) -> pl.DataFrame:
    """Run one read-only query and return a polars DataFrame."""
    with connect(read_only=True, path=path) as conn:
        try:
            if params:
                rel = conn.execute(sql, list(params))
                columns = [d[0] for d in rel.description]
                return pl.DataFrame(rel.fetchall(), schema=columns, orient="row")
            rel = conn.sql(sql)
            if rel is None:  # a statement with no result set
                return pl.DataFrame()
            return rel.pl()
        except duckdb.InvalidInputException as exc:
            if "read-only" in str(exc).lower() or "read only" in str(exc).lower():
                raise ReadOnlyViolation(
                    "trainyard query is read-only: the warehouse accepts writes only from "
                    f"pipelines ({exc})"
                ) from exc
            raise


def scalar(sql: str, params: Sequence[Any] = (), path: Path | None = None) -> Any:
    frame = read_sql(sql, params, path)
    return frame.item(0, 0) if frame.height else None


def table_names(path: Path | None = None) -> list[str]:
    frame = read_sql(
        "SELECT table_name FROM information_schema.tables ORDER BY table_name", path=path
    )
    return frame["table_name"].to_list() if frame.height else []
