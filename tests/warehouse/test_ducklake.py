"""TRAINYARD_WAREHOUSE=ducklake: the same migrations, writer (with lineage) and readers on a
DuckLake whose catalog is a real PostgreSQL (started on loopback by the fixture) and whose data
is Parquet under a local directory or on an S3 endpoint (moto, loopback); several processes
commit at once with no single-writer pool."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.lake_services import lake, lake_env, postgres, s3  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


def _rows(n, start=0, tag="a"):
    return [{"source_key": f"k{i}", "benchmark": f"b{i}", "metric": tag, "value": float(i)}
            for i in range(start, start + n)]


def test_default_backend_is_the_local_duckdb_file(trainyard_home, monkeypatch):
    monkeypatch.delenv("TRAINYARD_WAREHOUSE", raising=False)
    from warehouse.readers import scalar
    from warehouse.writer import Lineage, Warehouse

    Warehouse().write("benchmarks", _rows(3), Lineage.adhoc("bench"))
    assert (trainyard_home / "warehouse.duckdb").exists()
    assert scalar("SELECT current_database()") == "warehouse"
    monkeypatch.setenv("TRAINYARD_WAREHOUSE", "duckdbb")
    with pytest.raises(ValueError, match="duckdb or ducklake"):
        scalar("SELECT 1")


def test_same_migrations_writer_and_readers_on_ducklake(lake, trainyard_home):
    from warehouse.migrations import migration_files
    from warehouse.readers import ReadOnlyViolation, read_sql, scalar, table_names
    from warehouse.writer import Lineage, Warehouse

    wh = Warehouse()
    applied = wh.ensure_schema()
    assert applied == [f.stem.split("_")[0] for f in migration_files()]
    assert wh.ensure_schema() == []  # idempotent
    lin = Lineage(dagster_run_id="run-1", asset_key="bench", partition_key="p1", code_version="3")
    assert wh.write("benchmarks", _rows(5), lin) == 5
    assert wh.write("benchmarks", _rows(2, tag="b"), lin) == 2  # replace: the partition's rows only
    wh.write("benchmarks", _rows(4), Lineage.adhoc("bench", "p2"))
    wh.write("benchmarks", _rows(2, start=3, tag="c"), Lineage.adhoc("bench", "p2"), mode="upsert",
             key=("benchmark",))
    frame = read_sql("SELECT partition_key, metric, count(*) AS n FROM benchmarks "
                     "GROUP BY ALL ORDER BY ALL")
    assert frame.rows() == [("p1", "b", 2), ("p2", "a", 3), ("p2", "c", 2)]
    row = read_sql("SELECT * FROM benchmarks WHERE dagster_run_id = 'run-1' LIMIT 1").row(0, named=True)
    assert (row["asset_key"], row["code_version"], row["source_key"]) == ("bench", "3", "k0")
    assert row["measured_at"] is not None  # the migration's DEFAULT current_timestamp holds
    assert scalar("SELECT current_database()") == "lake"
    tables = set(table_names())
    assert {"benchmarks", "github_pull_requests", "trajectories", "schema_migrations"} <= tables
    assert not any(t.startswith("ducklake_") for t in tables)  # catalog internals stay hidden
    # list columns round-trip
    wh.write("github_commits", [{"source_key": "r@1", "repo": "o/r", "sha": "1",
                                 "parents": ["a", "b"]}], Lineage.adhoc("commits"))
    assert scalar("SELECT parents FROM github_commits").to_list() == ["a", "b"]
    # data is Parquet under the data path; no local DuckDB file
    assert list(Path(lake["TRAINYARD_DUCKLAKE_DATA_PATH"]).rglob("*.parquet"))
    assert not (trainyard_home / "warehouse.duckdb").exists()
    with pytest.raises(ReadOnlyViolation):
        read_sql("DELETE FROM benchmarks")
    assert scalar("SELECT count(*) FROM benchmarks") == 7


def test_parquet_view_becomes_a_table_every_machine_can_read(lake, tmp_path):
    import polars as pl

    from warehouse.readers import read_sql
    from warehouse.writer import Warehouse

    shard = tmp_path / "shards"
    shard.mkdir()
    pl.DataFrame({"x": [1, 2]}).write_parquet(shard / "a.parquet")
    pl.DataFrame({"x": [3], "y": ["z"]}).write_parquet(shard / "b.parquet")
    wh = Warehouse()
    wh.create_parquet_view("shard_rows", shard / "*.parquet")
    for f in shard.iterdir():  # the writer's local files are gone: the lake still has the rows
        f.unlink()
    frame = read_sql("SELECT x, y FROM shard_rows ORDER BY x")
    assert frame.rows() == [(1, None), (2, None), (3, "z")]
    kind = read_sql("SELECT table_type FROM information_schema.tables WHERE table_name = 'shard_rows'")
    assert kind.item() == "BASE TABLE"


WRITER = textwrap.dedent("""
    import sys
    from warehouse.writer import Lineage, Warehouse
    worker, batches = int(sys.argv[1]), int(sys.argv[2])
    wh = Warehouse()
    for b in range(batches):
        rows = [{"source_key": f"w{worker}b{b}r{i}", "benchmark": f"w{worker}", "metric": f"b{b}",
                 "value": float(i)} for i in range(10)]
        wh.write("benchmarks", rows, Lineage.adhoc("conc", f"w{worker}-b{b}"))
        # every worker also replaces one partition they all share: last writer wins, whole
        wh.write("benchmarks", rows[:3], Lineage(dagster_run_id=f"w{worker}", asset_key="shared",
                                                 partition_key="same"))
""")


def _spawn_writers(env, n, batches, home):
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(w), str(batches)], cwd=ROOT,
                              env={**os.environ, **env, "TRAINYARD_HOME": str(home)},
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
             for w in range(n)]
    outs = []
    for p in procs:
        out, _ = p.communicate(timeout=300)
        outs.append((p.returncode, out.decode()[-3000:]))
    assert all(rc == 0 for rc, _ in outs), outs


def test_concurrent_processes_commit_without_a_writer_pool(lake, trainyard_home):
    from warehouse.readers import read_sql, scalar
    from warehouse.writer import Warehouse

    Warehouse().ensure_schema()
    assert scalar("SELECT count(*) FROM benchmarks") == 0  # this process's lake handle, opened now
    workers, batches = 4, 5
    _spawn_writers(lake, workers, batches, trainyard_home)
    # the same long-lived handle sees the other processes' commits (no stale snapshot)
    per = read_sql("SELECT partition_key, count(*) AS n, count(DISTINCT source_key) AS d "
                   "FROM benchmarks WHERE asset_key = 'conc' GROUP BY 1")
    assert per.height == workers * batches
    assert set(per["n"]) == {10} and set(per["d"]) == {10}  # nothing lost, nothing duplicated
    shared = read_sql("SELECT dagster_run_id, count(*) AS n FROM benchmarks "
                      "WHERE asset_key = 'shared' GROUP BY 1")
    assert shared.rows()[0][1] == 3 and shared.height == 1  # one whole batch, from one writer
    assert scalar("SELECT count(*) FROM benchmarks") == workers * batches * 10 + 3


def test_ducklake_data_on_an_s3_endpoint(postgres, s3, trainyard_home, monkeypatch):  # noqa: F811
    env = lake_env(postgres, f"s3://{s3.bucket}/lake/", s3.env())
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    from warehouse.readers import read_sql
    from warehouse.writer import Lineage, Warehouse

    Warehouse().write("benchmarks", _rows(6), Lineage.adhoc("s3bench", "p"))
    _spawn_writers(env, 2, 2, trainyard_home)  # other processes, same bucket and catalog
    frame = read_sql("SELECT asset_key, count(*) AS n FROM benchmarks GROUP BY 1 ORDER BY 1")
    assert frame.rows() == [("conc", 40), ("s3bench", 6), ("shared", 3)]
    keys = [o["Key"] for o in s3.client().list_objects_v2(Bucket=s3.bucket,
                                                          Prefix="lake/").get("Contents", [])]
    assert any(k.endswith(".parquet") for k in keys), keys
    assert not (trainyard_home / "lake").exists() or not list((trainyard_home / "lake").rglob("*.parquet"))


def test_trainyard_query_reads_the_lake(lake, capsys):
    from pipelines.cli import main
    from warehouse.writer import Lineage, Warehouse

    Warehouse().write("benchmarks", _rows(4), Lineage.adhoc("cli"))
    assert main(["query", "SELECT asset_key, count(*) AS n FROM benchmarks GROUP BY 1"]) == 0
    out = capsys.readouterr().out
    assert "cli" in out and "4" in out
    assert main(["query", "DELETE FROM benchmarks"]) == 2  # read-only, as on the file


def test_ducklake_without_settings_uses_a_local_catalog_under_the_home(trainyard_home, monkeypatch):
    """No catalog named: a DuckDB-file catalog and data under $TRAINYARD_HOME/lake (one machine)."""
    for k in ("TRAINYARD_DUCKLAKE_CATALOG", "TRAINYARD_DUCKLAKE_DATA_PATH"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("TRAINYARD_WAREHOUSE", "ducklake")
    from warehouse import ducklake
    from warehouse.readers import scalar
    from warehouse.writer import Lineage, Warehouse

    Warehouse().write("benchmarks", _rows(3), Lineage.adhoc("local"))
    assert scalar("SELECT count(*) FROM benchmarks") == 3
    assert (trainyard_home / "lake" / "catalog.ducklake").exists()
    assert list((trainyard_home / "lake" / "data").rglob("*.parquet"))
    assert "catalog.ducklake" in ducklake.describe()


def test_unreachable_catalog_fails_with_one_line_and_no_password(trainyard_home, monkeypatch):
    from pipelines.services import free_port
    from warehouse.ducklake import LakeUnavailable
    from warehouse.readers import scalar

    monkeypatch.setenv("TRAINYARD_WAREHOUSE", "ducklake")
    monkeypatch.setenv("TRAINYARD_DUCKLAKE_CATALOG",
                       f"postgres:dbname=lake host=127.0.0.1 port={free_port()} user=u password=s3cret "
                       "connect_timeout=1")
    monkeypatch.setenv("TRAINYARD_DUCKLAKE_CONNECT_RETRY_S", "1")
    with pytest.raises(LakeUnavailable) as info:
        scalar("SELECT 1")
    text = str(info.value)
    assert "s3cret" not in text, text
    assert "dbname=lake" in text and "Connection refused" in text and "\n" not in text, text
