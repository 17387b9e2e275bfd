"""Execution verification benchmark: PRs validated per CPU-minute (sandboxed before/after test runs,
CPU of every test process included) and the environment-cache hit rate of a second run over the same
PRs (goal ≥ 90 %), on the real repositories in ../shared/data/repos (skipped when absent). The
newest ``TRAINYARD_BENCH_VERIFY_PRS`` (default 8) filtered-in PRs of each repository are validated."""
import os
import resource
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks.harness import BenchRow

BUNDLES = {"more-itertools/more-itertools": "more-itertools.bundle", "python-humanize/humanize": "humanize.bundle"}


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _once(snapshot, path: Path, envs: Path, n: int):
    from ops.execution.sandbox import SandboxLimits
    from ops.execution.verify_repo import VerificationConfig, verify_repository

    cpu0, t0 = _cpu_seconds(), time.perf_counter()
    res = verify_repository(snapshot, path, VerificationConfig(envs_dir=envs, max_prs=n,
                                                                limits=SandboxLimits(wall_s=300)))
    # ours + installers (waited-for children) + the sandboxed tests (measured inside the sandbox)
    return res, _cpu_seconds() - cpu0 + res.sandbox_cpu_seconds, time.perf_counter() - t0


def run() -> list[BenchRow]:
    from ops.github.local_clone import scan_local_clone

    data = Path(__file__).resolve().parents[2] / "shared" / "data" / "repos"
    if not data.is_dir():
        print(f"verification bench skipped: {data} not present")
        return []
    n = int(os.environ.get("TRAINYARD_BENCH_VERIFY_PRS", "8"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for repo, bundle in BUNDLES.items():
            clone = Path(tmp) / repo.replace("/", "__")
            subprocess.run(["git", "clone", "-q", str(data / bundle), str(clone)], check=True)
            snapshot = scan_local_clone(clone, repo)
            envs = Path(tmp) / "envs"
            first, cpu1, wall1 = _once(snapshot, clone, envs, n)
            second, cpu2, wall2 = _once(snapshot, clone, envs, n)
            validated = sum(r["status"] not in ("filtered", "not_selected") for r in first.validations)
            verified = first.counts.get("verified", 0)
            name = f"verify_{repo.split('/')[1]}"
            rows += [
                BenchRow(name, "prs_validated", validated, "PRs"),
                BenchRow(name, "verified", verified, "PRs"),
                BenchRow(name, "prs_per_cpu_minute", validated / (cpu1 / 60) if cpu1 else 0.0, "PR/CPU-min"),
                BenchRow(name, "prs_per_wall_minute", validated / (wall1 / 60) if wall1 else 0.0, "PR/min"),
                BenchRow(name, "env_cache_hit_rate_first_run",
                         first.env_cache_hits / first.env_lookups if first.env_lookups else 0.0, "fraction"),
                BenchRow(name, "env_cache_hit_rate_second_run",
                         second.env_cache_hits / second.env_lookups if second.env_lookups else 0.0, "fraction",
                         "goal", 0.9),
                BenchRow(name, "second_run_agrees", float(
                    {r["task_id"]: r["status"] for r in first.validations}
                    == {r["task_id"]: r["status"] for r in second.validations}), "bool"),
                BenchRow(name, "environments_built", len(first.environments), "envs"),
            ]
    return rows
