"""``trainyard demo``: materialise every branch's assets on the embedded default, through
Dagster's own execution (runs are recorded in the project instance and visible in the UI)."""
import os
import time

import dagster as dg


def run_demo(instance: dg.DagsterInstance, echo=print) -> list[dict]:
    from pipelines.definitions import BRANCHES, defs

    results = []
    for branch in BRANCHES:
        for job_name, partition_key in branch.demo_plan(instance):
            job = defs.resolve_job_def(job_name)
            t0 = time.perf_counter()
            label = job_name + (f" [{partition_key}]" if partition_key else "")
            echo(f"running {label} ...")
            # Step logs stay in the run (visible in the UI); the console gets warnings and up.
            level = os.environ.get("TRAINYARD_LOG_LEVEL", "WARNING")
            result = job.execute_in_process(
                instance=instance, partition_key=partition_key, raise_on_error=False,
                run_config={"loggers": {"console": {"config": {"log_level": level}}}})
            seconds = time.perf_counter() - t0
            results.append({"job": label, "success": result.success, "seconds": round(seconds, 1),
                            "run_id": result.run_id})
            echo(f"  {'ok' if result.success else 'FAILED'} in {seconds:.1f}s (run {result.run_id})")
    return results
