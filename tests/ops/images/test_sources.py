"""Image sources: folder, glob, Parquet and JSONL listings give the same (image_id, path) pairs."""
import json

import polars as pl
import pytest
from PIL import Image

from ops.images.sources import list_images, write_embedded


def _tree(root):
    (root / "a").mkdir(parents=True)
    for rel in ("a/one.png", "two.JPG", "a/notes.txt"):
        p = root / rel
        if p.suffix == ".txt":
            p.write_text("x")
        else:
            Image.new("RGB", (32, 32)).save(p, format="PNG" if p.suffix == ".png" else "JPEG")


def test_folder_glob_parquet_jsonl(tmp_path):
    root = tmp_path / "imgs"
    _tree(root)
    folder = list_images(root)
    # recursive; every visible file is listed: what is not an image is quarantined when loaded
    assert [i for i, _ in folder] == ["a/notes.txt", "a/one.png", "two.JPG"]
    assert [i for i, _ in list_images(str(root / "**" / "*.png"))] == ["a/one.png"]
    pl.DataFrame({"path": ["a/one.png", str(root / "two.JPG")], "image_id": ["x1", None]}).write_parquet(root / "l.parquet")
    assert list_images(root / "l.parquet") == [("x1", str(root / "a/one.png")), (str(root / "two.JPG"), str(root / "two.JPG"))]
    (root / "l.jsonl").write_text("\n".join(json.dumps(r) for r in ({"path": "a/one.png"}, {"path": "two.JPG", "image_id": "t"})) + "\n")
    assert list_images(root / "l.jsonl") == [("a/one.png", str(root / "a/one.png")), ("t", str(root / "two.JPG"))]


def test_bad_source_specs_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="not a folder"):
        list_images(tmp_path / "missing_dir")
    (tmp_path / "bad.jsonl").write_text('{"file": "x.png"}\n')
    with pytest.raises(ValueError, match="'path' field"):
        list_images(tmp_path / "bad.jsonl")


def test_embedded_default_plants_copies(tmp_path):
    out = write_embedded(tmp_path, n_reference=5, n_planted=2, n_novel=2)
    refs = {i for i, _ in list_images(out["reference"])}
    bench = {i for i, _ in list_images(out["benchmark"])}
    assert len(refs) == 5 and len(bench) == 2 + 2 + 1
    assert set(out["planted"]) <= bench and set(out["planted"].values()) <= refs
    (repost, original), = out["within_benchmark"].items()
    assert {repost, original} <= bench and original not in refs
