"""PR chains (daVinci-Agency style): a dependency graph over one repository's PRs, then ordered
paths through it.

Edges always point from an earlier PR to a later one (by merge time, else creation time) and carry
every reason found, as ``"kind"`` or ``"kind(detail)"`` joined by ``"; "``. Kinds:

- ``reverts`` — the later PR says "revert" and names the earlier one (``#N`` or a commit sha of it);
- ``follow_up`` / ``depends_on`` / ``review_revision`` — "follow-up to #N", "depends on #N"
  ("builds on", "based on"), "review of #N" ("requested in review", "review comments on");
- ``review_revision(path)`` — the later PR rewrites the line an inline review comment on the
  earlier PR pointed at (replaces the bare textual ``review_revision`` on the same edge);
- ``references`` — any other ``#N`` naming a PR (titles, bodies, commit messages, review comments);
- ``same_issue(#I)`` — both PRs close issue I (consecutive fixers are linked);
- ``blame(path)`` — lines the later PR deletes or rewrites in ``path`` were last written by the
  earlier PR at the later PR's merge base (``git blame``; local clones only, see
  ``ops.github.blame``: the earlier PR's merge commit is an ancestor of that base, housekeeping
  files and trivial lines carry no evidence), the earlier PR merged within ``window_days`` before
  the later one was opened (``None``: no window). Every such earlier PR is linked; the evidence
  (path, line range, blamed commit) travels with the edge (``PRChain.edge_evidence``).

Chains are an edge cover: repeatedly take the longest path made of not-yet-used edges (ties broken
by earlier PR numbers), so every edge appears in exactly one chain and a PR may appear in several.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

from ops.github.records import PRChain, PRFile, PullRequest, RepoSnapshot

_REF_RE = re.compile(r"(?<![\w/])#(\d+)\b")
_SHA_RE = re.compile(r"\b[0-9a-f]{7,40}\b")
_KIND_PATTERNS = [
    ("follow_up", re.compile(r"follow[- ]?ups?\s+(?:to|on|of|for)\s+(?:PR\s*)?#(\d+)", re.I)),
    ("depends_on", re.compile(r"(?:depends\s+on|builds?\s+on|based\s+on|requires)\s+(?:PR\s*)?#(\d+)", re.I)),
    ("review_revision", re.compile(r"review(?:\s+comments?|\s+feedback)?\s+(?:of|on|in|from)\s+(?:PR\s*)?#(\d+)", re.I)),
    ("reverts", re.compile(r"\brevert\w*\b[^\n#]*?#(\d+)", re.I)),
]
_HUNK_RE = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def _when(pr: PullRequest) -> dt.datetime:
    return pr.merged_at or pr.created_at or dt.datetime.min


def _texts(snapshot: RepoSnapshot) -> dict[int, str]:
    """All text a PR carries: title, body, its commits' messages, its review comments."""
    messages = {c.sha: c.message for c in snapshot.commits}
    out: dict[int, list[str]] = defaultdict(list)
    for pr in snapshot.pull_requests:
        out[pr.number] += [pr.title, pr.body]
        out[pr.number] += [messages.get(s, "") for s in {pr.merge_commit_sha, *pr.commits}]
    for c in snapshot.review_comments:
        out[c.number].append(c.body)
    for r in snapshot.reviews:
        out[r.number].append(r.body)
    return {n: "\n".join(t for t in parts if t) for n, parts in out.items()}


def build_pr_graph(snapshot: RepoSnapshot, window_days: float | None = 30.0) -> dict[tuple[int, int], set[str]]:
    """{(earlier_pr, later_pr): {reason, ...}} for one repository."""
    return build_pr_graph_with_evidence(snapshot, window_days)[0]


def build_pr_graph_with_evidence(snapshot: RepoSnapshot, window_days: float | None = 30.0
                                 ) -> tuple[dict[tuple[int, int], set[str]], dict[tuple[int, int], list[dict]]]:
    """(graph as in ``build_pr_graph``, {edge: blame evidence dicts}) for one repository."""
    prs = {p.number: p for p in snapshot.pull_requests}
    order = {n: (_when(p), n) for n, p in prs.items()}
    edges: dict[tuple[int, int], set[str]] = defaultdict(set)
    evidence: dict[tuple[int, int], list[dict]] = defaultdict(list)

    in_base = _ancestor_test(snapshot)

    def add(a: int, b: int, reason: str) -> None:
        if a == b or a not in prs or b not in prs:
            return
        first, second = (a, b) if order[a] < order[b] else (b, a)
        if in_base(prs[first], prs[second]):
            edges[(first, second)].add(reason)

    sha_owner = {}
    for p in prs.values():
        for sha in [p.merge_commit_sha, p.head_sha, *p.commits, *p.duplicate_shas]:
            if sha:
                sha_owner.setdefault(sha, p.number)

    for number, text in _texts(snapshot).items():
        if number not in prs:
            continue
        kinded: set[int] = set()
        for kind, pattern in _KIND_PATTERNS:
            for m in pattern.finditer(text):
                add(int(m.group(1)), number, kind)
                kinded.add(int(m.group(1)))
        for m in _REF_RE.finditer(text):
            ref = int(m.group(1))
            if ref not in kinded and ref not in prs[number].linked_issues:
                add(ref, number, "references")
        if re.search(r"\brevert", text, re.I):
            for m in _SHA_RE.finditer(text):
                owner = next((n for s, n in sha_owner.items() if s.startswith(m.group(0))), None)
                if owner is not None and owner != number:
                    add(owner, number, "reverts")

    fixers: dict[int, list[int]] = defaultdict(list)
    for p in prs.values():
        for issue in p.linked_issues:
            fixers[issue].append(p.number)
    for issue, numbers in fixers.items():
        numbers.sort(key=lambda n: order[n])
        for a, b in zip(numbers, numbers[1:]):
            add(a, b, f"same_issue(#{issue})")

    _blame_edges(snapshot, prs, order, window_days, edges, evidence)
    _review_locations(snapshot, prs, order, window_days or 30.0, add)
    # a located review revision says more than the bare textual one
    for reasons in edges.values():
        if "review_revision" in reasons and any(r.startswith("review_revision(") for r in reasons):
            reasons.discard("review_revision")
    return edges, evidence


def _removed_lines(patch: str) -> set[int]:
    """Old-side line numbers of the lines a patch removes or rewrites."""
    removed: set[int] = set()
    old = 0
    for line in patch.split("\n"):
        m = _HUNK_RE.match(line)
        if m:
            old = int(m.group(1))
        elif line.startswith("-"):
            removed.add(old)
            old += 1
        elif line.startswith(" ") or line == "":
            old += 1
    return removed


def _review_locations(snapshot, prs, order, window_days, add) -> None:
    """review_revision(path): a later PR rewrites the very line an inline review comment on an
    earlier PR pointed at (the earliest such PR within the window)."""
    files_by_pr: dict[int, list[PRFile]] = defaultdict(list)
    for f in snapshot.files:
        if f.patch and f.number in prs:
            files_by_pr[f.number].append(f)
    later = sorted(files_by_pr, key=lambda n: order[n])
    window = dt.timedelta(days=window_days)
    for c in snapshot.review_comments:
        if c.kind != "review" or not c.path or c.line is None or c.number not in prs:
            continue
        done = _when(prs[c.number])
        for n in later:
            if order[n] <= order[c.number]:
                continue
            if (prs[n].created_at or _when(prs[n])) - done > window:
                break
            if any(c.path in (f.path, f.previous_path) and int(c.line) in _removed_lines(f.patch)
                   for f in files_by_pr[n]):
                add(c.number, n, f"review_revision({c.path})")
                break


def _ancestor_test(snapshot: RepoSnapshot):
    """``test(a, b)``: is PR a's merge commit an ancestor of PR b's merge base? Decided on the
    snapshot's commit graph when it holds both (local clones: every commit reachable from HEAD);
    otherwise (API snapshots hold only PR commits) every pair passes."""
    from ops.github.local_clone import _Ancestry

    graph = _Ancestry.from_parents({c.sha: list(c.parents) for c in snapshot.commits})

    def test(a: PullRequest, b: PullRequest) -> bool:
        base = b.merge_base_sha or b.base_sha
        if not (a.merge_commit_sha in graph.gen and base in graph.gen):
            return True
        return graph.is_ancestor(a.merge_commit_sha, base)

    return test


def _blame_edges(snapshot, prs, order, window_days, edges, evidence) -> None:
    """blame(path) edges from ``snapshot.blame_links`` (never against the time order: an edge
    whose earlier PR would come later is dropped)."""
    window = dt.timedelta(days=window_days) if window_days is not None else None
    for link in snapshot.blame_links:
        a, b = link.from_pr, link.number
        if a == b or a not in prs or b not in prs or not order[a] < order[b]:
            continue
        start = prs[b].created_at or _when(prs[b])
        if window is not None and start - _when(prs[a]) > window:
            continue
        edges[(a, b)].add(f"blame({link.path})")
        evidence[(a, b)].append({"path": link.path, "line_start": link.line_start,
                                 "line_end": link.line_end, "blamed_sha": link.blamed_sha})


def build_pr_chains(snapshot: RepoSnapshot, window_days: float | None = 30.0,
                    min_length: int = 2) -> list[PRChain]:
    """Ordered PR chains for one repository (see module doc). ``span_days``: first PR's creation
    to last PR's merge (else creation), in days."""
    prs = {p.number: p for p in snapshot.pull_requests}
    graph, evidence = build_pr_graph_with_evidence(snapshot, window_days)
    order = sorted(prs, key=lambda n: (_when(prs[n]), n))
    unused = set(graph)
    files_by_pr: dict[int, set[str]] = defaultdict(set)
    for f in snapshot.files:
        files_by_pr[f.number].add(f.path)
    chains: list[PRChain] = []
    while unused:
        # longest path over unused edges, by DP in time order over the nodes that still have
        # unused edges; ties prefer the lower-numbered predecessor, then the smaller path
        incoming: dict[int, list[int]] = defaultdict(list)
        for a, b in unused:
            incoming[b].append(a)
        active = {a for a, _ in unused} | set(incoming)
        best: dict[int, tuple[int, int | None]] = {}
        for n in order:
            if n not in active:
                continue
            cand: tuple[int, int | None] = (1, None)
            for a in sorted(incoming.get(n, ())):
                if best[a][0] + 1 > cand[0]:
                    cand = (best[a][0] + 1, a)
            best[n] = cand

        def path_to(n: int) -> list[int]:
            out = [n]
            while best[out[-1]][1] is not None:
                out.append(best[out[-1]][1])
            return out[::-1]

        length = max(v[0] for v in best.values())
        path = min(path_to(n) for n, v in best.items() if v[0] == length)
        if length < 2:
            break
        pairs = list(zip(path, path[1:]))
        unused.difference_update(pairs)
        if length < min_length:
            continue
        first, last = prs[path[0]], prs[path[-1]]
        start = first.created_at or _when(first)
        span = (_when(last) - start).total_seconds() / 86400 if start != dt.datetime.min else 0.0
        chains.append(PRChain(
            repo=snapshot.repo, chain_id="-".join(str(n) for n in path), pr_numbers=path,
            edges=[(a, b, "; ".join(sorted(graph[(a, b)]))) for a, b in pairs],
            span_days=round(span, 4),
            files_touched=sorted(set().union(*(files_by_pr[n] for n in path))),
            edge_evidence=[evidence.get((a, b), []) for a, b in pairs]))
    return chains


def chain_statistics(chains: list[PRChain], n_prs: int) -> dict[str, float]:
    """Counts for metadata and the evaluation report: chains, PRs covered, length distribution,
    edges by kind."""
    lengths = sorted(c.length for c in chains)
    covered = {n for c in chains for n in c.pr_numbers}
    stats: dict[str, float] = {
        "chains": len(chains), "prs": n_prs, "prs_in_chains": len(covered),
        "coverage": len(covered) / n_prs if n_prs else 0.0,
        "max_length": max(lengths, default=0),
        "mean_length": sum(lengths) / len(lengths) if lengths else 0.0,
        "median_length": (lengths[len(lengths) // 2] if len(lengths) % 2 else
                          (lengths[len(lengths) // 2 - 1] + lengths[len(lengths) // 2]) / 2) if lengths else 0.0,
        "mean_span_days": sum(c.span_days for c in chains) / len(chains) if chains else 0.0,
    }
    for c in chains:
        for _, _, reason in c.edges:
            for part in reason.split("; "):
                kind = part.split("(", 1)[0]
                stats[f"edges_{kind}"] = stats.get(f"edges_{kind}", 0) + 1
    for length in lengths:
        stats[f"chains_len_{length}"] = stats.get(f"chains_len_{length}", 0) + 1
    return stats
