"""Copy-detection descriptors, pluggable by name. Every descriptor returns L2-normalised float32
vectors; a *global* one gives one vector per image, a *local* one gives many (with keypoint
positions in pixels of the resized image) and is matched with geometric verification.

- ``rootsift`` (offline default, no weights): up to ``n_features`` SIFT keypoints on the grey
  image resized to ≤ ``max_side`` px (small images upscaled to ``min_side``), RootSIFT-normalised
  (Arandjelović & Zisserman 2012: Hellinger kernel = inner product of square-rooted L1-normalised
  SIFT), plus a 16×16 grey thumbnail per image (``grey_thumbnail``) that rescues flat images
  with too few keypoints. Queries are also described mirrored, so flips match.
- ``torchscript``: an ISC21/SSCD-style global model from a local ``.pt`` file (see docs/images.md).
"""
from __future__ import annotations

import dataclasses
from typing import Protocol

import numpy as np
from PIL import Image


@dataclasses.dataclass
class Features:
    vectors: np.ndarray          # (n, d) float32, unit L2 rows
    xy: np.ndarray               # (n, 2) float32 keypoint positions (zeros for global descriptors)
    thumb: np.ndarray | None = None  # (256,) float32 unit grey thumbnail (local descriptors only)
    size: tuple[int, int] | None = None  # (width, height) of the resized image the keypoints are in


# SIFT descriptor of the mirrored image, from the original's: OpenCV lays a descriptor out as 4×4
# spatial bins × 8 orientation bins relative to the keypoint's angle; mirroring the image left-right
# mirrors the keypoint's frame (rows 0..3 → 3..0) and negates the relative orientations (bin o →
# −o mod 8). Checked against SIFT run on the mirrored image: the same descriptors, up to pixel-grid
# effects, at the mirrored keypoints (tests/ops/images/test_descriptors.py).
_MIRROR = np.array([((3 - r) * 4 + c) * 8 + (8 - o) % 8 for r in range(4) for c in range(4) for o in range(8)])


def grey_thumbnail(im: Image.Image, side: int = 16) -> np.ndarray:
    """A global companion to local features for flat, low-texture images where SIFT finds too few
    keypoints: the grey image with near-constant border rows/columns trimmed (padding, frames),
    box-resized to side×side, mean removed, L2-normalised (so cosine = Pearson correlation)."""
    g = np.asarray(im.convert("L"), dtype=np.float32)
    rows = np.nonzero(g.std(axis=1) > 4)[0]
    cols = np.nonzero(g.std(axis=0) > 4)[0]
    if len(rows) >= 8 and len(cols) >= 8:
        g = g[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    t = np.array(Image.fromarray(g).resize((side, side), Image.BOX), dtype=np.float32).ravel()
    t -= t.mean()
    n = np.linalg.norm(t)
    return (t / n if n > 1e-6 else t).astype(np.float32)


class Descriptor(Protocol):
    name: str
    kind: str                    # 'global' | 'local'
    dim: int

    def describe(self, images: list[Image.Image]) -> list[Features]: ...


@dataclasses.dataclass
class RootSift:
    n_features: int = 600
    contrast: float = 0.02       # SIFT contrastThreshold; OpenCV's 0.04 finds too few points on flat images
    max_side: int = 640
    min_side: int = 256
    name: str = "rootsift"
    kind: str = "local"
    dim: int = 128

    def _grey(self, im: Image.Image) -> np.ndarray:
        g = im.convert("L")
        w, h = g.size
        scale = min(1.0, self.max_side / max(w, h))
        if min(w, h) * scale < self.min_side:  # upscale tiny images so SIFT finds keypoints
            scale = min(self.min_side / min(w, h), 4.0)
        if scale != 1.0:
            g = g.resize((max(1, round(w * scale)), max(1, round(h * scale))),
                         Image.BICUBIC if scale > 1 else Image.BOX)
        return np.asarray(g)

    def describe(self, images: list[Image.Image]) -> list[Features]:
        import cv2

        cv2.setNumThreads(1)  # one image per call is cheap; leave the cores to the caller
        sift = cv2.SIFT_create(nfeatures=self.n_features, contrastThreshold=self.contrast)
        out = []
        for im in images:
            grey = self._grey(im)
            kps, desc = sift.detectAndCompute(grey, None)
            if desc is None or not len(kps):
                out.append(Features(np.zeros((0, 128), np.float32), np.zeros((0, 2), np.float32),
                                    grey_thumbnail(im), (grey.shape[1], grey.shape[0])))
                continue
            desc = np.sqrt(desc / (desc.sum(axis=1, keepdims=True) + 1e-7))
            desc /= np.linalg.norm(desc, axis=1, keepdims=True) + 1e-12
            out.append(Features(desc.astype(np.float32), np.array([k.pt for k in kps], np.float32),
                                grey_thumbnail(im), (grey.shape[1], grey.shape[0])))
        return out

    def mirrored(self, f: Features) -> Features:
        """The features of the left-right mirrored image, without describing it again: the same
        keypoints at x' = width − x with their descriptors permuted (``_MIRROR``) and the
        thumbnail flipped."""
        xy = f.xy.copy()
        if len(xy):
            xy[:, 0] = (f.size[0] if f.size else 0) - xy[:, 0]
        thumb = None if f.thumb is None else np.ascontiguousarray(f.thumb.reshape(16, 16)[:, ::-1].ravel())
        return Features(np.ascontiguousarray(f.vectors[:, _MIRROR]) if len(f.vectors) else f.vectors, xy, thumb,
                        f.size)


@dataclasses.dataclass
class TorchScriptGlobal:
    """A TorchScript model mapping a (B, 3, S, S) float batch to (B, d) descriptors.

    Preprocessing (SSCD's published recipe): RGB, resize to ``size``×``size`` (bilinear),
    scale to [0, 1], normalise with ImageNet mean/std. Outputs are L2-normalised here whatever
    the model does."""
    path: str
    size: int = 288
    batch_size: int = 16
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    device: str = "auto"
    name: str = "torchscript"
    kind: str = "global"
    dim: int = 0
    _model: object = dataclasses.field(default=None, repr=False)

    def preprocess(self, im: Image.Image) -> np.ndarray:
        arr = np.asarray(im.convert("RGB").resize((self.size, self.size), Image.BILINEAR), np.float32) / 255.0
        arr = (arr - np.array(self.mean, np.float32)) / np.array(self.std, np.float32)
        return arr.transpose(2, 0, 1)

    def _load(self):
        import torch

        if self._model is None:
            dev = ("cuda" if torch.cuda.is_available() else "cpu") if self.device == "auto" else self.device
            self._model = torch.jit.load(self.path, map_location=dev).eval()
            self.device = dev
        return self._model

    def describe(self, images: list[Image.Image]) -> list[Features]:
        import torch

        from kernels.similarity import l2_normalize

        model = self._load()
        out = []
        for start in range(0, len(images), self.batch_size):
            batch = np.stack([self.preprocess(im) for im in images[start:start + self.batch_size]])
            with torch.inference_mode():
                emb = model(torch.from_numpy(batch).to(self.device)).float().cpu().numpy()
            if emb.ndim != 2:
                raise ValueError(f"TorchScript model must return (batch, dim), got shape {emb.shape}")
            emb = l2_normalize(emb)
            self.dim = emb.shape[1]
            out.extend(Features(e[None, :], np.zeros((1, 2), np.float32)) for e in emb)
        return out


def make_descriptor(name: str = "rootsift", **options) -> Descriptor:
    """Build a descriptor by name: ``rootsift`` (options: n_features, max_side, min_side) or
    ``torchscript`` (options: path (required), size, batch_size, mean, std, device)."""
    if name == "rootsift":
        return RootSift(**options)
    if name == "torchscript":
        if not options.get("path"):
            raise ValueError("the torchscript descriptor needs path=<local .pt file>")
        return TorchScriptGlobal(**options)
    raise ValueError(f"unknown descriptor {name!r}: use 'rootsift' or 'torchscript'")
