"""Writing ``RepoSnapshot``s to the warehouse (upserts by natural key, so re-runs and resumed
syncs never duplicate rows) and reading them back.

Large patches (over ``MAX_INLINE_PATCH_BYTES``) go to an artifact file whose name is derived from
a hash, never from the API-supplied path; the row keeps ``patch_too_large`` and the artifact path.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from typing import Any, Iterable

from ops.github.local_clone import MAX_INLINE_PATCH_BYTES
from ops.github.records import (
    BlameLink, Commit, IssueRecord, PRChain, PRFile, Problem, PullRequest, RepoSnapshot, Repository, Review,
    ReviewComment,
)
from ops.github.task_flags import is_test_path, language_of, task_flags

KEYS = {
    "github_repositories": ["repo"],
    "github_pull_requests": ["repo", "number"],
    "github_pr_files": ["repo", "number", "path"],
    "github_commits": ["repo", "sha"],
    "github_reviews": ["repo", "review_id"],
    "github_comments": ["repo", "kind", "comment_id"],
    "github_issues": ["repo", "number"],
    "github_pr_chains": ["repo", "chain_id"],
    "github_pr_chain_edges": ["repo", "chain_id", "position"],
    "github_sync_cursors": ["repo"],
    "github_pr_blame_links": ["repo", "number", "from_pr", "path", "line_start"],
}


def clean_text(value: Any, key: str, what: str, problems: list[Problem]) -> Any:
    """Strings that cannot be encoded as UTF-8 (lone surrogates from JSON escapes) are repaired
    with U+FFFD and reported."""
    if not isinstance(value, str):
        return value
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError as exc:
        problems.append(Problem(key, f"non-UTF-8 {what} (repaired with U+FFFD): {exc.reason}",
                                {"prefix": value[:200].encode("utf-8", "backslashreplace").decode()}))
        return "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in value)


def _clean(record: Any, problems: list[Problem]) -> dict:
    row = dataclasses.asdict(record)
    for k, v in row.items():
        if isinstance(v, str):
            row[k] = clean_text(v, getattr(record, "key", ""), f"{type(record).__name__}.{k}", problems)
    return row


def _patch_artifact(f: PRFile) -> str:
    from warehouse.paths import artifact_dir, trainyard_home

    digest = hashlib.sha256(f"{f.repo}\0{f.number}\0{f.path}".encode("utf-8", "replace")).hexdigest()[:24]
    target = artifact_dir("github", "patches", f.repo.replace("/", "__")) / f"{f.number}-{digest}.patch"
    target.write_text(f.patch or "", encoding="utf-8", errors="replace")
    return target.relative_to(trainyard_home()).as_posix()


def file_rows(files: Iterable[PRFile], problems: list[Problem]) -> list[dict]:
    rows = []
    for f in files:
        row = _clean(f, problems)
        size = len((row["patch"] or "").encode("utf-8"))
        row["patch_bytes"] = size or f.patch_bytes
        if f.is_binary:
            problems.append(Problem(f.key, "binary file: no patch", {"path": row["path"]}))
        if size > MAX_INLINE_PATCH_BYTES:
            row["patch_too_large"] = True
        if row["patch_too_large"]:
            if row["patch"]:
                row["patch_artifact"] = _patch_artifact(dataclasses.replace(f, patch=row["patch"]))
                row["patch"] = None
            problems.append(Problem(f.key, f"patch too large ({row['patch_bytes']} bytes): "
                                           + ("stored as artifact" if row["patch_artifact"]
                                              else "source omitted it"),
                                    {"path": row["path"], "artifact": row["patch_artifact"]}))
        row["is_test"] = is_test_path(f.path)
        row["language"] = language_of(f.path)
        row["source_key"] = f.key
        rows.append(row)
    return rows


def pr_rows(prs: Iterable[PullRequest], files: list[PRFile], problems: list[Problem]) -> list[dict]:
    by_pr: dict[int, list[PRFile]] = {}
    for f in files:
        by_pr.setdefault(f.number, []).append(f)
    rows = []
    for p in prs:
        row = _clean(p, problems)
        row["commit_shas"] = row.pop("commits")
        row.update(task_flags(p, by_pr.get(p.number, [])))
        row["source_key"] = p.key
        rows.append(row)
    return rows


def snapshot_rows(snapshot: RepoSnapshot, problems: list[Problem] | None = None) -> dict[str, list[dict]]:
    """Rows per warehouse table for one snapshot (each row carries ``source_key``)."""
    problems = snapshot.problems if problems is None else problems
    repo = dict(_clean(snapshot.repository, problems), source_key=snapshot.repo)
    out: dict[str, list[dict]] = {
        "github_repositories": [repo],
        "github_pull_requests": pr_rows(snapshot.pull_requests, snapshot.files, problems),
        "github_pr_files": file_rows(snapshot.files, problems),
        "github_commits": [dict(_clean(c, problems), source_key=c.key) for c in snapshot.commits],
        "github_issues": [dict(_clean(i, problems), source_key=i.key) for i in snapshot.issues],
        "github_reviews": [],
        "github_comments": [],
        "github_pr_blame_links": [dict(dataclasses.asdict(b), source_key=b.key) for b in snapshot.blame_links],
    }
    for r in snapshot.reviews:
        row = _clean(r, problems)
        row["review_id"] = row.pop("id")
        out["github_reviews"].append(dict(row, source_key=r.key))
    for c in snapshot.review_comments:
        row = _clean(c, problems)
        row["comment_id"] = row.pop("id")
        out["github_comments"].append(dict(row, source_key=c.key))
    return out


def write_snapshot(wh, snapshot: RepoSnapshot, lineage, problems: list[Problem] | None = None) -> dict[str, int]:
    """Upsert every table's rows for one snapshot; returns rows written per table."""
    counts = {}
    for table, rows in snapshot_rows(snapshot, problems).items():
        # one write must not carry the same key twice (e.g. an issue linked by two PRs)
        rows = list({tuple(r[k] for k in KEYS[table]): r for r in rows}.values())
        counts[table] = wh.write(table, rows, lineage, mode="upsert", key=KEYS[table]) if rows else 0
    return counts


def chain_rows(chains: list[PRChain]) -> tuple[list[dict], list[dict]]:
    chain_rows_, edge_rows = [], []
    for c in chains:
        kinds = sorted({part.split("(", 1)[0] for _, _, r in c.edges for part in r.split("; ")})
        chain_rows_.append({"repo": c.repo, "chain_id": c.chain_id, "pr_numbers": c.pr_numbers,
                            "length": c.length, "span_days": float(c.span_days),
                            "files_touched": c.files_touched, "reasons": kinds, "source_key": c.key})
        evidence = c.edge_evidence or [[] for _ in c.edges]
        for i, ((a, b, reason), ev) in enumerate(zip(c.edges, evidence)):
            first = ev[0] if ev else {}
            edge_rows.append({"repo": c.repo, "chain_id": c.chain_id, "position": i, "from_pr": a,
                              "to_pr": b, "reason": reason, "source_key": c.key,
                              "evidence_path": first.get("path"),
                              "evidence_lines": f"{first['line_start']}-{first['line_end']}" if ev else None,
                              "evidence_sha": first.get("blamed_sha"), "n_evidence": len(ev)})
    return chain_rows_, edge_rows


def write_cursor(wh, lineage, repo: str, source: str, *, status: str, prs_written: int = 0,
                 cursor_updated_at: dt.datetime | None = None, cursor_number: int | None = None,
                 head_sha: str = "", requests: int = 0, not_modified: int = 0) -> None:
    wh.write("github_sync_cursors", [{
        "repo": repo, "source": source, "cursor_updated_at": cursor_updated_at,
        "cursor_number": cursor_number, "head_sha": head_sha, "prs_written": prs_written,
        "requests": requests, "not_modified": not_modified, "status": status,
        "synced_at": dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), "source_key": repo,
    }], lineage, mode="upsert", key=["repo"])


def read_cursor(repo: str, path=None) -> dict | None:
    from warehouse.readers import read_sql

    frame = read_sql("SELECT * FROM github_sync_cursors WHERE repo = ?", [repo], path=path)
    return frame.row(0, named=True) if frame.height else None


def load_snapshot(repo: str, path=None) -> RepoSnapshot:
    """Rebuild a ``RepoSnapshot`` for ``repo`` from the warehouse (what chains and other branches
    read). Patches stored as artifacts are not loaded (``patch`` stays None)."""
    from warehouse.readers import read_sql

    def rows(table: str) -> list[dict]:
        return read_sql(f"SELECT * FROM {table} WHERE repo = ?", [repo], path=path).to_dicts()

    def pick(cls, row: dict, **renames) -> Any:
        for new, old in renames.items():
            row[new] = row.pop(old)
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: (list(v) if isinstance(v, tuple) else v) for k, v in row.items() if k in names})

    repos = rows("github_repositories")
    repository = pick(Repository, repos[0]) if repos else Repository(repo=repo)
    return RepoSnapshot(
        repository=repository,
        pull_requests=sorted((pick(PullRequest, r, commits="commit_shas") for r in rows("github_pull_requests")),
                             key=lambda p: p.number),
        files=sorted((pick(PRFile, r) for r in rows("github_pr_files")), key=lambda f: (f.number, f.path)),
        commits=[pick(Commit, r) for r in rows("github_commits")],
        reviews=sorted((pick(Review, r, id="review_id") for r in rows("github_reviews")), key=lambda r: r.id),
        review_comments=sorted((pick(ReviewComment, r, id="comment_id") for r in rows("github_comments")),
                               key=lambda c: (c.kind, c.id)),
        issues=sorted((pick(IssueRecord, r) for r in rows("github_issues")), key=lambda i: i.number),
        blame_links=sorted((pick(BlameLink, r) for r in rows("github_pr_blame_links")),
                           key=lambda b: (b.number, b.from_pr, b.path, b.line_start)),
    )


def drop_unreachable(wh, snapshot: RepoSnapshot) -> dict[str, int]:
    """After a full rescan of a local clone: delete the repository's rows the scan no longer
    found (PRs, files, commits no longer reachable from HEAD, e.g. after HEAD moved back; file
    rows of a PR whose diff changed; old blame links). Returns rows deleted per table."""
    from warehouse.readers import read_sql

    repo = snapshot.repo
    numbers = [p.number for p in snapshot.pull_requests]
    shas = [c.sha for c in snapshot.commits]
    file_keys = "(SELECT unnest(?::INTEGER[]) AS n, unnest(?::VARCHAR[]) AS p)"
    link_keys = [(b.number, b.from_pr, b.path, b.line_start) for b in snapshot.blame_links]
    conditions = {
        "github_pull_requests": ("repo = ? AND NOT list_contains(?::INTEGER[], number)", [repo, numbers]),
        "github_pr_files": (f"repo = ? AND NOT EXISTS (SELECT 1 FROM {file_keys} k "
                            "WHERE k.n = number AND k.p = path)",
                            [repo, [f.number for f in snapshot.files], [f.path for f in snapshot.files]]),
        "github_commits": ("repo = ? AND NOT list_contains(?::VARCHAR[], sha)", [repo, shas]),
        "github_reviews": ("repo = ? AND NOT list_contains(?::INTEGER[], number)", [repo, numbers]),
        "github_comments": ("repo = ? AND NOT list_contains(?::INTEGER[], number)", [repo, numbers]),
        "github_pr_blame_links": (
            "repo = ? AND NOT EXISTS (SELECT 1 FROM (SELECT unnest(?::INTEGER[]) AS n, "
            "unnest(?::INTEGER[]) AS f, unnest(?::VARCHAR[]) AS p, unnest(?::INTEGER[]) AS l) k "
            "WHERE k.n = number AND k.f = from_pr AND k.p = path AND k.l = line_start)",
            [repo, *([list(x) for x in zip(*link_keys)] if link_keys else [[], [], [], []])]),
    }
    dropped = {}
    for table, (where, params) in conditions.items():
        before = read_sql(f"SELECT count(*) AS n FROM {table} WHERE repo = ?", [repo], path=wh.path)["n"][0]
        wh.delete(table, where, params)
        after = read_sql(f"SELECT count(*) AS n FROM {table} WHERE repo = ?", [repo], path=wh.path)["n"][0]
        dropped[table] = int(before - after)
    return dropped
