"""Issue #14: sub-quadratic candidate generation. A VLAD vector per image in a FAISS index
shortlists k references per query; keypoints verify only those pairs."""
import numpy as np
import pytest

from ops.images.dedup import describe_all, run_dedup
from ops.images.descriptors import make_descriptor
from ops.images.matching import MatchConfig
from ops.images.scale_set import write_scale_set
from ops.images.shortlist import ShortlistIndex, query_globals, shortlist, vlad


def test_vlad_is_unit_and_empty_images_give_zero():
    rng = np.random.default_rng(0)
    centroids = rng.normal(size=(4, 8)).astype(np.float32)
    x = rng.normal(size=(30, 8)).astype(np.float32)
    g = vlad(x, [(0, 10), (10, 10), (10, 30)], centroids)
    assert g.shape == (3, 32)
    np.testing.assert_allclose(np.linalg.norm(g, axis=1), [1.0, 0.0, 1.0], atol=1e-5)
    # one image's vector depends on its own rows only
    np.testing.assert_allclose(vlad(x[10:30], [(0, 20)], centroids)[0], g[2], atol=1e-6)


@pytest.fixture(scope="module")
def scale_set(tmp_path_factory):
    """40 references, 16 benchmark images (8 transformed copies, 8 transformed distractors), 192 px."""
    out = tmp_path_factory.mktemp("scale")
    s = write_scale_set(out / "set", n_reference=40, n_benchmark=16, side=192, seed=3)
    images, bad = describe_all(s["benchmark"], s["reference"], make_descriptor("rootsift", n_features=300),
                               out / "work")
    assert not bad
    return s, out / "work", images


def test_shortlist_recovers_true_references_with_k_n_candidates(scale_set):
    s, work, _ = scale_set
    index = ShortlistIndex.build(work / "reference", codebook_k=16)
    q = query_globals(work / "benchmark", index.centroids)
    k = 4
    cands = shortlist(q, index.refs, k)
    # k per query (best of its views orig + mirrored): k·n, not n·m
    per_query = cands.by_query()
    assert max(len(c) for c in per_query.values()) == k
    assert len(cands) <= k * len(s["benchmark"]) < len(s["benchmark"]) * len(s["reference"])
    assert len(cands.pairs()) == len(cands)  # one row per (query, reference): views merged
    hits = sum((qid, ref) in cands.pairs() for qid, ref in s["truth"].items())
    assert hits >= len(s["truth"]) - 1, (hits, len(s["truth"]))
    # chance level for comparison: k of 40 references, ~10 % per copy
    within = shortlist(q, query_globals(work / "benchmark", index.centroids), k, exclude_self=True)
    assert len(within) and not (within.query_ids == within.ref_ids).any()
    # best cosine first within each query
    for qid, refs in within.by_query().items():
        sc = within.scores[within.query_ids == qid]
        assert (np.diff(sc) <= 1e-7).all()


def test_shortlisted_dedup_finds_the_copies_and_keeps_distractors(scale_set, tmp_path):
    s, _, _ = scale_set
    cfg = MatchConfig(candidates="shortlist", shortlist_k=4, codebook_k=16, keep_below=1e-9)
    timings = {}
    res = run_dedup(s["benchmark"], s["reference"], make_descriptor("rootsift", n_features=300), tmp_path, cfg,
                    timings=timings, workers=2)  # describing and verifying in 2 forked processes
    dec = {d.image_id: d for d in res.decisions}
    removed_copies = [b for b, r in s["truth"].items() if dec[b].decision == "remove" and dec[b].matched_id == r]
    assert len(removed_copies) >= len(s["truth"]) - 2
    assert not [b for b, _ in s["benchmark"] if b not in s["truth"] and dec[b].decision == "remove"]
    # only shortlisted pairs were verified: candidate count bounded by k·views·n per side
    # (+ thumbnail pairs, none at this size)
    assert timings["candidates"] <= 2 * 2 * 4 * len(s["benchmark"])
    assert {"describe_s", "global_describe_s", "shortlist_s", "verify_s"} <= set(timings)


def test_auto_uses_the_shortlist_only_beyond_k_references():
    cfg = MatchConfig(shortlist_k=10)
    assert not cfg.use_shortlist(10) and cfg.use_shortlist(11)
    assert MatchConfig(candidates="exhaustive").use_shortlist(10_000) is False
    assert MatchConfig(candidates="shortlist").use_shortlist(2) is True
    with pytest.raises(ValueError, match="candidates"):
        MatchConfig(candidates="all").use_shortlist(5)
