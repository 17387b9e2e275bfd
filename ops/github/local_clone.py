"""Offline source: pull requests, files, commits and linked issues from a local git clone.

Only git plumbing is run (``git log``, ``git diff-tree``, ``git show``), with repository-configured
programs disabled (``git_cli.SAFE_CONFIG``); nothing in the repository is executed.

PRs are found in every commit reachable from HEAD (all parents, not only the first), so PRs
merged into a release branch that later reached the default branch through ``Merge branch ...``
are found too:

- merge style: a merge commit titled ``Merge pull request #N from owner/branch``; its commits are
  the merged branch's first-parent range (from the second parent back to the first commit that
  the first parent already contains), its diff is ``git merge-base`` of the two parents → second
  parent (what GitHub shows, also when the branch merged its base in meanwhile);
- squash/rebase style: a commit whose title ends in ``(#N)``; its diff is parent → commit.

A number seen on several commits (cherry-picks, ``git cherry-pick -x``) becomes one PR: merge
commits win over squash commits, then a commit that others name in "(cherry picked from commit X)",
then the earliest; the others are kept in ``duplicate_shas``. Merges made inside contributors'
forks ("Merge pull request #1 from user/master", "Syncing fork", a fork's own small numbers off
the mainline) are excluded and reported (``fork_internal_reason``).

Sidecars (optional, read from HEAD with ``git show``, never from the working tree):
``.github-issues.json`` — a list of ``{number, title, body, state, author, created_at, labels}``;
``.github-reviews.json`` — ``{"reviews": [{number, id, author, state, body, created_at}],
"review_comments": [{number, id, review_id, author, path, line, body, created_at}]}``.
"""
from __future__ import annotations

import bisect
import datetime as dt
import heapq
import json
import re
from pathlib import Path
from ops.github.git_cli import GitError, run_git
from ops.github.records import (
    SOURCE_LOCAL, Commit, IssueRecord, PRFile, Problem, PullRequest, RepoSnapshot, Repository,
    Review, ReviewComment,
)

MERGE_PR_RE = re.compile(r"^Merge pull request #(\d+) from (\S+)")
SQUASH_RE = re.compile(r"\(#(\d+)\)\s*$")
CHERRY_RE = re.compile(r"\(cherry picked from commit ([0-9a-f]{7,40})\)")
CLOSING_RE = re.compile(r"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s*:?\s+#(\d+)\b", re.I)
ISSUES_SIDECAR = ".github-issues.json"
REVIEWS_SIDECAR = ".github-reviews.json"
# A patch larger than this is not kept inline (the asset stores it as an artifact and flags it).
MAX_INLINE_PATCH_BYTES = 200_000
# PR and issue numbers are stored as INTEGER; a larger "#N" is quarantined, never stored.
MAX_PR_NUMBER = 2**31 - 1

_HEADER_RE = re.compile(rb"^[0-9a-f]{40}$")


def _ts(seconds: str) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(seconds), dt.timezone.utc).replace(tzinfo=None)


def _parse_iso(value) -> dt.datetime | None:
    if not value:
        return None
    parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed.astimezone(dt.timezone.utc).replace(tzinfo=None) if parsed.tzinfo else parsed


def closing_references(text: str) -> list[int]:
    """Issue numbers named after a closing keyword ("Fixes #3", "closes #12"), in order, unique."""
    seen: list[int] = []
    for m in CLOSING_RE.finditer(text or ""):
        n = int(m.group(1))
        if n not in seen and 0 < n <= MAX_PR_NUMBER:
            seen.append(n)
    return seen


def _decode(raw: bytes, key: str, what: str, problems: list[Problem]) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(key, f"non-UTF-8 {what} (decoded with replacement): {exc.reason} "
                                     f"at byte {exc.start}", {"bytes_prefix": raw[:200].hex()}))
        return raw.decode("utf-8", "replace")


def _read_log(path: Path, repo: str, problems: list[Problem]) -> list[dict]:
    """Every commit reachable from HEAD, children before parents (topological order)."""
    out = run_git(path, ["log", "--topo-order", "--no-color", "--no-show-signature",
                         "--format=%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%at%x1f%ct%x1f%B", "HEAD"])
    commits = []
    for chunk in out.split(b"\x1e")[1:]:
        parts = chunk.split(b"\x1f", 6)
        sha = parts[0].decode()
        message = _decode(parts[6], f"{repo}@{sha}", "commit message", problems).rstrip("\n")
        commits.append({
            "sha": sha, "parents": parts[1].decode().split(),
            "author": _decode(parts[2], f"{repo}@{sha}", "author name", problems),
            "email": parts[3].decode("utf-8", "replace"),
            "authored_at": _ts(parts[4]), "committed_at": _ts(parts[5]), "message": message,
        })
    return commits


class _Ancestry:
    """Ancestor tests over an in-memory commit graph, pruned by generation number."""

    def __init__(self, commits: list[dict]):
        self.parents = {c["sha"]: c["parents"] for c in commits}
        self.gen: dict[str, int] = {}
        for c in reversed(commits):  # topo order reversed: parents first
            self.gen[c["sha"]] = 1 + max((self.gen.get(p, 0) for p in c["parents"]), default=0)

    @classmethod
    def from_parents(cls, parents: dict[str, list[str]]) -> "_Ancestry":
        """From {sha: parents} in any order (e.g. read back from the warehouse)."""
        self = cls([])
        self.parents = dict(parents)
        for root in parents:
            if root in self.gen:
                continue
            stack = [root]
            while stack:
                sha = stack[-1]
                todo = [p for p in self.parents.get(sha, ()) if p not in self.gen and p in self.parents]
                if todo:
                    stack.extend(todo)
                    continue
                stack.pop()
                if sha not in self.gen:
                    self.gen[sha] = 1 + max((self.gen.get(p, 0) for p in self.parents.get(sha, ())),
                                            default=0)
        return self

    def fork_range(self, tip: str, base: str) -> tuple[list[str], str]:
        """First-parent commits from ``tip`` back to (excluding) the first one ``base`` contains;
        returns (commits oldest first, that fork point sha or "")."""
        visited = {base}
        heap = [(-self.gen.get(base, 0), base)]
        chain: list[str] = []
        cur = tip
        while cur:
            g = self.gen.get(cur, 0)
            # expand base's ancestry down to generation g: then "cur in visited" is exact
            while heap and -heap[0][0] >= g:
                _, node = heapq.heappop(heap)
                for p in self.parents.get(node, ()):
                    if p not in visited:
                        visited.add(p)
                        heapq.heappush(heap, (-self.gen.get(p, 0), p))
            if cur in visited:
                return list(reversed(chain)), cur
            chain.append(cur)
            ps = self.parents.get(cur) or []
            cur = ps[0] if ps else ""
        return list(reversed(chain)), ""

    def is_ancestor(self, a: str, b: str) -> bool:
        """Is ``a`` an ancestor of (or equal to) ``b``? (depth-first from b, pruned by generation)"""
        if a == b:
            return True
        target = self.gen.get(a)
        if target is None or b not in self.gen:
            return False
        seen, stack = {b}, [b]
        while stack:
            for p in self.parents.get(stack.pop(), ()):
                if p == a:
                    return True
                if p not in seen and self.gen.get(p, 0) > target:
                    seen.add(p)
                    stack.append(p)
        return False

    def merge_bases(self, a: str, b: str) -> list[str]:
        """The best common ancestors of ``a`` and ``b`` (git's paint-down-to-common, by generation
        number, then redundant ones removed); [] when the histories share no commit."""
        if a == b:
            return [a]
        p1, p2, stale = 1, 2, 4
        flags = {a: p1, b: p2}
        heap = [(-self.gen.get(a, 0), a), (-self.gen.get(b, 0), b)]
        heapq.heapify(heap)
        found: list[str] = []
        while heap and any(not flags[n] & stale for _, n in heap):
            _, node = heapq.heappop(heap)
            f = flags[node] & (p1 | p2 | stale)
            if f == p1 | p2:
                if node not in found:
                    found.append(node)
                f |= stale  # parents of a common ancestor are stale (not the node itself)
            for p in self.parents.get(node, ()):
                if flags.get(p, 0) & f == f:
                    continue
                flags[p] = flags.get(p, 0) | f
                heapq.heappush(heap, (-self.gen.get(p, 0), p))
        found = [n for n in found if not flags[n] & stale]
        return [n for n in found if not any(m != n and self.is_ancestor(n, m) for m in found)]

    def first_parent_chain(self, tip: str) -> set[str]:
        out = set()
        while tip and tip not in out:
            out.add(tip)
            ps = self.parents.get(tip) or []
            tip = ps[0] if ps else ""
        return out


def _canonical(candidates: list[dict], cherry_sources: set[str]) -> dict:
    def rank(c):
        return (0 if c["style"] == "merge_commit" else 1,
                0 if c["commit"]["sha"] in cherry_sources else 1,
                1 if CHERRY_RE.search(c["commit"]["message"]) else 0,
                c["commit"]["committed_at"])
    return sorted(candidates, key=rank)[0]


def _diff_pairs(path: Path, pairs: list[tuple[str, str]], repo: str, numbers: list[int],
                problems: list[Problem]) -> list[list[PRFile]]:
    """Files changed between each (old, new) pair, via two batched ``git diff-tree --stdin``."""
    if not pairs:
        return []
    # "<new> <old>" is read as a commit followed by the parent to diff against.
    stdin = "".join(f"{b} {a}\n" if a else f"{b}\n" for a, b in pairs).encode()
    common = ["diff-tree", "--stdin", "--always", "-r", "-M", "--no-ext-diff", "--no-textconv",
              "--no-color", "--root"]
    # the two passes are independent git processes: run them side by side
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        raw_job = pool.submit(run_git, path, [*common, "--raw", "--numstat", "-z"], stdin)
        patch_job = pool.submit(run_git, path, [*common, "-p", "--full-index"], stdin)
        raw, patch = raw_job.result(), patch_job.result()

    # 1) --raw --numstat -z: header, raw entries (":modes shas status\0path[\0path2]"), numstat.
    per_pair: list[list[dict]] = []
    tokens = raw.split(b"\0")
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if _HEADER_RE.match(tok):
            per_pair.append([])
            i += 1
        elif tok.startswith(b":"):
            status = tok.split()[-1].decode()
            paths = [tokens[i + 1]]
            i += 2
            if status[0] in "RC":
                paths.append(tokens[i])
                i += 1
            per_pair[-1].append({"status": status[0], "paths": paths, "stat": None})
        elif b"\t" in tok:
            added, deleted, rest = tok.split(b"\t", 2)
            i += 1
            if not rest:  # rename: two path tokens follow
                i += 2
            entry = next(e for e in per_pair[-1] if e["stat"] is None)
            entry["stat"] = (added.decode(), deleted.decode())
        else:
            i += 1  # trailing empty token

    # 2) -p: split by pair header, then by "diff --git" per file (same order as raw entries).
    patches: list[list[bytes]] = []
    for line in patch.splitlines(keepends=True):
        if _HEADER_RE.match(line.rstrip(b"\n")):
            patches.append([])
        elif line.startswith(b"diff --git "):
            patches[-1].append(line)
        elif patches and patches[-1]:
            patches[-1][-1] += line

    status_names = {"A": "added", "D": "removed", "M": "modified", "R": "renamed", "C": "copied",
                    "T": "modified"}
    result: list[list[PRFile]] = []
    for n, entries, file_patches in zip(numbers, per_pair, patches):
        files = []
        for entry, body in zip(entries, file_patches + [b""] * (len(entries) - len(file_patches))):
            raw_paths = entry["paths"]
            key = f"{repo}#{n}"
            new_path = _decode(raw_paths[-1], key, "file path", problems)
            old_path = _decode(raw_paths[0], key, "file path", problems) if len(raw_paths) > 1 else ""
            added, deleted = entry["stat"] or ("-", "-")
            binary = added == "-"
            text = None
            too_large = False
            if not binary:
                # keep only the hunks, like the GitHub API's "patch" field
                at = body.find(b"\n@@")
                hunks = body[at + 1:] if at >= 0 else b""
                if len(hunks) > MAX_INLINE_PATCH_BYTES:
                    too_large = True
                text = _decode(hunks, f"{key}:{new_path}", "patch", problems)
            files.append(PRFile(
                repo=repo, number=n, path=new_path, status=status_names.get(entry["status"], "modified"),
                additions=0 if binary else int(added), deletions=0 if binary else int(deleted),
                patch=text, is_binary=binary, patch_too_large=too_large, previous_path=old_path,
                patch_bytes=len(text.encode()) if text else 0))
        result.append(files)
    return result


def _read_sidecar(path: Path, name: str, problems: list[Problem], repo: str):
    try:
        raw = run_git(path, ["show", f"HEAD:{name}"])
    except GitError:
        return None  # no sidecar: fine
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        problems.append(Problem(f"{repo}/{name}", f"unreadable sidecar {name}: {exc}",
                                {"bytes_prefix": raw[:200].hex()}))
        return None


def _issues(data, repo: str, pr_numbers: set[int], problems: list[Problem]) -> list[IssueRecord]:
    issues = []
    for item in data or []:
        try:
            n = int(item["number"])
            if not 0 < n <= MAX_PR_NUMBER:
                problems.append(Problem(f"{repo}/{ISSUES_SIDECAR}", f"issue number {n} out of range", item))
                continue
            if n in pr_numbers:
                problems.append(Problem(f"{repo}/issues/{n}", "sidecar issue number is a PR", item))
                continue
            issues.append(IssueRecord(
                repo=repo, number=n, title=str(item.get("title", "")), body=str(item.get("body") or ""),
                state=str(item.get("state", "open")), author=str(item.get("author", "")),
                created_at=_parse_iso(item.get("created_at")), closed_at=_parse_iso(item.get("closed_at")),
                labels=[str(x) for x in item.get("labels", [])]))
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(Problem(f"{repo}/{ISSUES_SIDECAR}", f"bad issue entry: {exc!r}", item))
    return issues


def _reviews(data, repo: str, problems: list[Problem]) -> tuple[list[Review], list[ReviewComment]]:
    reviews, comments = [], []
    for item in (data or {}).get("reviews", []):
        try:
            reviews.append(Review(repo=repo, number=int(item["number"]), id=int(item["id"]),
                                  author=str(item.get("author", "")), body=str(item.get("body") or ""),
                                  state=str(item.get("state", "")), commit_id=str(item.get("commit_id", "")),
                                  created_at=_parse_iso(item.get("created_at"))))
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(Problem(f"{repo}/{REVIEWS_SIDECAR}", f"bad review entry: {exc!r}", item))
    for item in (data or {}).get("review_comments", []):
        try:
            comments.append(ReviewComment(
                repo=repo, number=int(item["number"]), id=int(item["id"]),
                author=str(item.get("author", "")), body=str(item.get("body") or ""),
                path=str(item.get("path", "")), line=item.get("line"),
                commit_id=str(item.get("commit_id", "")), created_at=_parse_iso(item.get("created_at")),
                kind=str(item.get("kind", "review")), review_id=item.get("review_id")))
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(Problem(f"{repo}/{REVIEWS_SIDECAR}", f"bad review comment: {exc!r}", item))
    return reviews, comments


def check_clone(path: Path | str) -> Path:
    """The resolved path when it is the top of a git repository with at least one commit;
    otherwise ``ValueError`` with a one-line reason saying what to do (before anything registers it)."""
    path = Path(path).resolve()
    if not path.exists():
        raise ValueError(f"{path} does not exist; give the folder of a local git clone")
    if not path.is_dir():
        raise ValueError(f"{path} is a file, not a folder; give the folder of a local git clone")
    inside = run_git(path, ["rev-parse", "--git-dir"], check=False).strip()
    if not inside:
        raise ValueError(f"{path} is not a git repository; `git clone URL` a repository and pass its folder")
    try:
        run_git(path, ["rev-parse", "--verify", "HEAD^{commit}"])
    except GitError:
        raise ValueError(f"{path} is a git repository without commits; commit something or ingest another "
                         "clone") from None
    bare = run_git(path, ["rev-parse", "--is-bare-repository"]).decode().strip() == "true"
    top = run_git(path, ["rev-parse", "--show-toplevel"], check=False).decode().strip()
    if not bare and top and Path(top).resolve() != path:
        raise ValueError(f"{path} is inside the git repository {top}; pass the repository's top folder")
    return path


def _merge_bases(path: Path, pairs: list[tuple[str, str]], ancestry: "_Ancestry") -> dict[tuple[str, str], str]:
    """The merge base of each pair (what GitHub diffs a merged PR against): computed in memory;
    when there are several (criss-cross merges) ``git merge-base`` picks, as GitHub's git does;
    "" when the two histories share no commit."""
    out = {}
    for pair in sorted(set(pairs)):
        bases = ancestry.merge_bases(*pair)
        if len(bases) > 1:
            text = run_git(path, ["merge-base", *pair], check=False).decode().strip()
            bases = text.split()[:1]
        out[pair] = bases[0] if bases else ""
    return out


_FORK_SYNC_RE = re.compile(r"\bsync(?:ing|ed|s)?\b[^\n]{0,30}?\b(?:fork|upstream|main\s+repo(?:sitory)?|"
                           r"original\s+repo(?:sitory)?|parent\s+repo(?:sitory)?)\b|"
                           r"\bmerge\s+(?:branch\s+'?\w+'?\s+of\s+)?upstream\b|"
                           r"\bupdate\s+(?:from|with)\s+upstream\b", re.I)
_NOREPLY_RE = re.compile(r"^(?:\d+\+)?([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)@users\.noreply\.github\.com$",
                         re.I)
_DEFAULT_BRANCHES = {"master", "main", "develop", "dev", "trunk"}


def login_from_email(email: str) -> str:
    """The GitHub login in a ``[id+]login@users.noreply.github.com`` address, else ""."""
    m = _NOREPLY_RE.match((email or "").strip())
    return m.group(1) if m else ""


def fork_internal_reason(c: dict, number: int, head_ref: str, repo: str, mainline: set[str],
                         recent_max: int, mainline_numbers: set[int]) -> str:
    """Why a "Merge pull request #N" commit was made inside a contributor's fork (not a PR of this
    repository), or "" when it looks like a real one. ``mainline``: HEAD's first-parent chain;
    ``recent_max``: the largest PR number merged on the mainline in the 180 days before it;
    ``mainline_numbers``: numbers of PRs merged on the mainline."""
    parents = c["parents"]
    if _FORK_SYNC_RE.search(c["message"]):
        return "merge message says it syncs a fork with upstream"
    if len(parents) >= 2 and parents[1] in mainline:
        return "it merges the mainline into a side branch (a fork sync)"
    if c["sha"] in mainline:
        return ""
    owner, _, branch = head_ref.partition("/")
    if branch in _DEFAULT_BRANCHES and owner.lower() == repo.split("/", 1)[0].lower():
        return f"off the mainline, merging this repository's own {branch} into a fork"
    if head_ref and number in mainline_numbers:
        return f"off the mainline and #{number} is also a PR merged on the mainline"
    if recent_max >= 50 and number * 5 < recent_max:
        return (f"off the mainline with #{number}, far below the repository's numbering at the time "
                f"(#{recent_max}): a fork's own PR numbering")
    return ""


def _humanize_branch(head_ref: str) -> str:
    branch = head_ref.partition("/")[2] or head_ref
    words = re.sub(r"[-_/]+", " ", branch).strip()
    return words[:1].upper() + words[1:]


def _merge_title(c: dict, own: list[str], by_sha: dict, head_ref: str) -> tuple[str, str, str]:
    """(title, body, title_source) of a merge-style PR: the merge message body's first line, else
    the only commit's subject, else an informative branch name, else the first commit's subject."""
    lines = c["message"].split("\n")
    subject = lines[0]
    body = "\n".join(lines[1:]).strip()
    if not MERGE_PR_RE.match(subject):
        return SQUASH_RE.sub("", subject).rstrip(), body, "commit_subject"
    if body:
        title, _, rest = body.partition("\n")
        return title.strip(), rest.strip(), "merge_body"
    work = [by_sha[s] for s in own if len(by_sha[s]["parents"]) < 2]
    branch = head_ref.partition("/")[2]
    if len(work) == 1:
        return work[0]["message"].split("\n", 1)[0], "", "commit_subject"
    if branch and branch.lower() not in _DEFAULT_BRANCHES and not re.fullmatch(r"patch-\d+", branch):
        return _humanize_branch(head_ref), "", "branch_name"
    if work:
        return work[0]["message"].split("\n", 1)[0], "", "commit_subject"
    return subject, "", "merge_subject"


def scan_local_clone(path: Path | str, repo: str = "local/repo", with_files: bool = True,
                     with_blame: bool = True) -> RepoSnapshot:
    """Read one local clone (or bare repository) into a ``RepoSnapshot``.

    ``repo`` is the "owner/name" the records carry. Raises ``GitError`` when ``path`` is not a git
    repository or has no commits; content problems (non-UTF-8 text, bad sidecars, PR numbers out
    of range, merges made inside forks) become ``snapshot.problems`` instead. ``with_blame``
    (needs ``with_files``) collects the blame evidence for PR-chain edges (``ops.github.blame``)."""
    path = Path(path)
    if not path.is_dir():
        raise GitError(f"not a directory: {path}")
    problems: list[Problem] = []
    head = run_git(path, ["rev-parse", "--verify", "HEAD^{commit}"]).decode().strip()
    branch = run_git(path, ["symbolic-ref", "-q", "--short", "HEAD"], check=False).decode().strip()
    log = _read_log(path, repo, problems)
    by_sha = {c["sha"]: c for c in log}
    ancestry = _Ancestry(log)
    mainline = ancestry.first_parent_chain(head)

    cherry_sources: set[str] = set()
    candidates: dict[int, list[dict]] = {}
    for c in log:
        title = c["message"].split("\n", 1)[0]
        for m in CHERRY_RE.finditer(c["message"]):
            cherry_sources.update(s for s in by_sha if s.startswith(m.group(1)))
        m = MERGE_PR_RE.match(title)
        style, head_ref = "", ""
        if m and len(c["parents"]) >= 2:
            style, head_ref = "merge_commit", m.group(2)
        else:
            m = SQUASH_RE.search(title)
            if m:
                style = "merge_commit" if len(c["parents"]) >= 2 else "squash"
        if not style:
            continue
        number = int(m.group(1))
        if not 0 < number <= MAX_PR_NUMBER:
            problems.append(Problem(f"{repo}@{c['sha']}", f"PR number #{number} out of range "
                                    f"(1..{MAX_PR_NUMBER}): commit not read as a PR", {"title": title[:200]}))
            continue
        candidates.setdefault(number, []).append({"style": style, "commit": c, "head_ref": head_ref})

    # merges made inside contributors' forks ("Merge pull request #1 from user/master") are not
    # this repository's PRs: excluded (and reported) before they can claim a number or an edge
    dated = sorted((x["commit"]["committed_at"], n) for n, xs in candidates.items() for x in xs
                   if x["commit"]["sha"] in mainline)
    mainline_numbers = {n for _, n in dated}
    fork_internal = 0
    for number in sorted(candidates):
        keep = []
        for x in candidates[number]:
            reason = ""
            if x["commit"]["sha"] not in mainline:  # (the rules that need it are cheap to skip)
                when = x["commit"]["committed_at"]
                lo = bisect.bisect_left(dated, (when - dt.timedelta(days=180), -1))
                hi = bisect.bisect_right(dated, (when, MAX_PR_NUMBER + 1))
                recent = max((n for _, n in dated[lo:hi]), default=0)
                reason = fork_internal_reason(x["commit"], number, x["head_ref"], repo, mainline,
                                              recent, mainline_numbers)
            elif _FORK_SYNC_RE.search(x["commit"]["message"]) or (
                    len(x["commit"]["parents"]) >= 2 and x["commit"]["parents"][1] in mainline):
                reason = fork_internal_reason(x["commit"], number, x["head_ref"], repo, mainline,
                                              0, mainline_numbers)
            if reason:
                fork_internal += 1
                problems.append(Problem(f"{repo}@{x['commit']['sha']}",
                                        f"fork-internal merge excluded (not a PR of {repo}): {reason}",
                                        {"title": x["commit"]["message"].split("\n", 1)[0][:200],
                                         "kind": "fork_internal_merge"}))
            else:
                keep.append(x)
        if keep:
            candidates[number] = keep
        else:
            del candidates[number]

    chosen_by_number = {n: _canonical(candidates[n], cherry_sources) for n in sorted(candidates)}
    bases = _merge_bases(path, [(x["commit"]["parents"][0], x["commit"]["parents"][1])
                                for x in chosen_by_number.values() if len(x["commit"]["parents"]) >= 2],
                         ancestry)

    prs: list[PullRequest] = []
    pairs: list[tuple[str, str]] = []
    commit_pr: dict[str, int] = {}
    for number, chosen in chosen_by_number.items():
        c = chosen["commit"]
        parents = c["parents"]
        if chosen["style"] == "merge_commit":
            own, _fork = ancestry.fork_range(parents[1], parents[0])
            title, body, title_source = _merge_title(c, own, by_sha, chosen["head_ref"])
            first = by_sha[own[0]] if own else c
            merge_base = bases.get((parents[0], parents[1]), "")
            pr = PullRequest(
                repo=repo, number=number, title=title, body=body, state="merged",
                author=first["author"], created_at=first["authored_at"], merged_at=c["committed_at"],
                closed_at=c["committed_at"], base_sha=parents[0], head_sha=parents[1],
                merge_commit_sha=c["sha"], commits=own, head_ref=chosen["head_ref"],
                merge_style="merge_commit", source=SOURCE_LOCAL, merge_base_sha=merge_base,
                title_source=title_source, author_kind="git_name",
                author_login=login_from_email(first["email"]))
            # what GitHub shows: merge base of the two parents -> the merged branch tip
            pairs.append((merge_base, parents[1]))
            text = "\n".join([c["message"], *(by_sha[s]["message"] for s in own)])
        else:
            title, _, body = c["message"].partition("\n")
            pr = PullRequest(
                repo=repo, number=number, title=SQUASH_RE.sub("", title).rstrip(), body=body.strip(),
                state="merged", author=c["author"], created_at=c["authored_at"],
                merged_at=c["committed_at"], closed_at=c["committed_at"],
                base_sha=parents[0] if parents else "", head_sha=c["sha"], merge_commit_sha=c["sha"],
                commits=[c["sha"]], merge_style="squash", source=SOURCE_LOCAL,
                merge_base_sha=parents[0] if parents else "", title_source="commit_subject",
                author_kind="git_name", author_login=login_from_email(c["email"]))
            pairs.append((parents[0] if parents else "", c["sha"]))
            text = c["message"]
        pr.duplicate_shas = sorted(x["commit"]["sha"] for x in candidates[number] if x is not chosen)
        pr.updated_at = pr.merged_at
        pr.linked_issues = [n for n in closing_references(text) if n not in candidates]
        for sha in [pr.merge_commit_sha, *pr.commits, *pr.duplicate_shas]:
            commit_pr.setdefault(sha, number)
        prs.append(pr)

    files: list[PRFile] = []
    if with_files:
        for pr_files in _diff_pairs(path, pairs, repo, [p.number for p in prs], problems):
            files.extend(pr_files)
    links = []
    if with_files and with_blame:
        from ops.github.blame import blame_links

        links = blame_links(path, repo, prs, files, commit_pr, ancestry.is_ancestor, problems)

    commits = [Commit(repo=repo, sha=c["sha"], parents=c["parents"], author=c["author"],
                      message=c["message"], authored_at=c["authored_at"], pr_number=commit_pr.get(c["sha"]))
               for c in log]
    pr_numbers = set(candidates)
    issues = _issues(_read_sidecar(path, ISSUES_SIDECAR, problems, repo), repo, pr_numbers, problems)
    reviews, comments = _reviews(_read_sidecar(path, REVIEWS_SIDECAR, problems, repo), repo, problems)
    if not prs:
        problems.append(Problem(repo, "repository has no pull requests (no 'Merge pull request #N' "
                                      "or '(#N)' commits reachable from HEAD)", {"head": head}))
    repository = Repository(repo=repo, default_branch=branch or "HEAD", head_sha=head,
                            source=SOURCE_LOCAL, url=str(path.resolve()),
                            updated_at=by_sha[head]["committed_at"])
    return RepoSnapshot(repository=repository, pull_requests=prs, files=files, commits=commits,
                        reviews=reviews, review_comments=comments, issues=issues, problems=problems,
                        blame_links=links)
