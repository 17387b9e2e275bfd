"""Merged proxies: a mixture's proxy model is the weighted linear merge of the per-domain
components (``kernels.merge_linear``), scored by per-domain held-out loss."""
from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Sequence

from ops.demix.sizes import DemixSizes
from ops.demix.training import DomainTokens, torch_threads


class ProxyScorer:
    """Scores mixtures over ``component_dirs`` (one per domain, same order as ``tokens.names``).

    The components' tensors are loaded once; each call forms the weighted linear merge in memory
    with the kernel's arithmetic (float32 ``w₀·θ₀ + Σ wᵢ·θᵢ``, divided by ``Σ wᵢ``), copies it
    into one reusable model and evaluates every domain in shared forwards (``evaluate_windows``). ``merge`` writes
    the same merge to disk with ``kernels.merge_linear`` (used for the chosen mixture)."""

    def __init__(self, component_dirs: Sequence[str | Path], tokens: DomainTokens, sizes: DemixSizes,
                 scratch_dir: Path, base_dir: str | Path | None = None):
        from ops.lm.model import ModelConfig, build_causal_lm, pick_device

        if len(component_dirs) != len(tokens.names):
            raise ValueError(f"{len(component_dirs)} components for {len(tokens.names)} domains")
        self.component_dirs = [Path(c) for c in component_dirs]
        self.tokens, self.sizes, self.scratch_dir = tokens, sizes, scratch_dir
        from ops.demix.training import eval_windows

        self.device = pick_device(sizes.model.device)
        self.model = build_causal_lm(ModelConfig(checkpoint=str(self.component_dirs[0])), None).to(self.device)
        self.states = [self._load(c) for c in self.component_dirs]
        keys = set(self.states[0])
        for c, st in zip(self.component_dirs, self.states):
            if set(st) != keys:
                raise ValueError(f"component {c} has different tensors: {sorted(keys ^ set(st))[:5]}")
            for k in keys:
                if st[k].shape != self.states[0][k].shape or st[k].dtype != self.states[0][k].dtype:
                    raise ValueError(f"component {c}: tensor {k!r} differs in shape or dtype")
        # the base the components were continued from: task-vector merges scale the merged
        # displacement from it (``scale`` in ``__call__``)
        self.base = self._load(Path(base_dir)) if base_dir is not None else None
        self._tv_norms = None
        self.params = dict(self.model.state_dict(keep_vars=False))
        missing = [k for k in keys if k not in self.params]
        if missing:
            raise ValueError(f"merged tensors {missing[:5]} are not in the model")
        self.windows, self.owner = eval_windows(tokens, sizes)
        self.seconds = 0.0
        self.count = 0

    @staticmethod
    def _load(directory: Path) -> dict:
        from safetensors.torch import load_file

        state = {}
        for shard in sorted(directory.glob("*.safetensors")):
            state.update(load_file(str(shard)))
        if not state:
            raise ValueError(f"no safetensors in {directory}")
        return state

    def _task_vector_norms(self) -> list[dict]:
        """Per component, the norm of each tensor's task vector ``‖θᵢ − θ_base‖`` (computed once)."""
        import torch

        if self._tv_norms is None:
            self._tv_norms = [{k: float(torch.linalg.vector_norm(st[k].double() - self.base[k].double()))
                               for k in st} for st in self.states]
        return self._tv_norms

    def merge(self, weights: Sequence[float], out_dir: Path | None = None) -> Path:
        from kernels.merge_linear import LinearMergeConfig, merge_linear

        return merge_linear(LinearMergeConfig(self.component_dirs, [float(w) for w in weights]),
                            out_dir or self.scratch_dir)

    def __call__(self, weights: Sequence[float], scale: float = 1.0, norm: bool = False) -> list[float]:
        """Per-domain held-out loss of the merged proxy for ``weights`` (nats/token). With
        ``scale`` ≠ 1 the merge is a task-vector merge relative to the base:
        ``θ_base + scale·(Σ wᵢθᵢ/Σ wᵢ − θ_base)`` (scale 1 is the plain linear merge). With
        ``norm`` the merged task vector of every tensor is rescaled to the weighted mean norm of
        the components' task vectors of that tensor (``Σ wᵢ‖θᵢ − θ_base‖ / Σ wᵢ``; then times
        ``scale``): averaging task vectors that point different ways shortens them, while a run
        trained on the mixture moves as far from the base as a component does (Adam's steps have
        about the same size whatever the data)."""
        import torch

        from ops.demix.training import evaluate_windows, rows_per_forward

        w = [float(x) for x in weights]
        if len(w) != len(self.states) or not all(math.isfinite(x) and x >= 0 for x in w) or sum(w) <= 0:
            raise ValueError(f"bad mixture weights {w} for {len(self.states)} components")
        t0 = time.perf_counter()
        denominator = sum(w)
        with torch_threads(self.sizes.threads), torch.no_grad():
            for k, target in self.params.items():
                if k not in self.states[0]:
                    continue
                ins = [st[k] for st in self.states]
                acc_dtype = torch.float64 if ins[0].dtype == torch.float64 else torch.float32
                acc = torch.mul(ins[0].to(acc_dtype), w[0])
                for t, wi in zip(ins[1:], w[1:]):
                    acc.add_(t.to(acc_dtype), alpha=wi)
                if denominator != 1.0:
                    acc.div_(denominator)
                if scale != 1.0 or norm:
                    if self.base is None:
                        raise ValueError("a task-vector merge needs the base checkpoint (base_dir)")
                    b = self.base[k].to(acc_dtype)
                    acc.sub_(b)
                    if norm:
                        target_norm = sum(wi * n[k] for n, wi in zip(self._task_vector_norms(), w)) / denominator
                        got = float(torch.linalg.vector_norm(acc))
                        if got > 0:
                            acc.mul_(target_norm / got)
                    acc.mul_(scale).add_(b)
                target.copy_(acc.to(ins[0].dtype))
            losses = evaluate_windows(self.model, self.windows, self.owner, len(self.tokens.names),
                                      device=self.device, rows_per_forward=rows_per_forward(self.sizes))
        self.seconds += time.perf_counter() - t0
        self.count += 1
        if not all(math.isfinite(x) for x in losses):
            raise ValueError(f"proxy for weights {list(weights)} has non-finite losses {losses}")
        return losses
