"""Optional geometric verification of candidate pairs found by a global descriptor: RootSIFT
keypoints of both images, 2-NN ratio test, RANSAC affine (the same checks as the rootsift matcher).
Cost is per candidate pair, so it stays cheap after index-based retrieval."""
from __future__ import annotations

import dataclasses

import numpy as np
from PIL import ImageOps

from ops.images.descriptors import Features, RootSift
from ops.images.loading import BadImage, load_image
from ops.images.matching import MatchConfig, Pair, _verify


def count_inliers(a: Features, b: Features, cfg: MatchConfig) -> int:
    """RANSAC inliers of a's keypoints matched into b (ratio test on RootSIFT distances)."""
    if len(a.vectors) < cfg.min_matches or len(b.vectors) < 2:
        return 0
    sims = a.vectors @ b.vectors.T
    top = np.argsort(-sims, axis=1)[:, :2]
    s1 = np.take_along_axis(sims, top[:, :1], 1)[:, 0]
    s2 = np.take_along_axis(sims, top[:, 1:2], 1)[:, 0]
    good = np.nonzero((2 - 2 * s1) < cfg.ratio ** 2 * (2 - 2 * s2))[0]
    if len(good) < cfg.min_matches:
        return 0
    return _verify(a.xy[good], b.xy[top[good, 0]], cfg.ransac_px)


def verify_pairs(pairs: list[Pair], paths: dict[str, str], cfg: MatchConfig,
                 ref_paths: dict[str, str] | None = None, min_inliers: int = 10) -> list[Pair]:
    """``pairs`` with ``n_inliers`` and ``verified`` (≥ ``min_inliers``, query also tried mirrored)
    filled in; the score is left as the descriptor gave it. Unreadable files verify as False."""
    sift = RootSift()
    ref_paths = ref_paths if ref_paths is not None else paths
    cache: dict[tuple[str, str, bool], Features | None] = {}

    def feats(role: str, image_id: str, mirrored: bool = False) -> Features | None:
        key = (role, image_id, mirrored)
        if key not in cache:
            try:
                im = load_image((paths if role == "q" else ref_paths)[image_id]).image
                cache[key] = sift.describe([ImageOps.mirror(im) if mirrored else im])[0]
            except (BadImage, KeyError):
                cache[key] = None
        return cache[key]

    out = []
    for p in pairs:
        ref = feats("r", p.reference_id)
        n = 0
        for mirrored in (False, True):
            q = feats("q", p.query_id, mirrored)
            if q is not None and ref is not None:
                n = max(n, count_inliers(q, ref, cfg))
        out.append(dataclasses.replace(p, n_inliers=n, verified=n >= min_inliers))
    return out
