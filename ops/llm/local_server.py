"""A local OpenAI-compatible chat server for tests and the benchmark (no model: it answers with a
function of the prompt). Behaviours per server: ``ok``; ``fail_first`` (HTTP 500 for the first
``failures`` calls, then ok); ``garbage`` (200 with a non-JSON body); ``error`` (HTTP 500 always);
``bad_request`` (HTTP 400). ``delay_s`` holds each answer so concurrency is observable.

Usage: ``with LocalChatServer(mode="ok") as srv: srv.base_url`` → ``http://127.0.0.1:PORT/v1``.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LocalChatServer:
    def __init__(self, mode: str = "ok", failures: int = 0, delay_s: float = 0.0,
                 reply=None):
        self.mode = mode
        self.failures = failures
        self.delay_s = delay_s
        self.reply = reply or (lambda messages, i: f"echo {i}: {messages[-1]['content'][:80]}")
        self.calls = 0
        self.auth_headers: list[str] = []
        self._lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                with outer._lock:
                    outer.calls += 1
                    call = outer.calls
                    outer.in_flight += 1
                    outer.max_in_flight = max(outer.max_in_flight, outer.in_flight)
                    outer.auth_headers.append(self.headers.get("Authorization", ""))
                # The reply is built while counted in flight and sent only after the count drops: a
                # client that reads the reply may start its next request before this thread runs
                # again, and a decrement after the send would briefly count one request too many.
                try:
                    code, payload = self._reply(body, call)
                finally:
                    with outer._lock:
                        outer.in_flight -= 1
                self._send(code, payload)

            def _reply(self, body, call) -> tuple[int, bytes]:
                if outer.delay_s:
                    time.sleep(outer.delay_s)
                mode = outer.mode
                if mode == "fail_first":
                    mode = "error" if call <= outer.failures else "ok"
                if mode == "error":
                    return 500, b'{"error": "internal"}'
                if mode == "bad_request":
                    return 400, b'{"error": "bad request"}'
                if mode == "garbage":
                    return 200, b"<html>not json</html>"
                n = int(body.get("n", 1))
                choices = [{"index": i, "message": {"role": "assistant",
                                                    "content": outer.reply(body["messages"], i)},
                            "finish_reason": "stop"} for i in range(n)]
                data = {"id": f"cmpl-{call}", "object": "chat.completion",
                        "model": body.get("model", "local"), "choices": choices}
                return 200, json.dumps(data).encode()

            def _send(self, code, payload: bytes):
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> "LocalChatServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
