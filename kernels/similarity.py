"""Inner-product similarity search over L2-normalised float32 descriptors: FAISS (exact flat index
or an approximate HNSW index) with a NumPy reference path, streamed over reference blocks so a
corpus larger than memory is searched one block at a time.

All functions take ``queries`` as an (n, d) float32 array and reference *blocks* as an iterable of
(offset, (m, d) float32 array); returned reference indices are global (offset + row)."""
from __future__ import annotations

from typing import Iterable, Iterator

import numpy as np


def l2_normalize(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (zero rows stay zero), as contiguous float32."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.ascontiguousarray(x / np.maximum(norms, 1e-12), dtype=np.float32)


def _faiss_index(vectors: np.ndarray, kind: str):
    import faiss

    d = vectors.shape[1]
    if kind == "flat":
        index = faiss.IndexFlatIP(d)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(d, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efSearch = 128
    else:
        raise ValueError(f"index kind must be 'flat' or 'hnsw', not {kind!r}")
    index.add(vectors)
    return index


def range_search_numpy(queries: np.ndarray, refs: np.ndarray, threshold: float):
    """Reference path: (query idx, ref idx, score) of every pair with inner product ≥ threshold."""
    sims = queries @ refs.T
    qi, ri = np.nonzero(sims >= threshold)
    return qi.astype(np.int64), ri.astype(np.int64), sims[qi, ri].astype(np.float32)


def range_search_blocks(queries: np.ndarray, ref_blocks: Iterable[tuple[int, np.ndarray]],
                        threshold: float, index: str = "flat"):
    """All (query idx, global ref idx, score) with inner product ≥ ``threshold``.

    ``index='flat'`` is exact (FAISS ``range_search``); ``'hnsw'`` is approximate (top-64 neighbours
    per block, then filtered by the threshold), for corpora where exact search is too slow.
    Memory: one reference block and its index at a time."""
    q = np.ascontiguousarray(queries, dtype=np.float32)
    out_q, out_r, out_s = [], [], []
    for offset, block in ref_blocks:
        block = np.ascontiguousarray(block, dtype=np.float32)
        if not len(block) or not len(q):
            continue
        idx = _faiss_index(block, index)
        if index == "flat":
            lims, dist, labels = idx.range_search(q, float(threshold))
            qi = np.repeat(np.arange(len(q)), np.diff(lims).astype(np.int64))
            ri, s = labels, dist
        else:
            k = min(64, len(block))
            dist, labels = idx.search(q, k)
            keep = (labels >= 0) & (dist >= threshold)
            qi = np.nonzero(keep)[0]
            ri, s = labels[keep], dist[keep]
        out_q.append(qi.astype(np.int64)); out_r.append(ri.astype(np.int64) + offset)
        out_s.append(s.astype(np.float32))
    if not out_q:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    return np.concatenate(out_q), np.concatenate(out_r), np.concatenate(out_s)


def knn_blocks(queries: np.ndarray, ref_blocks: Iterable[tuple[int, np.ndarray]], k: int,
               index: str = "flat") -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` inner products per query across all blocks: (scores (n, k) desc, global ids (n, k),
    -1 where fewer than k references exist). Block results are merged, so memory is one block plus
    the (n, k) running best."""
    n = len(queries)
    best_s = np.full((n, k), -np.inf, dtype=np.float32)
    best_i = np.full((n, k), -1, dtype=np.int64)
    q = np.ascontiguousarray(queries, dtype=np.float32)
    for offset, block in ref_blocks:
        if not len(block) or not n:
            continue
        idx = _faiss_index(np.ascontiguousarray(block, dtype=np.float32), index)
        s, i = idx.search(q, min(k, len(block)))
        i = np.where(i >= 0, i + offset, -1)
        s = np.where(i >= 0, s, -np.inf).astype(np.float32)
        all_s = np.concatenate([best_s, s], axis=1)
        all_i = np.concatenate([best_i, i], axis=1)
        order = np.argsort(-all_s, axis=1, kind="stable")[:, :k]
        best_s = np.take_along_axis(all_s, order, axis=1)
        best_i = np.take_along_axis(all_i, order, axis=1)
    return best_s, best_i


def knn_numpy(queries: np.ndarray, refs: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Reference path for ``knn_blocks``."""
    sims = queries @ refs.T
    order = np.argsort(-sims, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(sims, order, axis=1).astype(np.float32), order.astype(np.int64)


def background_normalize(scores: np.ndarray, query_idx: np.ndarray, queries: np.ndarray,
                         background: np.ndarray, k: int = 10, beta: float = 1.0) -> np.ndarray:
    """ISC21-style score normalisation: ``score − beta · s_k(q)`` where ``s_k(q)`` is the query's
    similarity to its k-th nearest neighbour in a background (distractor) set. A query that looks
    like everything (flat sky, text) gets its scores lowered; a distinctive one keeps them.
    The result is a calibrated margin, not a cosine: thresholds on it mean 'this much above the
    background'."""
    if background is None or not len(background):
        return scores
    k = min(k, len(background))
    kth, _ = knn_blocks(queries, [(0, background)], k)
    return (scores - beta * kth[query_idx, k - 1]).astype(np.float32)


def array_blocks(vectors: np.ndarray, block_rows: int) -> Iterator[tuple[int, np.ndarray]]:
    """(offset, block) views of an in-memory array, ``block_rows`` rows at a time."""
    for start in range(0, len(vectors), max(1, block_rows)):
        yield start, vectors[start:start + block_rows]
