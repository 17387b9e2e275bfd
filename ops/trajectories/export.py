"""Export: JSONL and Parquet that ``datasets.load_dataset`` and TRL's ``SFTTrainer`` load directly,
with a train/held-out split by repository.

Files in ``out_dir``: ``train.jsonl``, ``heldout.jsonl``, ``train.parquet``, ``heldout.parquet``,
``tools.json`` (the tool schema). Columns: ``id``, ``messages`` (OpenAI chat format; every message
has ``role``, ``content``, ``tool_calls`` (list or null; ``arguments`` is a JSON string),
``tool_call_id`` and ``name``), ``tools_json`` (the schema as a JSON string: a ``tools`` column
would be handed to chat templates), ``task_id``, ``kind`` (pr|chain), ``repo``, ``source_keys``,
``generator``, ``difficulty``, ``observation_kinds_json``, ``split``.

Split: with ≥ 2 repositories, whole repositories are held out (chosen by hash, about
``heldout_fraction`` of the items, at least one repository each side). With one repository a split
by repository is impossible, so connected components of items sharing a PR are held out instead
(``split_unit = "pr_component"``): no PR's data is on both sides either way.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

from ops.trajectories.replay import Trajectory
from ops.trajectories.tool_schema import TOOLS

MESSAGE_KEYS = ("role", "content", "tool_calls", "tool_call_id", "name")


def _h(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _normalise(m: dict) -> dict:
    return {k: m.get(k) for k in MESSAGE_KEYS} | {"content": m.get("content") or ""}


def assign_splits(items: list[Trajectory], heldout_fraction: float = 0.2) -> tuple[dict[str, str], str]:
    """{trajectory_id: "train"|"heldout"} and the split unit ("repository" or "pr_component")."""
    if not items:
        return {}, "repository"
    repos = sorted({t.repo for t in items})
    if len(repos) >= 2:
        units = {r: [t for t in items if t.repo == r] for r in repos}
        unit_name = "repository"
    else:  # union-find over shared source PRs
        parent: dict[str, str] = {}

        def find(x):
            while parent.setdefault(x, x) != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for t in items:
            for k in t.source_keys[1:]:
                parent[find(k)] = find(t.source_keys[0])
        units = {}
        for t in items:
            units.setdefault(find(t.source_keys[0]), []).append(t)
        unit_name = "pr_component"
    order = sorted(units, key=_h)
    target = heldout_fraction * len(items)
    held: set[str] = set()
    count = 0
    for u in order:  # hash order; take a unit when it brings the held-out size closer to the target
        size = len(units[u])
        if abs(count + size - target) < abs(count - target) and len(held) < len(units) - 1:
            held.add(u)
            count += size
    if not held and len(units) > 1:
        held.add(min(order, key=lambda u: len(units[u])))
    split = {t.trajectory_id: ("heldout" if u in held else "train") for u, ts in units.items() for t in ts}
    return split, unit_name


@dataclasses.dataclass
class ExportResult:
    out_dir: Path
    files: dict[str, Path]
    counts: dict[str, int]
    split_unit: str


def export_dataset(items: list[Trajectory], out_dir: Path, difficulty: dict[str, list[str]] | None = None,
                   heldout_fraction: float = 0.2) -> ExportResult:
    """Write the files listed in the module doc; returns their paths and per-split row counts."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out_dir.mkdir(parents=True, exist_ok=True)
    split, unit = assign_splits(items, heldout_fraction)
    tools_json = json.dumps(TOOLS, sort_keys=True)
    rows = {"train": [], "heldout": []}
    for t in sorted(items, key=lambda t: t.trajectory_id):
        rows[split[t.trajectory_id]].append({
            "id": t.trajectory_id, "messages": [_normalise(m) for m in t.messages], "tools_json": tools_json,
            "task_id": t.task_id, "kind": t.kind, "repo": t.repo, "source_keys": list(t.source_keys),
            "generator": t.generator, "difficulty": list((difficulty or {}).get(t.trajectory_id, [])),
            "observation_kinds_json": json.dumps(t.observation_kinds, sort_keys=True),
            "split": split[t.trajectory_id],
        })
    files = {"tools": out_dir / "tools.json"}
    files["tools"].write_text(json.dumps(TOOLS, indent=1))
    for name, rs in rows.items():
        jl = out_dir / f"{name}.jsonl"
        with jl.open("w", encoding="utf-8") as fh:
            for r in rs:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        files[f"{name}_jsonl"] = jl
        pqp = out_dir / f"{name}.parquet"
        if rs:
            pq.write_table(pa.Table.from_pylist(rs), pqp)
        elif pqp.exists():
            pqp.unlink()
        files[f"{name}_parquet"] = pqp
    return ExportResult(out_dir, files, {k: len(v) for k, v in rows.items()}, unit)
