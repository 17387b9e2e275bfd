"""Quality gates: the rejection-sampling scorer, difficulty tags and the SWE-Master filter.

Every gate answers ``(keep, reason)`` per item; the asset writes those decisions to
``trajectory_decisions`` so each dropped trajectory says why.

Score (0..1) of one candidate trajectory = 0.4·format + 0.3·leak + 0.3·consistency, where
- format = 1 when ``validate_messages`` finds no problem, else 0;
- leak = 1 when its task's leak score ≤ ``leak_threshold``, else 0;
- consistency = share of assistant actions whose thought names the action's target (the search
  term, the file's base name, "test" for run_tests, "submit"/"done" for submit).
With execution results (``exec_rates``: task id → (FAIL_TO_PASS tests passing in the sandbox at the
end, FAIL_TO_PASS tests)) the score is 0.3·format + 0.2·leak + 0.2·consistency + 0.3·pass rate, so
a task whose tests were never executed or do not pass (rate 0) cannot reach the default threshold.
Rejection sampling keeps, per task, the best candidate if its score ≥ ``threshold`` (default 0.8).
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import PurePosixPath

from ops.trajectories.replay import Trajectory
from ops.trajectories.tool_schema import validate_messages

W_FORMAT, W_LEAK, W_CONSISTENCY = 0.4, 0.3, 0.3
DEFAULT_SCORE_THRESHOLD = 0.8
DEFAULT_LEAK_THRESHOLD = 0.2


@dataclasses.dataclass(frozen=True)
class Score:
    score: float
    format_ok: bool
    leak_ok: bool
    consistency: float
    reasons: tuple[str, ...]


def _mentions(thought: str, name: str, args: dict) -> bool:
    t = thought.lower()
    if name == "search":
        return str(args.get("query", "")).lower() in t
    if name in ("open_file", "edit_file"):
        return PurePosixPath(str(args.get("path", ""))).name.lower() in t
    if name == "run_tests":
        return "test" in t
    if name == "submit":
        return "submit" in t or "done" in t
    return False


def thought_action_consistency(messages: list[dict]) -> float:
    """Share of assistant tool calls whose thought names the call's target (see module doc)."""
    total = hit = 0
    for m in messages:
        for call in m.get("tool_calls") or []:
            total += 1
            fn = call.get("function") or {}
            try:
                args = json.loads(fn.get("arguments") or "{}")
            except ValueError:
                args = {}
            hit += _mentions(m.get("content") or "", fn.get("name", ""), args if isinstance(args, dict) else {})
    return hit / total if total else 0.0


def score_trajectory(traj: Trajectory, task_leak: float, leak_threshold: float = DEFAULT_LEAK_THRESHOLD,
                     exec_rate: tuple[int, int] | None = None) -> Score:
    problems = validate_messages(traj.messages)
    consistency = thought_action_consistency(traj.messages)
    leak_ok = task_leak <= leak_threshold
    reasons = list(problems[:3])
    if not leak_ok:
        reasons.append(f"task leak {task_leak:.3f} > {leak_threshold}")
    if consistency < 1.0:
        reasons.append(f"thought/action consistency {consistency:.2f}")
    if exec_rate is None:
        score = W_FORMAT * (not problems) + W_LEAK * leak_ok + W_CONSISTENCY * consistency
    else:
        passed, total = exec_rate
        rate = passed / total if total else 0.0
        if rate < 1.0:
            reasons.append(f"execution: {passed}/{total} FAIL_TO_PASS tests pass in the sandbox")
        score = 0.3 * (not problems) + 0.2 * leak_ok + 0.2 * consistency + 0.3 * rate
    return Score(round(score, 6), not problems, leak_ok, consistency, tuple(reasons))


@dataclasses.dataclass
class Decision:
    item_id: str  # trajectory id (candidate) or task id
    task_id: str
    gate: str  # rejection_sampling | difficulty | swe_master | dedup | contamination
    keep: bool
    reason: str
    score: float | None = None
    source_key: str = ""


def rejection_sample(
    candidates: dict[str, list[Trajectory]], task_leaks: dict[str, float],
    threshold: float = DEFAULT_SCORE_THRESHOLD, leak_threshold: float = DEFAULT_LEAK_THRESHOLD,
    exec_rates: dict[str, tuple[int, int]] | None = None,
) -> tuple[list[Trajectory], list[Decision]]:
    """Per task, keep the best-scoring candidate when it reaches ``threshold``; one decision per
    candidate (the kept one, the beaten ones, or all of a task's when none reaches it). With
    ``exec_rates`` every task is scored with its execution pass rate (missing: 0 of 0)."""
    kept: list[Trajectory] = []
    decisions: list[Decision] = []
    for task_id, cands in candidates.items():
        rate = None if exec_rates is None else exec_rates.get(task_id, (0, 0))
        scored = [(score_trajectory(t, task_leaks.get(task_id, 0.0), leak_threshold, rate), t) for t in cands]
        best_i = max(range(len(scored)), key=lambda i: (scored[i][0].score, -i)) if scored else None
        for i, (s, t) in enumerate(scored):
            src = ",".join(t.source_keys)
            if i == best_i and s.score >= threshold:
                kept.append(t)
                decisions.append(Decision(t.trajectory_id, task_id, "rejection_sampling", True,
                                          f"best of {len(cands)} (score {s.score:.3f} >= {threshold})", s.score, src))
            elif s.score < threshold:
                decisions.append(Decision(t.trajectory_id, task_id, "rejection_sampling", False,
                                          f"score {s.score:.3f} < {threshold}: " + "; ".join(s.reasons), s.score, src))
            else:
                decisions.append(Decision(t.trajectory_id, task_id, "rejection_sampling", False,
                                          f"beaten by a better candidate (score {s.score:.3f})", s.score, src))
    return kept, decisions


def difficulty_tags(stats: dict) -> list[str]:
    """``files:N hunks:N lines:N chain:N [fail_to_pass:N] level:easy|medium|hard`` — level counts how
    many of files ≥ 3, hunks ≥ 5, lines ≥ 100, chain ≥ 3, FAIL_TO_PASS tests ≥ 5 (executed) hold
    (0 easy, 1–2 medium, ≥ 3 hard)."""
    f, h, ln, ch = (int(stats.get(k, 0)) for k in ("files", "hunks", "lines", "chain_length"))
    f2p = int(stats.get("fail_to_pass", 0))
    points = (f >= 3) + (h >= 5) + (ln >= 100) + (ch >= 3) + (f2p >= 5)
    level = "easy" if points == 0 else "medium" if points <= 2 else "hard"
    tags = [f"files:{f}", f"hunks:{h}", f"lines:{ln}", f"chain:{ch}"]
    if stats.get("verified"):
        tags.append(f"fail_to_pass:{f2p}")
    return tags + [f"level:{level}"]


def swe_master_filter(task_ids: list[str], pass_rates: dict[str, tuple[int, int]]) -> dict[str, tuple[bool, str]]:
    """SWE-Master: drop tasks every rollout solves (all-pass) or none does (all-fail).

    ``pass_rates`` maps task id → (passes, rollouts); tasks without one are kept."""
    out = {}
    for tid in task_ids:
        if tid not in pass_rates:
            out[tid] = (True, "not applied: needs agent-rollout pass rates (pass_rates_path); "
                              "execution verification gates the task instead")
            continue
        passes, rollouts = pass_rates[tid]
        if rollouts <= 0 or not 0 <= passes <= rollouts:
            out[tid] = (False, f"invalid pass rate {passes}/{rollouts}")
        elif passes == rollouts:
            out[tid] = (False, f"all-pass ({passes}/{rollouts}): too easy to teach anything")
        elif passes == 0:
            out[tid] = (False, f"all-fail (0/{rollouts}): no rollout solves it")
        else:
            out[tid] = (True, f"pass rate {passes}/{rollouts}")
    return out
