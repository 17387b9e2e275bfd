"""Sub-quadratic candidate generation for local descriptors (issue #14): one aggregated global
vector per image view in a FAISS index shortlists the top-k reference candidates of each query;
keypoints (``ops.images.matching``) then verify only the shortlisted pairs.

Aggregation is VLAD (Jégou et al. 2010) over the image's RootSIFT keypoints: a small k-means
codebook trained on a sample of the reference keypoints, the residuals of each keypoint to its
nearest centroid summed per centroid, signed square root (power normalisation), per-centroid L2
(intra-normalisation, Arandjelović & Zisserman 2013), then global L2, so the inner product is a
cosine. Each image is described once: the global vectors are computed from the keypoint rows
already in the descriptor shards."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Iterable

import numpy as np

from ops.images.store import DescriptorBlock, read_blocks


@dataclasses.dataclass
class KeypointStore:
    """Every image's keypoints of one view, in memory as float16 (half the float32 size):
    ``vectors[start[i]:start[i] + count[i]]`` are image ``ids[i]``'s rows."""
    ids: list[str]
    start: np.ndarray
    count: np.ndarray
    vectors: np.ndarray      # (n, d) float16
    xy: np.ndarray           # (n, 2) float32
    row: dict = dataclasses.field(default_factory=dict)   # image id → index into ids

    def features(self, image_id: str) -> tuple[np.ndarray, np.ndarray]:
        i = self.row[image_id]
        s, n = self.start[i], self.count[i]
        return self.vectors[s:s + n], self.xy[s:s + n]


def group_rows(image_ids: np.ndarray, views: np.ndarray) -> list[tuple[str, str, int, int]]:
    """(image id, view, first row, end row) of each contiguous run of rows in a shard."""
    if not len(image_ids):
        return []
    key = np.array([f"{i}\x00{v}" for i, v in zip(image_ids, views)], dtype=object)
    cut = np.nonzero(key[1:] != key[:-1])[0] + 1
    bounds = np.concatenate([[0], cut, [len(key)]])
    return [(str(image_ids[a]), str(views[a]), int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]


def load_keypoints(folder: Path, view: str = "orig") -> KeypointStore:
    ids, counts, vecs, xys = [], [], [], []
    for b in read_blocks(folder):
        for image_id, v, a, e in group_rows(b.image_ids, b.views):
            if v != view:
                continue
            ids.append(image_id); counts.append(e - a)
            vecs.append(b.vectors[a:e].astype(np.float16)); xys.append(b.xy[a:e])
    count = np.array(counts, np.int64)
    start = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64) if len(count) else count
    dim = vecs[0].shape[1] if vecs else 128
    return KeypointStore(ids, start, count,
                         np.concatenate(vecs) if vecs else np.zeros((0, dim), np.float16),
                         np.concatenate(xys) if xys else np.zeros((0, 2), np.float32),
                         {i: k for k, i in enumerate(ids)})


def train_codebook(vectors: np.ndarray, k: int = 32, sample: int = 100_000, seed: int = 0) -> np.ndarray:
    """(k', d) float32 k-means centroids of a sample of ``vectors`` (k' ≤ k when there are few)."""
    import faiss

    rng = np.random.default_rng(seed)
    x = vectors if len(vectors) <= sample else vectors[np.sort(rng.choice(len(vectors), sample, replace=False))]
    x = np.ascontiguousarray(x, dtype=np.float32)
    k = max(1, min(k, len(x) // 39 or 1))  # FAISS wants ≥ 39 points per centroid
    if len(x) < k:
        raise ValueError("no keypoints to train a codebook on")
    km = faiss.Kmeans(x.shape[1], k, niter=20, seed=seed, verbose=False, spherical=False)
    km.train(x)
    return km.centroids.astype(np.float32)


def vlad(vectors: np.ndarray, groups: list[tuple[int, int]], centroids: np.ndarray) -> np.ndarray:
    """(len(groups), k·d) float32 VLAD vectors of the row ranges ``groups`` of ``vectors``; a group
    without rows gives a zero vector (it shortlists nothing)."""
    k, d = centroids.shape
    out = np.zeros((len(groups), k * d), np.float32)
    if not len(vectors) or not groups:
        return out
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    assign = np.argmax(x @ centroids.T, axis=1)
    owner = np.full(len(x), -1, np.int64)
    for g, (a, e) in enumerate(groups):
        owner[a:e] = g
    keep = owner >= 0
    slot = owner[keep] * k + assign[keep]
    resid = x[keep] - centroids[assign[keep]]
    order = np.argsort(slot, kind="stable")
    slot, resid = slot[order], resid[order]
    if len(slot):
        first = np.concatenate([[0], np.nonzero(np.diff(slot))[0] + 1])
        sums = np.add.reduceat(resid, first, axis=0)
        flat = out.reshape(len(groups) * k, d)
        flat[slot[first]] = sums
    out = np.sign(out) * np.sqrt(np.abs(out))
    per = out.reshape(len(groups), k, d)
    per /= np.maximum(np.linalg.norm(per, axis=2, keepdims=True), 1e-12)
    out = per.reshape(len(groups), k * d)
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
    return np.ascontiguousarray(out, dtype=np.float32)


@dataclasses.dataclass
class GlobalVectors:
    ids: list[str]
    views: list[str]
    vectors: np.ndarray      # (n, k·d) float32, unit rows (zero rows for images without keypoints)


def global_from_store(store: KeypointStore, centroids: np.ndarray, view: str = "orig") -> GlobalVectors:
    groups = [(int(s), int(s + n)) for s, n in zip(store.start, store.count)]
    return GlobalVectors(list(store.ids), [view] * len(store.ids), vlad(store.vectors, groups, centroids))


def global_from_blocks(blocks: Iterable[DescriptorBlock], centroids: np.ndarray) -> GlobalVectors:
    ids, views, vecs = [], [], []
    for b in blocks:
        runs = group_rows(b.image_ids, b.views)
        ids += [r[0] for r in runs]; views += [r[1] for r in runs]
        vecs.append(vlad(b.vectors, [(r[2], r[3]) for r in runs], centroids))
    dim = centroids.size
    return GlobalVectors(ids, views, np.concatenate(vecs) if vecs else np.zeros((0, dim), np.float32))


def search_topk(queries: np.ndarray, refs: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """FAISS exact inner-product top-``k``: (scores, indices), -1 where fewer than k references."""
    import faiss

    index = faiss.IndexFlatIP(refs.shape[1])
    index.add(np.ascontiguousarray(refs, dtype=np.float32))
    return index.search(np.ascontiguousarray(queries, dtype=np.float32), min(k, len(refs)))


@dataclasses.dataclass
class Shortlist:
    """Candidate pairs as parallel arrays (one row per (query, reference) pair, rows of a query
    together, best cosine first): no per-pair Python object is made in the global stage."""
    query_ids: np.ndarray    # (m,) str
    ref_ids: np.ndarray      # (m,) str
    scores: np.ndarray       # (m,) float32 global cosine (best over the query's views)
    views: np.ndarray        # (m,) str, the query view that reached it

    def __len__(self) -> int:
        return len(self.query_ids)

    def by_query(self) -> dict[str, list[str]]:
        """query id → its shortlisted reference ids (for verification, which is per query)."""
        if not len(self):
            return {}
        cut = np.nonzero(self.query_ids[1:] != self.query_ids[:-1])[0] + 1
        bounds = np.concatenate([[0], cut, [len(self)]])
        refs = self.ref_ids.tolist()
        return {str(self.query_ids[a]): refs[a:b] for a, b in zip(bounds[:-1], bounds[1:])}

    def pairs(self) -> set[tuple[str, str]]:
        return set(zip(self.query_ids.tolist(), self.ref_ids.tolist()))


def _empty_shortlist() -> Shortlist:
    return Shortlist(np.array([], str), np.array([], str), np.array([], np.float32), np.array([], str))


def shortlist(q: GlobalVectors, r: GlobalVectors, k: int, exclude_self: bool = False) -> Shortlist:
    """The ``k`` references with the highest cosine over each query's views (its own id left out
    with ``exclude_self``), each with the view that reached it: exactly ≤ k candidates per query,
    k·n pairs, never n·m. One FAISS search, then the views are merged with array sorts (no
    per-image Python loop), so the stage costs what the search costs."""
    if not len(q.ids) or not len(r.ids):
        return _empty_shortlist()
    sims, idx = search_topk(q.vectors, r.vectors, k + 1 if exclude_self else k)
    qnames, rnames = np.asarray(q.ids), np.asarray(r.ids)
    row = np.repeat(np.arange(len(qnames)), idx.shape[1])
    j, s = idx.ravel(), sims.ravel()
    ok = j >= 0
    if exclude_self:
        ok &= rnames[np.maximum(j, 0)] != qnames[row]
    row, j, s = row[ok], j[ok], s[ok]
    _, qcode = np.unique(qnames, return_inverse=True)
    qc = qcode.ravel()[row]
    # best view per (query, reference): sort by query, reference, score descending; keep the first
    o = np.lexsort((-s, j, qc))
    row, j, s, qc = row[o], j[o], s[o], qc[o]
    first = np.ones(len(o), bool)
    first[1:] = (qc[1:] != qc[:-1]) | (j[1:] != j[:-1])
    row, j, s, qc = row[first], j[first], s[first], qc[first]
    # top k per query by score, ties by reference id
    rrank = np.empty(len(rnames), np.int64)
    rrank[np.argsort(rnames, kind="stable")] = np.arange(len(rnames))
    o = np.lexsort((rrank[j], -s, qc))
    row, j, s, qc = row[o], j[o], s[o], qc[o]
    start = np.ones(len(o), bool)
    start[1:] = qc[1:] != qc[:-1]
    pos = np.arange(len(o)) - np.maximum.accumulate(np.where(start, np.arange(len(o)), 0))
    keep = pos < k
    return Shortlist(qnames[row[keep]], rnames[j[keep]], s[keep].astype(np.float32),
                     np.asarray(q.views)[row[keep]])


def thumbnail_pairs(query_dir: Path, ref_dir: Path, floor: float, exclude_self: bool,
                    k: int | None = None) -> dict[tuple[str, str], float]:
    """(query id, reference id) → grey-thumbnail cosine for pairs ≥ ``floor`` (FAISS range search
    over the 256-d thumbnails: a global descriptor too, cheap at any size here). ``k``: keep only
    each query's ``k`` best references (a set framed in one template has near-identical
    thumbnails: without a cap its pairs, and the keypoint verification of them, grow as n²)."""
    from kernels.similarity import range_search_blocks
    from ops.images.store import read_all

    qt = read_all(query_dir, "thumbs")
    if not len(qt.vectors):
        return {}
    ref_ids = [b.image_ids for b in read_blocks(ref_dir, "thumbs")]
    if not ref_ids:
        return {}
    ref_ids = np.concatenate(ref_ids)

    def blocks():
        offset = 0
        for b in read_blocks(ref_dir, "thumbs"):
            yield offset, b.vectors
            offset += len(b.vectors)

    qi, ri, sims = range_search_blocks(qt.vectors, blocks(), floor, index="flat")
    qi, ri, sims = np.asarray(qi, np.int64), np.asarray(ri, np.int64), np.minimum(np.asarray(sims, np.float64), 1.0)
    qids, rids = np.asarray(qt.image_ids, dtype=str)[qi], np.asarray(ref_ids, dtype=str)[ri]
    keep = qids != rids if exclude_self else np.ones(len(qi), bool)
    qids, rids, sims = qids[keep], rids[keep], sims[keep]
    # best view per (query, reference), then (with k) each query's k best references
    o = np.lexsort((-sims, rids, qids))
    qids, rids, sims = qids[o], rids[o], sims[o]
    first = np.ones(len(o), bool)
    first[1:] = (qids[1:] != qids[:-1]) | (rids[1:] != rids[:-1])
    qids, rids, sims = qids[first], rids[first], sims[first]
    if k is not None:
        o = np.lexsort((rids, -sims, qids))
        qids, rids, sims = qids[o], rids[o], sims[o]
        start = np.ones(len(o), bool)
        start[1:] = qids[1:] != qids[:-1]
        pos = np.arange(len(o)) - np.maximum.accumulate(np.where(start, np.arange(len(o)), 0))
        qids, rids, sims = qids[pos < k], rids[pos < k], sims[pos < k]
    return dict(zip(zip(qids.tolist(), rids.tolist()), sims.tolist()))


def _top2(q: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(best similarity, its column, second-best similarity) of every row of ``q`` against ``r``."""
    sims = q @ r.T
    rows = np.arange(len(q))
    i1 = sims.argmax(axis=1)
    s1 = sims[rows, i1].copy()
    sims[rows, i1] = -np.inf
    return s1, i1, sims.max(axis=1)


def verify_candidates(views: dict[str, tuple[np.ndarray, np.ndarray]], candidates: list[str],
                      store: KeypointStore, cfg) -> dict[str, tuple[int, tuple | None, str]]:
    """Keypoint verification of one query against its shortlisted references: 2-NN of every query
    keypoint over the candidates' keypoints together, Lowe's ratio test across them (a keypoint
    that matches several candidates about equally votes for none), votes grouped by candidate,
    RANSAC (``matching._verify_model``) on candidates with ≥ ``cfg.min_matches`` votes. Every
    candidate is tried in every view (the global cosine cannot tell a flipped copy from a
    look-alike). When the views are one keypoint set (the mirrored view derived row by row), the
    ratio test is taken over both views at once: a keypoint whose mirror matches another
    candidate about as well — a template shared by both in mirrored form — votes for none.
    Returns reference id → (inliers, affine, view) of the best view."""
    from ops.images.matching import ratio_test

    best: dict[str, tuple[int, tuple | None, str]] = {}
    cands = [c for c in candidates if c in store.row and store.count[store.row[c]] > 0]
    if not cands:
        return best
    feats = [store.features(c) for c in cands]
    allv = np.concatenate([f[0] for f in feats]).astype(np.float32)
    allxy = np.concatenate([f[1] for f in feats])
    owner = np.concatenate([np.full(len(f[0]), i) for i, f in enumerate(feats)])
    if len(allv) < 2:
        return best
    usable = {v: (np.ascontiguousarray(qv, dtype=np.float32), qxy) for v, (qv, qxy) in views.items()
              if len(qv) >= cfg.min_matches}
    top = {v: _top2(qv, allv) for v, (qv, _) in usable.items()}
    if len(top) == 2 and len({len(qv) for qv, _ in usable.values()}) == 1:
        (va, (a1, ai, a2)), (vb, (b1, bi, b2)) = top.items()
        a_wins = a1 >= b1  # the best of the two views, and the second best over both
        s1 = np.where(a_wins, a1, b1)
        s2 = np.where(a_wins, np.maximum(a2, b1), np.maximum(b2, a1))
        votes = [(va, a_wins), (vb, ~a_wins)]
        passed = ratio_test(s1, s2, cfg)
        groups = [(v, np.nonzero(passed & mask)[0]) for v, mask in votes]
    else:
        groups = [(v, np.nonzero(ratio_test(s1, s2, cfg))[0]) for v, (s1, _, s2) in top.items()]
    for view, rows in groups:
        if len(rows) < cfg.min_matches:
            continue
        qxy, i1 = usable[view][1], top[view][1]
        _ransac_by_candidate(rows, owner[i1[rows]], qxy, allxy[i1], cands, view, cfg, best)
    return best


def _ransac_by_candidate(rows: np.ndarray, who: np.ndarray, qxy: np.ndarray, matched_xy: np.ndarray,
                         cands: list[str], view: str, cfg, best: dict) -> None:
    """RANSAC on each candidate's votes (≥ ``cfg.min_matches``); ``best`` keeps each candidate's
    highest inlier count over views."""
    from ops.images.matching import _verify_model

    for c in np.unique(who):
        sel = rows[who == c]
        if len(sel) < cfg.min_matches:
            continue
        n, model = _verify_model(qxy[sel], matched_xy[sel], cfg.ransac_px)
        if n > best.get(cands[c], (0,))[0]:
            best[cands[c]] = (n, model, view)


@dataclasses.dataclass
class ShortlistIndex:
    """A reference side ready for shortlisting: its keypoints (float16, in memory) and one VLAD
    vector per image, under a codebook trained on its own keypoints (or given)."""
    store: KeypointStore
    centroids: np.ndarray
    refs: GlobalVectors

    @classmethod
    def build(cls, ref_dir: Path, centroids: np.ndarray | None = None, codebook_k: int = 64,
              seed: int = 0) -> "ShortlistIndex":
        store = load_keypoints(ref_dir)
        if centroids is None:
            centroids = train_codebook(store.vectors, codebook_k, seed=seed)
        return cls(store, centroids, global_from_store(store, centroids))


def query_globals(query_dir: Path, centroids: np.ndarray) -> GlobalVectors:
    return global_from_blocks(read_blocks(query_dir), centroids)


_VERIFY: dict = {}  # what forked verification workers read (set by match_shortlisted)


def _verify_shard(paths: list[Path]) -> dict:
    """Verified pairs of the query shards ``paths`` against their shortlists (``_VERIFY``), with
    BLAS on one thread: the per-query products are small, and a second BLAS thread only spins.
    A grey-thumbnail pair (``_VERIFY['thumbs']``) whose inliers stay below the floor comes back
    as a Pair with no inliers but with its RANSAC affine: the appearance check then aligns it by
    its keypoints instead of frame to frame (a padded or cropped copy is not frame-aligned)."""
    from threadpoolctl import threadpool_limits

    from ops.images.matching import Pair, inlier_score

    cands, store, cfg, floor = _VERIFY["cands"], _VERIFY["store"], _VERIFY["cfg"], _VERIFY["floor"]
    thumbs = _VERIFY.get("thumbs", {})
    found = {}
    with threadpool_limits(1):
        for b in read_blocks(None, paths=paths):
            per_image: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
            for image_id, view, a, e in group_rows(b.image_ids, b.views):
                per_image.setdefault(image_id, {})[view] = (b.vectors[a:e], b.xy[a:e])
            for qid, views in per_image.items():
                for ref, (n, model, view) in verify_candidates(views, sorted(cands.get(qid, [])), store, cfg).items():
                    s = inlier_score(n, cfg.inlier_half)
                    if s >= floor and n > 0:
                        found[(qid, ref)] = Pair(qid, ref, s, float(n), n, s >= cfg.threshold, model, view)
                    elif (qid, ref) in thumbs and model is not None:
                        t = thumbs[(qid, ref)]
                        found[(qid, ref)] = Pair(qid, ref, t, t, 0, False, model, view)
    return found


def match_shortlisted(query_dir: Path, ref_dir: Path, index: ShortlistIndex, q: GlobalVectors, cfg,
                      exclude_self: bool = False, timings: dict | None = None, workers: int = 1):
    """``matching.match_local``'s pairs, found sub-quadratically: candidates are each query's
    top-``cfg.shortlist_k`` references by VLAD cosine (best of its views) plus its
    ``cfg.shortlist_k`` best grey-thumbnail pairs ≥ ``cfg.thumb_floor``; only those are verified
    with keypoints.
    Same scores and floor as ``match_local``. ``workers`` > 1 verifies query shards in that many
    forked processes."""
    import dataclasses as dc
    import time

    from ops.images.matching import Pair, inlier_score

    from ops.progress import cpu_seconds

    t0, c0 = time.perf_counter(), cpu_seconds()
    short = shortlist(q, index.refs, cfg.shortlist_k, exclude_self=exclude_self)
    floor = min(cfg.threshold, cfg.keep_below) if cfg.keep_below else cfg.threshold
    thumbs = thumbnail_pairs(query_dir, ref_dir, max(floor, cfg.thumb_floor), exclude_self, k=cfg.shortlist_k) \
        if cfg.thumb_floor < 1.0 else {}
    t1, c1 = time.perf_counter(), cpu_seconds()
    cands = short.by_query()  # per query, for verification (timed there)
    for (qid, ref) in thumbs:
        if ref not in cands.setdefault(qid, []):
            cands[qid].append(ref)
    found: dict[tuple[str, str], Pair] = {}
    paths = sorted(Path(query_dir).glob("shard-*.parquet"))
    _VERIFY.update(cands=cands, store=index.store, cfg=cfg, floor=floor, thumbs=thumbs)
    try:
        if workers > 1 and len(paths) > 1:  # forked workers share the keypoint store copy-on-write
            import multiprocessing

            with multiprocessing.get_context("fork").Pool(min(workers, len(paths))) as pool:
                parts = pool.map(_verify_shard, [[p] for p in paths], chunksize=1)
        else:
            parts = [_verify_shard(paths)]
    finally:
        _VERIFY.clear()
    for part in parts:
        found.update(part)
    for (qid, ref), s in thumbs.items():
        old = found.get((qid, ref))
        if old is None:
            found[(qid, ref)] = Pair(qid, ref, s, s, 0, False)
        elif s > old.score:
            found[(qid, ref)] = dc.replace(old, score=s)
    if timings is not None:
        timings["shortlist_s"] = timings.get("shortlist_s", 0.0) + (t1 - t0)
        timings["verify_s"] = timings.get("verify_s", 0.0) + (time.perf_counter() - t1)
        timings["shortlist_cpu_s"] = timings.get("shortlist_cpu_s", 0.0) + (c1 - c0)
        timings["verify_cpu_s"] = timings.get("verify_cpu_s", 0.0) + (cpu_seconds() - c1)
        timings["candidates"] = timings.get("candidates", 0) + sum(len(c) for c in cands.values())
    return sorted(found.values(), key=lambda p: (-p.score, p.query_id, p.reference_id))
