"""The two asset checks' logic: the task leak check (threshold) and the contamination re-scan of
the exported files (blocking). Each returns ``(passed, metadata)``."""
from __future__ import annotations

import argparse
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
    in the export's manifest; any hit (PR id, task-text or edit/patch near duplicate) fails."""
    manifest_path = export_dir / "manifest.json"
    if not manifest_path.exists():
        return False, {"error": f"no export manifest at {manifest_path}"}
    manifest = json.loads(manifest_path.read_text())
    eval_sets = [load_eval_set(p) for p in manifest["eval_sets"]]
    from ops.trajectories.build import edit_text_of

    ids, texts, keys, edits = [], [], [], []
    for name in ("train", "heldout"):
        f = export_dir / f"{name}.jsonl"
        for line in (f.read_text(encoding="utf-8").splitlines() if f.exists() else []):
            row = json.loads(line)
            ids.append(row["id"])
            texts.append(next((m["content"] for m in row["messages"] if m["role"] == "user"), ""))
            keys.append(row["source_keys"])
            edits.append(edit_text_of(argparse.Namespace(messages=row["messages"])))
    hits = contamination_hits(ids, texts, keys, eval_sets, manifest["contamination_threshold"])
    patch_sets = [es.patch_set() for es in eval_sets if es.patches]
    if patch_sets:
        hits += contamination_hits(ids, edits, [[] for _ in ids], patch_sets, manifest["contamination_threshold"])
    return not hits, {
        "exported": len(ids), "eval_sets": len(eval_sets), "contaminated": len(hits),
        "hits": "; ".join(f"{h.item_id} ({h.eval_set}: {h.reason})" for h in hits[:10]) or "(none)",
    }


def verification_check(db_path: Path, repo: str | None) -> tuple[bool, dict]:
    """Independent of the labelling code: from the stored per-test outcomes, every FAIL_TO_PASS
    test of a verified task is not passed in each ``before`` run and passed in each ``after`` run
    (at least two of each), and a verified task has no test that passed in every before run and
    failed in an after run."""
    from warehouse.readers import read_sql

    where, params = "v.status = 'verified' AND v.asset_key = 'verified_tasks'", []
    if repo:
        where, params = where + " AND v.repo = ?", [repo]
    n_verified = read_sql(f"SELECT count(*) AS n FROM task_validations v WHERE {where}", params,
                          path=db_path)["n"][0]
    bad = read_sql(f"""
        WITH f2p AS (SELECT v.task_id, unnest(v.fail_to_pass) AS test_id FROM task_validations v WHERE {where}),
        per AS (
            SELECT f.task_id, f.test_id,
                   count(*) FILTER (WHERE r.phase = 'before') AS n_before,
                   count(*) FILTER (WHERE r.phase = 'before' AND r.outcome = 'passed') AS before_passed,
                   count(*) FILTER (WHERE r.phase = 'after') AS n_after,
                   count(*) FILTER (WHERE r.phase = 'after' AND r.outcome = 'passed') AS after_passed
            FROM f2p f LEFT JOIN task_test_results r ON r.task_id = f.task_id AND r.test_id = f.test_id
            GROUP BY 1, 2)
        SELECT task_id, test_id, n_before, before_passed, n_after, after_passed FROM per
        WHERE before_passed > 0 OR n_after < 2 OR after_passed < n_after ORDER BY 1, 2""", params, path=db_path)
    regress = read_sql(f"""
        SELECT r.task_id, r.test_id FROM task_test_results r JOIN task_validations v USING (task_id)
        WHERE {where} AND r.phase IN ('before', 'after') GROUP BY 1, 2
        HAVING bool_and(r.outcome = 'passed') FILTER (WHERE r.phase = 'before')
           AND bool_or(r.outcome IN ('failed', 'error')) FILTER (WHERE r.phase = 'after')""", params, path=db_path)
    return bad.height == 0 and regress.height == 0, {
        "verified_tasks": int(n_verified), "fail_to_pass_violations": bad.height, "regressions": regress.height,
        "examples": "; ".join(f"{r['task_id']} {r['test_id']}" for r in (bad.to_dicts() + regress.to_dicts())[:5])
        or "(none)",
    }
