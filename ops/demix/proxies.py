"""Merged proxies: a mixture's proxy model is the weighted linear merge of the per-domain
components (``kernels.merge_linear``), scored by per-domain held-out loss."""
from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Sequence

from ops.demix.sizes import DemixSizes
from ops.demix.training import DomainTokens, evaluate_domains, torch_threads


class ProxyScorer:
    """Scores mixtures over ``component_dirs`` (one per domain, same order as ``tokens.names``).

    Each call merges into ``scratch_dir`` (atomically replaced, so a failed merge is never
    loaded), loads the merged weights into one reusable model and evaluates every domain."""

    def __init__(self, component_dirs: Sequence[str | Path], tokens: DomainTokens, sizes: DemixSizes,
                 scratch_dir: Path):
        from ops.lm.model import ModelConfig, build_causal_lm

        if len(component_dirs) != len(tokens.names):
            raise ValueError(f"{len(component_dirs)} components for {len(tokens.names)} domains")
        self.component_dirs = [Path(c) for c in component_dirs]
        self.tokens, self.sizes, self.scratch_dir = tokens, sizes, scratch_dir
        self.model = build_causal_lm(ModelConfig(checkpoint=str(self.component_dirs[0])), None)
        self.seconds = 0.0
        self.count = 0

    def merge(self, weights: Sequence[float], out_dir: Path | None = None) -> Path:
        from kernels.merge_linear import LinearMergeConfig, merge_linear

        return merge_linear(LinearMergeConfig(self.component_dirs, [float(w) for w in weights]),
                            out_dir or self.scratch_dir)

    def __call__(self, weights: Sequence[float]) -> list[float]:
        """Per-domain held-out loss of the merged proxy for ``weights`` (nats/token)."""
        from safetensors.torch import load_file

        t0 = time.perf_counter()
        with torch_threads(self.sizes.threads):
            out = self.merge(weights)
            state = {}
            for shard in sorted(out.glob("*.safetensors")):
                state.update(load_file(str(shard)))
            self.model.load_state_dict(state, strict=True)
            losses = evaluate_domains(self.model, self.tokens, self.sizes)
        self.seconds += time.perf_counter() - t0
        self.count += 1
        if not all(math.isfinite(x) for x in losses):
            raise ValueError(f"proxy for weights {list(weights)} has non-finite losses {losses}")
        return losses
