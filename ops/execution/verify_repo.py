"""Execution verification of a repository's PRs: task filters, then per selected PR its test
environment (cached by recipe) and the sandboxed before/after validation. Returns the warehouse rows
(``task_validations``, ``task_test_results``, ``task_environments``) and counts; nothing here writes."""
from __future__ import annotations

import dataclasses
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from ops.execution.environments import Environment, ensure_environment
from ops.execution.recipe import read_recipe
from ops.execution.sandbox import SandboxLimits
from ops.execution.validate import PRUnderTest, Validation, validate_pr
from ops.github.records import RepoSnapshot
from ops.trajectories.pr_context import PRContext, pr_contexts
from ops.trajectories.task_filters import TaskFilterConfig, filter_pr

TEST_MODULE_RE = re.compile(r"(^|/)(test_[^/]*|[^/]*_test)\.py$")
OUTPUT_CAP = 4000  # characters of test output kept per validation (the cut is marked)


@dataclasses.dataclass
class VerificationConfig:
    envs_dir: Path
    max_prs: int = 0  # newest candidates validated; 0 = all
    runs: int = 2
    workers: int = 1
    limits: SandboxLimits = dataclasses.field(default_factory=SandboxLimits)
    filters: TaskFilterConfig = dataclasses.field(default_factory=TaskFilterConfig)
    scratch: Path | None = None
    # per-PR results keyed by (PR, merge commit, environment, runs, limits): a re-run or a run
    # killed half-way reuses what was already validated; None disables
    results_dir: Path | None = None


@dataclasses.dataclass
class VerificationResult:
    validations: list[dict]
    test_results: list[dict]
    environments: list[dict]
    counts: dict[str, int]
    env_cache_hits: int
    env_lookups: int
    seconds_validating: float
    reused: int = 0  # validations taken from results_dir instead of run

    @property
    def sandbox_cpu_seconds(self) -> float:
        return sum(r.get("cpu_seconds") or 0.0 for r in self.validations)


def cap_output(text: str, limit: int = OUTPUT_CAP) -> str:
    if len(text) <= limit:
        return text
    return text[: limit // 4] + f"\n[... {len(text) - limit} characters cut ...]\n" + text[-(limit - limit // 4):]


def pr_under_test(ctx: PRContext) -> PRUnderTest:
    tests = [p for p in ctx.test_files if TEST_MODULE_RE.search(p)]
    return PRUnderTest(ctx.key, ctx.pr.base_sha, ctx.pr.merge_commit_sha or ctx.pr.head_sha, tests,
                       list(ctx.test_files))


def _row(ctx: PRContext, status: str, reason: str, put: PRUnderTest | None = None, env: Environment | None = None,
         v: Validation | None = None, limits: SandboxLimits | None = None) -> dict:
    pr = ctx.pr
    after = next((r for r in (v.runs if v else []) if r.phase == "after"), None)
    before0 = next((r for r in (v.runs if v else []) if r.phase == "before"), None)
    f2p = v.fail_to_pass if v else []
    messages = [before0.outcomes[t].message for t in f2p if before0 and t in before0.outcomes
                and before0.outcomes[t].message][:20]
    return {
        "task_id": ctx.key, "repo": pr.repo, "pr_number": pr.number, "title": pr.title, "author": pr.author,
        "base_sha": pr.base_sha, "merge_sha": pr.merge_commit_sha or pr.head_sha, "status": status, "reason": reason,
        "env_id": env.env_id if env else "", "test_files": put.test_files if put else [],
        "n_fail_to_pass": len(f2p), "n_pass_to_pass": v.count("PASS_TO_PASS") if v else 0,
        "n_regressions": v.count("REGRESSION") if v else 0, "n_flaky": v.count("FLAKY") if v else 0,
        "n_runs": len(v.runs) + (1 if v and v.final else 0) if v else 0, "fail_to_pass": f2p,
        "final_output": cap_output(v.final.output) if v and v.final else "",
        "after_output": cap_output(after.output) if after else "", "before_messages": messages,
        "limits_json": json.dumps(limits.as_dict()) if limits else "", "seconds": round(v.seconds, 3) if v else 0.0,
        "cpu_seconds": round(v.cpu_seconds, 3) if v else 0.0,
        "source_key": ctx.key,
    }


def _test_rows(v: Validation) -> list[dict]:
    rows = []
    for run in v.runs + ([v.final] if v.final else []):
        for tid, o in run.outcomes.items():
            rows.append({"task_id": v.key, "test_id": tid, "phase": run.phase, "run": run.run, "outcome": o.outcome,
                         "duration_s": o.duration_s, "message": o.message, "label": v.labels.get(tid, ""),
                         "source_key": v.key})
    return rows


def _cache_file(cfg: VerificationConfig, ctx: PRContext, put: PRUnderTest, env: Environment) -> Path | None:
    if cfg.results_dir is None:
        return None
    lim = cfg.limits
    key = (f"{ctx.pr.number}-{put.merge_sha[:12]}-{env.env_id}-r{cfg.runs}-w{lim.wall_s:g}-m{lim.memory_mb}"
           f"-p{lim.max_procs}")
    return cfg.results_dir / f"{key}.json"


def verify_repository(snapshot: RepoSnapshot, repo_path: Path, cfg: VerificationConfig,
                      progress: Callable[[str], None] | None = None) -> VerificationResult:
    """Filter every merged PR, then validate the newest ``max_prs`` candidates (all when 0)."""
    import time

    contexts = sorted(pr_contexts(snapshot).values(), reverse=True,
                      key=lambda c: (c.pr.merged_at.timestamp() if c.pr.merged_at else 0.0, c.pr.number))
    rows: list[dict] = []
    selected: list[PRContext] = []
    for ctx in contexts:
        keep, why = filter_pr(ctx, cfg.filters)
        if not keep:
            rows.append(_row(ctx, "filtered", why))
        elif cfg.max_prs and len(selected) >= cfg.max_prs:
            rows.append(_row(ctx, "not_selected", f"beyond max_prs={cfg.max_prs} (newest first)"))
        else:
            selected.append(ctx)
    envs: dict[str, Environment] = {}
    lookups = hits = 0
    test_rows: list[dict] = []

    def one(ctx: PRContext) -> tuple[dict, list[dict], Environment | None, bool]:
        put = pr_under_test(ctx)
        if not put.test_files:
            return _row(ctx, "unverified", "the PR changes no test module: nothing can fail before it", put), [], None, False
        try:
            recipe = read_recipe(repo_path, put.merge_sha)
        except Exception as exc:  # a commit missing from the clone, an unreadable tree
            return _row(ctx, "error", f"recipe: {type(exc).__name__}: {str(exc)[:200]}", put), [], None, False
        env = ensure_environment(recipe, cfg.envs_dir)
        cached = _cache_file(cfg, ctx, put, env)
        if cached is not None and cached.exists():
            data = json.loads(cached.read_text())
            if progress:
                progress(f"{ctx.key}: {data['row']['status']} (cached)")
            return data["row"], data["tests"], env, True
        v = validate_pr(repo_path, put, env, cfg.limits, cfg.runs, cfg.scratch)
        if progress:
            progress(f"{ctx.key}: {v.status} ({v.reason[:80]})")
        row, tests = _row(ctx, v.status, v.reason, put, env, v, cfg.limits), _test_rows(v)
        if cached is not None and v.status not in ("error", "env_failed"):
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(".tmp")
            tmp.write_text(json.dumps({"row": row, "tests": tests}))
            tmp.replace(cached)
        return row, tests, env, False

    t0 = time.monotonic()
    with ThreadPoolExecutor(max(1, cfg.workers)) as pool:
        reused = 0
        for row, trs, env, was_cached in pool.map(one, selected):
            reused += was_cached
            rows.append(row)
            test_rows += trs
            if env is not None:
                lookups += 1
                hits += env.cache_hit or env.env_id in envs
                envs.setdefault(env.env_id, env)
    env_rows = [{"env_id": e.env_id, "repo": snapshot.repo, "python": e.recipe.python,
                 "requirements": e.recipe.requirements, "resolved_json": json.dumps(e.resolved, sort_keys=True),
                 "recipe_json": json.dumps(e.recipe.as_dict(), sort_keys=True), "status": e.status,
                 "error_tail": e.error_tail, "built_seconds": 0.0 if e.cache_hit else round(e.seconds, 2),
                 "source_key": e.env_id} for e in envs.values()]
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return VerificationResult(rows, test_rows, env_rows, counts, hits, lookups, time.monotonic() - t0, reused)


def decision_rows(validations: list[dict]) -> list[dict]:
    """``trajectory_decisions`` rows: the task filter's verdict for every PR, and the execution
    verdict for every PR that was validated."""
    rows = []
    for v in validations:
        filtered = v["status"] == "filtered"
        rows.append({"item_id": v["task_id"], "task_id": v["task_id"], "gate": "task_filter", "keep": not filtered,
                     "reason": v["reason"] if filtered else "passed the task filters", "score": None,
                     "source_key": v["task_id"]})
        if v["status"] not in ("filtered", "not_selected"):
            rows.append({"item_id": v["task_id"], "task_id": v["task_id"], "gate": "execution",
                         "keep": v["status"] == "verified", "reason": f"{v['status']}: {v['reason']}",
                         "score": float(v["n_fail_to_pass"]), "source_key": v["task_id"]})
    return rows


def quarantine_rows(validations: list[dict]) -> list[tuple[str, str, dict]]:
    """PRs whose validation could not run (environment install failed, broken history)."""
    return [(v["task_id"], f"{v['status']}: {v['reason']}", {"merge_sha": v["merge_sha"], "env_id": v["env_id"]})
            for v in validations if v["status"] in ("env_failed", "error")]
