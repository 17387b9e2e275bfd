"""A local GitHub-compatible REST server for tests and benchmarks (127.0.0.1, a daemon thread).

Serves the routes the sync uses under ``/api/v3`` with ``per_page``/``page`` pagination and
``Link`` headers (next/last), weak ETags and ``304 Not Modified`` (which, as on GitHub, does not
decrement the rate limit), ``X-RateLimit-*`` headers, ``301`` for renamed repositories, ``404``,
token checking, and injectable faults::

    server.fail(r"/pulls/3/files", "502", times=1)
    kinds: "403_reset" (primary rate limit, resets in 1 s), "429" (Retry-After: 1), "502",
           "timeout" (answers after ``slow_s``), "truncated" (JSON cut in half), "cut" (connection
           closed mid-body), "hang" (blocks until ``release()``; for kill tests)

``server.stats`` counts requests, 304s and rate-limit-decrementing answers.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import random
import re
import socket
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BASE = dt.datetime(2024, 5, 1, 12, 0, 0)


def iso(t: dt.datetime | None) -> str | None:
    return None if t is None else t.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclasses.dataclass
class FakeRepo:
    full_name: str
    pulls: list = dataclasses.field(default_factory=list)         # PR list payloads (no url yet)
    files: dict = dataclasses.field(default_factory=dict)         # number -> [file]
    commits: dict = dataclasses.field(default_factory=dict)       # number -> [commit]
    reviews: dict = dataclasses.field(default_factory=dict)       # number -> [review]
    review_comments: list = dataclasses.field(default_factory=list)
    issue_comments: list = dataclasses.field(default_factory=list)
    issues: dict = dataclasses.field(default_factory=dict)        # number -> issue payload


def _user(login):
    return {"login": login, "id": abs(hash(login)) % 10_000, "type": "User"}


def make_fake_repo(full_name: str = "octo/demo", n_prs: int = 12, seed: int = 0,
                   specials: bool = True) -> FakeRepo:
    """A repository with ``n_prs`` PRs (numbers after the issues), files, commits, reviews,
    comments and issues. ``specials`` adds: a binary file, a 300 kB patch, a path-traversal file
    name, a lone surrogate in a PR body, PRs fixing issues."""
    rng = random.Random(seed)
    repo = FakeRepo(full_name)
    n_issues = max(2, n_prs // 4)
    for i in range(1, n_issues + 1):
        repo.issues[i] = {"number": i, "title": f"Issue {i}: something breaks", "body": f"Steps for {i}",
                          "state": "closed", "user": _user("reporter"), "labels": [{"name": "bug"}],
                          "created_at": iso(BASE + dt.timedelta(hours=i)), "closed_at": None,
                          "updated_at": iso(BASE + dt.timedelta(hours=i)), "comments": 0}
    for k in range(n_prs):
        n = n_issues + 1 + k
        created = BASE + dt.timedelta(days=1 + k)
        updated = created + dt.timedelta(hours=rng.randint(1, 30))
        merged = k % 5 != 4
        fixes = (k // 3) % n_issues + 1
        body = f"Fixes #{fixes}\n\nChange {n}." if k % 3 == 0 else f"Change {n}; see #{n - 1}."
        if specials and k == 2:
            body += " broken \ud800 text"
        repo.pulls.append({
            "number": n, "title": f"Change number {n}", "body": body,
            "state": "closed" if merged else "open", "user": _user(f"dev{k % 3}"),
            "created_at": iso(created), "updated_at": iso(updated),
            "closed_at": iso(updated) if merged else None, "merged_at": iso(updated) if merged else None,
            "merge_commit_sha": hashlib.sha1(f"m{n}".encode()).hexdigest() if merged else None,
            "labels": [{"name": "enhancement"}] if k % 2 else [],
            "head": {"sha": hashlib.sha1(f"h{n}".encode()).hexdigest(), "ref": f"feature-{n}", "label": "x"},
            "base": {"sha": hashlib.sha1(f"b{n}".encode()).hexdigest(), "ref": "main", "label": "y"},
        })
        files = [{"filename": f"src/mod{k % 4}.py", "status": "modified", "additions": 2, "deletions": 1,
                  "changes": 3, "patch": f"@@ -{k + 1},2 +{k + 1},3 @@\n a\n-b{k}\n+c{k}\n+d{k}"},
                 {"filename": f"tests/test_mod{k % 4}.py", "status": "modified", "additions": 1,
                  "deletions": 0, "changes": 1, "patch": f"@@ -1,1 +1,2 @@\n x\n+assert {k}"}]
        if specials and k == 1:
            files.append({"filename": "docs/logo.png", "status": "added", "additions": 0,
                          "deletions": 0, "changes": 0})
        if specials and k == 3:
            big = "@@ -0,0 +1,20000 @@\n" + "".join(f"+line {i} of a generated file\n" for i in range(20000))
            files.append({"filename": "../../../../../tmp/trainyard-evil.txt", "status": "added",
                          "additions": 20000, "deletions": 0, "changes": 20000, "patch": big})
        repo.files[n] = files
        repo.commits[n] = [{
            "sha": hashlib.sha1(f"c{n}-{j}".encode()).hexdigest(),
            "parents": [{"sha": hashlib.sha1(f"p{n}-{j}".encode()).hexdigest()}],
            "commit": {"message": f"Commit {j} of #{n}" + ("\n\nAddress review comments" if j else ""),
                       "author": {"name": f"Dev {k % 3}", "email": "d@example.com",
                                  "date": iso(created + dt.timedelta(minutes=j))}},
            "author": _user(f"dev{k % 3}")} for j in range(1 + k % 2)]
        repo.reviews[n] = [{"id": 50_000 + n, "user": _user("reviewer"), "body": "Please rename",
                            "state": "CHANGES_REQUESTED", "commit_id": repo.commits[n][0]["sha"],
                            "submitted_at": iso(created + dt.timedelta(hours=1))}] if k % 2 == 0 else []
        if k % 2 == 0:
            repo.review_comments.append({
                "id": 70_000 + n, "pull_request_review_id": 50_000 + n, "user": _user("reviewer"),
                "body": f"nit on #{n}", "path": files[0]["filename"], "line": k + 2, "original_line": k + 2,
                "commit_id": repo.commits[n][0]["sha"], "created_at": iso(created + dt.timedelta(hours=1)),
                "updated_at": iso(created + dt.timedelta(hours=1)), "_number": n})
        repo.issue_comments.append({
            "id": 80_000 + n, "user": _user("dev0"), "body": f"Thanks for #{n}",
            "created_at": iso(created + dt.timedelta(hours=2)), "updated_at": iso(created + dt.timedelta(hours=2)),
            "_number": n})
    return repo


def touch_pr(repo: FakeRepo, number: int, when: dt.datetime, title: str | None = None) -> None:
    """Simulate activity on a PR (bumps updated_at)."""
    for p in repo.pulls:
        if p["number"] == number:
            p["updated_at"] = iso(when)
            if title:
                p["title"] = title


@dataclasses.dataclass
class Stats:
    requests: int = 0
    not_modified: int = 0
    decrementing: int = 0
    faults: int = 0
    paths: list = dataclasses.field(default_factory=list)

    def reset(self):
        self.requests = self.not_modified = self.decrementing = self.faults = 0
        self.paths.clear()


class FakeGitHub:
    """``with FakeGitHub(token="t") as server: server.base_url`` → "http://127.0.0.1:PORT/api/v3"."""

    def __init__(self, token: str | None = None, slow_s: float = 3.0):
        self.repos: dict[str, FakeRepo] = {}
        self.renamed: dict[str, str] = {}
        self.token = token
        self.slow_s = slow_s
        self.stats = Stats()
        self.faults: list[dict] = []
        # primary rate limit: ``limit`` decrementing requests per ``window_s`` (enforced with 403s)
        self.limit = 5000
        self.window_s = 3600.0
        self.remaining = self.limit
        self.reset_at = time.time() + self.window_s
        self.rate_limit_403s = 0
        self.hang_event = threading.Event()
        self.hanging = threading.Event()
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/api/v3"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.hang_event.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def add(self, repo: FakeRepo) -> FakeRepo:
        self.repos[repo.full_name.lower()] = repo
        return repo

    def fail(self, path_regex: str, kind: str, times: int = 1) -> None:
        self.faults.append({"re": re.compile(path_regex), "kind": kind, "times": times})

    def release(self) -> None:
        self.hang_event.set()

    # ------------------------------------------------------------------ routing
    def _route(self, path: str, query: dict) -> tuple[int, object, dict]:
        api = self.base_url
        m = re.match(r"^/api/v3/repos/([^/]+)/([^/]+)(/.*)?$", path)
        if not m:
            return 404, {"message": "Not Found"}, {}
        full, rest = f"{m.group(1)}/{m.group(2)}", m.group(3) or ""
        if full.lower() in self.renamed:
            new = self.renamed[full.lower()]
            return 301, {"message": "Moved Permanently"}, {"Location": f"{api}/repos/{new}{rest}"}
        repo = self.repos.get(full.lower())
        if repo is None:
            return 404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}, {}
        url = f"{api}/repos/{repo.full_name}"
        if rest == "":
            return 200, {"id": 1, "name": repo.full_name.split("/")[1], "full_name": repo.full_name,
                         "owner": _user(repo.full_name.split("/")[0]), "private": False,
                         "default_branch": "main", "description": "fake repository",
                         "html_url": f"https://github.example/{repo.full_name}", "url": url,
                         "updated_at": iso(BASE)}, {}
        if rest == "/pulls":
            items = sorted(repo.pulls, key=lambda p: (p["updated_at"], p["number"]),
                           reverse=query.get("direction", "desc") == "desc")
            return 200, [dict(p, url=f"{url}/pulls/{p['number']}",
                              html_url=f"https://github.example/{repo.full_name}/pull/{p['number']}")
                         for p in items], {"paginate": True}
        if rest in ("/pulls/comments", "/issues/comments"):
            items = repo.review_comments if rest == "/pulls/comments" else repo.issue_comments
            since = query.get("since")
            if since:
                items = [c for c in items if c["updated_at"] >= since]
            items = sorted(items, key=lambda c: (c["updated_at"], c["id"]))
            out = []
            for c in items:
                c = {k: v for k, v in c.items() if k != "_number"}
                n = next(x["_number"] for x in (repo.review_comments + repo.issue_comments) if x["id"] == c["id"])
                if rest == "/pulls/comments":
                    c["pull_request_url"] = f"{url}/pulls/{n}"
                else:
                    c["issue_url"] = f"{url}/issues/{n}"
                out.append(c)
            return 200, out, {"paginate": True}
        m2 = re.match(r"^/pulls/(\d+)/(files|commits|reviews)$", rest)
        if m2:
            n, what = int(m2.group(1)), m2.group(2)
            table = {"files": repo.files, "commits": repo.commits, "reviews": repo.reviews}[what]
            if n not in table:
                return 404, {"message": "Not Found"}, {}
            return 200, table[n], {"paginate": True}
        m2 = re.match(r"^/issues/(\d+)$", rest)
        if m2:
            n = int(m2.group(1))
            if n in repo.issues:
                return 200, dict(repo.issues[n], url=f"{url}/issues/{n}"), {}
            if any(p["number"] == n for p in repo.pulls):
                p = next(p for p in repo.pulls if p["number"] == n)
                return 200, {"number": n, "title": p["title"], "body": p["body"], "state": p["state"],
                             "user": p["user"], "labels": [], "url": f"{url}/issues/{n}",
                             "pull_request": {"url": f"{url}/pulls/{n}"}}, {}
            return 404, {"message": "Not Found"}, {}
        return 404, {"message": "Not Found"}, {}

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def setup(self):
                super().setup()
                # headers and body are written separately: without this, delayed ACKs add ~40 ms
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _send(self, status: int, body: bytes, headers: dict, cut: bool = False,
                      length: int | None = None) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body) if length is None else length))
                self.end_headers()
                self.wfile.write(body)
                if cut:
                    self.wfile.flush()
                    self.close_connection = True

            def _rate_headers(self) -> dict:
                return {"X-RateLimit-Limit": str(server.limit), "X-RateLimit-Remaining": str(server.remaining),
                        "X-RateLimit-Reset": str(int(server.reset_at + 0.999)),
                        "X-RateLimit-Used": str(server.limit - server.remaining), "X-RateLimit-Resource": "core"}

            def do_GET(self):  # noqa: N802
                parsed = urllib.parse.urlparse(self.path)
                query = dict(urllib.parse.parse_qsl(parsed.query))
                with server._lock:
                    server.stats.requests += 1
                    server.stats.paths.append(parsed.path)
                    fault = None
                    for f in server.faults:
                        if f["times"] > 0 and f["re"].search(parsed.path):
                            f["times"] -= 1
                            fault = f["kind"]
                            server.stats.faults += 1
                            break
                if server.token is not None:
                    auth = self.headers.get("Authorization", "")
                    if auth not in (f"token {server.token}", f"Bearer {server.token}"):
                        body = json.dumps({"message": "Bad credentials"}).encode()
                        return self._send(401, body, {"Content-Type": "application/json"})
                with server._lock:
                    if time.time() >= server.reset_at:
                        server.remaining = server.limit
                        server.reset_at = time.time() + server.window_s
                    exhausted = server.remaining == 0
                    if exhausted:
                        server.rate_limit_403s += 1
                if exhausted:
                    body = json.dumps({"message": "API rate limit exceeded for user ID 1."}).encode()
                    return self._send(403, body, {"Content-Type": "application/json", **self._rate_headers()})
                if fault == "403_reset":
                    body = json.dumps({"message": "API rate limit exceeded for user ID 1.",
                                       "documentation_url": "https://docs.github.com/rest"}).encode()
                    return self._send(403, body, {"Content-Type": "application/json",
                                                  "X-RateLimit-Remaining": "0",
                                                  "X-RateLimit-Reset": str(int(time.time()) + 1)})
                if fault == "429":
                    body = json.dumps({"message": "You have exceeded a secondary rate limit."}).encode()
                    return self._send(429, body, {"Content-Type": "application/json", "Retry-After": "1"})
                if fault == "502":
                    return self._send(502, b'{"message": "Server Error"}', {"Content-Type": "application/json"})
                if fault == "timeout":
                    time.sleep(server.slow_s)
                if fault == "hang":
                    server.hanging.set()
                    server.hang_event.wait(60)
                status, payload, extra = server._route(parsed.path, query)
                headers = {"Content-Type": "application/json; charset=utf-8", **self._rate_headers()}
                if status == 301:
                    headers["Location"] = extra["Location"]
                    return self._send(301, json.dumps(payload).encode(), headers)
                if status == 200 and extra.get("paginate"):
                    per_page = max(1, min(100, int(query.get("per_page", 30))))
                    page = max(1, int(query.get("page", 1)))
                    last = max(1, -(-len(payload) // per_page))
                    payload = payload[(page - 1) * per_page: page * per_page]
                    links = []
                    base_q = {k: v for k, v in query.items() if k != "page"}
                    def link(p, rel):
                        q = urllib.parse.urlencode({**base_q, "page": p})
                        return f'<http://127.0.0.1:{server.port}{parsed.path}?{q}>; rel="{rel}"'
                    if page < last:
                        links += [link(page + 1, "next"), link(last, "last")]
                    if page > 1:
                        links += [link(1, "first"), link(page - 1, "prev")]
                    if links:
                        headers["Link"] = ", ".join(links)
                body = json.dumps(payload).encode()  # lone surrogates stay \\ud800 escapes
                etag = 'W/"' + hashlib.sha256(body + headers.get("Link", "").encode()).hexdigest()[:32] + '"'
                if status == 200:
                    headers["ETag"] = etag
                    if self.headers.get("If-None-Match") == etag:
                        with server._lock:
                            server.stats.not_modified += 1
                        headers.pop("Content-Type")
                        return self._send(304, b"", headers)
                with server._lock:
                    server.stats.decrementing += 1
                    server.remaining = max(0, server.remaining - 1)
                headers = {**headers, **self._rate_headers()}
                if fault == "truncated":
                    return self._send(status, body[: len(body) // 2], headers)
                if fault == "cut":
                    return self._send(status, body[: len(body) // 2], headers, cut=True, length=len(body))
                return self._send(status, body, headers)

        return Handler
