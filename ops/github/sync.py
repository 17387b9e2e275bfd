"""One sync of one repository into the warehouse, whichever the source.

``sync_repository(spec, wh, lineage)`` → ``SyncResult``. The local source rescans the clone when
HEAD moved (cheap: ~1 ms per PR) and upserts; the API source is incremental and resumable (see
``api_source``). A local rescan is complete, so rows it no longer finds (PRs no longer reachable
from HEAD) are deleted. Bad input becomes quarantine rows (one ``quarantine`` call per run, as the
registry requires); only an unreadable source raises.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

from ops.github.records import SOURCE_API, SOURCE_LOCAL, Problem
from ops.github.repo_list import RepoSpec


@dataclasses.dataclass
class SyncResult:
    repo: str
    source: str
    prs_written: int = 0
    rows: dict = dataclasses.field(default_factory=dict)
    problems: list[Problem] = dataclasses.field(default_factory=list)
    requests: int = 0
    not_modified: int = 0
    rate_limited_requests: int = 0  # requests that counted against the rate limit
    rate_limit_wait_s: float = 0.0   # time spent waiting for primary rate-limit resets
    unchanged: bool = False
    head_sha: str = ""


def sync_local(spec: RepoSpec, wh, lineage, log: Callable[[str], None] = print) -> SyncResult:
    from ops.github.git_cli import run_git
    from ops.github.local_clone import scan_local_clone
    from ops.github.store import drop_unreachable, read_cursor, write_cursor, write_snapshot

    head = run_git(spec.path, ["rev-parse", "--verify", "HEAD^{commit}"]).decode().strip()
    cursor = read_cursor(spec.repo, path=wh.path)
    if cursor and cursor.get("head_sha") == head and cursor.get("status") == "complete":
        log(f"{spec.repo}: HEAD {head[:12]} unchanged since the last scan")
        return SyncResult(spec.repo, SOURCE_LOCAL, unchanged=True, head_sha=head)
    snapshot = scan_local_clone(spec.path, spec.repo)
    problems = list(snapshot.problems)
    rows = write_snapshot(wh, snapshot, lineage, problems)
    # a full rescan: rows of PRs/commits no longer reachable from HEAD go (HEAD moved back, force push)
    dropped = drop_unreachable(wh, snapshot)
    if any(dropped.values()):
        log(f"{spec.repo}: dropped rows no longer reachable from HEAD: "
            + ", ".join(f"{t}={n}" for t, n in dropped.items() if n))
    rows.update({f"dropped/{t}": n for t, n in dropped.items()})
    write_cursor(wh, lineage, spec.repo, SOURCE_LOCAL, status="complete",
                 prs_written=len(snapshot.pull_requests), head_sha=head)
    log(f"{spec.repo}: {len(snapshot.pull_requests)} PRs from {spec.path}")
    return SyncResult(spec.repo, SOURCE_LOCAL, prs_written=len(snapshot.pull_requests), rows=rows,
                      problems=problems, head_sha=head)


def sync_repository(spec: RepoSpec, wh, lineage, token: str | None = None,
                    log: Callable[[str], None] = print, **api_options) -> SyncResult:
    """Sync one repository and record its problems in the quarantine table."""
    from warehouse.registry import quarantine

    if spec.source == "local":
        result = sync_local(spec, wh, lineage, log)
    else:
        from ops.github.api_source import sync_api

        result = sync_api(spec, wh, lineage, token=token, log=log, **api_options)
    if not result.unchanged:
        quarantine(wh, [(p.record_key, p.reason, p.record) for p in result.problems], lineage)
    return result


__all__ = ["SyncResult", "sync_repository", "sync_local", "SOURCE_API", "SOURCE_LOCAL"]
