"""``trainyard`` command line: demo, ui, query, warehouse, doctor, bench (and branch commands).

Errors: one line on stderr (``error: what is wrong; what to do``) and exit code 2; the traceback
only with ``trainyard --debug ...``."""
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
    from warehouse.readers import read_sql

    _print_frame(read_sql(args.sql))
    return 0


def _print_checks(results) -> None:
    for r in results:
        state = "ok  " if r.ok else "FAIL"
        print(f"{state} {r.kind:5} {r.name:40} {'' if r.rows is None else r.rows:>10}  {r.error}")


def cmd_warehouse(args) -> int:
    from warehouse import maintenance

    if args.warehouse_command == "check":
        results = maintenance.check(args.path)
        _print_checks(results)
        bad = [r for r in results if not r.ok]
        rows = sum(r.rows or 0 for r in results if r.kind == "table")
        if bad:
            raise CliError(f"{len(bad)} of {len(results)} tables/views failed the check (first: "
                           f"{bad[0].name}: {bad[0].error}); restore a backup with `trainyard "
                           "warehouse restore BACKUP` or re-materialise the assets behind them")
        print(f"ok: {len(results)} tables/views, {rows} table rows scanned in {args.path or warehouse_path()}")
        return 0
    if args.warehouse_command == "backup":
        dest, results = maintenance.backup(args.dest)
        print(f"backup {dest}: {sum(r.rows or 0 for r in results if r.kind == 'table')} rows in "
              f"{sum(r.kind == 'table' for r in results)} tables, checked")
        return 0
    kept, results = maintenance.restore(args.src)
    _print_checks(results)
    print(f"restored {args.src} into {warehouse_path()}"
          + (f" (previous file kept as {kept})" if kept else ""))
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


class CliError(Exception):
    """Raised by a command for a one-line error (exit 2)."""


def one_line_error(exc: BaseException) -> str:
    """The message the CLI prints for ``exc``: the user-facing text for trainyard's own errors,
    else the exception type and the first line of its message."""
    from warehouse.errors import TrainyardError

    text = (str(exc).strip().splitlines() or [""])[0]
    if isinstance(exc, (TrainyardError, CliError)):
        return text
    if isinstance(exc, FileNotFoundError) and exc.filename:
        return f"{exc.filename}: no such file or directory; check the path"
    if isinstance(exc, PermissionError) and getattr(exc, "filename", None):
        return f"{exc.filename}: permission denied; check the path's owner and mode"
    return f"{type(exc).__name__}: {text} (rerun with `trainyard --debug ...` for the traceback)"


def main(argv=None) -> int:
    # Library progress bars and info logs drown the demo's own summary.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    parser = argparse.ArgumentParser(prog="trainyard", description=__doc__)
    parser.add_argument("--debug", action="store_true", help="print the traceback of an error")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="materialise every asset on the embedded default data")
    ui = sub.add_parser("ui", help="start the Dagster UI on loopback")
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    q = sub.add_parser("query", help="run one read-only SQL statement against the warehouse")
    q.add_argument("sql")
    wh = sub.add_parser("warehouse", help="integrity check, backup and restore of the warehouse file")
    whs = wh.add_subparsers(dest="warehouse_command", required=True)
    chk = whs.add_parser("check", help="scan every row of every table and every view")
    chk.add_argument("--path", default=None, help="a warehouse file (default: the home's)")
    bk = whs.add_parser("backup", help="consistent copy while no writer holds the file")
    bk.add_argument("dest", nargs="?", default=None,
                    help="file or folder (default: $TRAINYARD_HOME/backups/warehouse-<time>.duckdb)")
    rs = whs.add_parser("restore", help="check a backup, then swap it in (old file kept as .pre-restore)")
    rs.add_argument("src")
    sub.add_parser("doctor", help="check the environment")
    b = sub.add_parser("bench", help="run benchmarks and store them in the warehouse")
    b.add_argument("--only", nargs="*", default=None, help="benchmark names to run")
    handlers = {"demo": cmd_demo, "ui": cmd_ui, "query": cmd_query, "warehouse": cmd_warehouse,
                "doctor": cmd_doctor, "bench": cmd_bench}
    # Branches add their own subcommands: ``add_cli(subparsers) -> {name: handler(args) -> int}``.
    from pipelines import results
    from pipelines.definitions import BRANCHES

    for branch in [*BRANCHES, results]:
        if hasattr(branch, "add_cli"):
            handlers.update(branch.add_cli(sub))
    args = parser.parse_args(argv)
    try:
        trainyard_home()
        return handlers[args.command](args)
    except KeyboardInterrupt:
        if args.debug:
            raise
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            raise
        print(f"error: {one_line_error(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
