"""Deployment config files (deploy/) checked against the libraries' own config schemas: the
Kubernetes run launcher, the k8s step executor, the GPU step tag and the Celery executor. No
cluster needed; a misspelt or mistyped field fails here."""
import copy
import warnings
from pathlib import Path

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
warnings.filterwarnings("ignore", message="Found version mismatch between `dagster-shared`")


def _validate(config_type, value):
    from dagster._config import process_config

    return process_config(config_type, value)


def _errors(result) -> str:
    return "; ".join(e.message for e in result.errors or [])


def test_k8s_run_launcher_config_is_valid():
    from dagster_k8s import K8sRunLauncher

    instance = yaml.safe_load((DEPLOY / "k8s" / "instance.yaml").read_text())
    launcher = instance["run_launcher"]
    assert (launcher["module"], launcher["class"]) == ("dagster_k8s", "K8sRunLauncher")
    result = _validate(K8sRunLauncher.config_type(), launcher["config"])
    assert result.success, _errors(result)
    assert result.value["resources"]["requests"]["cpu"] == "250m"
    bad = copy.deepcopy(launcher["config"])
    bad["job_imagee"] = bad.pop("job_image")  # a typo must not pass
    assert not _validate(K8sRunLauncher.config_type(), bad).success


def test_k8s_step_executor_config_with_cpu_and_gpu_requests_is_valid():
    from dagster_k8s import k8s_job_executor

    run_config = yaml.safe_load((DEPLOY / "k8s" / "executor.yaml").read_text())
    schema = k8s_job_executor.config_schema.config_type
    result = _validate(schema, run_config["execution"]["config"])
    assert result.success, _errors(result)
    gpu = result.value["per_step_k8s_config"]["corpus_lm"]["container_config"]["resources"]
    assert gpu["limits"]["nvidia.com/gpu"] == "1"
    cpu = result.value["step_k8s_config"]["container_config"]["resources"]
    assert "nvidia.com/gpu" not in cpu["requests"]
    bad = copy.deepcopy(run_config["execution"]["config"])
    bad["max_concurrent"] = "many"
    assert not _validate(schema, bad).success


def test_gpu_step_tag_is_a_valid_user_defined_k8s_config():
    from dagster_k8s.job import UserDefinedDagsterK8sConfig

    tags = yaml.safe_load((DEPLOY / "k8s" / "gpu_step_tags.yaml").read_text())
    cfg = UserDefinedDagsterK8sConfig.from_dict(tags["dagster-k8s/config"])
    assert cfg.container_config["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert cfg.pod_spec_config["node_selector"] == {"accelerator": "nvidia"}
    # from_dict ignores unknown keys, so check the tag's keys against the known sections.
    assert set(tags["dagster-k8s/config"]) <= set(UserDefinedDagsterK8sConfig._fields)


def test_celery_executor_yaml_matches_dagster_celery_schema_and_trainyard_settings():
    from dagster_celery.executor import CELERY_CONFIG
    from dagster._config import Shape

    from pipelines.executors import CELERY_SETTINGS

    run_config = yaml.safe_load((DEPLOY / "celery" / "executor.yaml").read_text())
    result = _validate(Shape(CELERY_CONFIG), run_config["execution"]["config"])
    assert result.success, _errors(result)
    source = result.value["config_source"]
    # The YAML route and the env route (TRAINYARD_EXECUTOR=celery) must agree on the fault settings.
    for key in ("task_acks_late", "task_reject_on_worker_lost", "worker_prefetch_multiplier"):
        assert source[key] == CELERY_SETTINGS[key], key
    assert (source["broker_transport_options"]["visibility_timeout"]
            == CELERY_SETTINGS["broker_transport_options"]["visibility_timeout"])


def test_celery_profile_is_selected_by_env_without_code_changes(monkeypatch):
    import importlib

    import pipelines.definitions as definitions

    monkeypatch.setenv("TRAINYARD_EXECUTOR", "celery")
    monkeypatch.setenv("TRAINYARD_CELERY_BROKER", "redis://10.0.0.7:6390/3")
    monkeypatch.delenv("TRAINYARD_CELERY_BACKEND", raising=False)
    executor = definitions._executor()
    assert executor.name == "celery"
    resolved = executor.apply_config_mapping({})
    assert resolved.success
    assert resolved.value["config"]["broker"] == "redis://10.0.0.7:6390/3"
    assert resolved.value["config"]["backend"] == "redis://10.0.0.7:6390/3"  # defaults to the broker
    monkeypatch.setenv("TRAINYARD_EXECUTOR", "in_process")
    assert definitions._executor().name == "in_process"
    monkeypatch.setenv("TRAINYARD_EXECUTOR", "cellery")
    with pytest.raises(ValueError, match="celery"):
        definitions._executor()
