"""The Celery path on the shared backends: Postgres (Dagster instance storage and the DuckLake
catalog) and an S3 endpoint (moto) started on loopback, the partitioned backfill on two Celery
workers writing to DuckLake with its Parquet on S3 at the same time, and the warehouse rows (and
their checksum) equal to a single-process run into the local DuckDB file."""
import hashlib

import polars as pl
import pytest

from benchmarks.harness import scoped_environ
from tests.conftest import materialize
from tests.lake_services import lake_env, new_database, postgres, s3  # noqa: F401
from tests.redis_server import celery_cluster, log_tail

pytestmark = pytest.mark.heavy  # ~1-2 min: Postgres + moto + Redis + two workers

COMPARED = ["shard", "doc_id", "n_chars", "n_lines", "n_tokens", "sha256", "minhash", "source_key",
            "asset_key", "partition_key", "code_version", "data_version"]
SQL = f"SELECT {', '.join(COMPARED)} FROM scaleout_doc_signatures ORDER BY shard, doc_id"


def checksum(frame: pl.DataFrame) -> str:
    return hashlib.sha256(frame.write_csv().encode()).hexdigest()


def test_celery_backfill_into_ducklake_on_s3_equals_single_process_file_run(
        trainyard_home, tmp_path, postgres, s3, monkeypatch):  # noqa: F811
    import dagster as dg
    from dagster_postgres import PostgresEventLogStorage

    from assets.scaleout import LATENCY_TAG, SCALEOUT_ASSETS, shard_partitions
    from pipelines.scaleout import run_backfill, step_workers
    from warehouse.readers import read_sql

    keys = shard_partitions.get_partition_keys()[:4]
    monkeypatch.delenv("TRAINYARD_WAREHOUSE", raising=False)
    for key in keys:  # reference: one process, the local DuckDB file
        assert materialize(SCALEOUT_ASSETS, partition_key=key).success
    expected = read_sql(SQL, path=trainyard_home / "warehouse.duckdb")
    assert expected["shard"].n_unique() == len(keys)

    home = tmp_path / "cluster_home"
    home.mkdir()
    env = {**lake_env(postgres, f"s3://{s3.bucket}/scaleout/", s3.env()),
           **postgres.env(new_database(postgres, "dagster")),
           "TRAINYARD_DAGSTER_CONFIG": "deploy/postgres/dagster.yaml", "TRAINYARD_HOME": str(home)}
    with scoped_environ(env), celery_cluster(home, workers=2, concurrency=1) as cluster:
        with dg.DagsterInstance.get() as instance:
            assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        runs = run_backfill("scaleout_job", keys, max_concurrent_runs=4, tags={LATENCY_TAG: "3"})
        assert all(r.success for r in runs), [r.error for r in runs if not r.success] + [log_tail(cluster)]
        with dg.DagsterInstance.get() as instance:
            workers = {w for r in runs for w in step_workers(instance, r.run_id)}
        assert workers == set(cluster.worker_names), workers  # both workers wrote to the lake
        got = read_sql(SQL)  # TRAINYARD_WAREHOUSE=ducklake: the lake, not a file
        assert not (home / "warehouse.duckdb").exists()
    assert got.equals(expected), (got, expected)
    assert checksum(got) == checksum(expected)
    objects = s3.client().list_objects_v2(Bucket=s3.bucket, Prefix="scaleout/").get("Contents", [])
    assert sum(o["Key"].endswith(".parquet") for o in objects) >= len(keys)
