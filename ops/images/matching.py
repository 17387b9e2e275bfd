"""Candidate pairs between a query set and a reference set of descriptor shards.

- Local descriptors (``rootsift``): FAISS 2-NN of every query keypoint over the reference
  keypoints (streamed by shard), Lowe's ratio test, votes grouped by reference image, then RANSAC
  (affine) on the tentative matches. Score = n_inliers / (n_inliers + ``inlier_half``): a calibrated
  score in [0, 1) — with the default ``inlier_half=0.5`` the 0.95 threshold means ≥ 10 inliers.
  A grey-thumbnail range search is a second route for flat images: the pair's score is the higher
  of the two; thumbnail-only pairs have n_inliers = 0 and verified = False.
- Global descriptors (``torchscript``): FAISS inner-product range search at the threshold on the raw
  cosine, or — with a background set — the ISC21 normalised score (cosine minus the query's k-th
  background similarity), thresholded on that."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from kernels.similarity import background_normalize, knn_blocks, range_search_blocks
from ops.images.store import read_all, read_blocks


@dataclasses.dataclass
class MatchConfig:
    threshold: float = 0.95         # on the score (raw cosine, normalised margin or calibrated inliers)
    index: str = "flat"             # 'flat' exact | 'hnsw' approximate
    ratio: float = 0.8              # Lowe's ratio test (distances)
    # ... which a second neighbour this close (squared L2 of unit vectors; 1e-3 = cosine 0.9995)
    # fails whatever the first: a near-exact duplicate patch (a template shared by two images,
    # the same patch mirrored) makes the ratio of two tiny distances mere rounding noise
    ratio_min_second: float = 1e-3
    min_matches: int = 4            # tentative matches needed before RANSAC
    ransac_px: float = 8.0          # RANSAC reprojection threshold, pixels of the resized image
    inlier_half: float = 0.5        # score = n / (n + inlier_half)
    keep_below: float = 0.0         # also return pairs scoring ≥ this (for evaluation curves)
    background_k: int = 10
    background_beta: float = 1.0
    thumb_floor: float = 0.9        # rootsift: grey-thumbnail cosine route kept from here (1.0 = off)
    verify: bool = False            # global descriptors: RANSAC-verify candidate pairs (sets n_inliers/verified)
    require_verified: bool = False  # with verify: drop pairs that fail verification
    # local descriptors, in dedup: a pair must also *look* alike where the reference differs from
    # its look-alike references (``ops.images.verify.appearance_agreement``): ≥ this fraction of
    # the textured, non-shared cells agree. Text pages in one font, screenshots of one template,
    # slides of one layout fail it; 0 switches the check off.
    appearance_min: float = 0.5
    # ... unless the geometry alone is overwhelming: pairs with this many RANSAC inliers skip it
    # (an affine warp misaligns perspective copies of fine textures; look-alikes in the generated
    # hard-negative set reached up to ~60 inliers within the benchmark)
    appearance_max_inliers: int = 100
    # local descriptors, candidate generation (``ops.images.shortlist``): 'shortlist' verifies only
    # each query's top-``shortlist_k`` references by an aggregated (VLAD, ``codebook_k`` centroids)
    # global descriptor plus its grey-thumbnail pairs; 'exhaustive' matches every query keypoint
    # against every reference keypoint (quadratic); 'auto' shortlists whenever the reference side
    # has more than ``shortlist_k`` images (with fewer, the shortlist would be every reference).
    candidates: str = "auto"
    shortlist_k: int = 10
    codebook_k: int = 64

    def use_shortlist(self, n_references: int) -> bool:
        if self.candidates not in ("auto", "shortlist", "exhaustive"):
            raise ValueError(f"candidates must be 'auto', 'shortlist' or 'exhaustive', not {self.candidates!r}")
        return self.candidates == "shortlist" or (self.candidates == "auto" and n_references > self.shortlist_k)


@dataclasses.dataclass
class Pair:
    query_id: str
    reference_id: str
    score: float            # the thresholded score (see module docstring)
    raw_score: float        # raw cosine (global) or number of inliers (local)
    n_inliers: int
    verified: bool          # passed geometric verification (always True for local matches ≥ threshold)
    # local matches: the RANSAC affine (query view → reference, pixels of the descriptor's resized
    # images, 6 numbers row-major) and the query view it came from ('orig' | 'hflip'); for the
    # appearance check in ``ops.images.verify``
    model: tuple | None = None
    view: str = ""


def ratio_test(s1: np.ndarray, s2: np.ndarray, cfg: "MatchConfig") -> np.ndarray:
    """Lowe's ratio test on the cosines of unit vectors to the nearest and second-nearest
    neighbour (squared distance 2 − 2s), failing where the second is a near-exact duplicate."""
    d2 = 2 - 2 * s2
    return ((2 - 2 * s1) < cfg.ratio ** 2 * d2) & (d2 >= cfg.ratio_min_second)


def inlier_score(n: int, half: float) -> float:
    return n / (n + half) if n > 0 else 0.0


def _verify(src: np.ndarray, dst: np.ndarray, px: float) -> int:
    return _verify_model(src, dst, px)[0]


def _verify_model(src: np.ndarray, dst: np.ndarray, px: float) -> tuple[int, tuple | None]:
    """(RANSAC inliers of an accepted near-similarity affine, that affine as 6 floats)."""
    import cv2

    if len(src) < 3:
        return 0, None
    model, inliers = cv2.estimateAffine2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=px,
                                          maxIters=2000, confidence=0.99)
    if model is None or inliers is None:
        return 0, None
    # Random matches can reach a dozen "inliers" under a degenerate affine (everything collapsed
    # onto a line or a point): accept only near-similarity transforms with spread-out inliers.
    sv = np.linalg.svd(model[:, :2], compute_uv=False)
    if sv[1] < 0.05 or sv[0] > 20 or sv[0] / sv[1] > 4:
        return 0, None
    kept = src[inliers.ravel().astype(bool)]
    if len(kept) < 3 or min(kept.std(axis=0)) < 2 * px:
        return 0, None
    return int(len(kept)), tuple(float(x) for x in model.ravel())


def match_local(query_dir: Path, ref_dir: Path, cfg: MatchConfig, exclude_self: bool = False) -> list[Pair]:
    """Pairs (query image, reference image) scoring ≥ min(threshold, keep_below) after RANSAC."""
    q = read_all(query_dir)
    if not len(q.vectors):
        return []
    ref_ids, ref_xy = [], []
    for b in read_blocks(ref_dir):  # metadata pass: owner image and position of each global row
        ref_ids.append(b.image_ids); ref_xy.append(b.xy)
    if not ref_ids:
        return []
    ref_ids = np.concatenate(ref_ids); ref_xy = np.concatenate(ref_xy)

    def blocks():
        offset = 0
        for b in read_blocks(ref_dir):
            yield offset, b.vectors
            offset += len(b.vectors)

    sims, idx = knn_blocks(q.vectors, blocks(), k=8 if exclude_self else 2, index=cfg.index)
    if exclude_self:
        # a query's own keypoints would be its nearest neighbours and fail every ratio test:
        # drop them before taking the two nearest
        own = (idx >= 0) & (ref_ids[np.maximum(idx, 0)] == q.image_ids[:, None])
        order = np.argsort(own, axis=1, kind="stable")[:, :2]
        sims = np.where(np.take_along_axis(own, order, 1), -np.inf, np.take_along_axis(sims, order, 1))
        idx = np.where(np.take_along_axis(own, order, 1), -1, np.take_along_axis(idx, order, 1))
    # no second neighbour (e.g. all others were the query's own keypoints: a mirrored view of a
    # symmetric structure matches its own original) means no ratio test was possible: no vote
    good = np.nonzero((idx[:, 0] >= 0) & (idx[:, 1] >= 0) & ratio_test(sims[:, 0], sims[:, 1], cfg))[0]
    groups: dict[tuple[str, str, str], list[int]] = {}
    for row in good:
        ref = ref_ids[idx[row, 0]]
        groups.setdefault((q.image_ids[row], q.views[row], ref), []).append(row)
    best: dict[tuple[str, str], tuple[int, tuple | None, str]] = {}
    for (qid, view, ref), rows in groups.items():
        if len(rows) < cfg.min_matches:
            continue
        rows = np.array(rows)
        n, model = _verify_model(q.xy[rows], ref_xy[idx[rows, 0]], cfg.ransac_px)
        if n > best.get((qid, ref), (0,))[0]:
            best[(qid, ref)] = (n, model, str(view))
    floor = min(cfg.threshold, cfg.keep_below) if cfg.keep_below else cfg.threshold
    found: dict[tuple[str, str], Pair] = {}
    for (qid, ref), (n, model, view) in best.items():
        s = inlier_score(n, cfg.inlier_half)
        if s >= floor and n > 0:
            found[(str(qid), str(ref))] = Pair(str(qid), str(ref), s, float(n), n, s >= cfg.threshold,
                                               model, view)
    if cfg.thumb_floor < 1.0:
        _merge_thumbnail_pairs(found, query_dir, ref_dir, max(floor, cfg.thumb_floor), cfg, exclude_self)
    return sorted(found.values(), key=lambda p: (-p.score, p.query_id, p.reference_id))


def _merge_thumbnail_pairs(found: dict, query_dir: Path, ref_dir: Path, floor: float, cfg: MatchConfig,
                           exclude_self: bool) -> None:
    """Grey-thumbnail cosine ≥ ``floor`` (range search) as a second route for flat images: a pair
    keeps the higher of its inlier score and its thumbnail cosine; thumbnail-only pairs are
    unverified (n_inliers = 0)."""
    from ops.images.shortlist import thumbnail_pairs

    for (qid, ref), s in thumbnail_pairs(query_dir, ref_dir, floor, exclude_self).items():
        old = found.get((qid, ref))
        if old is None:
            found[(qid, ref)] = Pair(qid, ref, s, s, 0, False)
        elif s > old.score:
            found[(qid, ref)] = dataclasses.replace(old, score=s)


def match_global(query_dir: Path, ref_dir: Path, cfg: MatchConfig, background_dir: Path | None = None,
                 exclude_self: bool = False) -> list[Pair]:
    """Global-descriptor pairs: range search on raw cosine, or top-k then background-normalised."""
    q = read_all(query_dir)
    if not len(q.vectors):
        return []
    ref_ids = np.concatenate([b.image_ids for b in read_blocks(ref_dir)] or [np.array([], object)])

    def blocks():
        offset = 0
        for b in read_blocks(ref_dir):
            yield offset, b.vectors
            offset += len(b.vectors)

    floor = min(cfg.threshold, cfg.keep_below) if cfg.keep_below else cfg.threshold
    background = read_all(background_dir).vectors if background_dir else None
    if background is not None and len(background):
        s, i = knn_blocks(q.vectors, blocks(), k=min(32, max(1, len(ref_ids))), index=cfg.index)
        qi = np.repeat(np.arange(len(q.vectors)), s.shape[1]); ri = i.ravel(); raw = s.ravel()
        ok = ri >= 0
        qi, ri, raw = qi[ok], ri[ok], raw[ok]
        score = background_normalize(raw, qi, q.vectors, background, cfg.background_k, cfg.background_beta)
    else:
        qi, ri, raw = range_search_blocks(q.vectors, blocks(), floor, index=cfg.index)
        score = raw
    best: dict[tuple[str, str], tuple[float, float]] = {}
    for a, b, s, r in zip(qi, ri, score, raw):
        qid, ref = str(q.image_ids[a]), str(ref_ids[b])
        if (exclude_self and qid == ref) or s < floor:
            continue
        if (qid, ref) not in best or s > best[(qid, ref)][0]:
            best[(qid, ref)] = (float(s), float(r))
    pairs = [Pair(qid, ref, s, r, 0, False) for (qid, ref), (s, r) in best.items()]
    return sorted(pairs, key=lambda p: (-p.score, p.query_id, p.reference_id))
