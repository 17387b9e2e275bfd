"""Rows this branch writes and reads back: task statements, trajectories, pass rates."""
from __future__ import annotations

import json
from pathlib import Path

from ops.trajectories.task_synthesis import TaskStatement


def load_tasks(repo: str, path: Path | None = None) -> list[TaskStatement]:
    """The ``trajectory_tasks`` rows of ``repo`` (written by the ``trajectory_tasks`` asset)."""
    from warehouse.readers import read_sql

    frame = read_sql("SELECT task_id, kind, repo, pr_keys, task_text, generator, leak_score, leak_detail "
                     "FROM trajectory_tasks WHERE repo = ? AND asset_key = 'trajectory_tasks' "
                     "ORDER BY kind DESC, task_id", [repo], path=path)
    return [TaskStatement(r["task_id"], r["kind"], r["repo"], list(r["pr_keys"]), r["task_text"], r["generator"],
                          float(r["leak_score"]), r["leak_detail"]) for r in frame.to_dicts()]


def load_pass_rates(path: str | Path) -> dict[str, tuple[int, int]]:
    """JSONL ``{"task_id": ..., "passes": int, "rollouts": int}`` → {task_id: (passes, rollouts)}."""
    out = {}
    for i, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            out[str(row["task_id"])] = (int(row["passes"]), int(row["rollouts"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{i}: expected {{task_id, passes, rollouts}} ({exc})") from exc
    return out


def trajectory_rows(built) -> list[dict]:
    """``trajectories`` table rows for the kept trajectories of a ``TrajectoryBuild``."""
    scores = {d.item_id: d.score for d in built.decisions if d.gate == "rejection_sampling"}
    rows = []
    for t in built.kept:
        kinds = list(t.observation_kinds.values())
        tags = built.difficulty.get(t.trajectory_id, [])
        rows.append({
            "trajectory_id": t.trajectory_id, "task_id": t.task_id, "kind": t.kind, "repo": t.repo,
            "pr_keys": list(t.source_keys), "generator": t.generator, "score": scores.get(t.trajectory_id),
            "thought_generators": list(t.thought_generators),
            "n_messages": len(t.messages), "n_tool_calls": len(kinds),
            "n_self_corrections": int(t.stats.get("self_corrections", 0)),
            "n_real_observations": kinds.count("real"), "n_replayed_observations": kinds.count("replayed"),
            "n_synthetic_observations": kinds.count("synthetic"),
            "files": int(t.stats.get("files", 0)), "hunks": int(t.stats.get("hunks", 0)),
            "lines": int(t.stats.get("lines", 0)), "chain_length": int(t.stats.get("chain_length", 1)),
            "difficulty": next((x.split(":", 1)[1] for x in tags if x.startswith("level:")), ""),
            "tags": tags, "notes": list(t.notes),
            "messages_json": json.dumps(t.messages, ensure_ascii=False),
            "observation_kinds_json": json.dumps(t.observation_kinds, sort_keys=True),
            "source_key": ",".join(t.source_keys),
        })
    return rows


def load_validations(repo: str, path: Path | None = None) -> dict[str, dict] | None:
    """``task_validations`` rows of ``repo`` by PR key; None when the repository was never
    validated (then tasks and scores fall back to the unexecuted behaviour)."""
    from warehouse.readers import read_sql

    frame = read_sql("SELECT * FROM task_validations WHERE repo = ? AND asset_key = 'verified_tasks'", [repo],
                     path=path)
    if frame.height == 0:
        return None
    return {r["task_id"]: r for r in frame.to_dicts()}
