"""Union-find clusters and the per-image decisions with reasons."""
from ops.images.clusters import UnionFind, decide


def test_union_find_transitive_and_deterministic_root():
    uf = UnionFind()
    uf.union("c", "d"); uf.union("a", "b"); uf.union("d", "b")
    assert {uf.find(x) for x in "abcd"} == {"a"}
    assert uf.find("e") == "e"


def test_decisions_cover_every_reason():
    bench = ["b1", "b2", "b3", "b4", "b5", "b6", "bad"]
    pixels = {"b1": 100, "b2": 100, "b3": 50, "b4": 400, "b5": 10, "b6": 10}
    pairs = [
        ("b1", "r1", 0.96, "reference"),          # b1 copies reference r1 ...
        ("b1", "b2", 0.99, "benchmark"),          # ... and matches b2 more strongly: matched_id stays r1
        ("b2", "b1", 0.97, "benchmark"),          # b2 ~ b1, so transitively a copy of r1 too
        ("b3", "b4", 0.96, "benchmark"),          # benchmark-only cluster {b3, b4}: keep the larger b4
        ("b4", "b3", 0.98, "benchmark"),
    ]
    got = {d.image_id: d for d in decide(bench, pixels, pairs, quarantined={"bad": "corrupt"})}
    assert (got["b1"].decision, got["b1"].reason, got["b1"].matched_id, got["b1"].score) == (
        "remove", "copy_of_reference", "r1", 0.96)
    assert (got["b2"].decision, got["b2"].reason, got["b2"].matched_id) == ("remove", "near_copy_of_reference", "b1")
    assert got["b1"].cluster_id == got["b2"].cluster_id != ""
    assert (got["b4"].decision, got["b4"].reason) == ("keep", "cluster_representative")
    assert (got["b3"].decision, got["b3"].reason, got["b3"].matched_id) == ("remove", "duplicate_in_benchmark", "b4")
    assert got["b3"].score == 0.98  # strongest score seen for b3 in either direction
    assert (got["b5"].decision, got["b5"].reason, got["b5"].cluster_id) == ("keep", "unique", "")
    assert (got["bad"].decision, got["bad"].reason) == ("quarantined", "corrupt")
    assert sum(d.decision == "keep" for d in got.values()) == 3  # b4, b5, b6


def test_reference_and_benchmark_ids_never_merge_by_name():
    # a benchmark image named like a reference image is not its copy unless a pair says so
    got = decide(["x"], {"x": 1}, [("y", "x", 0.99, "reference")])
    assert (got[0].decision, got[0].reason) == ("keep", "unique")


def test_unverified_pairs_join_no_cluster():
    """A pair with no geometric evidence (grey-thumbnail route, 0 inliers) may make an image a
    direct copy of a reference, but links nothing into a cluster (issue #14)."""
    bench = ["b1", "b2", "b3"]
    pixels = {"b1": 10, "b2": 10, "b3": 10}
    pairs = [("b1", "r1", 0.96, "reference", False),   # thumbnail-only match to a reference
             ("b2", "b1", 0.97, "benchmark", False),   # thumbnail-only link inside the benchmark
             ("b3", "b2", 0.99, "benchmark", False)]
    got = {d.image_id: d for d in decide(bench, pixels, pairs)}
    assert (got["b1"].decision, got["b1"].reason, got["b1"].matched_id) == ("remove", "copy_of_reference", "r1")
    assert (got["b2"].decision, got["b2"].reason) == ("keep", "unique")
    assert (got["b3"].decision, got["b3"].reason) == ("keep", "unique")
    # the same pairs verified: b2 and b3 follow b1 into its cluster
    got = {d.image_id: d for d in decide(bench, pixels, [p[:4] for p in pairs])}
    assert [got[b].decision for b in bench] == ["remove", "remove", "remove"]
