"""Trained runs are cached on disk: a run's directory keeps ``trainyard_run.json`` with a
fingerprint of everything that determines it (the spec, the model and batch shape, the
evaluation windows, the token ids, and the fingerprint of the checkpoint it starts from). A
re-run with the same fingerprint reuses the saved model and its losses instead of retraining."""
from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

from ops.demix.sizes import DemixSizes
from ops.demix.training import DomainTokens, RunSpec

RECIPE_VERSION = 2  # bump when training or evaluation changes in a way the fingerprint cannot see


def tokens_fingerprint(tokens: DomainTokens) -> str:
    h = hashlib.sha256()
    for name, tr, he in zip(tokens.names, tokens.train, tokens.held):
        h.update(name.encode())
        h.update(tr.numpy().tobytes())
        h.update(b"|")
        h.update(he.numpy().tobytes())
    return h.hexdigest()[:16]


def run_fingerprint(spec: RunSpec, sizes: DemixSizes, tokens_fp: str) -> str | None:
    """None when the spec starts from a checkpoint that has no fingerprint (never cache then)."""
    init_fp = ""
    if spec.init:
        meta = Path(spec.init) / "trainyard_run.json"
        if not meta.exists():
            return None
        init_fp = json.loads(meta.read_text()).get("fingerprint")
        if not init_fp:
            return None
    payload = {"v": RECIPE_VERSION, "spec": {**dataclasses.asdict(spec), "init": init_fp},
               "model": dataclasses.asdict(sizes.model), "seq_len": sizes.seq_len, "batch": sizes.batch_size,
               "eval_batches": sizes.eval_batches, "vocab": sizes.vocab, "tokens": tokens_fp}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:24]


def cached_summary(out_dir: Path, fingerprint: str | None) -> dict | None:
    """The saved summary of a finished run with this fingerprint, or None."""
    meta = out_dir / "trainyard_run.json"
    if fingerprint is None or not meta.exists() or not (out_dir / "model.safetensors").exists():
        return None
    summary = json.loads(meta.read_text())
    return summary if summary.get("fingerprint") == fingerprint else None


def stamp(out_dir: Path, summary: dict, fingerprint: str | None) -> dict:
    """Write the fingerprint into the run's ``trainyard_run.json`` (after training)."""
    summary = {**summary, "fingerprint": fingerprint}
    (out_dir / "trainyard_run.json").write_text(json.dumps(summary))
    return summary
