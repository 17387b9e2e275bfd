"""The dataset step: all repositories' kept trajectories → near-duplicate removal →
decontamination → export, plus a ``manifest.json`` recording which evaluation sets and thresholds
the export was checked against (the blocking contamination check re-reads it)."""
from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

from ops.trajectories.build import GateConfig, filter_dataset
from ops.trajectories.export import export_dataset
from ops.trajectories.near_dup import load_eval_set
from ops.trajectories.sources import trajectory_from_row


def export_with_manifest(db_path: Path, out_dir: Path, eval_set_paths: list[str], dedup_threshold: float = 0.8,
                         contamination_threshold: float = 0.5, drop_contaminated: bool = True,
                         heldout_fraction: float = 0.2) -> dict:
    """Returns rows for ``trajectory_dataset`` and ``trajectory_decisions``, counts, the split unit
    and a data version (hash of the exported ids and splits)."""
    from warehouse.readers import read_sql

    frame = read_sql("SELECT * FROM trajectories WHERE asset_key = 'agent_trajectories' "
                     "ORDER BY repo, trajectory_id", path=db_path)
    items = [trajectory_from_row(r) for r in frame.to_dicts()]
    tags = {r["trajectory_id"]: list(r["tags"] or []) for r in frame.to_dicts()}
    eval_sets = [load_eval_set(p) for p in eval_set_paths]
    cfg = GateConfig(dedup_threshold=dedup_threshold, contamination_threshold=contamination_threshold)
    kept, decisions = filter_dataset(items, eval_sets, cfg, drop_contaminated)
    for old in out_dir.glob("*"):  # a re-run replaces the export, never appends to it
        if old.is_file():
            old.unlink()
    res = export_dataset(kept, out_dir, tags, heldout_fraction)
    manifest = {"eval_sets": [str(Path(p).resolve()) for p in eval_set_paths],
                "contamination_threshold": contamination_threshold, "drop_contaminated": drop_contaminated,
                "counts": res.counts, "split_unit": res.split_unit}
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1))
    split = {}
    for name in ("train", "heldout"):
        for line in res.files[f"{name}_jsonl"].read_text(encoding="utf-8").splitlines():
            split[json.loads(line)["id"]] = name
    rows = [{"trajectory_id": t.trajectory_id, "task_id": t.task_id, "repo": t.repo, "pr_keys": t.source_keys,
             "split": split[t.trajectory_id], "split_unit": res.split_unit, "export_dir": str(out_dir),
             "source_key": ",".join(t.source_keys)} for t in kept]
    version = hashlib.sha256(json.dumps(sorted(split.items())).encode()).hexdigest()[:16]
    return {
        "rows": rows, "counts": res.counts, "split_unit": res.split_unit, "out_dir": out_dir,
        "decisions": [dict(dataclasses.asdict(d), source_key=d.source_key or d.task_id) for d in decisions],
        "n_input": len(items), "n_dup": sum(d.gate == "dedup" for d in decisions),
        "n_contaminated": sum(d.gate == "contamination" and d.reason != "clean" for d in decisions),
        "data_version": version,
    }
