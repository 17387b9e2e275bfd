"""``trainyard images dedup``: dedup a benchmark folder against a reference folder from the CLI."""
from PIL import ImageOps


def test_cli_dedups_folder_against_folder(tmp_path, warehouse, capsys):
    from ops.images.sources import skimage_photos
    from pipelines.cli import main
    from warehouse.readers import read_sql

    bench, ref = tmp_path / "bench", tmp_path / "ref"
    bench.mkdir(); ref.mkdir()
    ph = skimage_photos(["astronaut", "coffee", "rocket"])
    ph["sk_astronaut"].save(ref / "astronaut.png")
    ph["sk_rocket"].save(ref / "rocket.png")
    ImageOps.mirror(ph["sk_rocket"]).save(bench / "rocket_flipped.jpg", quality=60)
    ph["sk_coffee"].save(bench / "coffee.png")
    assert main(["images", "dedup", "--benchmark", str(bench), "--reference", str(ref),
                 "--work-dir", str(tmp_path / "work")]) == 0
    out = capsys.readouterr().out
    assert "1 of 2 benchmark images removed" in out
    rows = read_sql("SELECT image_id, decision, reason, matched_id FROM image_decisions "
                    "WHERE asset_key = 'images_cli' ORDER BY image_id").rows()
    assert rows == [("coffee.png", "keep", "unique", ""),
                    ("rocket_flipped.jpg", "remove", "copy_of_reference", "rocket.png")]
    pairs = read_sql("SELECT query_id, reference_id, score, n_inliers, verified FROM image_duplicate_pairs "
                     "WHERE asset_key = 'images_cli'").rows()
    assert len(pairs) == 1 and pairs[0][:2] == ("rocket_flipped.jpg", "rocket.png")
    # score = max(inlier score n/(n+0.5), thumbnail cosine); the mirrored view verified geometrically
    assert pairs[0][2] >= pairs[0][3] / (pairs[0][3] + 0.5) and pairs[0][3] >= 10 and pairs[0][4]


def _photos(tmp_path):
    from ops.images.sources import skimage_photos

    bench, ref = tmp_path / "bench", tmp_path / "ref"
    bench.mkdir(); ref.mkdir()
    return bench, ref, skimage_photos(["astronaut", "coffee", "rocket"])


def test_cli_empty_or_unreadable_reference_set_is_an_error(tmp_path, warehouse, capsys):
    from pipelines.cli import main

    bench, ref, ph = _photos(tmp_path)
    ph["sk_coffee"].save(bench / "coffee.png")
    args = ["images", "dedup", "--benchmark", str(bench), "--reference", str(ref), "--work-dir", str(tmp_path / "w")]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: the reference set is empty") and "\n" not in err
    (ref / "broken.png").write_bytes(b"not a png at all")
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert "none of the 1 reference files could be read" in err and "not_an_image" in err and "\n" not in err


def test_cli_unsupported_files_quarantined_and_keep_below(tmp_path, warehouse, capsys):
    from pipelines.cli import main
    from warehouse.readers import read_sql

    bench, ref, ph = _photos(tmp_path)
    ph["sk_rocket"].save(ref / "rocket.png")
    ph["sk_astronaut"].save(ref / "astronaut.png")
    rocket = ph["sk_rocket"]
    w, h = rocket.size  # a cropped copy (its thumbnail no longer matches exactly), with no extension
    rocket.crop((w // 8, h // 8, w - w // 8, h - h // 8)).save(bench / "rocket_copy", format="PNG")
    ph["sk_coffee"].save(bench / "coffee.png")
    (bench / "photo.avif").write_bytes(b"\x00\x00\x00\x1cftypavif" + b"\x00" * 64)  # unreadable here
    # a threshold no pair reaches: the copy stays, but --keep-below still exports its score
    assert main(["images", "dedup", "--benchmark", str(bench), "--reference", str(ref), "--threshold", "0.9999",
                 "--keep-below", "0.5", "--work-dir", str(tmp_path / "w")]) == 0
    pairs = read_sql("SELECT query_id, reference_id, score, threshold FROM image_duplicate_pairs "
                     "WHERE asset_key = 'images_cli'")
    assert ("rocket_copy", "rocket.png") in [r[:2] for r in pairs.rows()]
    assert (pairs["score"] < 0.9999).all() and (pairs["score"] >= 0.5).all()
    assert main(["images", "dedup", "--benchmark", str(bench), "--reference", str(ref), "--keep-below", "0.5",
                 "--work-dir", str(tmp_path / "w")]) == 0
    rows = dict(read_sql("SELECT image_id, reason FROM image_decisions WHERE asset_key = 'images_cli'").rows())
    assert rows["rocket_copy"] == "copy_of_reference" and rows["coffee.png"] == "unique"
    assert rows["photo.avif"] in ("not_an_image", "corrupt")
    assert read_sql("SELECT count(*) AS n FROM quarantine WHERE record_key LIKE '%photo.avif'")["n"][0] == 1
    pairs = read_sql("SELECT query_id, score, threshold FROM image_duplicate_pairs WHERE asset_key = 'images_cli'")
    assert (pairs["score"] >= pairs["threshold"]).sum() == 1  # decisions use the threshold


def test_cli_background_calibrates_threshold_and_stores_how(tmp_path, warehouse, capsys, tiny_model):
    """With --background and no --threshold the threshold is calibrated and stored (eval_reports
    suite image_threshold_calibration + eval_metrics), and the pairs carry it."""
    import numpy as np

    from ops.images.scale_set import _base_photos, generated_image
    from pipelines.cli import main
    from warehouse.readers import read_sql

    bench, ref, _ = _photos(tmp_path)
    bg = tmp_path / "bg"
    bg.mkdir()
    rng, photos = np.random.default_rng(1), _base_photos()
    for i in range(8):
        generated_image(photos, rng, 96).save(ref / f"r{i}.png")
        generated_image(photos, rng, 96).save(bg / f"g{i}.png")
    generated_image(photos, rng, 96).save(bench / "new.png")
    assert main(["images-dedup", "--benchmark", str(bench), "--reference", str(ref), "--background", str(bg),
                 "--descriptor", "torchscript", "--weights", str(tiny_model), "--keep-below", "-1",
                 "--target-precision", "0.9", "--work-dir", str(tmp_path / "w")]) == 0
    assert "calibrated: lowest normalised score with precision ≥ 0.9" in capsys.readouterr().out
    metrics = dict(read_sql("SELECT metric, value FROM eval_metrics WHERE report_id = "
                            "'images_cli/threshold_calibration/torchscript'").rows())
    assert metrics["target_precision"] == 0.9 and metrics["threshold"] != 0.95
    thresholds = {r[0] for r in read_sql("SELECT DISTINCT threshold FROM image_duplicate_pairs "
                                         "WHERE asset_key = 'images_cli'").rows()}
    assert thresholds == {metrics["threshold"]}
