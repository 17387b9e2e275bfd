"""TRAINYARD_EXECUTOR=k8s wires dagster-k8s's k8s_job_executor: config from the environment and
asset tags, validated against the executor's own schema (unknown keys rejected, for every
executor the project selects), and the step Job manifests built through dagster-k8s's strict
Kubernetes-model constructors. No cluster is needed."""
import warnings

import pytest

warnings.filterwarnings("ignore", message="Found version mismatch between `dagster-shared`")


def _resolve(executor, run_config_execution: dict):
    """Resolve run config ``{"execution": ...}`` for a job using ``executor``, as a launch does."""
    import dagster as dg
    from dagster._core.system_config.objects import ResolvedRunConfig

    @dg.asset
    def some_asset():
        return 1

    job = dg.Definitions(assets=[some_asset], executor=executor).resolve_implicit_global_asset_job_def()
    cfg = {"execution": run_config_execution} if run_config_execution else {}
    return ResolvedRunConfig.build(job, cfg).execution.execution_engine_config


@pytest.mark.parametrize("kind", ["in_process", "multiprocess", "celery", "k8s"])
def test_every_project_executor_rejects_unknown_config(kind, monkeypatch):
    import dagster as dg

    import pipelines.definitions as definitions

    monkeypatch.setenv("TRAINYARD_EXECUTOR", kind)
    executor = definitions._executor()
    _resolve(executor, {})  # the defaults are valid
    for bad in ({"bogus": 1}, {"config": {"bogus": 1}}):
        with pytest.raises(dg.DagsterInvalidConfigError, match="bogus"):
            _resolve(executor, bad)


def test_k8s_executor_selected_by_env_with_defaults_and_overrides(monkeypatch):
    from dagster._config import process_config
    from dagster_k8s import k8s_job_executor

    import pipelines.definitions as definitions

    monkeypatch.setenv("TRAINYARD_EXECUTOR", "k8s")
    monkeypatch.setenv("TRAINYARD_K8S_IMAGE", "registry.example/trainyard:cpu-1")
    monkeypatch.setenv("TRAINYARD_K8S_GPU_IMAGE", "registry.example/trainyard:cuda-1")
    monkeypatch.setenv("TRAINYARD_K8S_ENV_SECRETS", "trainyard-lake, trainyard-github")
    monkeypatch.setenv("TRAINYARD_WAREHOUSE", "ducklake")
    monkeypatch.setenv("TRAINYARD_DUCKLAKE_CATALOG", "postgres:dbname=lake host=pg port=5432 user=t")
    executor = definitions._executor()
    assert executor.name == "k8s"
    cfg = _resolve(executor, {})
    # what reaches the executor is valid for dagster-k8s's own schema
    assert process_config(k8s_job_executor.config_schema.config_type, cfg).success
    assert cfg["job_image"] == "registry.example/trainyard:cpu-1"
    assert cfg["env_secrets"] == ["trainyard-lake", "trainyard-github"]
    # settings travel by name: values (and any secret) stay out of run config
    assert "TRAINYARD_WAREHOUSE" in cfg["env_vars"] and "TRAINYARD_DUCKLAKE_CATALOG" in cfg["env_vars"]
    assert all("=" not in v for v in cfg["env_vars"])
    # GPU steps come from asset tags, not from a list here
    gpu_steps = {name for name, c in cfg["per_step_k8s_config"].items()
                 if "nvidia.com/gpu" in c["container_config"]["resources"]["limits"]}
    assert {"corpus_lm", "demix_components", "demix_final", "rubric_grpo"} <= gpu_steps
    assert "raw_corpus" not in cfg["per_step_k8s_config"]
    lm = cfg["per_step_k8s_config"]["corpus_lm"]["container_config"]
    assert lm["image"] == "registry.example/trainyard:cuda-1"
    # run config overrides field by field; nested dicts merge into the defaults
    over = _resolve(executor, {"config": {"job_namespace": "team-a", "max_concurrent": 7,
                                          "per_step_k8s_config": {"raw_corpus": {}}}})
    assert (over["job_namespace"], over["max_concurrent"]) == ("team-a", 7)
    assert "corpus_lm" in over["per_step_k8s_config"] and "raw_corpus" in over["per_step_k8s_config"]
    with pytest.raises(Exception, match="max_concurrent"):
        _resolve(executor, {"config": {"max_concurrent": "many"}})


def test_asset_tags_drive_per_step_resources():
    import dagster as dg

    from pipelines.k8s import GPU_TAGS, per_step_config

    @dg.asset(op_tags=GPU_TAGS)
    def trains():
        return 1

    @dg.asset(op_tags={"trainyard/cpu": "8", "trainyard/memory": "32Gi"})
    def big_cpu():
        return 1

    @dg.asset
    def plain():
        return 1

    @dg.asset(op_tags={"trainyard/accelerator": "tpu"})
    def wrong():
        return 1

    cfg = per_step_config([trains, big_cpu, plain], "img:cuda")
    assert set(cfg) == {"trains", "big_cpu"}
    assert cfg["trains"]["container_config"]["resources"]["requests"]["nvidia.com/gpu"] == "1"
    assert cfg["big_cpu"]["container_config"]["resources"] == {
        "requests": {"cpu": "8", "memory": "32Gi"}, "limits": {"memory": "64Gi"}}
    with pytest.raises(ValueError, match="cpu or gpu"):
        per_step_config([wrong], "img:cuda")


def test_step_job_manifests_for_gpu_and_cpu_steps(monkeypatch):
    import dagster as dg
    from dagster_k8s.job import get_k8s_job_name  # noqa: F401  (the naming the executor uses)

    import pipelines.definitions as definitions
    from pipelines.k8s import step_job_manifest

    monkeypatch.setenv("TRAINYARD_EXECUTOR", "k8s")
    monkeypatch.setenv("TRAINYARD_WAREHOUSE", "ducklake")
    cfg = _resolve(definitions._executor(), {})
    gpu = step_job_manifest(cfg, "corpus_lm")
    assert gpu["kind"] == "Job" and gpu["apiVersion"] == "batch/v1"
    pod = gpu["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert container["resources"]["requests"]["nvidia.com/gpu"] == "1"
    assert container["image"] == "trainyard:cuda"
    assert pod["nodeSelector"] == {"accelerator": "nvidia"}
    assert pod["tolerations"][0]["key"] == "nvidia.com/gpu"
    assert {"name": "TRAINYARD_WAREHOUSE", "value": "ducklake"} in container["env"] or any(
        e["name"] == "TRAINYARD_WAREHOUSE" for e in container["env"])
    cpu = step_job_manifest(cfg, "raw_corpus")["spec"]["template"]["spec"]["containers"][0]
    assert cpu["image"] == "trainyard:cpu"
    assert "nvidia.com/gpu" not in cpu["resources"].get("limits", {})
    assert cpu["resources"]["requests"] == {"cpu": "1", "memory": "2Gi"}
    # a misspelt Kubernetes field in a step's config fails against the Kubernetes models
    bad = dict(cfg, per_step_k8s_config={"raw_corpus": {"container_config": {"resourcez": {}}}})
    with pytest.raises(Exception, match="resourcez"):
        step_job_manifest(bad, "raw_corpus")
    del dg
