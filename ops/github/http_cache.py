"""Conditional requests beneath an unmodified PyGithub client.

PyGithub sends list requests without ``If-None-Match``; ``CachingAdapter`` (a ``requests``
transport adapter mounted into PyGithub's own session through its connection-class hook) adds
the stored ETag, and turns a ``304 Not Modified`` — which GitHub does not count against the rate
limit — back into the stored ``200`` (body + ``Link`` header) so PyGithub paginates as usual.

It also:
- waits for the primary rate limit to reset before sending when the last response said
  ``X-RateLimit-Remaining: 0`` (PyGithub's ``GithubRetry`` handles the 403/429 that come anyway);
- checks JSON bodies: a truncated body is retried under the same ``Retry`` object PyGithub was
  given (its budget and backoff), never cached;
- counts requests, 304s and rate-limit-decrementing responses.

Cache entries are files named by the SHA-256 of the URL; only response data is stored (never
request headers, so never the token).
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import threading
import time
from pathlib import Path
from typing import Iterator

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ProtocolError

_KEEP_HEADERS = ("ETag", "Last-Modified", "Link", "Content-Type")


class RateLimitWaitTooLong(RuntimeError):
    """The primary rate limit resets later than the configured maximum wait."""


@dataclasses.dataclass
class RequestStats:
    requests: int = 0          # HTTP exchanges the adapter made (PyGithub's inner retries included
                               # only when they reach the adapter)
    not_modified: int = 0      # 304 answers (free of rate limit)
    rate_limited: int = 0      # answers that decremented the rate limit (every non-304)
    truncated_retries: int = 0
    rate_limit_waits_s: float = 0.0


class ResponseCache:
    """ETag cache on disk: ``<dir>/<sha256(url)>.json`` (metadata) + ``.body``."""

    def __init__(self, directory: Path):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)

    def _stem(self, url: str, accept: str) -> Path:
        return self.dir / hashlib.sha256(f"{url}\0{accept}".encode()).hexdigest()

    def get(self, url: str, accept: str) -> dict | None:
        stem = self._stem(url, accept)
        try:
            meta = json.loads(stem.with_suffix(".json").read_text())
            meta["body"] = stem.with_suffix(".body").read_bytes()
            return meta
        except (OSError, ValueError):
            return None

    def put(self, url: str, accept: str, headers: dict, body: bytes) -> None:
        stem = self._stem(url, accept)
        stem.with_suffix(".body").write_bytes(body)
        tmp = stem.with_suffix(".tmp")
        tmp.write_text(json.dumps({"headers": {k: headers[k] for k in _KEEP_HEADERS if k in headers}}))
        tmp.replace(stem.with_suffix(".json"))


class CachingAdapter(HTTPAdapter):
    """See the module doc. ``max_retries`` is PyGithub's ``Retry`` (a ``GithubRetry``)."""

    def __init__(self, cache: ResponseCache | None, stats: RequestStats, max_rate_limit_wait: float,
                 max_retries=0, **kwargs):
        super().__init__(max_retries=max_retries, **kwargs)
        self.cache = cache
        self.stats = stats
        self.max_rate_limit_wait = max_rate_limit_wait
        self._reset_at: float | None = None
        self._lock = threading.Lock()

    def _wait_for_rate_limit(self) -> None:
        with self._lock:
            reset_at, self._reset_at = self._reset_at, None
        if reset_at is None:
            return
        wait = reset_at - time.time() + 1.0  # the reset second itself may not have passed
        if wait <= 0:
            return
        if wait > self.max_rate_limit_wait:
            raise RateLimitWaitTooLong(f"rate limit resets in {wait:.0f}s (> {self.max_rate_limit_wait:.0f}s)")
        self.stats.rate_limit_waits_s += wait
        time.sleep(wait)

    def _note_rate_limit(self, headers) -> None:
        remaining, reset = headers.get("X-RateLimit-Remaining"), headers.get("X-RateLimit-Reset")
        if remaining is not None and reset is not None and remaining.strip() == "0" and reset.isdigit():
            with self._lock:
                self._reset_at = float(reset)

    def send(self, request, **kwargs):  # noqa: D102 (requests API)
        if request.method != "GET":
            return super().send(request, **kwargs)
        accept = request.headers.get("Accept", "")
        entry = self.cache.get(request.url, accept) if self.cache else None
        if entry and entry["headers"].get("ETag"):
            request.headers["If-None-Match"] = entry["headers"]["ETag"]
        retry = self.max_retries
        while True:
            self._wait_for_rate_limit()
            response = super().send(request, **kwargs)
            self.stats.requests += 1
            self._note_rate_limit(response.headers)
            if response.status_code == 304 and entry:
                self.stats.not_modified += 1
                return self._from_cache(request, response, entry)
            self.stats.rate_limited += 1
            if response.status_code != 200 or "json" not in response.headers.get("Content-Type", ""):
                return response
            try:
                body = response.content
                json.loads(body)
            except (ValueError, requests.exceptions.RequestException, ProtocolError) as exc:
                # A cut-off body: retry under PyGithub's own Retry budget and backoff.
                self.stats.truncated_retries += 1
                retry = retry.increment(request.method, request.url,
                                        error=ProtocolError(f"truncated JSON body: {type(exc).__name__}"))
                retry.sleep()
                continue
            if self.cache and response.headers.get("ETag"):
                self.cache.put(request.url, accept, response.headers, body)
            return response

    @staticmethod
    def _from_cache(request, not_modified, entry) -> requests.Response:
        response = requests.Response()
        response.status_code = 200
        response.reason = "OK (from cache, revalidated)"
        response.headers = requests.structures.CaseInsensitiveDict(not_modified.headers)
        response.headers.update(entry["headers"])
        response.headers["Content-Length"] = str(len(entry["body"]))
        response._content = entry["body"]
        response.url = request.url
        response.request = request
        response.encoding = "utf-8"
        return response


_INJECT_LOCK = threading.Lock()


@contextlib.contextmanager
def caching_connections(adapter: CachingAdapter) -> Iterator[None]:
    """Route every PyGithub request made inside the block through ``adapter`` (PyGithub's
    ``Requester.injectConnectionClasses`` hook; the client itself stays unmodified)."""
    from github.Requester import (
        HTTPRequestsConnectionClass, HTTPSRequestsConnectionClass, Requester,
    )

    def _adopt(conn, scheme):
        # the adapter inherits the Retry PyGithub was configured with
        adapter.max_retries = conn.adapter.max_retries
        conn.adapter = adapter
        conn.session.mount(f"{scheme}://", adapter)

    class _Http(HTTPRequestsConnectionClass):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            _adopt(self, "http")

        def close(self) -> None:  # the shared adapter outlives each connection object
            pass

    class _Https(HTTPSRequestsConnectionClass):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            _adopt(self, "https")

        def close(self) -> None:
            pass

    with _INJECT_LOCK:
        Requester.injectConnectionClasses(_Http, _Https)
        try:
            yield
        finally:
            Requester.resetConnectionClasses()
            adapter.close()
