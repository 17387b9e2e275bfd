"""DISC21-like transforms: every one changes the image, copies are reproducible by seed."""
import random

import numpy as np
from PIL import Image

from ops.images.transforms import TRANSFORMS, make_copy


def _photo():
    from ops.images.sources import skimage_photos

    return skimage_photos(["astronaut"])["sk_astronaut"].resize((256, 256))


def test_every_transform_changes_the_image():
    im = _photo()
    base = np.asarray(im, np.int16)
    for name, fn in TRANSFORMS.items():
        out = fn(im, random.Random(3)).convert("RGB")
        assert isinstance(out, Image.Image) and min(out.size) >= 16, name
        if out.size == im.size:
            assert np.abs(np.asarray(out, np.int16) - base).mean() > 0.5, name


def test_make_copy_is_deterministic_and_records_transforms():
    im = _photo()
    a, names_a = make_copy(im, seed=7)
    b, names_b = make_copy(im, seed=7)
    assert names_a == names_b and 1 <= len(names_a) <= 3 and set(names_a) <= set(TRANSFORMS)
    assert a.size == b.size and np.array_equal(np.asarray(a), np.asarray(b))
    _, names_c = make_copy(im, seed=8, n_transforms=3)
    assert len(names_c) == 3
