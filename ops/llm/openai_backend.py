"""Any OpenAI-compatible chat endpoint (``vllm serve``, a hosted API, a local test server).

Base URL and key come from the environment (``TRAINYARD_LLM_BASE_URL`` / ``OPENAI_BASE_URL``,
key from the variable named by ``api_key_env``, default ``OPENAI_API_KEY``); the key is kept in a
private attribute, never in ``id``, ``repr``, errors or completions. Requests run on a bounded
thread pool (``concurrency`` in flight at most). Each request is retried a bounded number of times
on connection errors, timeouts, 429/5xx and unparseable bodies, with exponential backoff; other
4xx fail at once. If any request of a batch still fails, ``generate`` raises for the whole batch.
"""
from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import json
import os
import threading
import time
from typing import Any

from ops.llm.base import Completion, LLMRequest
from ops.llm.errors import BackendUnavailable, LLMBackendError, MalformedResponse

BASE_URL_ENVS = ("TRAINYARD_LLM_BASE_URL", "OPENAI_BASE_URL")


def _retryable_status(code: int) -> bool:
    return code == 429 or code >= 500


class OpenAIBackend:
    """Chat completions over HTTP. ``generate`` → one list of ``request.n`` completions per request."""

    deterministic = False

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        concurrency: int = 8,
        max_retries: int = 3,
        timeout_s: float = 60.0,
        backoff_s: float = 0.5,
    ):
        base = base_url or next((os.environ[e] for e in BASE_URL_ENVS if os.environ.get(e)), "")
        if not base:
            raise ValueError(
                "openai backend needs a base URL: set TRAINYARD_LLM_BASE_URL (or OPENAI_BASE_URL), "
                "e.g. http://127.0.0.1:8000/v1 for `vllm serve`"
            )
        if concurrency < 1 or max_retries < 0:
            raise ValueError("concurrency must be >= 1 and max_retries >= 0")
        self.base_url = base.rstrip("/")
        self.model = model
        self.concurrency = concurrency
        self.max_retries = max_retries
        self.timeout_s = timeout_s
        self.backoff_s = backoff_s
        self._api_key = os.environ.get(api_key_env, "")  # never logged or stored
        self.id = f"openai:{model}@{self.base_url}"
        self._lock = threading.Lock()
        self._in_flight = 0
        self.max_in_flight = 0  # high-water mark of concurrent HTTP requests (for the benchmark)
        self.http_calls = 0

    def __repr__(self) -> str:
        return f"OpenAIBackend(model={self.model!r}, base_url={self.base_url!r}, concurrency={self.concurrency})"

    def _post(self, payload: dict[str, Any]) -> dict[str, Any]:
        import requests

        headers = {"Content-Type": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        with self._lock:
            self._in_flight += 1
            self.http_calls += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            resp = requests.post(f"{self.base_url}/chat/completions", data=json.dumps(payload),
                                 headers=headers, timeout=self.timeout_s)
        finally:
            with self._lock:
                self._in_flight -= 1
        if resp.status_code != 200:
            body = resp.text[:200].replace(self._api_key, "***") if self._api_key else resp.text[:200]
            err = LLMBackendError(f"HTTP {resp.status_code} from {self.base_url}: {body}")
            err.retryable = _retryable_status(resp.status_code)  # type: ignore[attr-defined]
            raise err
        try:
            data = resp.json()
            choices = data["choices"]
            texts = [c["message"]["content"] for c in choices]
            if not texts or not all(isinstance(t, str) for t in texts):
                raise ValueError("no string contents")
        except (ValueError, KeyError, TypeError) as exc:
            raise MalformedResponse(
                f"{self.base_url} answered 200 but not with a chat completion ({exc}): {resp.text[:120]!r}"
            ) from exc
        return {"texts": texts, "model": data.get("model", self.model)}

    def _one(self, req: LLMRequest) -> list[Completion]:
        import requests

        payload = {"model": self.model, "messages": list(req.messages), "n": req.n,
                   "temperature": req.temperature, "max_tokens": req.max_tokens, "seed": req.seed}
        if req.stop:
            payload["stop"] = list(req.stop)
        if req.top_p < 1.0:
            payload["top_p"] = req.top_p
        if req.prefill:  # vLLM's chat API continues a final assistant message
            payload["messages"] = list(req.messages) + [{"role": "assistant", "content": req.prefill}]
            payload.update(continue_final_message=True, add_generation_prompt=False)
        last: Exception | None = None
        for attempt in range(self.max_retries + 1):
            if attempt:
                time.sleep(self.backoff_s * (2 ** (attempt - 1)))
            try:
                got = self._post(payload)
            except (requests.ConnectionError, requests.Timeout) as exc:
                last = BackendUnavailable(
                    f"openai endpoint {self.base_url} unreachable after {attempt + 1} attempt(s): "
                    f"{type(exc).__name__}")
                continue
            except MalformedResponse as exc:
                last = exc
                continue
            except LLMBackendError as exc:
                last = exc
                if getattr(exc, "retryable", False):
                    continue
                raise
            texts = [req.prefill + t for t in got["texts"]]
            if len(texts) < req.n:  # some servers ignore n: ask again for the rest
                more = self._one(dataclasses.replace(req, n=req.n - len(texts), seed=req.seed + 1))
                return [Completion(t, f"openai:{got['model']}") for t in texts] + more
            return [Completion(t, f"openai:{got['model']}") for t in texts[: req.n]]
        assert last is not None
        raise type(last)(f"{last} (gave up after {self.max_retries + 1} attempts)")

    def generate(self, requests: list[LLMRequest]) -> list[list[Completion]]:
        if not requests:
            return []
        with cf.ThreadPoolExecutor(max_workers=min(self.concurrency, len(requests))) as pool:
            futures = [pool.submit(self._one, r) for r in requests]
            try:
                return [f.result() for f in futures]
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
