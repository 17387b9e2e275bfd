"""``trainyard results``: docs/results.md (and its plots) from the warehouse's measured rows, and
``trainyard results --schema``: docs/schema.md from the migrations."""
from pathlib import Path

from warehouse.paths import PROJECT_ROOT

EXAMPLE = """trainyard results                                  # docs/results.md + docs/results/*.png
trainyard results --out /tmp/res --warehouse backups/warehouse-2026.duckdb
trainyard results --warehouse demo/warehouse.duckdb --warehouse hh-rlhf=study/warehouse.duckdb
trainyard results --schema                         # docs/schema.md from warehouse/migrations"""


def asset_groups() -> tuple[dict[str, str], list[str]]:
    """Asset key → Dagster group for every asset of every branch, and the groups in branch order."""
    from pipelines.definitions import BRANCHES

    groups: dict[str, str] = {}
    order: list[str] = []
    for branch in BRANCHES:
        for asset in branch.ASSETS:
            for key, group in getattr(asset, "group_names_by_key", {}).items():
                groups[key.to_user_string()] = group
                if group not in order:
                    order.append(group)
    return groups, order


def parse_source(spec: str) -> tuple[str, Path]:
    """``LABEL=PATH`` or ``PATH``: a labelled warehouse keeps its reports apart from another
    warehouse's reports of the same id (e.g. the same study on two datasets)."""
    label, sep, path = spec.partition("=")
    if sep and label and "/" not in label:
        return label, Path(path).expanduser()
    return "", Path(spec).expanduser()


def labelled(rows: list[dict], label: str, key: str) -> list[dict]:
    return [{**r, key: f"{label}: {r[key]}"} for r in rows] if label else rows


def cmd_results(args) -> int:
    from warehouse.errors import TrainyardError

    out = Path(args.out).expanduser()
    if out.exists() and not out.is_dir():
        raise TrainyardError(f"--out {out} is a file; give a folder (results.md and results/ go there)")
    if args.schema:
        from warehouse.schema_doc import write_schema_page

        print(f"wrote {write_schema_page(out)}")
        return 0
    from ops.results import latest_rows, render_results
    from warehouse.paths import warehouse_path
    from warehouse.ducklake import selected as lake_selected
    from warehouse.readers import results_rows

    sources = [parse_source(w) for w in args.warehouse] if args.warehouse else [("", None)]
    dbs = [db for _, db in sources]
    for db in dbs:
        if db is not None and not db.is_file():
            raise TrainyardError(f"--warehouse {db}: no such warehouse file; give the path of a .duckdb file")
    if dbs == [None] and not lake_selected(None) and not warehouse_path().is_file():
        raise TrainyardError(f"no warehouse at {warehouse_path()}: run `trainyard demo` (or `trainyard bench`) "
                             "first, or give --warehouse PATH")
    metrics, benches = [], []
    for label, db in sources:
        m, b = results_rows(db)
        metrics += labelled(m.to_dicts(), label, "report_id")
        benches += labelled(b.to_dicts(), label, "benchmark")
    # Several warehouses (a demo home, a benchmark home, a study's home) may hold the same report or
    # benchmark figure: the newest measurement of each wins.
    metrics = latest_rows(metrics, ("report_id", "metric"), "created_at")
    benches = latest_rows(benches, ("benchmark", "metric", "peer"), "measured_at")
    groups, order = asset_groups()
    paths = render_results(metrics, benches, out, groups, order)
    where = ", ".join(str(db or warehouse_path()) for db in dbs)
    print(f"{paths[0]}: {len(metrics)} evaluation metrics, {len(benches)} benchmark rows, "
          f"{len(paths) - 1} plots, from {where}")
    return 0


def add_cli(subparsers) -> dict:
    from pipelines.cli_grammar import add_verb

    p = add_verb(subparsers, "results", help="render docs/results.md from the warehouse's eval_metrics and "
                 "benchmarks rows", description=__doc__, example=EXAMPLE)
    p.add_argument("--out", default=str(PROJECT_ROOT / "docs"),
                   help="folder for results.md and results/*.png (default: the project's docs/)")
    p.add_argument("--warehouse", action="append", default=None,
                   help="a warehouse file (default: the home's), optionally LABEL=PATH; repeat to combine "
                        "several homes: labelled ones keep their reports apart (shown as 'LABEL: report'), "
                        "otherwise the newest row of each report metric / benchmark figure wins")
    p.add_argument("--schema", action="store_true",
                   help="write schema.md (every table, its columns, types and comments) from the migrations instead")
    return {"results": cmd_results}
