"""Errors every backend raises, so callers can tell 'endpoint down' from 'bad output'."""
from __future__ import annotations


class LLMBackendError(RuntimeError):
    """A backend could not produce completions for a batch (after its bounded retries).

    Raised for the whole batch: callers write no rows for it, so a failure never leaves a
    partial result in the warehouse."""


class BackendUnavailable(LLMBackendError):
    """The endpoint could not be reached (connection refused, DNS, timeout) after retries."""


class MalformedResponse(LLMBackendError):
    """The endpoint answered, but not with an OpenAI-shaped chat completion."""
