"""Versioned, idempotent schema migrations.

Each ``NNNN_name.sql`` file in this folder is applied once, in file-name order, inside a
transaction, and recorded in ``schema_migrations``. ``{{LINEAGE}}`` in a file expands to the
lineage columns every table carries. Branches own number ranges: 0xxx spine, 1xxx GitHub,
2xxx trajectories, 3xxx DeMix, 4xxx images, 5xxx rubrics, 6xxx scale-out.
"""
from __future__ import annotations

from pathlib import Path

LINEAGE_COLUMNS_SQL = """
    source_key VARCHAR,
    dagster_run_id VARCHAR,
    asset_key VARCHAR,
    partition_key VARCHAR,
    code_version VARCHAR,
    data_version VARCHAR,
    materialized_at TIMESTAMP"""

from warehouse.ducklake import retry_conflicts as _retry_conflicts  # noqa: E402

MIGRATIONS_DIR = Path(__file__).resolve().parent


def migration_files() -> list[Path]:
    return sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql"))


@_retry_conflicts  # DuckLake: two processes migrating at once; the loser re-reads what is done
def migrate(path: Path | None = None) -> list[str]:
    """Apply pending migrations; return the versions applied (empty when up to date)."""
    from warehouse.db import connect

    applied_now: list[str] = []
    with connect(path=path) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version VARCHAR, name VARCHAR, applied_at TIMESTAMP DEFAULT current_timestamp)"
        )
        done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations").fetchall()}
        for file in migration_files():
            version, _, name = file.stem.partition("_")
            if version in done:
                continue
            sql = file.read_text().replace("{{LINEAGE}}", LINEAGE_COLUMNS_SQL)
            conn.execute("BEGIN TRANSACTION")
            try:
                conn.execute(sql)
                conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name]
                )
                conn.execute("COMMIT")
            except Exception:
                conn.execute("ROLLBACK")
                raise
            applied_now.append(version)
    return applied_now
