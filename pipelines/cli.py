"""``trainyard`` command line: ``trainyard <branch> <verb>`` (demo, ui, materialize, query, warehouse,
doctor, bench, and each branch's verbs).

Errors: one line on stderr (``error: what is wrong; what to do``) and exit code 2; the traceback
only with ``trainyard --debug ...``."""
import argparse
import os
import subprocess
import sys
import time

from warehouse.paths import PROJECT_ROOT, trainyard_home, warehouse_path


def _print_frame(frame) -> None:
    import polars as pl

    with pl.Config(tbl_rows=200, tbl_cols=50, fmt_str_lengths=80, tbl_width_chars=200):
        print(frame)


def cmd_demo(args) -> int:
    import dagster as dg

    from pipelines.demo import ProgressDisplay, demo_summary, log_file, output_to_log, run_demo
    from pipelines.instance import prepare_dagster_home
    from warehouse.writer import Warehouse

    prepare_dagster_home()
    Warehouse().ensure_schema()
    log_path = log_file("demo")
    interactive = sys.stdout.isatty()
    print(f"trainyard demo: every branch on the embedded data; library output and Dagster logs go to {log_path}")
    t0 = time.perf_counter()
    with output_to_log(log_path) as term, dg.DagsterInstance.get() as instance:
        results = run_demo(instance, ProgressDisplay(term, interactive))
    for line in demo_summary(results, time.perf_counter() - t0, log_path):
        print(line)
    failed = [r["job"] for r in results if not r["success"]]
    if failed:
        print(f"FAILED runs: {', '.join(failed)} (their logs: {log_path} and `trainyard ui`)", file=sys.stderr)
        return 1
    return 0


def cmd_ui(args) -> int:
    import dagster as dg

    from pipelines.health import record_partition_health
    from pipelines.instance import prepare_dagster_home

    home = prepare_dagster_home()
    # Asset checks flag dynamically partitioned assets that have no partition yet (pipelines/health.py).
    with dg.DagsterInstance.get() as instance:
        for problem in record_partition_health(instance):
            print(f"warning: {problem}", file=sys.stderr)
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


def build_parser() -> "tuple[argparse.ArgumentParser, dict]":
    """The whole ``trainyard <branch> <verb>`` parser tree and {command: handler(args) -> int}."""
    from pipelines.cli_grammar import add_branch, add_verb

    parser = argparse.ArgumentParser(
        prog="trainyard", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Commands read `trainyard <branch> <verb>`, e.g.:\n  trainyard github ingest ~/src/repo\n"
               "  trainyard images dedup --benchmark bench/ --reference ref/\n  trainyard rubrics eval\n"
               "`trainyard <branch> --help` lists a branch's verbs; every verb's --help ends with an example.")
    parser.add_argument("--debug", action="store_true", help="print the traceback of an error")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_verb(sub, "demo", help="materialise every asset on the embedded default data",
             example="trainyard demo\nTRAINYARD_PROFILE=tiny trainyard demo   # the fast profile")
    ui = add_verb(sub, "ui", help="start the Dagster UI on loopback (the project's instance)",
                  example="trainyard ui --port 3000")
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    from pipelines.materialize import add_materialize_args, cmd_materialize

    add_materialize_args(add_verb(
        sub, "materialize", help="materialise selected assets in the project's Dagster instance (runs "
        "show in `trainyard ui`)",
        example="trainyard materialize --select 'group:rubrics'\n"
                "trainyard materialize --select 'key:github_repo_data+' --partition acme/widgets\n"
                "trainyard materialize --list-partitions"))
    q = add_verb(sub, "query", help="run one read-only SQL statement against the warehouse",
                 example='trainyard query "select report_id, metric, value from eval_metrics order by 1, 2"')
    q.add_argument("sql")
    whs = add_branch(sub, "warehouse", help="integrity check, backup and restore of the warehouse file",
                     dest="warehouse_command")
    chk = add_verb(whs, "check", help="scan every row of every table and every view",
                   example="trainyard warehouse check\ntrainyard warehouse check --path backups/warehouse.duckdb")
    chk.add_argument("--path", default=None, help="a warehouse file (default: the home's)")
    bk = add_verb(whs, "backup", help="consistent copy while no writer holds the file",
                  example="trainyard warehouse backup /mnt/backups/")
    bk.add_argument("dest", nargs="?", default=None,
                    help="file or folder (default: $TRAINYARD_HOME/backups/warehouse-<time>.duckdb)")
    rs = add_verb(whs, "restore", help="check a backup, then swap it in (old file kept as .pre-restore)",
                  example="trainyard warehouse restore /mnt/backups/warehouse-20260101T120000.duckdb")
    rs.add_argument("src")
    add_verb(sub, "doctor", help="check the environment", example="trainyard doctor")
    b = add_verb(sub, "bench", help="run benchmarks and store them in the warehouse",
                 example="trainyard bench --only demo scaleout")
    b.add_argument("--only", nargs="*", default=None, help="benchmark names to run")
    handlers = {"demo": cmd_demo, "ui": cmd_ui, "query": cmd_query, "warehouse": cmd_warehouse,
                "doctor": cmd_doctor, "bench": cmd_bench, "materialize": cmd_materialize}
    # Branches add their own subcommands: ``add_cli(subparsers) -> {name: handler(args) -> int}``.
    from pipelines import results
    from pipelines.definitions import BRANCHES

    for branch in [*BRANCHES, results]:
        if hasattr(branch, "add_cli"):
            handlers.update(branch.add_cli(sub))
    return parser, handlers


def main(argv=None) -> int:
    # Library progress bars and info logs drown the demo's own summary.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    from pipelines.cli_grammar import normalize_argv

    parser, handlers = build_parser()
    args = parser.parse_args(normalize_argv(sys.argv[1:] if argv is None else argv))
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
