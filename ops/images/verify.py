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


def _ncc(a: np.ndarray, b: np.ndarray) -> float:
    sa, sb = a.std(), b.std()
    if sa < 1e-3 or sb < 1e-3:
        return 0.0
    return float(((a - a.mean()) * (b - b.mean())).mean() / (sa * sb))


def appearance_agreement(query: "Image.Image", reference: "Image.Image", pair: Pair, sift: RootSift | None = None,
                         cell: int = 32, min_std: float = 25.0, ncc_min: float = 0.5,
                         others: "list[Image.Image]" = (), shared_ncc: float = 0.8) -> tuple[float, int]:
    """Does the query, laid onto the reference by the pair's affine, *look* like it? (issue #14:
    text pages in one font, screenshots of one template and slides of one layout share keypoints
    — glyphs, template parts — that survive RANSAC, but not their content.)

    Both images are resized as the descriptor resized them; the query view (mirrored for
    'hflip') is warped onto the reference; the reference frame is cut into ``cell``-pixel cells
    and every textured cell (grey std ≥ ``min_std``) fully covered by the warped query is compared
    by normalised cross-correlation. Returns (fraction of those cells with NCC ≥ ``ncc_min``,
    number of cells compared). A pair without an affine (grey-thumbnail route) is compared
    frame to frame."""
    import cv2

    sift = sift or RootSift()
    qg = sift._grey(ImageOps.mirror(query) if pair.view == "hflip" else query).astype(np.float32)
    rg = sift._grey(reference).astype(np.float32)
    h, w = rg.shape
    if pair.model is not None:
        m = np.array(pair.model, np.float32).reshape(2, 3)
    else:
        m = np.array([[w / qg.shape[1], 0, 0], [0, h / qg.shape[0], 0]], np.float32)
    warped = cv2.warpAffine(qg, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)
    cover = cv2.warpAffine(np.ones_like(qg), m, (w, h), flags=cv2.INTER_NEAREST, borderValue=0)
    # cells the reference shares with other candidate references (a template, a layout) say
    # nothing about this pair: a global test across the reference set, at the pixel level
    rivals = [cv2.resize(sift._grey(o).astype(np.float32), (w, h), interpolation=cv2.INTER_AREA) for o in others]
    good = total = 0
    for y in range(0, h - cell + 1, cell):
        for x in range(0, w - cell + 1, cell):
            if cover[y:y + cell, x:x + cell].min() < 1:
                continue
            a = rg[y:y + cell, x:x + cell]
            if a.std() < min_std:
                continue
            if any(_ncc(a, o[y:y + cell, x:x + cell]) >= shared_ncc for o in rivals):
                continue
            total += 1
            good += _ncc(a, warped[y:y + cell, x:x + cell]) >= ncc_min
    return (good / total if total else 1.0), total


def _thumbs(dir_) -> dict[str, np.ndarray]:
    from ops.images.store import read_all

    t = read_all(dir_, "thumbs")
    return {str(i): v for i, v, view in zip(t.image_ids, t.vectors, t.views) if view == "orig"}


def appearance_filter(pairs: list[Pair], query_paths: dict[str, str], ref_paths: dict[str, str],
                      ref_thumb_dir, cfg: MatchConfig, n_rivals: int = 2,
                      sift: RootSift | None = None) -> tuple[list[Pair], list[Pair]]:
    """(pairs that pass ``appearance_agreement`` ≥ ``cfg.appearance_min``, pairs that fail it, with
    ``verified`` False). Rivals of a reference: the ``n_rivals`` other images of its set with the
    most similar grey thumbnail (same template or layout when there is one). ``sift``: the
    descriptor that produced the pairs (its resizing defines the affine's pixel frames)."""
    sift = sift or RootSift()
    thumbs = _thumbs(ref_thumb_dir)
    ids = sorted(thumbs)
    mat = np.stack([thumbs[i] for i in ids]) if ids else np.zeros((0, 256), np.float32)
    cache: dict[str, "Image.Image | None"] = {}

    def image(path: str):
        if path not in cache:
            try:
                cache[path] = load_image(path).image
            except BadImage:
                cache[path] = None
        return cache[path]

    kept, failed = [], []
    for p in pairs:
        q, r = image(query_paths.get(p.query_id, "")), image(ref_paths.get(p.reference_id, ""))
        if q is None or r is None or p.reference_id not in thumbs or p.n_inliers >= cfg.appearance_max_inliers:
            kept.append(p)
            continue
        sims = mat @ thumbs[p.reference_id]
        order = [ids[i] for i in np.argsort(-sims) if ids[i] not in (p.reference_id, p.query_id)][:n_rivals]
        rivals = [im for im in (image(ref_paths[i]) for i in order if i in ref_paths) if im is not None]
        frac, _ = appearance_agreement(q, r, p, sift, others=rivals)
        (kept if frac >= cfg.appearance_min else failed).append(
            p if frac >= cfg.appearance_min else dataclasses.replace(p, verified=False))
    return kept, failed
