"""``trainyard`` command line: demo, ui, query, doctor, bench."""
import argparse
import os
import subprocess
import sys

from warehouse.paths import PROJECT_ROOT, trainyard_home, warehouse_path


def _print_frame(frame) -> None:
    import polars as pl

    with pl.Config(tbl_rows=200, tbl_cols=50, fmt_str_lengths=80, tbl_width_chars=200):
        print(frame)


def cmd_demo(args) -> int:
    import dagster as dg

    from pipelines.demo import run_demo
    from pipelines.instance import prepare_dagster_home
    from warehouse.readers import read_sql
    from warehouse.writer import Warehouse

    prepare_dagster_home()
    Warehouse().ensure_schema()
    with dg.DagsterInstance.get() as instance:
        results = run_demo(instance)
    print(f"\nWarehouse {warehouse_path()}: rows per table")
    tables = read_sql("SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
                      "AND table_name <> 'schema_migrations' ORDER BY 1")["table_name"].to_list()
    counts = " UNION ALL ".join(f"SELECT '{t}' AS table_name, count(*) AS rows FROM {t}" for t in tables)
    _print_frame(read_sql(counts))
    print("\nTraining runs and evaluation reports:")
    _print_frame(read_sql("SELECT training_run_id, kind, status, device FROM training_runs ORDER BY 1"))
    _print_frame(read_sql("SELECT report_id, suite, html_path FROM eval_reports ORDER BY report_id"))
    print("\nOpen the UI:   trainyard ui        (http://127.0.0.1:3000)")
    print('Query:         trainyard query "select count(*) from eval_reports"')
    failed = [r["job"] for r in results if not r["success"]]
    if failed:
        print("FAILED runs:", ", ".join(failed), file=sys.stderr)
        return 1
    return 0


def cmd_ui(args) -> int:
    from pipelines.instance import prepare_dagster_home

    home = prepare_dagster_home()
    cmd = [sys.executable, "-m", "dagster", "dev", "-h", args.host, "-p", str(args.port),
           "-w", str(PROJECT_ROOT / "workspace.yaml")]
    print(f"DAGSTER_HOME={home}\nserving http://{args.host}:{args.port}")
    return subprocess.call(cmd, cwd=PROJECT_ROOT, env=os.environ.copy())


def cmd_query(args) -> int:
    from warehouse.readers import ReadOnlyViolation, read_sql

    try:
        _print_frame(read_sql(args.sql))
    except ReadOnlyViolation as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_doctor(args) -> int:
    from pipelines.doctor import run_checks

    ok = True
    for name, passed, detail in run_checks():
        ok &= passed or name.startswith("optional")
        print(f"{'ok  ' if passed else 'FAIL'} {name}: {detail}")
    return 0 if ok else 1


def cmd_bench(args) -> int:
    from benchmarks.run import main as bench_main

    return bench_main(args.only)


def main(argv=None) -> int:
    # Library progress bars and info logs drown the demo's own summary.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    parser = argparse.ArgumentParser(prog="trainyard", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="materialise every asset on the embedded default data")
    ui = sub.add_parser("ui", help="start the Dagster UI on loopback")
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    q = sub.add_parser("query", help="run one read-only SQL statement against the warehouse")
    q.add_argument("sql")
    sub.add_parser("doctor", help="check the environment")
    b = sub.add_parser("bench", help="run benchmarks and store them in the warehouse")
    b.add_argument("--only", nargs="*", default=None, help="benchmark names to run")
    handlers = {"demo": cmd_demo, "ui": cmd_ui, "query": cmd_query, "doctor": cmd_doctor,
                "bench": cmd_bench}
    # Branches add their own subcommands: ``add_cli(subparsers) -> {name: handler(args) -> int}``.
    from pipelines.definitions import BRANCHES

    for branch in BRANCHES:
        if hasattr(branch, "add_cli"):
            handlers.update(branch.add_cli(sub))
    args = parser.parse_args(argv)
    trainyard_home()
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
