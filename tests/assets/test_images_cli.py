"""``trainyard images-dedup``: dedup a benchmark folder against a reference folder from the CLI."""
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
    assert main(["images-dedup", "--benchmark", str(bench), "--reference", str(ref),
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
