"""FAISS paths against the NumPy reference, block streaming, ISC normalisation by hand."""
import numpy as np
import pytest

from kernels.similarity import (array_blocks, background_normalize, knn_blocks, knn_numpy, l2_normalize,
                                range_search_blocks, range_search_numpy)


def _unit(n, d, seed):
    return l2_normalize(np.random.default_rng(seed).normal(size=(n, d)))


def _pairs(q, r, s):
    return sorted(zip(q.tolist(), r.tolist(), np.round(s, 5).tolist()))


def test_l2_normalize_rows_and_zero_rows():
    x = l2_normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
    assert x.dtype == np.float32
    np.testing.assert_allclose(x, [[0.6, 0.8], [0.0, 0.0]], atol=1e-7)


@pytest.mark.parametrize("block_rows", [7, 50, 1000])
def test_range_search_matches_numpy_reference_across_blocks(block_rows):
    refs = _unit(200, 16, 0)
    # queries = noisy copies of some refs, so some pairs clear a high threshold
    queries = l2_normalize(refs[:30] + 0.15 * np.random.default_rng(1).normal(size=(30, 16)))
    want = _pairs(*range_search_numpy(queries, refs, 0.8))
    got = _pairs(*range_search_blocks(queries, array_blocks(refs, block_rows), 0.8))
    assert len(want) >= 20
    assert got == want


def test_knn_blocks_merges_blocks_like_a_single_search():
    refs, queries = _unit(300, 8, 2), _unit(40, 8, 3)
    s_ref, i_ref = knn_numpy(queries, refs, 3)
    s, i = knn_blocks(queries, array_blocks(refs, 64), 3)
    np.testing.assert_array_equal(i, i_ref)
    np.testing.assert_allclose(s, s_ref, atol=1e-5)


def test_knn_blocks_pads_when_fewer_refs_than_k():
    s, i = knn_blocks(_unit(2, 4, 4), [(0, _unit(1, 4, 5))], 2)
    assert (i[:, 1] == -1).all() and np.isneginf(s[:, 1]).all()


def test_hnsw_finds_the_exact_near_duplicates():
    refs = _unit(2000, 32, 6)
    queries = l2_normalize(refs[:50] + 0.03 * np.random.default_rng(7).normal(size=(50, 32)))
    exact = set(_pairs(*range_search_numpy(queries, refs, 0.95)))
    approx = set(_pairs(*range_search_blocks(queries, [(0, refs)], 0.95, index="hnsw")))
    assert len(exact) >= 50
    assert len(approx & exact) / len(exact) >= 0.98
    assert approx <= exact


def test_background_normalize_subtracts_kth_background_similarity():
    q = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    bg = l2_normalize(np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [-1.0, 0.0]]))
    # query 0 sims to bg: 1, .7071, 0, -1 → 2nd best .7071; query 1: 0, .7071, 1, 0 → 2nd best .7071
    scores = np.array([0.99, 0.9, 0.5], np.float32)
    out = background_normalize(scores, np.array([0, 1, 1]), q, bg, k=2, beta=1.0)
    np.testing.assert_allclose(out, [0.99 - 0.70711, 0.9 - 0.70711, 0.5 - 0.70711], atol=1e-5)
    out_half = background_normalize(scores, np.array([0, 1, 1]), q, bg, k=1, beta=0.5)
    np.testing.assert_allclose(out_half, scores - 0.5, atol=1e-6)


def test_unknown_index_kind_is_a_clear_error():
    with pytest.raises(ValueError, match="flat' or 'hnsw"):
        range_search_blocks(_unit(2, 4, 0), [(0, _unit(3, 4, 1))], 0.5, index="ivf-typo")
