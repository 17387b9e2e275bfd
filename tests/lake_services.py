"""Test fixtures for the shared backends: PostgreSQL on loopback (initdb into a temporary
directory, a free port, stopped by its PID group at teardown), moto's S3 server on loopback, and a
fresh DuckLake warehouse per test (its own Postgres database and data path). Import the fixtures
into a test module: ``from tests.lake_services import postgres, s3, lake  # noqa: F401``."""
import shutil
import uuid
from pathlib import Path

import pytest


def _require_postgres() -> None:
    from pipelines.services import PG_BIN_DIRS

    if not PG_BIN_DIRS and shutil.which("initdb") is None:
        pytest.fail("PostgreSQL is not installed: run scripts/install-system-deps.sh")


@pytest.fixture(scope="module")
def postgres(tmp_path_factory):
    _require_postgres()
    from pipelines.services import LocalPostgres

    server = LocalPostgres(log_dir=tmp_path_factory.mktemp("pglog"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    pytest.importorskip("moto", reason="moto[server] is a test dependency (pyproject [test])")
    from pipelines.services import LocalS3

    server = LocalS3(log_dir=tmp_path_factory.mktemp("s3log"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def new_database(postgres, prefix: str = "lake") -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    conn = postgres._connect()
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()
    return name


def lake_env(postgres, data_path: str, extra: dict | None = None) -> dict:
    """Environment selecting a fresh DuckLake warehouse (own catalog database) at ``data_path``."""
    env = {"TRAINYARD_WAREHOUSE": "ducklake",
           "TRAINYARD_DUCKLAKE_CATALOG": "postgres:" + postgres.conninfo(new_database(postgres)),
           "TRAINYARD_DUCKLAKE_DATA_PATH": data_path}
    env.update(extra or {})
    return env


@pytest.fixture
def lake(postgres, trainyard_home, monkeypatch) -> dict:
    """This test's warehouse is a fresh DuckLake (Postgres catalog, local Parquet data path)."""
    env = lake_env(postgres, str(Path(trainyard_home) / "lake_data"))
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env
