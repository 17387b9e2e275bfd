"""Weighted linear merge of safetensors checkpoints (mergekit's ``linear`` method), streaming.

``merged = Σᵢ wᵢ·θᵢ / Σᵢ wᵢ`` per tensor, accumulated in float32 (float64 for float64 inputs)
and written in the inputs' dtype. Tensors are read zero-copy from memory-mapped shards and
processed in flat chunks, so anonymous memory is bounded by the chunk size, not by the model.

Usage: ``validate_merge(LinearMergeConfig(models=[...], weights=[...]))`` then
``merge_linear(config, out_dir)``. Output is written to a hidden sibling directory and renamed
into place only when complete: a merge that fails midway leaves no ``out_dir`` behind.
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
import uuid
from pathlib import Path
from typing import Sequence

from kernels.safetensors_io import (
    FLOAT_CODES, INDEX_NAME, SINGLE_NAME, LazyCheckpoint, StreamingShardWriter, plan_shards,
)

METHOD = "linear"
MARKER = "trainyard_merge.json"
# Non-weight files copied from the first model so the output loads with from_pretrained.
SIDE_FILES = ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
              "special_tokens_map.json", "chat_template.jinja")


class MergeError(ValueError):
    """Invalid merge input; the message names the offending model, tensor or weight."""


@dataclasses.dataclass(frozen=True)
class LinearMergeConfig:
    """Checkpoint directories and one weight each; weights are normalised by their sum."""

    models: Sequence[str | Path]
    weights: Sequence[float]
    normalize: bool = True
    max_shard_bytes: int = 2 * 1024**3
    # 1 MiB of float32 accumulator (+ as much widening buffer): the ~10 passes over each chunk
    # stay in L2 cache; 4 MiB chunks measured slower
    chunk_elements: int = 256 * 1024
    # torch intra-op threads during the merge (0 = leave as is): the work is memory-bound, and
    # on a shared 2-core box a second spinning OpenMP thread made it up to 20x slower
    threads: int = 1


@dataclasses.dataclass
class MergePlan:
    """What ``validate_merge`` established: the tensors in order with their dtype and shape."""

    config: LinearMergeConfig
    tensors: list[tuple[str, str, tuple[int, ...]]]


def validate_merge(config: LinearMergeConfig) -> MergePlan:
    """Check weights and checkpoints up front; raise ``MergeError`` naming what is wrong."""
    if not config.models:
        raise MergeError("no models to merge")
    if len(config.models) != len(config.weights):
        raise MergeError(f"{len(config.models)} models but {len(config.weights)} weights")
    for model, w in zip(config.models, config.weights):
        try:
            w = float(w)
        except (TypeError, ValueError):
            raise MergeError(f"weight for {model} is not a number: {w!r}") from None
        if math.isnan(w) or math.isinf(w):
            raise MergeError(f"weight for {model} is not a finite number: {w!r}")
        if w < 0:
            raise MergeError(f"weight for {model} is negative: {w}")
    if config.normalize and not sum(float(w) for w in config.weights) > 0:
        raise MergeError(f"weights sum to {sum(config.weights)}; a linear merge needs a positive sum")
    if config.chunk_elements <= 0 or config.max_shard_bytes <= 0:
        raise MergeError("chunk_elements and max_shard_bytes must be positive")
    checkpoints = []
    for model in config.models:
        if not Path(model).is_dir():
            raise MergeError(f"model directory {model} does not exist")
        try:
            checkpoints.append(LazyCheckpoint(Path(model)))
        except (FileNotFoundError, ValueError) as exc:
            raise MergeError(str(exc)) from exc
    try:
        ref = checkpoints[0]
        names = list(ref.specs)
        for other in checkpoints[1:]:
            missing = [n for n in names if n not in other.specs]
            if missing:
                raise MergeError(f"tensor {missing[0]!r} missing from {other.model_dir} "
                                 f"({len(missing)} missing in all)")
            extra = [n for n in other.specs if n not in ref.specs]
            if extra:
                raise MergeError(f"tensor {extra[0]!r} in {other.model_dir} is missing from "
                                 f"{ref.model_dir} (checkpoints from different architectures?)")
            for n in names:
                (c0, s0, *_), (c1, s1, *_) = ref.specs[n], other.specs[n]
                if s0 != s1:
                    raise MergeError(f"tensor {n!r}: shape {list(s1)} in {other.model_dir} != "
                                     f"{list(s0)} in {ref.model_dir}")
                if c0 != c1:
                    raise MergeError(f"tensor {n!r}: dtype {c1} in {other.model_dir} != "
                                     f"{c0} in {ref.model_dir}")
        for n in names:
            if ref.specs[n][0] not in FLOAT_CODES:
                raise MergeError(f"tensor {n!r} has dtype {ref.specs[n][0]}; only floating-point "
                                 "tensors can be merged linearly")
        return MergePlan(config, [(n, ref.specs[n][0], ref.specs[n][1]) for n in names])
    finally:
        for c in checkpoints:
            c.close()


def _merge_into(plan: MergePlan, tmp: Path) -> list[str]:
    """Write the merged shards (and index when sharded) into ``tmp``; returns shard names."""
    import torch

    cfg = plan.config
    weights = [float(w) for w in cfg.weights]
    denominator = sum(weights) if cfg.normalize else 1.0
    checkpoints = [LazyCheckpoint(Path(m)) for m in cfg.models]
    shards = plan_shards(plan.tensors, cfg.max_shard_bytes)
    names = ([SINGLE_NAME] if len(shards) == 1 else
             [f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors" for i in range(len(shards))])
    weight_map: dict[str, str] = {}
    total = 0
    threads_before = torch.get_num_threads()
    if cfg.threads > 0:
        torch.set_num_threads(cfg.threads)
    try:
        for shard_name, tensors in zip(names, shards):
            writer = StreamingShardWriter(tmp / shard_name, tensors,
                                          metadata={"format": "pt", "merge_method": METHOD})
            for name, code, shape, nbytes in tensors:
                _merge_tensor(name, checkpoints, weights, denominator, cfg.chunk_elements, writer, torch)
                weight_map[name] = shard_name
                total += nbytes
            writer.close()
    finally:
        torch.set_num_threads(threads_before)
        for c in checkpoints:
            c.close()
    if len(shards) > 1:
        (tmp / INDEX_NAME).write_text(json.dumps(
            {"metadata": {"total_size": total}, "weight_map": weight_map}, indent=1))
    return names


def _merge_tensor(name, checkpoints, weights, denominator, chunk, writer, torch) -> None:
    inputs = [c.tensor(name).reshape(-1) for c in checkpoints]
    out_dtype = inputs[0].dtype
    acc_dtype = torch.float64 if out_dtype == torch.float64 else torch.float32
    n = inputs[0].numel()
    if n == 0:
        writer.write(name, b"")
        return
    acc = torch.empty(min(chunk, n), dtype=acc_dtype)
    # widening into a reused buffer, then a same-dtype add, is several times faster than a
    # mixed-dtype add_ (which is not vectorised on CPU); the sum is the same float32 sum
    buf = torch.empty_like(acc) if out_dtype != acc_dtype else None
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        part = acc[: hi - lo]
        for j, (t, w) in enumerate(zip(inputs, weights)):
            src = t[lo:hi]
            if buf is not None:
                buf[: hi - lo].copy_(src)
                src = buf[: hi - lo]
            if j == 0:
                torch.mul(src, w, out=part)  # = 0 + w·θ₀, as mergekit's zeros().addcmul_
            else:
                part.add_(src, alpha=w)  # w·θ added in the accumulator dtype, never in bf16
        if denominator != 1.0:
            part.div_(denominator)
        out = part.to(out_dtype)
        # one reduction finds NaN/inf cheaply; only then look element-wise (and name them)
        if not math.isfinite(float(out.sum(dtype=acc_dtype))):
            bad = ~torch.isfinite(out)
            if bool(bad.any()):
                raise MergeError(f"tensor {name!r}: merged values are not finite "
                                 f"({int(bad.sum())} of {hi - lo} in elements {lo}..{hi})")
        writer.write(name, out.view(torch.uint8).numpy())


def merge_linear(config: LinearMergeConfig, out_dir: str | Path, plan: MergePlan | None = None) -> Path:
    """Merge ``config.models`` into ``out_dir`` (replaced atomically if it exists).

    Returns ``out_dir``. Side files (config.json, tokenizer) are copied from the first model and
    ``trainyard_merge.json`` records the inputs and weights."""
    plan = plan or validate_merge(config)
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.with_name(f".{out_dir.name}.partial-{uuid.uuid4().hex[:8]}")
    tmp.mkdir()
    try:
        shards = _merge_into(plan, tmp)
        first = Path(config.models[0])
        for side in SIDE_FILES:
            if (first / side).exists():
                shutil.copy2(first / side, tmp / side)
        (tmp / MARKER).write_text(json.dumps({
            "method": METHOD, "models": [str(m) for m in config.models],
            "weights": [float(w) for w in config.weights], "normalize": config.normalize,
            "shards": shards, "tensors": len(plan.tensors)}, indent=1))
        _swap_into_place(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def _swap_into_place(tmp: Path, out_dir: Path) -> None:
    # rename() is atomic within a file system: readers see the old merge or the new, never half.
    old = None
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.old-{uuid.uuid4().hex[:8]}")
        os.replace(out_dir, old)
    os.replace(tmp, out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def is_complete_merge(out_dir: str | Path) -> bool:
    """True when ``out_dir`` holds a finished merge (its marker is written last, before rename)."""
    return (Path(out_dir) / MARKER).exists()


def mergekit_yaml(config: LinearMergeConfig, out_dtype: str | None = None) -> str:
    """The same merge as a mergekit config (``mergekit-yaml cfg.yml out/``). ``dtype: float32``
    makes mergekit accumulate in float32 like this kernel; ``out_dtype`` defaults to the inputs'."""
    import yaml

    doc = {
        "merge_method": METHOD,
        "models": [{"model": str(Path(m).resolve()), "parameters": {"weight": float(w)}}
                   for m, w in zip(config.models, config.weights)],
        "parameters": {"normalize": bool(config.normalize)},
        "dtype": "float32",
    }
    if out_dtype:
        doc["out_dtype"] = out_dtype
    return yaml.safe_dump(doc, sort_keys=False)
