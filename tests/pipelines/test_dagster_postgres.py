"""The Dagster instance on Postgres: an instance built from the deploy configs keeps runs, the
event log and schedules in a real PostgreSQL (started on loopback by the fixture), and the
"warehouse" concurrency pool holds across separate processes sharing it."""
import json
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest
import yaml

from tests.lake_services import new_database, postgres  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
warnings.filterwarnings("ignore", message="Found version mismatch between `dagster-shared`")


def _instance_home(tmp_path, config: Path, pg_env: dict, monkeypatch) -> Path:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(config.read_text())
    for k, v in pg_env.items():
        monkeypatch.setenv(k, v)
    return home


@pytest.mark.parametrize("config", ["k8s/instance.yaml", "postgres/dagster.yaml"])
def test_instance_from_deploy_config_keeps_all_three_storages_in_postgres(
        config, postgres, tmp_path, monkeypatch):  # noqa: F811
    import dagster as dg
    from dagster_postgres import (PostgresEventLogStorage, PostgresRunStorage,
                                  PostgresScheduleStorage)

    db = new_database(postgres, "dagster")
    home = _instance_home(tmp_path, ROOT / "deploy" / config, postgres.env(db), monkeypatch)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)

        @dg.asset
        def tiny_pg_asset():
            return 1

        result = dg.materialize([tiny_pg_asset], instance=instance)
        assert result.success
        run_id = result.run_id
    # the run and its events are rows in Postgres, not in a local SQLite file
    conn = postgres._connect(db)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM runs WHERE run_id = %s", [run_id])
            assert cur.fetchone()[0] == 1
            cur.execute("SELECT count(*) FROM event_logs WHERE run_id = %s", [run_id])
            assert cur.fetchone()[0] > 3
            cur.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'jobs'")
            assert cur.fetchone()[0] == 1  # schedule storage's table
    finally:
        conn.close()
    assert not list(home.rglob("*.db"))


RUN_ONE = textwrap.dedent("""
    import json, sys, time, warnings
    warnings.filterwarnings("ignore")
    import dagster as dg

    @dg.asset(pool="warehouse")
    def pooled_write(context):
        start = time.time()
        time.sleep(float(sys.argv[2]))
        with open(sys.argv[1], "a") as f:
            f.write(json.dumps({"run": context.run_id, "start": start, "end": time.time()}) + "\\n")

    with dg.DagsterInstance.get() as instance:
        result = dg.materialize([pooled_write], instance=instance)
    sys.exit(0 if result.success else 1)
""")


def test_warehouse_pool_holds_across_processes(postgres, tmp_path):  # noqa: F811
    import dagster as dg

    db = new_database(postgres, "dagster")
    home = tmp_path / "dagster_home"
    home.mkdir()
    cfg = yaml.safe_load((ROOT / "deploy" / "postgres" / "dagster.yaml").read_text())
    assert cfg["concurrency"]["pools"]["default_limit"] == 1
    (home / "dagster.yaml").write_text(yaml.safe_dump(cfg))
    env = {**os.environ, **postgres.env(db), "DAGSTER_HOME": str(home)}
    # the pool's row is created once, as a deployment does on first start: three processes
    # creating it at the same moment race on Postgres's unique key (IntegrityError)
    with pytest.MonkeyPatch.context() as mp:
        for k, v in postgres.env(db).items():
            mp.setenv(k, v)
        with dg.DagsterInstance.from_config(str(home)) as instance:
            instance.event_log_storage.initialize_concurrency_limit_to_default("warehouse")
    log = tmp_path / "intervals.jsonl"
    procs = [subprocess.Popen([sys.executable, "-c", RUN_ONE, str(log), "3"], env=env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(3)]
    outs = [(p.wait(timeout=240), p.stdout.read().decode()[-2000:]) for p in procs]
    assert all(rc == 0 for rc, _ in outs), outs
    spans = sorted((r["start"], r["end"]) for r in map(json.loads, log.read_text().splitlines()))
    assert len(spans) == 3
    for (_, end), (start, _) in zip(spans, spans[1:]):
        assert start >= end, f"two 'warehouse' steps overlapped across processes: {spans}"
    # the slot lives in Postgres: the pool's limit is visible to any process on the instance
    with pytest.MonkeyPatch.context() as mp:
        for k, v in postgres.env(db).items():
            mp.setenv(k, v)
        with dg.DagsterInstance.from_config(str(home)) as instance:
            assert instance.event_log_storage.get_pool_config().default_pool_limit == 1
            assert "warehouse" in instance.event_log_storage.get_concurrency_keys()
