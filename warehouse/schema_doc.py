"""The warehouse schema page (``docs/schema.md``), generated from ``warehouse/migrations/*.sql``.

Types come from DuckDB itself (every migration applied, in order, to an in-memory database);
the explanations come from the SQL comments: a file's leading comment block describes the
migration, a comment block right before ``CREATE TABLE`` describes the table, a trailing
``-- ...`` on a column line (or an ``ALTER TABLE ... ADD COLUMN`` line) describes the column.
Views that assets create over Parquet artifacts at run time are listed from their
``create_parquet_view("name", ...)`` calls."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import duckdb

from warehouse.migrations import LINEAGE_COLUMNS_SQL, migration_files
from warehouse.paths import PROJECT_ROOT

RANGES = {"0": "Spine", "1": "GitHub", "2": "Trajectories", "3": "DeMix", "4": "Images", "5": "Rubrics",
          "6": "Scale-out"}
LINEAGE_MEANING = {
    "source_key": "natural key of the upstream record the row came from (e.g. `owner/repo#123`)",
    "dagster_run_id": "the Dagster run that wrote the row (`adhoc-…` for writes made outside Dagster)",
    "asset_key": "the asset (or CLI/benchmark key) that wrote the row",
    "partition_key": "its partition ('' when unpartitioned)",
    "code_version": "the asset's code version",
    "data_version": "the data version the asset reported",
    "materialized_at": "when the row was written (UTC)",
}

_CREATE = re.compile(r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(TABLE|VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", re.I)
_ALTER = re.compile(r"^\s*ALTER\s+TABLE\s+(\w+)\s+ADD\s+COLUMN\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)[^;]*;\s*(?:--\s*(.*))?$",
                    re.I)
_COLUMN = re.compile(r"^\s*(\w+)\s+[^-]*?(?:--\s*(.*))?$")
_ISSUE_REF = re.compile(r"\s*\((?:issue\s+)?#\d+\)|\s*issue\s+#\d+", re.I)
_PARQUET_VIEW = re.compile(r"create_parquet_view\(\s*[\"'](\w+)[\"']")


@dataclasses.dataclass
class Column:
    name: str
    type: str = ""
    meaning: str = ""
    added_in: str = ""   # migration file that added it with ALTER TABLE


@dataclasses.dataclass
class Relation:
    name: str
    kind: str            # table | view
    migration: str
    comment: str = ""
    columns: list[Column] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Migration:
    file: str
    comment: str


def _clean(text: str) -> str:
    return _ISSUE_REF.sub("", text).strip()


def _comment_text(lines: list[str]) -> str:
    return _clean(" ".join(line.strip()[2:].strip() for line in lines))


def parse_migrations(files: list[Path] | None = None) -> tuple[list[Migration], dict[str, Relation]]:
    """Migrations (file, header comment) and relations by name, with the comments of the SQL text."""
    migrations, relations = [], {}
    for file in files or migration_files():
        lines = file.read_text().splitlines()
        header, i = [], 0
        while i < len(lines) and lines[i].strip().startswith("--"):
            header.append(lines[i]); i += 1
        migrations.append(Migration(file.name, _comment_text(header)))
        pending: list[str] = []     # comment lines waiting for the statement they precede
        current: Relation | None = None
        note = ""                   # a comment line inside a table body: applies to the next column
        for line in lines[i:]:
            stripped = line.strip()
            if current is not None:
                if stripped.startswith(")"):
                    current = None
                elif stripped.startswith("--"):
                    note = _comment_text([stripped])
                elif stripped and "{{LINEAGE}}" not in stripped:
                    m = _COLUMN.match(line)
                    if m:
                        meaning = _clean(m.group(2) or "")
                        if note:
                            meaning = f"{note}; {meaning}" if meaning else note
                            note = ""
                        current.columns.append(Column(m.group(1), meaning=meaning))
                continue
            if stripped.startswith("--"):
                pending.append(stripped)
                continue
            create, alter = _CREATE.match(line), _ALTER.match(line)
            if create:
                current = Relation(create.group(2), create.group(1).lower(), file.name, _comment_text(pending))
                relations[current.name] = current
                if not stripped.endswith("("):  # a one-line view or table: nothing to parse inside
                    current = None
            elif alter and alter.group(1) in relations:
                relations[alter.group(1)].columns.append(
                    Column(alter.group(2), meaning=_clean(alter.group(3) or ""), added_in=file.name))
            pending = []
    return migrations, relations


def apply_in_memory(files: list[Path] | None = None) -> dict[str, list[tuple[str, str]]]:
    """Apply every migration to an in-memory DuckDB; ``{relation: [(column, type), ...]}`` in
    column order."""
    conn = duckdb.connect(":memory:")
    try:
        for file in files or migration_files():
            conn.execute(file.read_text().replace("{{LINEAGE}}", LINEAGE_COLUMNS_SQL))
        rows = conn.execute("SELECT table_name, column_name, data_type FROM information_schema.columns "
                            "ORDER BY table_name, ordinal_position").fetchall()
    finally:
        conn.close()
    out: dict[str, list[tuple[str, str]]] = {}
    for table, column, dtype in rows:
        out.setdefault(table, []).append((column, dtype))
    return out


def parquet_views(root: Path = PROJECT_ROOT) -> list[tuple[str, str]]:
    """``(view, file)`` for every ``create_parquet_view("view", ...)`` call under ``assets/``."""
    found = set()
    for file in sorted((root / "assets").glob("*.py")):
        for name in _PARQUET_VIEW.findall(file.read_text()):
            found.add((name, f"assets/{file.name}"))
    return sorted(found)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def schema_markdown(files: list[Path] | None = None, root: Path = PROJECT_ROOT) -> str:
    """The schema page as markdown; deterministic for a given set of migration files."""
    migrations, relations = parse_migrations(files)
    types = apply_in_memory(files)
    lineage = [c.strip().split()[0] for c in LINEAGE_COLUMNS_SQL.strip().split(",")]
    out = ["# Warehouse schema", "",
           "Generated from `warehouse/migrations/*.sql` by `trainyard results --schema`; do not edit by hand "
           "(a test regenerates it and compares). Query any table with `trainyard query \"SELECT ...\"`.", "",
           "Every table also carries the **lineage columns** (left out of the tables below):", "",
           "| column | type | meaning |", "|---|---|---|"]
    lineage_types = dict(types.get("eval_metrics", []))
    out += [f"| `{c}` | {lineage_types.get(c, '')} | {LINEAGE_MEANING.get(c, '')} |" for c in lineage]
    out += ["", "## Migrations", "", "| file | what it does |", "|---|---|"]
    out += [f"| `{m.file}` | {_cell(m.comment)} |" for m in migrations]
    by_range: dict[str, list[Relation]] = {}
    for rel in relations.values():
        by_range.setdefault(rel.migration[0], []).append(rel)
    for digit in sorted(by_range):
        out += ["", f"## {RANGES.get(digit, digit + 'xxx')} ({digit}xxx migrations)"]
        for rel in sorted(by_range[digit], key=lambda r: r.name):
            actual = [(c, t) for c, t in types.get(rel.name, []) if c not in lineage]
            described = {c.name: c for c in rel.columns}
            out += ["", f"### `{rel.name}`", ""]
            if rel.comment:
                out += [rel.comment, ""]
            out += [f"{rel.kind.capitalize()} created in `{rel.migration}`.", "",
                    "| column | type | meaning |", "|---|---|---|"]
            for name, dtype in actual:
                col = described.get(name, Column(name))
                meaning = col.meaning + (f" (added in `{col.added_in}`)" if col.added_in else "")
                out.append(f"| `{name}` | {dtype} | {_cell(meaning.strip())} |")
    views = parquet_views(root)
    if views:
        out += ["", "## Views over Parquet artifacts", "",
                "Created when the asset writing the Parquet files materialises (columns follow those files; "
                "on DuckLake they are tables copied from the files).", "", "| view | created in |", "|---|---|"]
        out += [f"| `{v}` | `{f}` |" for v, f in views]
    return "\n".join(out) + "\n"


def write_schema_page(out: Path) -> Path:
    """Write the schema page to ``out`` (a file, or a folder that gets ``schema.md``)."""
    path = out / "schema.md" if out.is_dir() or not out.suffix else out
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(schema_markdown(), encoding="utf-8")
    return path
