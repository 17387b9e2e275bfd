"""LLM backends behind one interface (template, transformers, openai, vllm).

``make_backend(config, cache=None)`` builds one; every backend has ``id`` and
``generate(list[LLMRequest]) -> list[list[Completion]]``. See ``ops.llm.factory``."""
from ops.llm.base import Completion, LLMBackend, LLMRequest, register_template
from ops.llm.errors import BackendUnavailable, LLMBackendError, MalformedResponse
from ops.llm.factory import LLMConfig, make_backend

__all__ = ["Completion", "LLMBackend", "LLMRequest", "register_template", "BackendUnavailable",
           "LLMBackendError", "MalformedResponse", "LLMConfig", "make_backend"]
