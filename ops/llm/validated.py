"""Malformed-output handling: validate each completion, re-ask a bounded number of times (with a
new seed, so the prompt hash — and a sampling backend's draw — changes), then give up on that
request with a reason the caller quarantines. One bad output never sinks the batch."""
from __future__ import annotations

import dataclasses
from typing import Callable

from ops.llm.base import Completion, LLMBackend, LLMRequest

# Returns None when the text is acceptable, else the reason it is not.
Validator = Callable[[str], "str | None"]


@dataclasses.dataclass
class Rejected:
    index: int
    request: LLMRequest
    reason: str
    last_text: str
    attempts: int


def generate_validated(
    backend: LLMBackend, requests: list[LLMRequest], validate: Validator, max_attempts: int = 3,
) -> tuple[list[list[Completion] | None], list[Rejected]]:
    """Per request, the valid completions (``None`` when every attempt was malformed) and the
    rejected requests with the last reason. Invalid candidates among valid ones are dropped."""
    if max_attempts < 1:
        raise ValueError("max_attempts must be >= 1")
    results: list[list[Completion] | None] = [None] * len(requests)
    reasons: dict[int, tuple[str, str]] = {}
    pending = list(range(len(requests)))
    for attempt in range(max_attempts):
        if not pending:
            break
        batch = [dataclasses.replace(requests[i], seed=requests[i].seed + 1000 * attempt) for i in pending]
        still: list[int] = []
        for i, comps in zip(pending, backend.generate(batch)):
            good = []
            for c in comps:
                why = validate(c.text)
                if why is None:
                    good.append(c)
                else:
                    reasons[i] = (why, c.text)
            if good:
                results[i] = good
            else:
                still.append(i)
        pending = still
    rejected = [Rejected(i, requests[i], f"malformed output after {max_attempts} attempts: {reasons[i][0]}",
                         reasons[i][1][:2000], max_attempts) for i in pending]
    return results, rejected
