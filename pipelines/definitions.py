"""The one Definitions object. Each branch lives in its own ``pipelines/<branch>.py`` exposing
ASSETS, ASSET_CHECKS, JOBS, SCHEDULES, SENSORS and ``demo_plan``; add it to BRANCHES.

Loading this module must stay cheap: no torch/transformers imports here or in assets at import
time (tests enforce it)."""

import os

import dagster as dg

from pipelines import github, health, spine, demix, scaleout, images, trajectories, rubrics
from pipelines.resources import WarehouseResource

BRANCHES = [spine, github, demix, scaleout, images, trajectories, rubrics]


def _executor() -> dg.ExecutorDefinition:
    # Selectable without code changes: TRAINYARD_EXECUTOR=in_process|multiprocess.
    kind = os.environ.get("TRAINYARD_EXECUTOR", "multiprocess")
    if kind == "in_process":
        return dg.in_process_executor
    if kind == "multiprocess":  # strict: run config with unknown keys is rejected, not ignored
        from pipelines.executors import strict_configured

        return strict_configured(dg.multiprocess_executor, {"max_concurrent": 2})
    if kind == "celery":  # steps on dagster-celery workers over Redis (pipelines/executors.py)
        from pipelines.executors import celery_executor_from_env

        return celery_executor_from_env()
    if kind == "k8s":  # every step a Kubernetes Job (pipelines/k8s.py); GPU steps from asset tags
        from pipelines.executors import k8s_executor

        return k8s_executor([a for b in BRANCHES for a in b.ASSETS])
    raise ValueError(
        f"TRAINYARD_EXECUTOR must be in_process, multiprocess, celery or k8s, not {kind!r}")


_ASSETS = [a for b in BRANCHES for a in b.ASSETS]
# A dynamically partitioned asset with no partition yet warns in the UI (pipelines/health.py).
HEALTH_CHECKS = health.dynamic_partition_checks(_ASSETS)

defs = dg.Definitions(
    assets=_ASSETS,
    asset_checks=[c for b in BRANCHES for c in b.ASSET_CHECKS] + HEALTH_CHECKS,
    jobs=[j for b in BRANCHES for j in b.JOBS] + [health.health_job(HEALTH_CHECKS)],
    schedules=[s for b in BRANCHES for s in b.SCHEDULES],
    sensors=[s for b in BRANCHES for s in b.SENSORS],
    resources={"warehouse": WarehouseResource()},
    executor=_executor(),
)
