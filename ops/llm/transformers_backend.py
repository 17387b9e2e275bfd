"""A local causal-LM checkpoint (directory written by ``save_pretrained``) run with transformers.

Prompts are rendered with the tokenizer's chat template (generation prompt appended); greedy when
``temperature == 0``, else sampling with ``request.seed``. Requests run one at a time: this backend
exists for small local models on CPU, not throughput.
"""
from __future__ import annotations

from pathlib import Path

from ops.llm.base import Completion, LLMRequest


class TransformersBackend:
    deterministic = False

    def __init__(self, checkpoint: str | Path, device: str = "auto"):
        path = Path(checkpoint)
        if not path.is_dir():
            raise FileNotFoundError(f"transformers backend: checkpoint directory {path} does not exist")
        self.checkpoint = str(path)
        self.id = f"transformers:{path}"
        self._device = device
        self._model = None
        self._tok = None

    def _load(self):
        if self._model is None:
            from transformers import AutoModelForCausalLM, AutoTokenizer

            from ops.lm.model import pick_device

            self._tok = AutoTokenizer.from_pretrained(self.checkpoint, local_files_only=True)
            self._model = AutoModelForCausalLM.from_pretrained(self.checkpoint, local_files_only=True)
            self._device = pick_device(self._device)
            self._model.to(self._device).eval()
        return self._model, self._tok

    def generate(self, requests: list[LLMRequest]) -> list[list[Completion]]:
        import torch

        model, tok = self._load()
        out: list[list[Completion]] = []
        for req in requests:
            prompt = tok.apply_chat_template(list(req.messages), tokenize=False, add_generation_prompt=True)
            enc = tok(prompt, return_tensors="pt", add_special_tokens=False).to(self._device)
            torch.manual_seed(req.seed)
            sample = req.temperature > 0
            with torch.no_grad():
                ids = model.generate(
                    **enc, max_new_tokens=req.max_tokens, do_sample=sample,
                    temperature=req.temperature if sample else None, top_p=None, top_k=None,
                    num_return_sequences=max(1, req.n) if sample else 1,
                    pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id,
                )
            texts = tok.batch_decode(ids[:, enc["input_ids"].shape[1]:], skip_special_tokens=True)
            if not sample:  # greedy: every candidate is the same
                texts = texts * max(1, req.n)
            out.append([Completion(t, self.id) for t in texts])
        return out
