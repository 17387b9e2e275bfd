"""vLLM's in-process engine, for a CUDA machine with the optional ``vllm`` extra installed in its own
environment (vLLM pins its own torch). vllm is imported only when this backend is constructed, so
nothing else ever pays for it; without vllm or CUDA construction fails with a clear message.
"""
from __future__ import annotations

from ops.llm.base import Completion, LLMRequest


class VLLMBackend:
    deterministic = False

    def __init__(self, model: str, **engine_kwargs):
        try:
            import vllm  # noqa: F401
        except ImportError as exc:
            raise RuntimeError(
                "vllm backend chosen but vllm is not installed: `pip install trainyard[vllm]` in a "
                "separate CUDA environment, or use the openai backend against `vllm serve`"
            ) from exc
        import torch

        if not torch.cuda.is_available():
            raise RuntimeError("vllm backend needs a CUDA device; none is visible")
        from vllm import LLM

        self.model = model
        self.id = f"vllm:{model}"
        self._llm = LLM(model=model, **engine_kwargs)

    def generate(self, requests: list[LLMRequest]) -> list[list[Completion]]:
        from vllm import SamplingParams

        params = [SamplingParams(n=max(1, r.n), temperature=r.temperature, max_tokens=r.max_tokens,
                                 seed=r.seed) for r in requests]
        outs = self._llm.chat([list(r.messages) for r in requests], params, use_tqdm=False)
        return [[Completion(o.text, self.id) for o in out.outputs] for out in outs]
