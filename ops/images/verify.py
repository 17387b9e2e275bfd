"""Optional geometric verification of candidate pairs found by a global descriptor: RootSIFT
keypoints of both images, 2-NN ratio test, RANSAC affine (the same checks as the rootsift matcher).
Cost is per candidate pair, so it stays cheap after index-based retrieval."""
from __future__ import annotations

import dataclasses

import numpy as np

from ops.images.descriptors import Features, RootSift
from ops.images.loading import BadImage, load_image
from ops.images.matching import MatchConfig, Pair, _verify, ratio_test


def count_inliers(a: Features, b: Features, cfg: MatchConfig) -> int:
    """RANSAC inliers of a's keypoints matched into b (ratio test on RootSIFT distances)."""
    if len(a.vectors) < cfg.min_matches or len(b.vectors) < 2:
        return 0
    sims = a.vectors @ b.vectors.T
    top = np.argsort(-sims, axis=1)[:, :2]
    s1 = np.take_along_axis(sims, top[:, :1], 1)[:, 0]
    s2 = np.take_along_axis(sims, top[:, 1:2], 1)[:, 0]
    good = np.nonzero(ratio_test(s1, s2, cfg))[0]
    if len(good) < cfg.min_matches:
        return 0
    return _verify(a.xy[good], b.xy[top[good, 0]], cfg.ransac_px)


def _matches_across(q: Features, refs: list[Features | None], cfg: MatchConfig) -> list[tuple[int, tuple | None]]:
    """(inliers, affine) of ``q`` against each of ``refs``, with the ratio test taken across all of
    them: a query keypoint whose two nearest neighbours are about as close, in whichever candidate,
    votes for none (a glyph or a template part that every candidate has is no evidence)."""
    from ops.images.matching import _verify_model

    out: list[tuple[int, tuple | None]] = [(0, None)] * len(refs)
    usable = [i for i, r in enumerate(refs) if r is not None and len(r.vectors)]
    if len(q.vectors) < cfg.min_matches or not usable:
        return out
    allv = np.concatenate([refs[i].vectors for i in usable])
    allxy = np.concatenate([refs[i].xy for i in usable])
    owner = np.concatenate([np.full(len(refs[i].vectors), i) for i in usable])
    if len(allv) < 2:
        return out
    sims = q.vectors @ allv.T
    top = np.argsort(-sims, axis=1)[:, :2]
    s1 = np.take_along_axis(sims, top[:, :1], 1)[:, 0]
    s2 = np.take_along_axis(sims, top[:, 1:2], 1)[:, 0]
    good = ratio_test(s1, s2, cfg)
    for i in usable:
        rows = np.nonzero(good & (owner[top[:, 0]] == i))[0]
        if len(rows) >= cfg.min_matches:
            out[i] = _verify_model(q.xy[rows], allxy[top[rows, 0]], cfg.ransac_px)
    return out


def verify_pairs(pairs: list[Pair], paths: dict[str, str], cfg: MatchConfig,
                 ref_paths: dict[str, str] | None = None, min_inliers: int = 10) -> list[Pair]:
    """``pairs`` with ``n_inliers`` and ``verified`` filled in; the score is left as the descriptor
    gave it. Verified: ≥ ``min_inliers`` RANSAC inliers (query also tried mirrored) with the ratio
    test taken across all of the query's candidate references, and — below
    ``cfg.appearance_max_inliers`` — the appearance check against them
    (``appearance_agreement``, ≥ ``cfg.appearance_min``; 0 switches it off). Unreadable files
    verify as False."""
    sift = RootSift()
    ref_paths = ref_paths if ref_paths is not None else paths
    cache: dict[tuple[str, str, bool], Features | None] = {}
    images: dict[tuple[str, str], "Image.Image | None"] = {}

    def image(role: str, image_id: str):
        if (role, image_id) not in images:
            try:
                images[(role, image_id)] = load_image((paths if role == "q" else ref_paths)[image_id]).image
            except (BadImage, KeyError):
                images[(role, image_id)] = None
        return images[(role, image_id)]

    def feats(role: str, image_id: str, mirrored: bool = False) -> Features | None:
        key = (role, image_id, mirrored)
        if key not in cache:
            if mirrored:  # derived from the image's one description
                orig = feats(role, image_id)
                cache[key] = None if orig is None else sift.mirrored(orig)
            else:
                im = image(role, image_id)
                cache[key] = None if im is None else sift.describe([im])[0]
        return cache[key]

    by_query: dict[str, list[Pair]] = {}
    for p in pairs:
        by_query.setdefault(p.query_id, []).append(p)
    result: dict[tuple[str, str], Pair] = {}
    for qid, group in by_query.items():
        refs = [feats("r", p.reference_id) for p in group]
        best = [(0, None, "orig")] * len(group)
        for view in ("orig", "hflip"):
            q = feats("q", qid, view == "hflip")
            if q is None:
                continue
            for i, (n, model) in enumerate(_matches_across(q, refs, cfg)):
                if n > best[i][0]:
                    best[i] = (n, model, view)
        for i, p in enumerate(group):
            n, model, view = best[i]
            p = dataclasses.replace(p, n_inliers=n, model=model, view=view)
            ok = n >= min_inliers
            if ok and cfg.appearance_min > 0 and n < cfg.appearance_max_inliers:
                rivals = [im for im in (image("r", o.reference_id) for o in group if o is not group[i])
                          if im is not None][:2]
                frac, _ = appearance_agreement(image("q", qid), image("r", p.reference_id), p, sift,
                                               others=rivals)
                ok = frac >= cfg.appearance_min
            result[(p.query_id, p.reference_id)] = dataclasses.replace(p, verified=ok)
    return [result[(p.query_id, p.reference_id)] for p in pairs]


def _cells(a: np.ndarray, cell: int) -> np.ndarray:
    """(n_cells, cell²) float32: the full ``cell``×``cell`` tiles of a 2-D array, row-major."""
    h, w = (a.shape[0] // cell) * cell, (a.shape[1] // cell) * cell
    return np.ascontiguousarray(a[:h, :w].reshape(h // cell, cell, w // cell, cell).transpose(0, 2, 1, 3)
                                ).reshape(-1, cell * cell).astype(np.float32)


def _ncc_rows(a: np.ndarray, b: np.ndarray, sa: np.ndarray | None = None) -> np.ndarray:
    """Normalised cross-correlation of each row of ``a`` with the same row of ``b`` (0 where
    either row is flat), all cells at once."""
    za = a - a.mean(axis=1, keepdims=True)
    zb = b - b.mean(axis=1, keepdims=True)
    sa = np.sqrt((za * za).mean(axis=1)) if sa is None else sa
    sb = np.sqrt((zb * zb).mean(axis=1))
    ok = (sa >= 1e-3) & (sb >= 1e-3)
    return np.where(ok, (za * zb).mean(axis=1) / np.where(ok, sa * sb, 1.0), 0.0)


def appearance_agreement(query: "Image.Image", reference: "Image.Image", pair: Pair, sift: RootSift | None = None,
                         cell: int = 32, min_std: float = 25.0, ncc_min: float = 0.5,
                         others: "list[Image.Image]" = (), shared_ncc: float = 0.8) -> tuple[float, int]:
    """Does the query, laid onto the reference by the pair's affine, *look* like it? (issue #14:
    text pages in one font, screenshots of one template and slides of one layout share keypoints
    — glyphs, template parts — that survive RANSAC, but not their content.)

    Both images are resized as the descriptor resized them; the query view (mirrored for
    'hflip') is warped onto the reference; the reference frame is cut into ``cell``-pixel cells
    and every textured cell (grey std ≥ ``min_std``) fully covered by the warped query is compared
    by normalised cross-correlation. Cells the reference shares with any of ``others`` (its
    look-alike references: NCC ≥ ``shared_ncc``) say nothing about this pair and are left out.
    Returns (fraction of the compared cells with NCC ≥ ``ncc_min``, number of cells compared).
    A pair without an affine (grey-thumbnail route) is compared frame to frame."""
    sift = sift or RootSift()
    rg = sift._grey(reference)
    shared = shared_cells(rg, [sift._grey(o) for o in others], cell, shared_ncc)
    return agreement_on_grey(sift._grey(query), rg, pair, shared, cell, min_std, ncc_min)


def shared_cells(rg: np.ndarray, rivals: list[np.ndarray], cell: int = 32, shared_ncc: float = 0.8) -> np.ndarray:
    """(n_cells,) bool: the reference's cells that one of ``rivals`` (grey images, resized to the
    reference's frame) reproduces (NCC ≥ ``shared_ncc``): a template or layout, not content."""
    import cv2

    h, w = rg.shape
    a = _cells(rg, cell)
    out = np.zeros(len(a), bool)
    for o in rivals:
        o = cv2.resize(o.astype(np.float32), (w, h), interpolation=cv2.INTER_AREA)
        out |= _ncc_rows(a, _cells(o, cell)) >= shared_ncc
    return out


def agreement_on_grey(qg: np.ndarray, rg: np.ndarray, pair: Pair, shared: np.ndarray | None = None,
                      cell: int = 32, min_std: float = 25.0, ncc_min: float = 0.5) -> tuple[float, int]:
    """``appearance_agreement`` on the descriptor's grey arrays (the query's unmirrored one), with
    the reference's ``shared`` cells (``shared_cells``) already known."""
    import cv2

    qg = (qg[:, ::-1] if pair.view == "hflip" else qg).astype(np.float32)
    h, w = rg.shape
    if pair.model is not None:
        m = np.array(pair.model, np.float32).reshape(2, 3)
    else:
        m = np.array([[w / qg.shape[1], 0, 0], [0, h / qg.shape[0], 0]], np.float32)
    warped = cv2.warpAffine(qg, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)
    cover = cv2.warpAffine(np.ones_like(qg), m, (w, h), flags=cv2.INTER_NEAREST, borderValue=0)
    a = _cells(rg, cell)
    sa = a.std(axis=1)
    sel = (_cells(cover, cell).min(axis=1) >= 1) & (sa >= min_std)
    if shared is not None:
        sel &= ~shared
    total = int(sel.sum())
    if not total:
        return 1.0, 0
    good = int((_ncc_rows(a[sel], _cells(warped, cell)[sel], sa[sel]) >= ncc_min).sum())
    return good / total, total


def _thumbs(dir_) -> dict[str, np.ndarray]:
    from ops.images.store import read_all

    t = read_all(dir_, "thumbs")
    return {str(i): v for i, v, view in zip(t.image_ids, t.vectors, t.views) if view == "orig"}


def appearance_filter(pairs: list[Pair], query_paths: dict[str, str], ref_paths: dict[str, str],
                      ref_thumb_dir, cfg: MatchConfig, n_rivals: int = 2,
                      sift: RootSift | None = None, skip_unverified: bool = False,
                      template_share: float = 0.1) -> tuple[list[Pair], list[Pair]]:
    """(pairs that pass ``appearance_agreement`` ≥ ``cfg.appearance_min``, pairs that fail it, with
    ``verified`` False). Rivals of a reference: the ``n_rivals`` other images of its set with the
    most similar grey thumbnail (same template or layout when there is one). ``sift``: the
    descriptor that produced the pairs (its resizing defines the affine's pixel frames).
    ``skip_unverified``: pairs without inliers (grey-thumbnail route) are passed through
    unchecked (within the benchmark they link nothing, so checking them decides nothing).

    Pairs with ≥ ``cfg.appearance_max_inliers`` inliers skip the check, unless the reference
    shares ≥ ``template_share`` of its textured cells with its rivals: then it sits in a template
    (a screenshot frame, a slide layout) whose keypoints alone can give hundreds of inliers, and
    only its own cells — its content — decide. Each image's grey array and each reference's
    shared cells are computed once."""
    from functools import lru_cache

    sift = sift or RootSift()
    thumbs = _thumbs(ref_thumb_dir)
    ids = sorted(thumbs)
    mat = np.stack([thumbs[i] for i in ids]) if ids else np.zeros((0, 256), np.float32)

    @lru_cache(maxsize=1024)
    def grey(path: str) -> np.ndarray | None:
        try:
            return sift._grey(load_image(path).image)
        except BadImage:
            return None

    @lru_cache(maxsize=1024)
    def shared(ref: str, rivals: tuple[str, ...]) -> tuple[np.ndarray, bool]:
        """(the reference's cells its rivals share, whether that makes it a template image)."""
        rg = grey(ref_paths[ref])
        cells = shared_cells(rg, [g for g in (grey(ref_paths[i]) for i in rivals if i in ref_paths) if g is not None])
        textured = _cells(rg, 32).std(axis=1) >= 25.0
        return cells, bool(textured.any() and (cells & textured).sum() >= template_share * textured.sum())

    kept, failed = [], []
    for p in pairs:
        if (skip_unverified and p.n_inliers == 0) or p.reference_id not in thumbs:
            kept.append(p)
            continue
        q, r = grey(query_paths.get(p.query_id, "")), grey(ref_paths.get(p.reference_id, ""))
        if q is None or r is None:
            kept.append(p)
            continue
        top = np.argpartition(-(mat @ thumbs[p.reference_id]), min(len(ids) - 1, n_rivals + 2))[:n_rivals + 3] \
            if len(ids) > n_rivals + 3 else np.arange(len(ids))
        top = top[np.argsort(-(mat[top] @ thumbs[p.reference_id]), kind="stable")]
        rivals = tuple([ids[i] for i in top if ids[i] not in (p.reference_id, p.query_id)][:n_rivals])
        cells, template = shared(p.reference_id, rivals)
        if p.n_inliers >= cfg.appearance_max_inliers and not template:
            kept.append(p)
            continue
        frac, _ = agreement_on_grey(q, r, p, cells)
        (kept if frac >= cfg.appearance_min else failed).append(
            p if frac >= cfg.appearance_min else dataclasses.replace(p, verified=False))
    return kept, failed
