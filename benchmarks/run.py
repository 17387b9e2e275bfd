"""``make bench``: run every ``benchmarks/bench_*.py`` module's ``run()``, print one table and
store the rows in the warehouse ``benchmarks`` table (replacing the previous rows of each
benchmark)."""
import importlib
import pkgutil
import sys
import traceback

from benchmarks.harness import BenchRow
from warehouse.provenance import git_commit, machine_description


def discover() -> list[str]:
    import benchmarks

    return sorted(m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_"))


def store(rows: list[BenchRow], name: str) -> None:
    from warehouse.writer import Lineage, Warehouse

    machine = machine_description()
    Warehouse().write(
        "benchmarks",
        [{"benchmark": r.benchmark, "metric": r.metric, "value": float(r.value), "unit": r.unit,
          "peer": r.peer, "peer_value": r.peer_value, "ratio": r.ratio, "machine": machine,
          "git_commit": git_commit(),
          "source_key": f"bench:{r.benchmark}"} for r in rows],
        Lineage(dagster_run_id="bench", asset_key=f"bench/{name}"),
        mode="replace",
    )


def print_table(rows: list[BenchRow]) -> None:
    print(f"{'benchmark':28} {'metric':34} {'value':>12} {'unit':10} {'peer':22} {'peer value':>12} {'ratio':>8}")
    for r in rows:
        pv = "" if r.peer_value is None else f"{r.peer_value:12.4g}"
        ratio = "" if r.ratio is None else f"{r.ratio:8.3g}"
        print(f"{r.benchmark:28} {r.metric:34} {r.value:12.4g} {r.unit:10} {r.peer:22} {pv:>12} {ratio:>8}")


def main(only: list[str] | None = None) -> int:
    failures = 0
    print("machine:", machine_description())
    for name in discover():
        short = name.removeprefix("bench_")
        if only and short not in only and name not in only:
            continue
        print(f"\n== {short}")
        try:
            rows = importlib.import_module(f"benchmarks.{name}").run()
        except Exception:
            traceback.print_exc()
            failures += 1
            continue
        print_table(rows)
        store(rows, short)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or None))
