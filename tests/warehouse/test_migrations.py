from warehouse.migrations import migrate, migration_files
from warehouse.readers import read_sql, table_names


def test_migrations_apply_once_and_second_run_changes_nothing(trainyard_home):
    first = migrate()
    assert first == [f.stem.split("_")[0] for f in migration_files()]
    tables_before = table_names()
    rows_before = read_sql("SELECT version, applied_at FROM schema_migrations ORDER BY version")
    assert migrate() == []
    assert table_names() == tables_before
    assert read_sql("SELECT version, applied_at FROM schema_migrations ORDER BY version").equals(rows_before)


def test_every_table_carries_lineage_columns(warehouse):
    lineage = {"source_key", "dagster_run_id", "asset_key", "partition_key", "code_version",
               "data_version", "materialized_at"}
    cols = read_sql("SELECT table_name, column_name FROM information_schema.columns")
    by_table: dict[str, set] = {}
    for t, c in cols.iter_rows():
        by_table.setdefault(t, set()).add(c)
    missing = {t: lineage - c for t, c in by_table.items() if t != "schema_migrations" and lineage - c}
    # Views over Parquet artifacts are exempt only if they carry the columns from their writer.
    assert not missing, f"tables without lineage columns: {missing}"
