"""Malformed-output handling: validate each completion, re-ask a bounded number of times (with a
new seed, so the prompt hash — and a sampling backend's draw — changes), then give up on that
request with a reason the caller quarantines. One bad output never sinks the batch.

``generate_with_fallback`` is the gate for free text from small models: the validator sees the
request too (so it can check the text against the request's context), valid candidates can be
ranked, and a request whose candidates all fail is rendered by the deterministic template backend
(``generator="template"``) with the reason kept, so the data says which rows a model wrote."""
from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Callable

from ops.llm.base import Completion, LLMBackend, LLMRequest

# Returns None when the text is acceptable, else the reason it is not.
Validator = Callable[[str], "str | None"]
RequestValidator = Callable[[LLMRequest, str], "str | None"]


@dataclasses.dataclass
class Rejected:
    index: int
    request: LLMRequest
    reason: str
    last_text: str
    attempts: int


@dataclasses.dataclass
class _Draws:
    good: list[list[Completion] | None]
    last_reason: dict[int, tuple[str, str]]  # index -> (reason, text)
    drawn: list[int]  # candidates drawn per request
    reasons: Counter  # rejection reasons (the part before the first ':'), over all candidates


def _draw(backend: LLMBackend, requests: list[LLMRequest], validate: RequestValidator,
          max_attempts: int) -> _Draws:
    if max_attempts < 1:
        raise ValueError("max_attempts must be >= 1")
    d = _Draws([None] * len(requests), {}, [0] * len(requests), Counter())
    pending = list(range(len(requests)))
    for attempt in range(max_attempts):
        if not pending:
            break
        batch = [dataclasses.replace(requests[i], seed=requests[i].seed + 1000 * attempt) for i in pending]
        still: list[int] = []
        for i, comps in zip(pending, backend.generate(batch)):
            good = []
            for c in comps:
                d.drawn[i] += 1
                why = validate(requests[i], c.text)
                if why is None:
                    good.append(c)
                else:
                    d.last_reason[i] = (why, c.text)
                    d.reasons[why.split(":", 1)[0]] += 1
            if good:
                d.good[i] = good
            else:
                still.append(i)
        pending = still
    return d


def generate_validated(
    backend: LLMBackend, requests: list[LLMRequest], validate: Validator, max_attempts: int = 3,
) -> tuple[list[list[Completion] | None], list[Rejected]]:
    """Per request, the valid completions (``None`` when every attempt was malformed) and the
    rejected requests with the last reason. Invalid candidates among valid ones are dropped."""
    d = _draw(backend, requests, lambda _req, text: validate(text), max_attempts)
    rejected = [Rejected(i, requests[i], f"malformed output after {max_attempts} attempts: {d.last_reason[i][0]}",
                         d.last_reason[i][1][:2000], max_attempts)
                for i, good in enumerate(d.good) if good is None]
    return d.good, rejected


@dataclasses.dataclass
class Gated:
    completions: list[Completion]  # the valid model texts (best first), or the one template rendering
    fallback_reason: str | None  # None: a model text passed; else why every candidate failed
    drawn: int  # model candidates drawn for this request


@dataclasses.dataclass
class GateStats:
    requests: int
    model_written: int  # requests answered by a model text that passed the gate
    fallback: int  # requests rendered by the template because every candidate failed
    drawn: int  # model candidates drawn
    rejected: Counter  # rejection reasons over all candidates

    def as_dict(self, prefix: str) -> dict:
        out = {f"{prefix}_requests": self.requests, f"{prefix}_model_written": self.model_written,
               f"{prefix}_template_fallback": self.fallback, f"{prefix}_candidates_drawn": self.drawn}
        out.update({f"{prefix}_rejected[{k}]": v for k, v in sorted(self.rejected.items())})
        return out


def generate_with_fallback(
    backend: LLMBackend, requests: list[LLMRequest], validate: RequestValidator, max_attempts: int = 2,
    rank: Callable[[int, list[Completion]], list[Completion]] | None = None,
) -> tuple[list[Gated], GateStats]:
    """Draw ``request.n`` candidates per request (``max_attempts`` rounds for requests with no valid
    one), keep those ``validate(request, text)`` accepts, order them with ``rank(index, valid)``
    (called in request order, so it can prefer texts unlike earlier choices), and render the
    requests with no valid candidate with the template backend (``generator="template"``)."""
    from ops.llm.template import TemplateBackend

    d = _draw(backend, requests, validate, max_attempts)
    out: list[Gated | None] = [None] * len(requests)
    failed = [i for i, good in enumerate(d.good) if good is None]
    templ = TemplateBackend().generate([dataclasses.replace(requests[i], n=1) for i in failed]) if failed else []
    for i, comps in zip(failed, templ):
        out[i] = Gated(comps[:1], f"{d.last_reason[i][0]} (all {d.drawn[i]} candidates)", d.drawn[i])
    for i, good in enumerate(d.good):
        if good is not None:
            out[i] = Gated(rank(i, good) if rank else good, None, d.drawn[i])
    stats = GateStats(len(requests), len(requests) - len(failed), len(failed), sum(d.drawn), d.reasons)
    return out, stats  # type: ignore[return-value]
