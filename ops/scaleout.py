"""The scale-out demonstration workload: stdlib documents hashed into shards, one MinHash-style
signature per document. Deterministic (same Python → same rows), CPU-bound, cost set by
``rounds`` so a benchmark can measure per-partition cost."""
from __future__ import annotations

import hashlib
from typing import Iterable

from ops.corpus import Document, stdlib_documents


def shard_keys(n_shards: int) -> list[str]:
    return [f"shard-{i:02d}" for i in range(n_shards)]


def shard_of(doc_id: str, n_shards: int) -> int:
    return int(hashlib.md5(doc_id.encode()).hexdigest(), 16) % n_shards


def shard_documents(shard: str, n_shards: int, max_files: int) -> list[Document]:
    """The stdlib documents (first ``max_files`` in name order) that hash into ``shard``."""
    index = int(shard.rsplit("-", 1)[1])
    return [d for d in stdlib_documents(max_files) if shard_of(d.doc_id, n_shards) == index]


def minhash(tokens: Iterable[str], rounds: int) -> str:
    """A ``rounds``-value min-hash over word 3-shingles (blake2b, salted per round); hex string."""
    toks = list(tokens)
    shingles = {" ".join(toks[i:i + 3]).encode() for i in range(max(len(toks) - 2, 1))}
    mins = []
    for r in range(rounds):
        salt = r.to_bytes(8, "little")
        mins.append(min(hashlib.blake2b(s, digest_size=8, salt=salt).digest() for s in shingles))
    return b"".join(mins).hex()


def signature_rows(shard: str, docs: list[Document], rounds: int) -> list[dict]:
    """One row per document: sizes, content hash and signature; ``source_key`` is the doc id."""
    rows = []
    for d in docs:
        tokens = d.text.split()
        rows.append({
            "shard": shard, "doc_id": d.doc_id, "n_chars": len(d.text),
            "n_lines": d.text.count("\n") + 1, "n_tokens": len(tokens), "sha256": d.sha256,
            "minhash": minhash(tokens, rounds), "source_key": d.doc_id,
        })
    return rows
