"""Every bad-input case of the issue: normalised to 8-bit RGB, or rejected with a reason; a shard
run with bad files in it quarantines them and still describes the good ones."""
import io

import numpy as np
import pytest
from PIL import Image

from ops.images.loading import BadImage, load_image


def _gradient(w=64, h=48):
    x = np.linspace(0, 255, w, dtype=np.float32)[None, :].repeat(h, 0)
    y = np.linspace(0, 255, h, dtype=np.float32)[:, None].repeat(w, 1)
    return np.stack([x, y, 255 - x], axis=2).astype(np.uint8)


def _reason(path, **kw):
    with pytest.raises(BadImage) as err:
        load_image(path, **kw)
    return err.value.reason


def test_zero_byte(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    assert _reason(tmp_path / "empty.png") == "zero_byte"


def test_not_an_image_with_image_extension(tmp_path):
    (tmp_path / "notes.jpg").write_text("this is plain text, not a JPEG\n" * 10)
    assert _reason(tmp_path / "notes.jpg") == "not_an_image"


def test_missing_file(tmp_path):
    assert _reason(tmp_path / "nope.png") == "missing"


def test_truncated_png_and_jpeg(tmp_path):
    for fmt, name in (("PNG", "cut.png"), ("JPEG", "cut.jpg")):
        buf = io.BytesIO()
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (128, 128, 3), dtype=np.uint8)).save(buf, fmt)
        data = buf.getvalue()
        (tmp_path / name).write_bytes(data[: len(data) // 2])
        assert _reason(tmp_path / name) == "corrupt", name


def test_decompression_bomb_refused_from_header(tmp_path):
    # 1-bit 12000x12000 PNG: ~20 kB on disk, 144M pixels once decoded
    Image.new("1", (12000, 12000)).save(tmp_path / "bomb.png")
    assert (tmp_path / "bomb.png").stat().st_size < 200_000
    assert _reason(tmp_path / "bomb.png") == "decompression_bomb"
    # the limit is configurable: a small image over a tiny limit is refused too
    Image.fromarray(_gradient()).save(tmp_path / "small.png")
    assert _reason(tmp_path / "small.png", max_pixels=1000) == "decompression_bomb"


def test_tiny_image(tmp_path):
    Image.fromarray(_gradient(8, 8)).save(tmp_path / "tiny.png")
    assert _reason(tmp_path / "tiny.png") == "too_small"


def test_cmyk_jpeg_becomes_rgb(tmp_path):
    Image.fromarray(_gradient()).convert("CMYK").save(tmp_path / "cmyk.jpg", quality=95)
    out = load_image(tmp_path / "cmyk.jpg")
    assert out.original_mode == "CMYK" and out.image.mode == "RGB" and "cmyk" in out.notes
    # colours survive the round trip (JPEG loss only)
    assert np.abs(np.asarray(out.image, np.int16) - _gradient()).mean() < 12


def test_16bit_grey_is_rescaled_not_clipped(tmp_path):
    arr = (np.linspace(0, 65535, 64 * 48).reshape(48, 64)).astype(np.uint16)
    Image.fromarray(arr).save(tmp_path / "deep.png")
    out = load_image(tmp_path / "deep.png")
    assert out.original_mode.startswith("I")
    rgb = np.asarray(out.image)
    assert rgb.dtype == np.uint8 and rgb.shape == (48, 64, 3)
    assert rgb[0, 0, 0] == 0 and rgb[-1, -1, 0] == 255  # full range kept (clipping would give all 255)
    assert 120 <= rgb[24, 32, 0] <= 135


def test_palette_image(tmp_path):
    Image.fromarray(_gradient()).convert("P", palette=Image.ADAPTIVE, colors=16).save(tmp_path / "pal.png")
    out = load_image(tmp_path / "pal.png")
    assert out.original_mode == "P" and out.image.mode == "RGB" and "palette" in out.notes


def test_alpha_is_composited_on_white(tmp_path):
    rgba = np.zeros((48, 64, 4), np.uint8)
    rgba[..., 0] = 255          # red
    rgba[:, :32, 3] = 255       # left half opaque, right half transparent
    Image.fromarray(rgba, "RGBA").save(tmp_path / "alpha.png")
    out = np.asarray(load_image(tmp_path / "alpha.png").image)
    assert tuple(out[10, 5]) == (255, 0, 0)
    assert tuple(out[10, 60]) == (255, 255, 255)


def test_animated_gif_uses_first_frame(tmp_path):
    frames = [Image.new("RGB", (40, 40), c) for c in ((255, 0, 0), (0, 0, 255))]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)
    out = load_image(tmp_path / "anim.gif")
    assert "first_frame" in out.notes
    r, g, b = np.asarray(out.image)[20, 20]
    assert r > 200 and b < 50


def test_exif_rotation_applied(tmp_path):
    im = Image.fromarray(_gradient(64, 32))   # landscape
    exif = Image.Exif()
    exif[0x0112] = 6                           # "rotate 90° clockwise to display"
    im.save(tmp_path / "rot.jpg", exif=exif.tobytes(), quality=95)
    out = load_image(tmp_path / "rot.jpg")
    assert out.image.size == (32, 64)          # portrait once the orientation is applied
    assert "exif_rotated_6" in out.notes
    # top-left of the displayed image is the original bottom-left
    expected = np.asarray(im.transpose(Image.Transpose.ROTATE_270))
    assert np.abs(np.asarray(out.image, np.int16) - expected).mean() < 8


def test_shard_run_quarantines_bad_files_and_continues(tmp_path):
    from ops.images.descriptors import make_descriptor
    from ops.images.store import compute_shards, read_all

    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 255, (96, 96, 3), dtype=np.uint8)).save(tmp_path / "good1.png")
    Image.fromarray(_gradient(80, 80)).save(tmp_path / "good2.png")
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "text.png").write_text("hello")
    files = [(p.name, str(p)) for p in sorted(tmp_path.glob("*.png"))]
    infos, bad = compute_shards(files, make_descriptor("rootsift", n_features=50), tmp_path / "out", shard_size=2)
    assert sorted(i["image_id"] for i in infos) == ["good1.png", "good2.png"]
    assert sorted((rec["image_id"], reason) for _, reason, rec in bad) == [
        ("empty.png", "zero_byte"), ("text.png", "not_an_image")]
    block = read_all(tmp_path / "out")
    assert set(block.image_ids) <= {"good1.png", "good2.png"} and "good1.png" in set(block.image_ids)
    assert block.vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(block.vectors, axis=1), 1.0, atol=1e-5)
