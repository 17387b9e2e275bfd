"""Reading the GitHub branch's output back: PR chains from the warehouse, the local clone's path,
and the trajectory tables this branch wrote (for the downstream steps)."""
from __future__ import annotations

import json
from pathlib import Path

from ops.github.records import PRChain, RepoSnapshot
from ops.trajectories.replay import Trajectory


def load_chains(repo: str, path: Path | None = None) -> list[PRChain]:
    """``github_pr_chains`` + ``github_pr_chain_edges`` rows of ``repo`` as ``PRChain``s."""
    from warehouse.readers import read_sql

    chains = read_sql("SELECT chain_id, pr_numbers, span_days, files_touched FROM github_pr_chains "
                      "WHERE repo = ? ORDER BY chain_id", [repo], path=path).to_dicts()
    edges = read_sql("SELECT chain_id, position, from_pr, to_pr, reason FROM github_pr_chain_edges "
                     "WHERE repo = ? ORDER BY chain_id, position", [repo], path=path).to_dicts()
    by_chain: dict[str, list] = {}
    for e in edges:
        by_chain.setdefault(e["chain_id"], []).append((int(e["from_pr"]), int(e["to_pr"]), e["reason"]))
    return [PRChain(repo=repo, chain_id=c["chain_id"], pr_numbers=[int(n) for n in c["pr_numbers"]],
                    edges=by_chain.get(c["chain_id"], []), span_days=float(c["span_days"] or 0.0),
                    files_touched=list(c["files_touched"] or [])) for c in chains]


def clone_path(snapshot: RepoSnapshot) -> Path | None:
    """The local clone holding the repository's history (file contents at a commit come from it)."""
    url = snapshot.repository.url
    if url and Path(url).is_dir():
        return Path(url)
    try:
        from ops.github.repo_list import find_spec

        spec = find_spec(snapshot.repo)
        if getattr(spec, "path", None) and Path(spec.path).is_dir():
            return Path(spec.path)
    except KeyError:
        pass
    return None


def trajectory_from_row(row: dict) -> Trajectory:
    """A ``trajectories`` table row back into a ``Trajectory``."""
    return Trajectory(
        trajectory_id=row["trajectory_id"], task_id=row["task_id"], kind=row["kind"], repo=row["repo"],
        source_keys=list(row["pr_keys"]), messages=json.loads(row["messages_json"]),
        observation_kinds=json.loads(row["observation_kinds_json"]), generator=row["generator"],
        stats={k: row[k] for k in ("files", "hunks", "lines", "chain_length")} | {
            "self_corrections": row["n_self_corrections"]},
        notes=list(row["notes"] or []), candidate=int(row["trajectory_id"].rsplit("cand", 1)[1]))
