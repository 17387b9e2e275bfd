"""The deterministic, offline default backend: renders each request with the renderer registered
for its ``task`` (``ops.llm.base.register_template``). Same request → same text, every time, so
``n`` candidates are identical and rejection sampling draws one."""
from __future__ import annotations

from ops.llm.base import TEMPLATES, Completion, LLMRequest


class TemplateBackend:
    """``generate`` returns ``request.n`` copies of the template rendering (``generator=template``)."""

    id = "template"
    deterministic = True

    def generate(self, requests: list[LLMRequest]) -> list[list[Completion]]:
        out: list[list[Completion]] = []
        for req in requests:
            fn = TEMPLATES.get(req.task)
            if fn is None:
                raise KeyError(
                    f"no template registered for task {req.task!r} (registered: {sorted(TEMPLATES)}); "
                    "import the module that registers it or pick a model backend"
                )
            text = fn(req)
            out.append([Completion(text=text, generator="template")] * max(1, req.n))
        return out
