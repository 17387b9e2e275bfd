"""The generated dedup-at-scale set (issue #14): deterministic per seed, and a kept set is reused."""
from ops.images.scale_set import write_scale_set


def test_kept_set_is_reused_and_a_missing_file_is_redrawn_identically(tmp_path):
    first = write_scale_set(tmp_path, 4, 4, side=64, seed=1)
    files = sorted(tmp_path.rglob("*.png"))
    assert len(files) == 8 and len(first["truth"]) == 2
    before = {f: f.read_bytes() for f in files}
    (tmp_path / "reference" / "r00000.png").unlink()
    stale = tmp_path / "benchmark" / "b00001.png"
    stale.write_bytes(b"kept as it is")  # an existing file is not drawn again
    again = write_scale_set(tmp_path, 4, 4, side=64, seed=1, keep_existing=True)
    assert again["truth"] == first["truth"]
    assert stale.read_bytes() == b"kept as it is"
    assert all(f.read_bytes() == before[f] for f in files if f != stale)
