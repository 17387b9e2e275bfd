"""Descriptors: the offline RootSIFT default and the TorchScript path (a tiny model built here)."""
import numpy as np
import pytest
from PIL import Image, ImageFilter

from ops.images.descriptors import make_descriptor


@pytest.fixture(scope="module")
def photos():
    from ops.images.sources import skimage_photos

    return skimage_photos(["astronaut", "coffee", "rocket"])


def test_rootsift_vectors_are_unit_rootsift(photos):
    f = make_descriptor("rootsift", n_features=100).describe([photos["sk_astronaut"]])[0]
    assert f.vectors.dtype == np.float32 and 50 <= len(f.vectors) <= 100 and f.vectors.shape[1] == 128
    np.testing.assert_allclose(np.linalg.norm(f.vectors, axis=1), 1.0, atol=1e-5)
    assert (f.vectors >= 0).all()  # square roots of L1-normalised histograms
    assert f.xy.shape == (len(f.vectors), 2) and f.xy.max() <= 640


def test_rootsift_resizes_big_and_upscales_small():
    d = make_descriptor("rootsift")
    assert d._grey(Image.new("RGB", (2000, 1000))).shape == (320, 640)
    assert d._grey(Image.new("RGB", (100, 50))).shape == (200, 400)   # ×4 cap
    assert d._grey(Image.new("RGB", (400, 300))).shape == (300, 400)  # left alone


def test_unknown_descriptor_and_missing_weights_are_clear_errors():
    with pytest.raises(ValueError, match="unknown descriptor"):
        make_descriptor("sscd-from-the-internet")
    with pytest.raises(ValueError, match="path="):
        make_descriptor("torchscript")


def test_torchscript_preprocessing_by_hand(tmp_path, tiny_model):
    d = make_descriptor("torchscript", path=str(tiny_model), size=32)
    arr = d.preprocess(Image.new("RGB", (50, 20), (255, 0, 128)))
    assert arr.shape == (3, 32, 32)
    np.testing.assert_allclose(arr[:, 5, 5], [(1 - 0.485) / 0.229, (0 - 0.456) / 0.224,
                                              (128 / 255 - 0.406) / 0.225], atol=1e-5)


def test_torchscript_descriptor_equals_model_output_normalised(tmp_path, photos, tiny_model):
    import torch

    path = tiny_model
    d = make_descriptor("torchscript", path=str(path), size=64, batch_size=2)
    ims = list(photos.values())
    feats = d.describe(ims)  # 3 images in batches of 2
    assert len(feats) == 3 and d.dim == 48 and d.kind == "global"
    model = torch.jit.load(str(path))
    for im, f in zip(ims, feats):
        raw = model(torch.from_numpy(d.preprocess(im)[None])).numpy()[0]
        np.testing.assert_allclose(f.vectors[0], raw / np.linalg.norm(raw), atol=1e-5)


def test_torchscript_global_matching_range_search_and_background(tmp_path, photos, tiny_model):
    """Blurred copies match their source at 0.95 raw cosine; different photos do not."""
    from ops.images.dedup import run_dedup

    bench_dir, ref_dir, bg_dir = (tmp_path / n for n in ("bench", "ref", "bg"))
    for d in (bench_dir, ref_dir, bg_dir):
        d.mkdir()
    photos["sk_astronaut"].save(ref_dir / "astronaut.png")
    photos["sk_coffee"].save(ref_dir / "coffee.png")
    photos["sk_astronaut"].filter(ImageFilter.GaussianBlur(2)).save(bench_dir / "astro_blur.png")
    photos["sk_rocket"].save(bench_dir / "rocket.png")
    desc = make_descriptor("torchscript", path=str(tiny_model), size=64)
    res = run_dedup([(p.name, str(p)) for p in sorted(bench_dir.iterdir())],
                    [(p.name, str(p)) for p in sorted(ref_dir.iterdir())], desc, tmp_path / "work")
    assert [(p.query_id, p.reference_id) for p in res.pairs] == [("astro_blur.png", "astronaut.png")]
    assert res.pairs[0].score >= 0.95 and res.pairs[0].score == res.pairs[0].raw_score
    got = {d.image_id: (d.decision, d.reason) for d in res.decisions}
    assert got == {"astro_blur.png": ("remove", "copy_of_reference"), "rocket.png": ("keep", "unique")}
    # with a background set the threshold applies to cosine − 10th-background similarity
    for i in range(12):
        Image.fromarray(np.random.default_rng(i).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(bg_dir / f"{i}.png")
    from ops.images.matching import MatchConfig

    res_bg = run_dedup([(p.name, str(p)) for p in sorted(bench_dir.iterdir())],
                       [(p.name, str(p)) for p in sorted(ref_dir.iterdir())], desc, tmp_path / "work2",
                       cfg=MatchConfig(threshold=0.3),
                       background=[(p.name, str(p)) for p in sorted(bg_dir.iterdir())])
    pair = next(p for p in res_bg.pairs if p.query_id == "astro_blur.png")
    assert pair.reference_id == "astronaut.png"
    # by hand: raw cosine minus the query's 10th-highest similarity to the background images
    q = desc.describe([Image.open(bench_dir / "astro_blur.png").convert("RGB")])[0].vectors[0]
    bg = np.concatenate([f.vectors for f in desc.describe(
        [Image.open(p).convert("RGB") for p in sorted(bg_dir.iterdir())])])
    kth = np.sort(bg @ q)[::-1][9]
    assert pair.score == pytest.approx(pair.raw_score - kth, abs=1e-4)
    assert pair.raw_score == pytest.approx(res.pairs[0].raw_score, abs=1e-6)


def test_grey_thumbnail_trims_borders_and_ignores_brightness():
    from ops.images.descriptors import grey_thumbnail

    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (64, 64), dtype=np.uint8).repeat(2, 0).repeat(2, 1)  # 128² blocks
    im = Image.fromarray(base).convert("RGB")
    framed = Image.new("RGB", (168, 148), (0, 0, 0))
    framed.paste(im, (20, 10))                               # black frame: trimmed away
    brighter = Image.fromarray(np.clip(base.astype(np.int16) + 30, 0, 255).astype(np.uint8)).convert("RGB")
    t = grey_thumbnail(im)
    assert t.shape == (256,) and abs(float(np.linalg.norm(t)) - 1) < 1e-5 and abs(float(t.sum())) < 1e-3
    assert float(t @ grey_thumbnail(framed)) > 0.99
    assert float(t @ grey_thumbnail(brighter)) > 0.98
    other = Image.fromarray(rng.integers(0, 255, (128, 128), dtype=np.uint8)).convert("RGB")
    assert float(t @ grey_thumbnail(other)) < 0.5


def test_geometric_verification_of_global_candidates(tmp_path, photos, tiny_model):
    """A thumbnail model at a loose threshold accepts an unrelated pair; RANSAC verification keeps
    only the real copy."""
    from ops.images.dedup import run_dedup
    from ops.images.matching import MatchConfig

    bench, ref = tmp_path / "bench", tmp_path / "ref"
    bench.mkdir(); ref.mkdir()
    photos["sk_astronaut"].save(ref / "astronaut.png")
    photos["sk_astronaut"].resize((300, 300)).save(bench / "astro_small.jpg", quality=50)
    photos["sk_coffee"].save(bench / "coffee.png")
    desc = make_descriptor("torchscript", path=str(tiny_model), size=64)
    listing = lambda d: [(p.name, str(p)) for p in sorted(d.iterdir())]  # noqa: E731
    loose = MatchConfig(threshold=-1.0)  # every pair is a candidate
    unverified = run_dedup(listing(bench), listing(ref), desc, tmp_path / "w1", loose)
    assert {p.query_id for p in unverified.pairs} == {"astro_small.jpg", "coffee.png"}
    checked = run_dedup(listing(bench), listing(ref), desc, tmp_path / "w2",
                        MatchConfig(threshold=-1.0, verify=True))
    by_q = {p.query_id: p for p in checked.pairs}
    assert by_q["astro_small.jpg"].verified and by_q["astro_small.jpg"].n_inliers >= 10
    assert not by_q["coffee.png"].verified and by_q["coffee.png"].n_inliers < 10
    strict = run_dedup(listing(bench), listing(ref), desc, tmp_path / "w3",
                       MatchConfig(threshold=-1.0, verify=True, require_verified=True))
    assert [(p.query_id, p.reference_id) for p in strict.pairs] == [("astro_small.jpg", "astronaut.png")]


def test_local_matching_hnsw_agrees_with_exact(tmp_path, photos):
    """The approximate index finds the same verified copies as the exact one on a small set."""
    from PIL import ImageOps

    from ops.images.matching import MatchConfig, match_local
    from ops.images.store import compute_shards

    refs = [(k, photos[k]) for k in sorted(photos)]
    for k, im in refs:
        im.save(tmp_path / f"{k}.png")
    ImageOps.mirror(photos["sk_coffee"]).resize((300, 200)).save(tmp_path / "q1.jpg", quality=50)
    photos["sk_rocket"].crop((50, 50, 400, 350)).save(tmp_path / "q2.png")
    d = make_descriptor("rootsift", n_features=300, max_side=384)
    compute_shards([(k, str(tmp_path / f"{k}.png")) for k, _ in refs], d, tmp_path / "r", shard_size=2)
    compute_shards([("q1", str(tmp_path / "q1.jpg")), ("q2", str(tmp_path / "q2.png"))], d, tmp_path / "q",
                   mirrored=True)
    exact = match_local(tmp_path / "q", tmp_path / "r", MatchConfig())
    approx = match_local(tmp_path / "q", tmp_path / "r", MatchConfig(index="hnsw"))
    assert sorted((p.query_id, p.reference_id) for p in exact) == [("q1", "sk_coffee"), ("q2", "sk_rocket")]
    assert sorted((p.query_id, p.reference_id) for p in approx) == sorted((p.query_id, p.reference_id) for p in exact)
    assert all(p.verified and p.n_inliers >= 10 for p in exact)


def test_mirrored_features_equal_sift_on_the_mirrored_image(photos):
    """The hflip view is derived, not described again: at keypoints SIFT finds in both the image
    and its mirror, the permuted descriptors are SIFT's own (up to float rounding)."""
    from PIL import ImageOps

    sift = make_descriptor("rootsift", n_features=300)
    im = photos["sk_astronaut"]
    f = sift.describe([im])[0]
    m = sift.mirrored(f)
    ref = sift.describe([ImageOps.mirror(im)])[0]
    near = np.linalg.norm(m.xy[:, None, :] - ref.xy[None, :, :], axis=2) < 0.5  # same place
    same = near.any(axis=1)
    assert same.sum() >= 50

    def err(vectors):  # per keypoint: the closest descriptor among SIFT's keypoints at that place
        dist = np.linalg.norm(vectors[:, None, :] - ref.vectors[None, :, :], axis=2)
        return np.where(near, dist, np.inf).min(axis=1)[same]

    assert np.median(err(m.vectors)) < 0.1  # pixel-grid effects of detecting on the mirror
    assert np.median(err(f.vectors)) > 0.3  # unpermuted descriptors are far off: the test can fail
    np.testing.assert_allclose(m.thumb, ref.thumb, atol=0.05)
