"""The trajectory build steps the assets call, each over plain records:

1. ``synthesize_tasks(snapshot, chains, backend)`` → task statements (PRs, then chains) + rejects;
2. ``build_trajectories(tasks, ...)`` → replayed candidates (N per task from the backend; 1 with a
   deterministic backend), rejection sampling, difficulty tags, SWE-Master filter;
3. ``filter_dataset(...)`` → near-duplicate removal and decontamination decisions.
Each returns what it kept plus ``Decision``/quarantine records saying why anything was dropped.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from ops.github.records import PRChain, RepoSnapshot
from ops.llm.base import LLMBackend
from ops.llm.validated import GateStats, generate_validated
from ops.trajectories.near_dup import EvalSet, contamination_hits, near_duplicates
from ops.trajectories.pr_context import pr_contexts
from ops.trajectories.quality import (Decision, difficulty_tags, rejection_sample, swe_master_filter)
from ops.trajectories.replay import ReplayError, ReplayLimits, build_skeleton, render_trajectory, thought_requests
from ops.trajectories.task_synthesis import TaskStatement, synthesize_chain_tasks, synthesize_pr_tasks
from ops.trajectories.thoughts import gated_thoughts

Bad = tuple[str, str, dict]  # (record_key, reason, record) for the quarantine table


@dataclasses.dataclass
class GateConfig:
    n_candidates: int = 4  # per task from a sampling backend (deterministic backends: 1)
    temperature: float = 0.7
    thought_max_tokens: int = 32  # model thoughts are one sentence (the prefilled opening not counted)
    score_threshold: float = 0.8
    leak_threshold: float = 0.2
    dedup_threshold: float = 0.8
    contamination_threshold: float = 0.5
    max_attempts: int = 3
    # >0: only N PRs (and chains within them) — bounds slow backends; with execution results the
    # verified PRs come first (unverified ones cannot pass rejection sampling), then by number
    max_tasks: int = 0
    limits: ReplayLimits = dataclasses.field(default_factory=ReplayLimits)


def synthesize_tasks(snapshot: RepoSnapshot, chains: list[PRChain], backend: LLMBackend,
                     cfg: GateConfig, verification: dict[str, dict] | None = None,
                     stats_out: dict | None = None) -> tuple[list[TaskStatement], list[Bad]]:
    """Tasks for every merged PR, or with ``verification`` (``task_validations`` rows by PR key) for
    the PRs that passed the task filters and were validated; chains only over such PRs.
    ``stats_out`` receives ``{"statements": GateStats}`` when a small model's prose was gated."""
    contexts = pr_contexts(snapshot)
    if verification is not None:
        contexts = {n: c for n, c in contexts.items()
                    if c.key in verification and verification[c.key]["status"] not in ("filtered", "not_selected")}
    if cfg.max_tasks > 0:
        order = sorted(contexts, key=lambda n: (verification is not None
                                                and verification[contexts[n].key]["status"] != "verified", n))
        contexts = {n: contexts[n] for n in sorted(order[: cfg.max_tasks])}
        chains = [c for c in chains if all(n in contexts for n in c.pr_numbers)]
    pr_tasks, bad, gate = synthesize_pr_tasks(backend, list(contexts.values()), cfg.max_attempts, verification,
                                              cfg.n_candidates, cfg.temperature, cfg.leak_threshold)
    if gate is not None and stats_out is not None:
        stats_out["statements"] = gate
    by_key = {t.task_id: t for t in pr_tasks}
    # with execution results, a chain is a task only when every PR in it is one
    usable = [c for c in chains if c.repo == snapshot.repo
              and (verification is None or all(f"{c.repo}#{n}" in by_key for n in c.pr_numbers))]
    chain_tasks, bad_chains = synthesize_chain_tasks(backend, usable, by_key, contexts, cfg.max_attempts)
    return pr_tasks + chain_tasks, bad + bad_chains


@dataclasses.dataclass
class TrajectoryBuild:
    kept: list  # Trajectory
    candidates: int
    decisions: list[Decision]
    quarantined: list[Bad]
    difficulty: dict[str, list[str]]
    thought_gate: GateStats | None = None  # model backends: how many thoughts the model wrote vs the template


def execution_rates(tasks: list[TaskStatement], verification: dict[str, dict]) -> dict[str, tuple[int, int]]:
    """Per task: (FAIL_TO_PASS tests passing at the end in the sandbox, FAIL_TO_PASS tests) over
    its PRs; a chain with any PR that is not verified passes none (it ends in an unexecuted state)."""
    rates = {}
    for t in tasks:
        rows = [verification.get(k) for k in t.source_keys]
        total = sum(int(v["n_fail_to_pass"]) if v else 0 for v in rows) or 1
        ok = all(v and v.get("status") == "verified" for v in rows)
        rates[t.task_id] = (total if ok else 0, total)
    return rates


def build_trajectories(tasks: list[TaskStatement], snapshot: RepoSnapshot, chains: list[PRChain], repo_path: Path,
                       backend: LLMBackend, cfg: GateConfig,
                       pass_rates: dict[str, tuple[int, int]] | None = None,
                       verification: dict[str, dict] | None = None) -> TrajectoryBuild:
    """``verification``: ``task_validations`` rows by PR key (None: nothing was executed, scores
    leave execution out)."""
    contexts = pr_contexts(snapshot)
    commits = {c.sha: c for c in snapshot.commits}
    chain_by_key = {c.key: c for c in chains}
    quarantined: list[Bad] = []
    decisions: list[Decision] = []

    # SWE-Master first: a task every rollout solves (or none) is not worth replaying
    verdicts = swe_master_filter([t.task_id for t in tasks], pass_rates or {})
    for t in tasks:
        keep, why = verdicts[t.task_id]
        decisions.append(Decision(t.task_id, t.task_id, "swe_master", keep, why, None, ",".join(t.source_keys)))
    tasks = [t for t in tasks if verdicts[t.task_id][0]]

    skeletons = []
    for t in tasks:
        chain = chain_by_key.get(t.task_id)
        numbers = chain.pr_numbers if chain else [int(t.task_id.rsplit("#", 1)[1])]
        missing = [n for n in numbers if n not in contexts]
        if missing:
            quarantined.append((t.task_id, f"PR(s) {missing} missing from the snapshot", {"source_keys": t.source_keys}))
            continue
        try:
            skeletons.append(build_skeleton(t, [contexts[n] for n in numbers], repo_path, commits, chain, cfg.limits,
                                            verification))
        except ReplayError as exc:
            quarantined.append((t.task_id, str(exc), {"source_keys": t.source_keys}))

    deterministic = getattr(backend, "deterministic", False)
    short = getattr(backend, "prompt_style", "full") == "short"
    n = 1 if deterministic else max(1, cfg.n_candidates)
    temperature = 0.0 if n == 1 else cfg.temperature
    reqs, owners = [], []
    for si, sk in enumerate(skeletons):
        for r in thought_requests(sk, n, temperature, style="short" if short else "full",
                                  prefill=short and getattr(backend, "supports_prefill", False),
                                  max_tokens=cfg.thought_max_tokens if short else 120):
            reqs.append(r)
            owners.append(si)
    per_sk: dict[int, list] = {}
    bad_sk: dict[int, str] = {}
    gate_stats = None
    if short:  # a small model's thoughts through the gate, the labelled template where all candidates fail
        gated, gate_stats = gated_thoughts(backend, reqs, cfg.max_attempts)
        for i, g in zip(owners, gated):
            per_sk.setdefault(i, []).append(g.completions)
    else:
        results, rejected = generate_validated(backend, reqs, _validate_thought, cfg.max_attempts)
        bad_sk = {owners[r.index]: r.reason for r in rejected}
        for i, comps in zip(owners, results):
            per_sk.setdefault(i, []).append(comps)
    candidates: dict[str, list] = {}
    total = 0
    for si, sk in enumerate(skeletons):
        if si in bad_sk:
            quarantined.append((sk.task.task_id, f"thoughts: {bad_sk[si]}", {"source_keys": sk.task.source_keys}))
            continue
        step_comps = per_sk.get(si, [])
        for k in range(n):
            picked = [c[k % len(c)] for c in step_comps]
            gens = [c.generator for c in picked]
            candidates.setdefault(sk.task.task_id, []).append(
                render_trajectory(sk, [c.text for c in picked], ",".join(sorted(set(gens))), k, gens))
            total += 1
    leaks = {t.task_id: t.leak_score for t in tasks}
    rates = execution_rates(tasks, verification) if verification is not None else None
    kept, rs = rejection_sample(candidates, leaks, cfg.score_threshold, cfg.leak_threshold, rates)
    decisions += rs
    difficulty = {t.trajectory_id: difficulty_tags(t.stats) for t in kept}
    for t in kept:
        decisions.append(Decision(t.trajectory_id, t.task_id, "difficulty", True,
                                  " ".join(difficulty[t.trajectory_id]), None, ",".join(t.source_keys)))
    return TrajectoryBuild(kept, total, decisions, quarantined, difficulty, gate_stats)


def _validate_thought(text: str) -> str | None:
    if not text.strip():
        return "empty thought"
    if len(text) > 1200:
        return f"thought too long ({len(text)} chars)"
    return None


def trajectory_text(t) -> str:
    """Everything a trajectory says (for near-duplicate detection)."""
    parts = []
    for m in t.messages:
        parts.append(m.get("content") or "")
        for c in m.get("tool_calls") or []:
            parts.append(c["function"]["arguments"])
    return "\n".join(parts)


def edit_text_of(t) -> str:
    """The lines a trajectory's ``edit_file`` calls add (what a reference patch would add)."""
    import json

    lines = []
    for m in t.messages:
        for c in m.get("tool_calls") or []:
            if c["function"]["name"] == "edit_file":
                patch = json.loads(c["function"]["arguments"]).get("patch", "")
                lines += [ln[1:] for ln in patch.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    return "\n".join(lines)


def task_text_of(t) -> str:
    return next((m["content"] for m in t.messages if m["role"] == "user"), "")


def filter_dataset(items: list, eval_sets: list[EvalSet], cfg: GateConfig, drop_contaminated: bool = True
                   ) -> tuple[list, list[Decision]]:
    """Near-duplicate removal (tasks, then whole trajectories), then decontamination."""
    decisions: list[Decision] = []
    ids = [t.trajectory_id for t in items]
    src = {t.trajectory_id: ",".join(t.source_keys) for t in items}
    by_id = {t.trajectory_id: t for t in items}
    drop: set[str] = set()
    for what, texts in (("task", [task_text_of(t) for t in items]), ("trajectory", [trajectory_text(t) for t in items])):
        live = [(i, x) for i, x in zip(ids, texts) if i not in drop]
        for d in near_duplicates([i for i, _ in live], [x for _, x in live], cfg.dedup_threshold):
            if not d.keep:
                drop.add(d.item_id)
                decisions.append(Decision(d.item_id, by_id[d.item_id].task_id, "dedup", False,
                                          f"near-duplicate {what} of {d.duplicate_of} (est. Jaccard {d.jaccard:.2f})",
                                          d.jaccard, src[d.item_id]))
    live = [t for t in items if t.trajectory_id not in drop]
    hits = contamination_hits([t.trajectory_id for t in live], [task_text_of(t) for t in live],
                              [t.source_keys for t in live], eval_sets, cfg.contamination_threshold)
    patch_sets = [es.patch_set() for es in eval_sets if es.patches]
    if patch_sets:  # the solution itself: the trajectory's edits against the reference patches
        hits += contamination_hits([t.trajectory_id for t in live], [edit_text_of(t) for t in live],
                                   [[] for _ in live], patch_sets, cfg.contamination_threshold)
    contaminated = {}
    for h in hits:
        contaminated.setdefault(h.item_id, []).append(f"{h.eval_set}: {h.reason}")
    for t in live:
        if t.trajectory_id in contaminated:
            decisions.append(Decision(t.trajectory_id, t.task_id, "contamination", not drop_contaminated,
                                      "; ".join(contaminated[t.trajectory_id])
                                      + ("" if drop_contaminated else " (kept: drop_contaminated=False)"),
                                      None, src[t.trajectory_id]))
        else:
            decisions.append(Decision(t.trajectory_id, t.task_id, "contamination", True, "clean", None,
                                      src[t.trajectory_id]))
    kept = [t for t in live if not (drop_contaminated and t.trajectory_id in contaminated)]
    return kept, decisions
