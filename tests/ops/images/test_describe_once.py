"""Issue #14: each image is described once (its mirrored view is derived from those features, and
the benchmark's reference side reuses the rows)."""
import dataclasses

from PIL import Image, ImageDraw

from ops.images.dedup import run_dedup
from ops.images.descriptors import RootSift


@dataclasses.dataclass
class CountingSift(RootSift):
    calls: int = 0

    def describe(self, images):
        self.calls += len(images)
        return super().describe(images)


def _image(path, seed):
    im = Image.new("RGB", (200, 160), "white")
    d = ImageDraw.Draw(im)
    for i in range(12):
        d.rectangle((seed * 7 + i * 13 % 150, i * 11, seed * 7 + i * 13 % 150 + 30, i * 11 + 9), fill=(i * 20, 90, 200))
    im.save(path)
    return str(path)


def test_each_image_described_once(tmp_path):
    bench = [(f"b{i}.png", _image(tmp_path / f"b{i}.png", i)) for i in range(3)]
    refs = [(f"r{i}.png", _image(tmp_path / f"r{i}.png", i + 5)) for i in range(2)]
    sift = CountingSift(n_features=100)
    res = run_dedup(bench, refs, sift, tmp_path / "work")
    assert sift.calls == len(bench) + len(refs)  # the mirrored view is derived, not described
    assert len(res.decisions) == 3
    import pyarrow.parquet as pq

    views = pq.read_table(next((tmp_path / "work" / "benchmark").glob("shard-*.parquet"))).column("view").to_pylist()
    assert set(views) == {"orig", "hflip"}
    ids = {p.name for p in (tmp_path / "work" / "benchmark_ref").glob("*.parquet")}
    assert ids == {p.name for p in (tmp_path / "work" / "benchmark").glob("*.parquet")}
