"""The two asset checks' logic: the task leak check (threshold) and the contamination re-scan of
the exported files (blocking). Each returns ``(passed, metadata)``."""
from __future__ import annotations

import json
from pathlib import Path

from ops.trajectories.near_dup import contamination_hits, load_eval_set


def leak_check(db_path: Path, repo: str | None, threshold: float, max_share: float) -> tuple[bool, dict]:
    """Passes when the share of tasks with ``leak_score > threshold`` is ≤ ``max_share``."""
    from warehouse.readers import read_sql

    where, params = ("WHERE asset_key = 'trajectory_tasks'", [])
    if repo:
        where, params = where + " AND repo = ?", [repo]
    frame = read_sql(f"SELECT task_id, leak_score FROM trajectory_tasks {where} ORDER BY leak_score DESC",
                     params, path=db_path)
    n = frame.height
    leaking = [r for r in frame.to_dicts() if r["leak_score"] > threshold]
    share = len(leaking) / n if n else 0.0
    return share <= max_share, {
        "tasks": n, "leaking_tasks": len(leaking), "leaking_share": share, "threshold": threshold,
        "max_share": max_share, "max_leak_score": float(frame["leak_score"][0]) if n else 0.0,
        "worst": ", ".join(r["task_id"] for r in leaking[:10]) or "(none)",
    }


def contamination_check(export_dir: Path) -> tuple[bool, dict]:
    """Re-scan every exported trajectory (train and held-out) against the evaluation sets named
    in the export's manifest; any hit (PR id or task-text near duplicate) fails."""
    manifest_path = export_dir / "manifest.json"
    if not manifest_path.exists():
        return False, {"error": f"no export manifest at {manifest_path}"}
    manifest = json.loads(manifest_path.read_text())
    eval_sets = [load_eval_set(p) for p in manifest["eval_sets"]]
    ids, texts, keys = [], [], []
    for name in ("train", "heldout"):
        f = export_dir / f"{name}.jsonl"
        for line in (f.read_text(encoding="utf-8").splitlines() if f.exists() else []):
            row = json.loads(line)
            ids.append(row["id"])
            texts.append(next((m["content"] for m in row["messages"] if m["role"] == "user"), ""))
            keys.append(row["source_keys"])
    hits = contamination_hits(ids, texts, keys, eval_sets, manifest["contamination_threshold"])
    return not hits, {
        "exported": len(ids), "eval_sets": len(eval_sets), "contaminated": len(hits),
        "hits": "; ".join(f"{h.item_id} ({h.eval_set}: {h.reason})" for h in hits[:10]) or "(none)",
    }
