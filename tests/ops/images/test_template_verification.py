"""Issue #14: verification that a shared template cannot fool. Images framed in one textured
template (most of the pixels) with different content are not copies, however many template
keypoints agree; a template shared in mirrored form votes for nothing."""
import numpy as np
import pytest
from PIL import Image

from ops.images.descriptors import RootSift, _MIRROR
from ops.images.matching import MatchConfig, Pair
from ops.images.shortlist import KeypointStore, verify_candidates
from ops.images.store import compute_shards
from ops.images.verify import appearance_filter


@pytest.fixture(scope="module")
def framed(tmp_path_factory):
    """Four images: one textured application template (``hard_negatives.screenshot``) with a
    different generated mosaic pasted in as content; and a re-encoded copy of the first."""
    from ops.images.hard_negatives import screenshot
    from ops.images.scale_set import _base_photos, generated_image

    out = tmp_path_factory.mktemp("framed")
    photos = _base_photos()
    template = screenshot(np.random.default_rng(0))
    paths = {}
    for i in range(4):
        im = template.copy()
        im.paste(generated_image(photos, np.random.default_rng([7, i]), side=224), (380, 110))
        paths[f"t{i}.png"] = str(out / f"t{i}.png")
        im.save(paths[f"t{i}.png"])
    Image.open(paths["t0.png"]).save(out / "copy.jpg", quality=60)
    paths["copy.jpg"] = str(out / "copy.jpg")
    # the reference side (its thumbnails choose each reference's rivals): the four framed images
    compute_shards(sorted((k, v) for k, v in paths.items() if k.startswith("t")), RootSift(n_features=100),
                   out / "desc")
    return paths, out / "desc"


def _pair(q, r, n):  # identity affine: all images share the template's frame
    return Pair(q, r, n / (n + 0.5), float(n), n, True, (1.0, 0.0, 0.0, 0.0, 1.0, 0.0), "orig")


def test_high_inlier_template_pairs_are_checked_on_their_content(framed):
    paths, desc = framed
    cfg = MatchConfig()
    pairs = [_pair("t1.png", "t0.png", 200), _pair("copy.jpg", "t0.png", 200)]
    kept, failed = appearance_filter(pairs, paths, paths, desc, cfg)
    assert [p.query_id for p in failed] == ["t1.png"] and not failed[0].verified
    assert [p.query_id for p in kept] == ["copy.jpg"]
    # control: without the template rule, 200 inliers skip the check and the non-copy is kept
    kept, failed = appearance_filter(pairs, paths, paths, desc, cfg, template_share=1.01)
    assert not failed


def test_a_template_shared_in_mirrored_form_votes_for_nothing():
    rng = np.random.default_rng(0)
    n, width = 40, 200.0
    desc = np.abs(rng.normal(size=(n, 128))).astype(np.float32)
    desc /= np.linalg.norm(desc, axis=1, keepdims=True)
    xy = rng.uniform(20, 180, size=(n, 2)).astype(np.float32)
    mxy = xy.copy(); mxy[:, 0] = width - xy[:, 0]
    other = np.abs(rng.normal(size=(n, 128))).astype(np.float32)
    other /= np.linalg.norm(other, axis=1, keepdims=True)
    # candidate 'plain' holds the template as the query has it; 'mirrored' holds it mirrored;
    # 'unrelated' shares nothing
    vecs = [desc, desc[:, _MIRROR], other]
    store = KeypointStore(["plain", "mirrored", "unrelated"], np.array([0, n, 2 * n]), np.array([n, n, n]),
                          np.concatenate(vecs).astype(np.float16), np.concatenate([xy, mxy, xy]),
                          {"plain": 0, "mirrored": 1, "unrelated": 2})
    views = {"orig": (desc, xy), "hflip": (desc[:, _MIRROR], mxy)}
    cfg = MatchConfig()
    # each view alone: the one candidate holding the template that way gets every keypoint
    assert verify_candidates({"orig": views["orig"]}, ["plain", "unrelated"], store, cfg)["plain"][0] >= n - 2
    assert verify_candidates({"hflip": views["hflip"]}, ["mirrored", "unrelated"], store, cfg)["mirrored"][0] >= n - 2
    # both views, both candidates: every keypoint matches two images equally, so none votes
    assert verify_candidates(views, ["plain", "mirrored", "unrelated"], store, cfg) == {}
    # one holder only: the copy is found in its view
    assert verify_candidates(views, ["mirrored", "unrelated"], store, cfg)["mirrored"][2] == "hflip"
