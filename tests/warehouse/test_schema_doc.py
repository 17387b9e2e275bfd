"""docs/schema.md is generated from the migrations and kept up to date."""
from warehouse.paths import PROJECT_ROOT
from warehouse.schema_doc import parse_migrations, schema_markdown


def test_committed_schema_page_is_up_to_date_with_the_migrations():
    committed = (PROJECT_ROOT / "docs" / "schema.md").read_text(encoding="utf-8")
    assert committed == schema_markdown(), (
        "docs/schema.md is out of date with warehouse/migrations: run `trainyard results --schema` and commit it")


def test_every_migrated_table_and_column_is_on_the_page():
    from warehouse.schema_doc import apply_in_memory

    page = schema_markdown()
    for table, columns in apply_in_memory().items():
        assert f"### `{table}`" in page
        for column, dtype in columns:
            if column not in {"source_key", "dagster_run_id", "asset_key", "partition_key", "code_version",
                              "data_version", "materialized_at"}:
                assert f"| `{column}` | {dtype} |" in page, (table, column)


def test_comments_types_and_added_columns_come_from_the_sql(tmp_path):
    (tmp_path / "0001_a.sql").write_text(
        "-- Spine things (issue #99): one table.\n"
        "-- Explains the table.\n"
        "CREATE TABLE IF NOT EXISTS things (\n"
        "    thing_id VARCHAR,           -- natural key | with a pipe\n"
        "    -- sizes, in bytes\n"
        "    size BIGINT,\n"
        "    tags VARCHAR[],\n"
        "    {{LINEAGE}}\n);\n"
        "-- Per-thing notes.\n"
        "CREATE TABLE IF NOT EXISTS notes (\n    thing_id VARCHAR,\n    {{LINEAGE}}\n);\n")
    (tmp_path / "2001_b.sql").write_text(
        "-- Adds a score (#7).\nALTER TABLE things ADD COLUMN IF NOT EXISTS score DOUBLE;  -- higher is better\n")
    files = sorted(tmp_path.glob("*.sql"))
    migrations, relations = parse_migrations(files)
    assert [m.comment for m in migrations] == ["Spine things: one table. Explains the table.", "Adds a score."]
    assert relations["notes"].comment == "Per-thing notes."
    page = schema_markdown(files, root=tmp_path)
    assert "| `thing_id` | VARCHAR | natural key \\| with a pipe |" in page
    assert "| `size` | BIGINT | sizes, in bytes |" in page
    assert "| `tags` | VARCHAR[] |  |" in page
    assert "| `score` | DOUBLE | higher is better (added in `2001_b.sql`) |" in page
    assert page.index("## Spine (0xxx migrations)") < page.index("### `notes`") < page.index("### `things`")
    assert "#99" not in page and "#7" not in page
