"""Images branch end to end through Dagster on the tiny profile: the planted copies of the
embedded set are found and removed, re-runs replace rows, bad files are quarantined, and the
copy-detection evaluation records µAP."""
import json

from tests.conftest import materialize


def _run_dedup(run_config=None) -> bool:
    """Sources, then every descriptor shard partition, then matching — as the demo plan does."""
    import dagster as dg

    from assets.images import (SHARDS, image_benchmark_set, image_descriptors, image_duplicates,
                               image_reference_corpus)
    from pipelines.resources import WarehouseResource

    res = {"warehouse": WarehouseResource()}
    ok = dg.materialize([image_benchmark_set, image_reference_corpus], resources=res,
                        run_config=run_config).success
    for key in SHARDS.get_partition_keys():
        ok &= dg.materialize([image_descriptors], partition_key=key, resources=res).success
    return ok and dg.materialize([image_duplicates], resources=res).success


def _q(sql, params=()):
    from warehouse.readers import read_sql

    return read_sql(sql, params)


def test_embedded_demo_finds_planted_copies_and_reruns_do_not_duplicate(warehouse):
    from warehouse.paths import artifact_dir

    assert _run_dedup()
    truth = json.loads((artifact_dir("images") / "embedded_truth.json").read_text())
    decisions = {r["image_id"]: r for r in _q("SELECT * FROM image_decisions").to_dicts()}
    planted = truth["planted"]
    assert len(planted) == 4
    found = {b for b, ref in planted.items()
             if decisions[b]["decision"] == "remove" and decisions[b]["reason"] == "copy_of_reference"
             and decisions[b]["matched_id"] == ref}
    assert len(found) >= 3, (found, planted)
    # the within-benchmark repost and its original form one cluster, one kept
    (repost, original), = truth["within_benchmark"].items()
    pair = {decisions[repost]["decision"], decisions[original]["decision"]}
    assert pair == {"keep", "remove"} and decisions[repost]["cluster_id"] == decisions[original]["cluster_id"] != ""
    # no novel image is removed as a copy of the reference
    novel = set(decisions) - set(planted) - {repost, original}
    assert novel and all(decisions[i]["reason"] == "unique" for i in novel)
    pairs = _q("SELECT * FROM image_duplicate_pairs WHERE kind = 'against_reference'")
    assert pairs.height == len([d for d in decisions.values() if d["reason"] == "copy_of_reference"])
    assert (pairs["score"] >= 0.95).all() and pairs["verified"].all()
    # descriptors were computed per hash-shard partition; every image landed in exactly one
    files = _q("SELECT role, image_id, partition_key FROM image_files")
    assert files.height == files.select("role", "image_id").unique().height == len(decisions) + 8
    assert files["partition_key"].n_unique() >= 2
    counts = [_q(f"SELECT count(*) AS n FROM {t}")["n"][0]
              for t in ("image_files", "image_duplicate_pairs", "image_decisions")]
    assert _run_dedup()
    assert [_q(f"SELECT count(*) AS n FROM {t}")["n"][0]
            for t in ("image_files", "image_duplicate_pairs", "image_decisions")] == counts


def test_configured_folders_with_bad_files_are_quarantined(tmp_path, warehouse):
    from ops.images.sources import skimage_photos

    bench, ref = tmp_path / "bench", tmp_path / "ref"
    bench.mkdir(); ref.mkdir()
    photos = skimage_photos(["astronaut", "coffee"])
    photos["sk_astronaut"].save(ref / "astronaut.png")
    photos["sk_astronaut"].resize((256, 256)).save(bench / "astro_small.jpg", quality=40)
    photos["sk_coffee"].save(bench / "coffee.png")
    photos["sk_coffee"].save(tmp_path / "whole.png")
    data = (tmp_path / "whole.png").read_bytes()
    (bench / "broken.png").write_bytes(data[: len(data) // 3])  # truncated mid-stream
    (bench / "empty.jpg").write_bytes(b"")
    assert _run_dedup({"ops": {"image_benchmark_set": {"config": {"source": str(bench)}},
                               "image_reference_corpus": {"config": {"source": str(ref)}}}})
    # quarantine rows come from whichever shard partition each file hashed to
    q = _q("SELECT record_key, reason FROM quarantine WHERE asset_key = 'image_descriptors' ORDER BY record_key")
    assert [(k.rsplit("/", 1)[-1], r) for k, r in q.rows()] == [("broken.png", "corrupt"), ("empty.jpg", "zero_byte")]
    got = {r["image_id"]: (r["decision"], r["reason"]) for r in _q("SELECT * FROM image_decisions").to_dicts()}
    assert got == {"astro_small.jpg": ("remove", "copy_of_reference"), "coffee.png": ("keep", "unique"),
                   "broken.png": ("quarantined", "corrupt"), "empty.jpg": ("quarantined", "zero_byte")}


def test_copy_detection_eval_records_micro_ap_and_plots(warehouse):
    from assets.images import image_copy_detection_eval

    assert materialize([image_copy_detection_eval]).success
    metrics = dict(_q("SELECT metric, value FROM eval_metrics WHERE report_id LIKE 'image_copy_detection_eval%'").rows())
    assert set(metrics) == {"micro_ap", "precision_at_threshold", "recall_at_threshold"}
    assert 0.5 <= metrics["micro_ap"] <= 1.0
    report = _q("SELECT html_path FROM eval_reports WHERE suite = 'image_copy_detection'")["html_path"][0]
    from pathlib import Path

    folder = Path(report).parent
    assert (folder / "pr_curve.png").stat().st_size > 1000 and (folder / "score_hist.png").stat().st_size > 1000
    pairs = _q("SELECT is_copy, score FROM image_copy_eval_pairs")
    # copies score higher than non-copies on average: the curve is not noise
    non_copies = pairs.filter(~pairs["is_copy"])["score"]
    assert pairs.filter(pairs["is_copy"])["score"].mean() > (non_copies.mean() if len(non_copies) else 0.0)
