"""Lazy safetensors reading and streaming writing, without loading whole models.

Reading memory-maps each file and returns zero-copy tensor views (pages are file-backed, so they
do not count as anonymous memory). Writing lays out the header first — every tensor's dtype and
shape is known before any data is computed — then appends each tensor's bytes as it is produced,
so a writer holds no more than the chunk it is writing.
"""
from __future__ import annotations

import json
import mmap
import struct
from pathlib import Path
from typing import Iterable

INDEX_NAME = "model.safetensors.index.json"
SINGLE_NAME = "model.safetensors"

# safetensors dtype codes <-> torch dtype names, and their sizes in bytes.
DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
               "U8": 1, "BOOL": 1}
FLOAT_CODES = ("F64", "F32", "F16", "BF16")


def torch_dtype(code: str):
    import torch

    return {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16,
            "BF16": torch.bfloat16, "I64": torch.int64, "I32": torch.int32, "I16": torch.int16,
            "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool}[code]


def read_header(path: Path) -> tuple[int, dict]:
    """(data start offset in bytes, header dict without ``__metadata__``) of one .safetensors."""
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) != 8:
            raise ValueError(f"{path}: not a safetensors file (shorter than 8 bytes)")
        (n,) = struct.unpack("<Q", raw)
        if n > 100_000_000:
            raise ValueError(f"{path}: header length {n} is implausible; not a safetensors file")
        try:
            header = json.loads(f.read(n))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: unreadable safetensors header: {exc}") from exc
    header.pop("__metadata__", None)
    return 8 + n, header


def checkpoint_files(model_dir: Path) -> dict[str, Path]:
    """tensor name -> shard file for a checkpoint directory (single file or sharded with index)."""
    model_dir = Path(model_dir)
    index = model_dir / INDEX_NAME
    if index.exists():
        weight_map = json.loads(index.read_text())["weight_map"]
        return {name: model_dir / shard for name, shard in weight_map.items()}
    single = model_dir / SINGLE_NAME
    if single.exists():
        _, header = read_header(single)
        return {name: single for name in header}
    raise FileNotFoundError(f"{model_dir}: no {SINGLE_NAME} or {INDEX_NAME}")


class LazyCheckpoint:
    """Tensor specs of one checkpoint, and zero-copy tensors from memory-mapped shards."""

    def __init__(self, model_dir: Path):
        self.model_dir = Path(model_dir)
        self.files = checkpoint_files(self.model_dir)
        self.specs: dict[str, tuple[str, tuple[int, ...], Path, int, int]] = {}
        for shard in sorted(set(self.files.values())):
            start, header = read_header(shard)
            for name, info in header.items():
                lo, hi = info["data_offsets"]
                self.specs[name] = (info["dtype"], tuple(info["shape"]), shard, start + lo, start + hi)
        missing = [n for n in self.files if n not in self.specs]
        if missing:
            raise ValueError(f"{self.model_dir}: index names tensor {missing[0]!r} absent from its shard")
        self._maps: dict[Path, mmap.mmap] = {}

    def tensor(self, name: str):
        """The named tensor as a read-only view of the mapped file (no copy)."""
        import torch

        code, shape, shard, lo, hi = self.specs[name]
        if shard not in self._maps:
            with open(shard, "rb") as f:
                self._maps[shard] = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        if hi == lo:
            return torch.empty(shape, dtype=torch_dtype(code))
        import warnings

        with warnings.catch_warnings():
            # The buffer is read-only; we never write through these views.
            warnings.simplefilter("ignore", UserWarning)
            flat = torch.frombuffer(self._maps[shard], dtype=torch_dtype(code),
                                    count=(hi - lo) // DTYPE_BYTES[code], offset=lo)
        return flat.view(shape)

    def close(self) -> None:
        for m in self._maps.values():
            try:
                m.close()
            except BufferError:
                pass  # a caller still holds a view; the map closes when it is collected
        self._maps.clear()


def plan_shards(specs: Iterable[tuple[str, str, tuple[int, ...]]], max_shard_bytes: int) -> list[list]:
    """Group (name, dtype code, shape) in order into shards of at most ``max_shard_bytes`` (a
    single larger tensor gets a shard of its own)."""
    shards: list[list] = [[]]
    size = 0
    for name, code, shape in specs:
        n = DTYPE_BYTES[code]
        for d in shape:
            n *= d
        if shards[-1] and size + n > max_shard_bytes:
            shards.append([])
            size = 0
        shards[-1].append((name, code, shape, n))
        size += n
    return shards


class StreamingShardWriter:
    """Writes one safetensors file whose tensor list is fixed up front; call ``write(name,
    bytes_like)`` in the planned order, possibly several times per tensor (chunks)."""

    def __init__(self, path: Path, tensors: list, metadata: dict[str, str] | None = None):
        self.path = Path(path)
        header: dict = {"__metadata__": metadata or {"format": "pt"}}
        offset = 0
        self.expected: list[tuple[str, int]] = []
        for name, code, shape, nbytes in tensors:
            header[name] = {"dtype": code, "shape": list(shape), "data_offsets": [offset, offset + nbytes]}
            offset += nbytes
            self.expected.append((name, nbytes))
        blob = json.dumps(header, separators=(",", ":")).encode()
        blob += b" " * (-len(blob) % 8)  # data starts 8-byte aligned, as safetensors writes it
        self.f = open(self.path, "wb")
        self.f.write(struct.pack("<Q", len(blob)))
        self.f.write(blob)
        self.pos = 0
        self.written = 0

    def write(self, name: str, data) -> None:
        expected_name, nbytes = self.expected[self.pos]
        if name != expected_name:
            raise ValueError(f"writer expected tensor {expected_name!r}, got {name!r}")
        view = memoryview(data).cast("B")
        self.f.write(view)
        self.written += view.nbytes
        if self.written > nbytes:
            raise ValueError(f"tensor {name!r}: wrote {self.written} bytes, planned {nbytes}")
        if self.written == nbytes:
            self.pos += 1
            self.written = 0

    def close(self) -> None:
        complete = self.pos == len(self.expected)
        self.f.flush()
        self.f.close()
        if not complete:
            raise ValueError(f"{self.path}: closed after {self.pos} of {len(self.expected)} tensors")
