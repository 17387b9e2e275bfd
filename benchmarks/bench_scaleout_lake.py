"""Scale-out on the shared warehouse: the 8-partition ``doc_signatures`` backfill on 1, 2 and 4
Celery workers (Redis on 127.0.0.1, one step slot per worker), writing into the local DuckDB file
(one writer at a time: file lock + retry) and into DuckLake (Postgres catalog on loopback, Parquet
under a local data path: concurrent commits), CPU-bound as is and I/O-bound with a simulated
source latency per step; plus one warehouse write on each backend. docs/scale-out.md explains the
table and the 100-worker estimate derived from it.

Runs in temporary homes (and a temporary Postgres) so the user's warehouse only receives the
benchmark rows. Needs ``redis-server`` and PostgreSQL (scripts/install-system-deps.sh)."""
import os
import tempfile

from benchmarks.bench_scaleout import IO_LATENCY_S, _celery_backfills, median_write_seconds
from benchmarks.harness import BenchRow, scoped_environ

NAME = "scaleout_lake"
WORKERS = (1, 2, 4)
ENV_KEYS = ("TRAINYARD_HOME", "DAGSTER_HOME", "TRAINYARD_WAREHOUSE", "TRAINYARD_DUCKLAKE_CATALOG",
            "TRAINYARD_DUCKLAKE_DATA_PATH")


def _backfills(keys, workers: int) -> tuple:
    """(CPU-bound seconds, I/O-bound seconds, rows) for the backfill on ``workers`` workers."""
    from warehouse.readers import scalar

    cpu_s, io_s = _celery_backfills(keys, workers)
    rows = scalar("SELECT count(*) FROM scaleout_doc_signatures WHERE asset_key = 'doc_signatures'")
    return cpu_s, io_s, rows


def run() -> list:
    from assets.scaleout import shard_partitions
    from pipelines.instance import prepare_dagster_home
    from pipelines.services import LocalPostgres
    from warehouse.writer import Warehouse

    keys = shard_partitions.get_partition_keys()
    results: dict = {}
    with LocalPostgres(databases=("lake",)) as pg:
        for backend in ("duckdb", "ducklake"):
            with tempfile.TemporaryDirectory(prefix=f"bench_{backend}_") as home:
                env = {"TRAINYARD_HOME": home}
                if backend == "ducklake":
                    env.update(TRAINYARD_WAREHOUSE="ducklake",
                               TRAINYARD_DUCKLAKE_CATALOG="postgres:" + pg.conninfo("lake"),
                               TRAINYARD_DUCKLAKE_DATA_PATH=os.path.join(home, "lake_data"))
                with scoped_environ(env, clear=ENV_KEYS):
                    prepare_dagster_home()
                    Warehouse().ensure_schema()
                    per = {n: _backfills(keys, n) for n in WORKERS}
                    per["write_s"] = median_write_seconds()
                results[backend] = per
    rows = []
    n_keys = len(keys)
    for backend, per in results.items():
        for n in WORKERS:
            cpu, io, n_rows = per[n]
            assert n_rows == per[1][2], (backend, n, n_rows, per[1][2])  # same rows at every width
            peer = {} if n == 1 else {"peer": "1 worker", "peer_value": n_keys / per[1][0]}
            rows.append(BenchRow(NAME, f"{backend}_{n}w_partitions_per_s", n_keys / cpu, "1/s", **peer))
            peer_io = {} if n == 1 else {"peer": "1 worker", "peer_value": n_keys / per[1][1]}
            rows.append(BenchRow(NAME, f"{backend}_{n}w_io{IO_LATENCY_S:g}s_partitions_per_s",
                                 n_keys / io, "1/s", **peer_io))
        rows.append(BenchRow(NAME, f"{backend}_write_s", per["write_s"], "s"))
    file_w, lake_w = results["duckdb"]["write_s"], results["ducklake"]["write_s"]
    rows.append(BenchRow(NAME, "ducklake_vs_file_write_s", lake_w, "s", peer="local file", peer_value=file_w))
    # 100 workers (estimate, not measured): the I/O-bound per-step time of 1 worker, spread over
    # 100; the file backend's writes are serialised (1 / write_s cap), DuckLake's are not (its
    # cap is the catalog's commit rate, not measured here beyond 4 workers).
    step_io = results["ducklake"][1][1] / n_keys
    rows.append(BenchRow(NAME, "estimate_100w_file_partitions_per_h",
                         min(100 / (results["duckdb"][1][1] / n_keys), 1 / file_w) * 3600, "1/h"))
    rows.append(BenchRow(NAME, "estimate_100w_ducklake_partitions_per_h", 100 / step_io * 3600, "1/h"))
    return rows


if __name__ == "__main__":
    from benchmarks.run import print_table

    print_table(run())
