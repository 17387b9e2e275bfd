"""The Kubernetes deployment files: Helm values for the official Dagster chart and the project
Dockerfile, checked without a cluster, a registry or helm: every embedded Kubernetes object
against the Kubernetes API models (dagster-k8s's strict constructor), the run launcher against
dagster-k8s's config schema, the warehouse/executor settings against what the code reads.
(The chart's own values.schema.json is not available offline: run `helm lint` /
`helm template -f deploy/helm/values.yaml dagster/dagster` where the chart can be fetched.)"""
import re
import warnings
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
VALUES = ROOT / "deploy" / "helm" / "values.yaml"
warnings.filterwarnings("ignore", message="Found version mismatch between `dagster-shared`")


def _k8s(model: str, value):
    from dagster_k8s.models import k8s_model_from_dict
    import kubernetes

    return k8s_model_from_dict(getattr(kubernetes.client, model), value)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@pytest.fixture(scope="module")
def values() -> dict:
    return yaml.safe_load(VALUES.read_text())


def test_kubernetes_objects_in_helm_values_match_the_api_models(values):
    deployment = values["dagster-user-deployments"]["deployments"][0]
    for env in deployment["env"]:
        _k8s("V1EnvVar", env)
    for ref in deployment["envSecrets"]:
        _k8s("V1SecretEnvSource", ref)
    for resources in (deployment["resources"], values["dagsterWebserver"]["resources"],
                      values["runLauncher"]["config"]["k8sRunLauncher"]["resources"]):
        _k8s("V1ResourceRequirements", resources)
    with pytest.raises(Exception):  # the check bites: a misspelt field fails
        _k8s("V1ResourceRequirements", {"request": {"cpu": "1"}})


def test_helm_run_launcher_is_a_valid_k8s_run_launcher_config(values):
    from dagster._config import process_config
    from dagster_k8s import K8sRunLauncher

    chart = values["runLauncher"]
    assert chart["type"] == "K8sRunLauncher"
    launcher = dict(chart["config"]["k8sRunLauncher"])
    launcher["envSecrets"] = [s["name"] for s in launcher["envSecrets"]]
    config = {_snake(k): v for k, v in launcher.items()}
    config.update(instance_config_map="trainyard-dagster-instance", dagster_home="/opt/dagster/dagster_home",
                  postgres_password_secret=values["global"]["postgresqlSecretName"])
    result = process_config(K8sRunLauncher.config_type(), config)
    assert result.success, [e.message for e in result.errors]


def test_helm_postgres_matches_the_instance_storage(values):
    pg = values["postgresql"]
    assert pg["enabled"] is False and pg["postgresqlHost"]  # external, managed Postgres
    instance = yaml.safe_load((ROOT / "deploy" / "k8s" / "instance.yaml").read_text())
    db = instance["storage"]["postgres"]["postgres_db"]
    assert db["scheme"] == pg["postgresqlScheme"] == "postgresql+psycopg2"
    assert "run_storage" not in instance  # one `storage: postgres` block covers all three


def test_user_code_env_selects_k8s_steps_and_the_ducklake_warehouse(values, monkeypatch):
    import pipelines.definitions as definitions
    from pipelines.k8s import FORWARDED_ENV, executor_defaults
    from warehouse import ducklake

    deployment = values["dagster-user-deployments"]["deployments"][0]
    assert deployment["dagsterApiGrpcArgs"] == ["-m", "pipelines.definitions"]
    env = {e["name"]: e["value"] for e in deployment["env"]}
    for name in [n for n in env if n.startswith("TRAINYARD_")]:
        monkeypatch.setenv(name, env[name])
    # every TRAINYARD_* setting named here is one the code reads
    code = "\n".join(p.read_text() for p in [ROOT / "pipelines" / "k8s.py",
                                              ROOT / "pipelines" / "definitions.py",
                                              ROOT / "warehouse" / "ducklake.py",
                                              ROOT / "warehouse" / "paths.py"])
    unknown = [n for n in env if n.startswith("TRAINYARD_") and n not in code]
    assert not unknown, unknown
    assert ducklake.backend() == "ducklake"
    assert ducklake.data_path() == "s3://trainyard-lake/warehouse/"
    assert "password" not in env["TRAINYARD_DUCKLAKE_CATALOG"].lower()  # from the Secret, not here
    assert definitions._executor().name == "k8s"
    cfg = executor_defaults()
    image = deployment["image"]
    assert cfg["job_image"] == f"{image['repository']}:{image['tag']}"
    assert set(cfg["env_vars"]) >= {"TRAINYARD_WAREHOUSE", "TRAINYARD_DUCKLAKE_CATALOG",
                                    "TRAINYARD_DUCKLAKE_DATA_PATH"}
    assert set(cfg["env_vars"]) <= set(FORWARDED_ENV)
    assert cfg["env_secrets"] == [s["name"] for s in deployment["envSecrets"]]


def test_dockerfile_copies_what_exists_and_serves_the_definitions():
    text = (ROOT / "Dockerfile").read_text()
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    assert lines[0].startswith("ARG PYTHON_IMAGE=python:3.11")
    for ln in lines:
        if ln.startswith("COPY "):
            for src in ln.split()[1:-1]:
                assert (ROOT / src).exists(), f"Dockerfile copies missing {src}"
    assert 'ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu' in text  # CPU torch by default
    assert "install-system-deps.sh runtime" in text
    cmd = re.search(r'^CMD (\[.*\])$', text, re.M).group(1)
    assert '"pipelines.definitions"' in cmd
    # the copied package list is the one pyproject installs
    import tomllib

    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    for pkg in packages:
        assert f"COPY {pkg.rstrip('*')} " in text, pkg
