"""Read-only access for the CLI, tests and users: retries while a writer holds the file.

Every read goes through one policy (``trainyard query`` and every internal reader alike):
- the connection is read-only and locked down (``warehouse.db``): no file access outside the
  trainyard home's artifacts, no extension install/load, configuration locked;
- the SQL must be exactly one statement, and DuckDB's own parser must classify it as a read
  (SELECT — which covers FROM, WITH, DESCRIBE, SHOW, SUMMARIZE, PIVOT inside a query —, EXPLAIN
  of a read, or an informational PRAGMA). COPY, EXPORT, ATTACH, INSTALL/LOAD, SET, CALL,
  CREATE (even TEMP), transactions and everything else are refused before anything runs.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Sequence

import duckdb
import polars as pl

from warehouse.db import connect, corrupt_error
from warehouse.errors import TrainyardError
from warehouse.paths import warehouse_path

# PRAGMAs that only report (the rest set options or act).
READ_PRAGMAS = frozenset({
    "version", "platform", "database_size", "table_info", "show", "show_tables",
    "show_tables_expanded", "show_databases", "storage_info", "metadata_info", "functions",
    "collations", "user_agent", "database_list",
})

_EXPLAIN = re.compile(r"^\s*explain\s+(?:\([^)]*\)\s*)?(?:analy[sz]e\s+)?(.*)$", re.I | re.S)
_PRAGMA = re.compile(r"^\s*pragma\s+([A-Za-z_][A-Za-z0-9_]*)", re.I)


class ReadOnlyViolation(TrainyardError, PermissionError):
    """A statement that is not a single read, or that tried to reach outside the warehouse."""


_HINT = ("trainyard query is read-only: give exactly one read (SELECT/FROM/WITH/DESCRIBE/SHOW/SUMMARIZE/"
         "EXPLAIN); "
         "the warehouse accepts writes only from pipelines")


def check_read_statement(conn: duckdb.DuckDBPyConnection, sql: str) -> str:
    """Return the single statement's text if DuckDB classifies it as a read; else raise
    ``ReadOnlyViolation`` naming what was refused."""
    try:
        statements = conn.extract_statements(sql)
    except duckdb.ParserException as exc:
        raise ReadOnlyViolation(f"SQL does not parse: {str(exc).splitlines()[0]}") from exc
    if len(statements) != 1:
        raise ReadOnlyViolation(f"{len(statements)} statements given; {_HINT}")
    statement = statements[0]
    kind = statement.type
    text = statement.query
    if kind == duckdb.StatementType.SELECT:
        return text
    if kind == duckdb.StatementType.EXPLAIN:
        inner = _EXPLAIN.match(text)
        if inner and inner.group(1).strip():
            check_read_statement(conn, inner.group(1))
            return text
    if kind == duckdb.StatementType.PRAGMA:
        name = _PRAGMA.match(text)
        if name and name.group(1).lower() in READ_PRAGMAS:
            return text
        raise ReadOnlyViolation(f"PRAGMA {name.group(1) if name else '?'} refused; {_HINT}")
    raise ReadOnlyViolation(f"{kind.name} statement refused; {_HINT}")


def read_sql(sql: str, params: Sequence[Any] = (), path: Path | None = None) -> pl.DataFrame:
    """Run one read-only query and return a polars DataFrame."""
    with connect(read_only=True, path=path) as conn:
        text = check_read_statement(conn, sql)
        try:
            if params:
                rel = conn.execute(text, list(params))
                columns = [d[0] for d in rel.description] if rel.description else []
                return pl.DataFrame(rel.fetchall(), schema=columns, orient="row")
            rel = conn.sql(text)
            return pl.DataFrame() if rel is None else rel.pl()
        except duckdb.PermissionException as exc:
            raise ReadOnlyViolation(
                f"{str(exc).splitlines()[0]}: reads may only touch the warehouse and the trainyard "
                "home's artifacts") from exc
        except duckdb.IOException as exc:
            err = corrupt_error(Path(path) if path else warehouse_path(), exc)
            if err is exc:
                raise
            raise err from exc
        except duckdb.InvalidInputException as exc:
            if "read-only" in str(exc).lower() or "read only" in str(exc).lower():
                raise ReadOnlyViolation(f"{str(exc).splitlines()[0]}; {_HINT}") from exc
            raise


def scalar(sql: str, params: Sequence[Any] = (), path: Path | None = None) -> Any:
    frame = read_sql(sql, params, path)
    return frame.item(0, 0) if frame.height else None


def table_names(path: Path | None = None) -> list[str]:
    frame = read_sql(
        "SELECT table_name FROM information_schema.tables ORDER BY table_name", path=path
    )
    return frame["table_name"].to_list() if frame.height else []


def column_names(table: str, path: Path | None = None) -> set[str]:
    frame = read_sql("SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table], path=path)
    return set(frame["column_name"].to_list()) if frame.height else set()


def results_rows(path: Path | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """What ``trainyard results`` renders: every ``eval_metrics`` row joined with its report, and
    every ``benchmarks`` row, in a stable order. Provenance columns (machine, git_commit) read
    NULL on a warehouse written before migration 0002."""
    names = set(table_names(path))
    if not {"eval_metrics", "eval_reports", "benchmarks"} <= names:
        raise TrainyardError(f"warehouse {path or warehouse_path()} has no eval_metrics/benchmarks tables; "
                             "materialise assets (`trainyard demo`) or run `trainyard bench` first")
    have = column_names("eval_reports", path)
    machine = "r.machine" if "machine" in have else "NULL::VARCHAR"
    commit = "r.git_commit" if "git_commit" in have else "NULL::VARCHAR"
    metrics = read_sql(
        "SELECT m.report_id, r.suite, r.subject, m.metric, m.value, m.n, m.ci_low, m.ci_high, m.asset_key, "
        "m.partition_key, m.dagster_run_id, r.html_path, "
        f"{machine} AS machine, {commit} AS git_commit, coalesce(r.created_at, m.materialized_at) AS created_at "
        "FROM eval_metrics m LEFT JOIN eval_reports r USING (report_id) "
        "ORDER BY m.report_id, m.metric, m.value", path=path)
    bench_commit = "git_commit" if "git_commit" in column_names("benchmarks", path) else "NULL::VARCHAR"
    benches = read_sql(
        "SELECT benchmark, metric, value, unit, peer, peer_value, ratio, machine, "
        f"{bench_commit} AS git_commit, measured_at, asset_key FROM benchmarks "
        "ORDER BY benchmark, metric, peer, value", path=path)
    return metrics, benches


def rows_written(run_id: str, asset_key: str, partition_key: str = "",
                 path: Path | None = None) -> dict[str, int]:
    """{table: rows} that one asset (and partition) wrote in one Dagster run, read from the
    lineage columns every table carries; tables without such rows are left out."""
    tables = read_sql(
        "SELECT DISTINCT c.table_name FROM information_schema.columns c JOIN information_schema.tables t "
        "USING (table_catalog, table_schema, table_name) WHERE c.column_name = 'dagster_run_id' "
        "AND t.table_type = 'BASE TABLE' ORDER BY 1", path=path)["table_name"].to_list()
    if not tables:
        return {}
    where = "dagster_run_id = ? AND asset_key = ? AND partition_key = ?"
    sql = " UNION ALL ".join(f"SELECT '{t}' AS t, count(*) AS n FROM \"{t}\" WHERE {where}" for t in tables)
    frame = read_sql(sql, [run_id, asset_key, partition_key] * len(tables), path=path)
    return {t: int(n) for t, n in frame.iter_rows() if n}
