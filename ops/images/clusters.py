"""Duplicate clusters (union-find over matched pairs) and one decision per benchmark image.

Decisions (``decision``, ``reason``):
- ``remove`` / ``copy_of_reference``: the image matches a reference-corpus image.
- ``remove`` / ``near_copy_of_reference``: no direct reference match, but its cluster holds one
  (it matches a benchmark image that copies the reference).
- ``remove`` / ``duplicate_in_benchmark``: a benchmark-only cluster; another member is kept.
- ``keep`` / ``cluster_representative``: the kept member of a benchmark-only cluster (largest
  pixel count, then smallest id — the least degraded copy).
- ``keep`` / ``unique``: no match at the threshold.
- ``quarantined`` / <load reason>: the file could not be read (see the quarantine table)."""
from __future__ import annotations

import dataclasses
from typing import Iterable


class UnionFind:
    def __init__(self):
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:  # path compression
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # deterministic: the smaller key becomes the root, so cluster ids are stable across runs
            lo, hi = sorted((ra, rb))
            self.parent[hi] = lo


@dataclasses.dataclass
class Decision:
    image_id: str
    cluster_id: str         # the cluster's smallest member key ('' when unique)
    decision: str           # keep | remove | quarantined
    reason: str
    matched_id: str         # the strongest match (reference id or kept benchmark id), '' if none
    score: float | None


def decide(benchmark_ids: Iterable[str], pixels: dict[str, int],
           pairs: Iterable[tuple],
           quarantined: dict[str, str] | None = None) -> list[Decision]:
    """``pairs``: (benchmark id, other id, score, other role 'reference'|'benchmark'[, linked]), all
    above the threshold. ``linked`` (default True) False: an unverified pair (no geometric
    evidence) — it can make a benchmark image a direct copy of a reference, but it joins no
    cluster and links no two benchmark images. Reference ids are namespaced as ``ref:<id>`` inside
    the union-find so a benchmark and a reference image with the same name never merge by
    accident."""
    uf = UnionFind()
    best: dict[str, tuple[float, str, str]] = {}
    best_ref: dict[str, tuple[float, str]] = {}
    key = lambda i, role: f"ref:{i}" if role == "reference" else f"bench:{i}"  # noqa: E731
    for item in pairs:
        q, other, score, role = item[:4]
        linked = item[4] if len(item) > 4 else True
        if not linked:
            if role == "reference":
                uf.find(key(q, "benchmark"))  # a node of its own: a direct copy, nobody else's
                if q not in best_ref or score > best_ref[q][0]:
                    best_ref[q] = (score, other)
                if q not in best or score > best[q][0]:
                    best[q] = (score, other, role)
            continue
        uf.union(key(q, "benchmark"), key(other, role))
        if role == "reference" and (q not in best_ref or score > best_ref[q][0]):
            best_ref[q] = (score, other)
        for a, b in ((q, (other, role)), ((other if role == "benchmark" else None), (q, "benchmark"))):
            if a is not None and (a not in best or score > best[a][0]):
                best[a] = (score, b[0], b[1])
    members: dict[str, list[str]] = {}
    for node in list(uf.parent):
        members.setdefault(uf.find(node), []).append(node)
    decisions = []
    for image_id in sorted(benchmark_ids):
        if quarantined and image_id in quarantined:
            decisions.append(Decision(image_id, "", "quarantined", quarantined[image_id], "", None))
            continue
        node = key(image_id, "benchmark")
        if node not in uf.parent:
            decisions.append(Decision(image_id, "", "keep", "unique", "", None))
            continue
        root = uf.find(node)
        group = members[root]
        score, matched, _ = best.get(image_id, (None, "", ""))
        refs = sorted(m for m in group if m.startswith("ref:"))
        if image_id in best_ref:
            ref_score, ref = best_ref[image_id]
            decisions.append(Decision(image_id, root, "remove", "copy_of_reference", ref, ref_score))
            continue
        if refs:
            decisions.append(Decision(image_id, root, "remove", "near_copy_of_reference", matched, score))
            continue
        bench = [m.removeprefix("bench:") for m in group]
        keeper = min(bench, key=lambda i: (-pixels.get(i, 0), i))
        if image_id == keeper:
            decisions.append(Decision(image_id, root, "keep", "cluster_representative", matched, score))
        else:
            decisions.append(Decision(image_id, root, "remove", "duplicate_in_benchmark", keeper, score))
    return decisions
