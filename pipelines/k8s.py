"""Steps as Kubernetes Jobs: ``TRAINYARD_EXECUTOR=k8s`` selects dagster-k8s's ``k8s_job_executor``
(one Job per step), configured from the environment and from asset tags.

Environment (all optional except the image in a real cluster):
- ``TRAINYARD_K8S_IMAGE``: the project image (``Dockerfile``), default ``trainyard:cpu``;
  ``TRAINYARD_K8S_GPU_IMAGE``: the CUDA variant for GPU steps, default ``trainyard:cuda``.
- ``TRAINYARD_K8S_NAMESPACE`` (default ``trainyard``), ``TRAINYARD_K8S_MAX_CONCURRENT`` (steps in
  flight per run, default 100), ``TRAINYARD_K8S_ENV_SECRETS`` (comma-separated Secret names whose
  keys become step environment variables: Postgres/S3 credentials, GITHUB_TOKEN).
- The warehouse/lake settings (``TRAINYARD_WAREHOUSE``, ``TRAINYARD_DUCKLAKE_*``, ``TRAINYARD_S3_*``,
  ``TRAINYARD_PROFILE``) are passed to step pods *by name*: each step pod reads them from the
  run pod's environment, so no value (and no secret) is written into run config.

Per-step resources come from asset (op) tags, not from a list of step names kept here:
``trainyard/accelerator: gpu`` asks for one NVIDIA GPU (``nvidia.com/gpu``) on a GPU node with the
CUDA image; ``trainyard/cpu`` and ``trainyard/memory`` set the step's requests. Every other step
gets ``CPU_STEP``. Run config can override any field; unknown fields are rejected (the executor
keeps dagster-k8s's own schema, see ``pipelines.executors.strict_configured``).
"""
from __future__ import annotations

import os
from typing import Any, Iterable

ACCELERATOR_TAG = "trainyard/accelerator"
CPU_TAG = "trainyard/cpu"
MEMORY_TAG = "trainyard/memory"
GPU_TAGS = {ACCELERATOR_TAG: "gpu"}  # op_tags for assets that train or embed on a GPU

FORWARDED_ENV = ("TRAINYARD_WAREHOUSE", "TRAINYARD_DUCKLAKE_CATALOG", "TRAINYARD_DUCKLAKE_DATA_PATH",
                 "TRAINYARD_S3_ENDPOINT", "TRAINYARD_S3_USE_SSL", "TRAINYARD_S3_URL_STYLE",
                 "TRAINYARD_PROFILE", "TRAINYARD_HOME", "TRAINYARD_ARTIFACT_STORE", "AWS_REGION")

CPU_STEP = {"container_config": {"resources": {"requests": {"cpu": "1", "memory": "2Gi"},
                                               "limits": {"cpu": "2", "memory": "4Gi"}}}}


def gpu_step(image: str, cpu: str = "4", memory: str = "16Gi") -> dict:
    return {
        "container_config": {
            "image": image,
            "resources": {"requests": {"cpu": cpu, "memory": memory, "nvidia.com/gpu": "1"},
                          "limits": {"memory": _double(memory), "nvidia.com/gpu": "1"}},
        },
        "pod_spec_config": {
            "node_selector": {"accelerator": "nvidia"},
            "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
        },
    }


def _double(quantity: str) -> str:
    digits = "".join(ch for ch in quantity if ch.isdigit())
    return f"{int(digits) * 2}{quantity[len(digits):]}" if digits and quantity.startswith(digits) else quantity


def _op_tags(asset_def) -> tuple[str, dict]:
    """(op name, tags) of an assets definition or op; tags from the op and the asset."""
    node = getattr(asset_def, "node_def", None) or asset_def
    tags = dict(getattr(node, "tags", {}) or {})
    for key in getattr(asset_def, "keys", ()):
        with_tags = getattr(asset_def, "tags_by_key", {}) or {}
        tags.update({k: v for k, v in with_tags.get(key, {}).items() if k.startswith("trainyard/")})
    return node.name, tags


def per_step_config(assets: Iterable[Any], gpu_image: str) -> dict[str, dict]:
    """``per_step_k8s_config`` for every op whose tags ask for something other than the default."""
    out: dict[str, dict] = {}
    for a in assets:
        name, tags = _op_tags(a)
        accel = str(tags.get(ACCELERATOR_TAG, "")).lower()
        if accel not in ("", "cpu", "gpu"):
            raise ValueError(f"{name}: tag {ACCELERATOR_TAG} must be cpu or gpu, not {accel!r}")
        cpu, mem = tags.get(CPU_TAG), tags.get(MEMORY_TAG)
        if accel == "gpu":
            out[name] = gpu_step(gpu_image, cpu or "4", mem or "16Gi")
        elif cpu or mem:
            res = CPU_STEP["container_config"]["resources"]
            requests = {"cpu": cpu or res["requests"]["cpu"], "memory": mem or res["requests"]["memory"]}
            out[name] = {"container_config": {"resources": {"requests": requests,
                                                            "limits": {"memory": _double(requests["memory"])}}}}
    return out


def executor_defaults(assets: Iterable[Any] = ()) -> dict:
    """The k8s_job_executor config trainyard uses when run config says nothing."""
    env = os.environ
    image = env.get("TRAINYARD_K8S_IMAGE", "trainyard:cpu")
    gpu_image = env.get("TRAINYARD_K8S_GPU_IMAGE", "trainyard:cuda")
    cfg: dict = {
        "job_image": image,
        "job_namespace": env.get("TRAINYARD_K8S_NAMESPACE", "trainyard"),
        "image_pull_policy": "IfNotPresent",
        "max_concurrent": int(env.get("TRAINYARD_K8S_MAX_CONCURRENT", "100")),
        "env_vars": [name for name in FORWARDED_ENV if name in env],
        "step_k8s_config": CPU_STEP,
        "per_step_k8s_config": per_step_config(assets, gpu_image),
    }
    secrets = [s.strip() for s in env.get("TRAINYARD_K8S_ENV_SECRETS", "").split(",") if s.strip()]
    if secrets:
        cfg["env_secrets"] = secrets
    return cfg


def k8s_executor_from_env(assets: Iterable[Any] = ()):
    """dagster-k8s's ``k8s_job_executor`` with trainyard's defaults and a strict schema."""
    from dagster_k8s import k8s_job_executor

    from pipelines.executors import strict_configured

    return strict_configured(k8s_job_executor, executor_defaults(assets))


def step_job_manifest(executor_config: dict, op_name: str, run_id: str = "0" * 36,
                      step_tags: dict | None = None, launcher: dict | None = None) -> dict:
    """The Kubernetes Job the executor would create for step ``op_name`` (no cluster needed):
    the same merge dagster-k8s's step handler does (executor settings, step_k8s_config, the
    step's ``dagster-k8s/config`` tag, then per_step_k8s_config), built through dagster-k8s's own
    strict Kubernetes-model constructors, returned as the API-server JSON. ``launcher``: the
    K8sRunLauncher config the pods share (default: deploy/k8s/instance.yaml's)."""
    import types

    import yaml
    import kubernetes
    from dagster_k8s.container_context import K8sContainerContext
    from dagster_k8s.job import (UserDefinedDagsterK8sConfig, construct_dagster_k8s_job,
                                 get_k8s_job_name, get_user_defined_k8s_config)

    cfg = executor_config
    base = K8sContainerContext(
        image_pull_policy=cfg.get("image_pull_policy"), image_pull_secrets=cfg.get("image_pull_secrets"),
        service_account_name=cfg.get("service_account_name"), env_config_maps=cfg.get("env_config_maps"),
        env_secrets=cfg.get("env_secrets"), env_vars=cfg.get("env_vars"),
        volume_mounts=cfg.get("volume_mounts"), volumes=cfg.get("volumes"), labels=cfg.get("labels"),
        namespace=cfg.get("job_namespace"), resources=cfg.get("resources"),
        run_k8s_config=UserDefinedDagsterK8sConfig.from_dict(cfg.get("step_k8s_config", {})),
    )
    context = base.merge(K8sContainerContext(
        run_k8s_config=get_user_defined_k8s_config(step_tags or {}))).merge(
        K8sContainerContext(run_k8s_config=UserDefinedDagsterK8sConfig.from_dict(
            cfg.get("per_step_k8s_config", {}).get(op_name, {}))))
    if launcher is None:
        from warehouse.paths import PROJECT_ROOT

        instance = yaml.safe_load((PROJECT_ROOT / "deploy" / "k8s" / "instance.yaml").read_text())
        launcher = instance["run_launcher"]["config"]
    job_config = context.get_k8s_job_config(cfg.get("job_image"), types.SimpleNamespace(
        job_image=launcher.get("job_image"), dagster_home=launcher["dagster_home"],
        instance_config_map=launcher["instance_config_map"],
        postgres_password_secret=launcher.get("postgres_password_secret")))
    name = f"dagster-step-{get_k8s_job_name(run_id, op_name)}"
    job = construct_dagster_k8s_job(
        job_config=job_config, args=["dagster", "api", "execute_step"], job_name=name,
        pod_name=name, component="step_worker",
        user_defined_k8s_config=context.run_k8s_config,
        labels={"dagster/op": op_name},
        env_vars=[{"name": "DAGSTER_RUN_JOB_NAME", "value": "__ASSET_JOB"}],
    )
    return kubernetes.client.ApiClient().sanitize_for_serialization(job)
