"""Scale-out: the same 8-partition backfill of ``doc_signatures`` on 1 and 2 Celery workers (Redis
on 127.0.0.1, one step slot per worker) — CPU-bound as is, and I/O-bound with a simulated 3 s
source latency per step — the in-process cost of one partition, the serialised warehouse write,
and a 100-worker estimate derived from them (docs/scale-out.md explains it).

Runs in a temporary trainyard home so the user's warehouse only receives the benchmark rows.
Needs ``redis-server``."""
import statistics
import tempfile

from benchmarks.harness import BenchRow, scoped_environ, timed

NAME = "scaleout"
GITHUB_REST_LIMIT_PER_HOUR = 5000  # authenticated REST requests per token (GitHub App: up to 15k)


def median_write_seconds(n: int = 5) -> float:
    """Median seconds of one 1-partition replace write (the scaleout table's shard-00 rows) to
    the configured warehouse backend."""
    from warehouse.readers import read_sql
    from warehouse.writer import Lineage, Warehouse

    frame = read_sql("SELECT * EXCLUDE (dagster_run_id, asset_key, partition_key, code_version, "
                     "data_version, materialized_at) FROM scaleout_doc_signatures WHERE shard = 'shard-00'")
    wh, writes = Warehouse(), []
    for _ in range(n):
        with timed() as t:
            wh.write("scaleout_doc_signatures", frame, Lineage.adhoc("bench_write", "shard-00"))
        writes.append(t())
    return statistics.median(writes)


def _in_process_partition_costs(keys) -> tuple:
    """(seconds per partition through Dagster in-process, seconds per warehouse write)."""
    from assets.scaleout import SCALEOUT_ASSETS
    import dagster as dg

    from pipelines.resources import WarehouseResource

    times = []
    for key in keys:
        with timed() as t:
            ok = dg.materialize(SCALEOUT_ASSETS, partition_key=key,
                                resources={"warehouse": WarehouseResource()}).success
        assert ok
        times.append(t())
    return statistics.median(times), median_write_seconds()


IO_LATENCY_S = 3.0  # per-step wait standing in for API round trips (an I/O-bound partition)


def _celery_backfills(keys, workers: int) -> tuple:
    """(CPU-bound backfill seconds, I/O-bound backfill seconds) on ``workers`` workers."""
    from assets.scaleout import LATENCY_TAG
    from pipelines.executors import LocalCluster
    from pipelines.scaleout import driver_pool, run_backfill

    out = []
    with LocalCluster(workers=workers, concurrency=1):
        # Warm driver processes and workers first: the timings are the steady-state backfill, not
        # the one-off imports (about 10 s per process on two busy cores).
        pool = driver_pool(2 * workers)
        try:
            run_backfill("scaleout_job", keys[:2 * workers], pool=pool)
            for tags in ({}, {LATENCY_TAG: str(IO_LATENCY_S)}):
                with timed() as t:
                    runs = run_backfill("scaleout_job", keys, tags=tags, pool=pool)
                assert all(r.success for r in runs), [r.error for r in runs if not r.success]
                out.append(t())
        finally:
            pool.shutdown()
    return tuple(out)


def run() -> list:
    from assets.scaleout import shard_partitions
    from pipelines.instance import prepare_dagster_home

    keys = shard_partitions.get_partition_keys()
    with tempfile.TemporaryDirectory(prefix="bench_scaleout_") as home, \
            scoped_environ({"TRAINYARD_HOME": home}, restore=("DAGSTER_HOME",)):
        prepare_dagster_home()
        per_partition_s, write_s = _in_process_partition_costs(keys)
        one, one_io = _celery_backfills(keys, 1)
        two, two_io = _celery_backfills(keys, 2)
    n = len(keys)
    step_s_1 = one / n  # steady-state seconds per partition with one worker (incl. Dagster/Celery)
    overhead_s = max(step_s_1 - per_partition_s, 0.0)
    # 100 workers, each running one step at a time with the 1-worker per-step cost; the
    # warehouse write is serialised, so it caps throughput at 1/write_s partitions per second.
    est_100 = min(100 / step_s_1, 1 / write_s) * 3600
    rows = [
        BenchRow(NAME, "in_process_partition_s", per_partition_s, "s"),
        BenchRow(NAME, "warehouse_write_s", write_s, "s"),
        BenchRow(NAME, "backfill_8_partitions_1_worker_s", one, "s"),
        BenchRow(NAME, "backfill_8_partitions_2_workers_s", two, "s", peer="1 worker", peer_value=one),
        BenchRow(NAME, "speedup_2_vs_1_workers", one / two, "x"),
        BenchRow(NAME, f"backfill_8_io_bound_{IO_LATENCY_S:g}s_1_worker_s", one_io, "s"),
        BenchRow(NAME, f"backfill_8_io_bound_{IO_LATENCY_S:g}s_2_workers_s", two_io, "s",
                 peer="1 worker", peer_value=one_io),
        BenchRow(NAME, "speedup_io_bound_2_vs_1_workers", one_io / two_io, "x"),
        BenchRow(NAME, "celery_step_overhead_s", overhead_s, "s"),
        BenchRow(NAME, "estimate_100_workers_partitions_per_h", est_100, "1/h"),
        BenchRow(NAME, "estimate_warehouse_write_cap_per_h", 3600 / write_s, "1/h"),
        BenchRow(NAME, "github_rest_requests_per_token_h", GITHUB_REST_LIMIT_PER_HOUR, "1/h"),
    ]
    return rows


if __name__ == "__main__":
    from benchmarks.run import print_table

    print_table(run())
