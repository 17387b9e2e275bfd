"""The embedded default: a small, realistic git repository built with real ``git`` commands.

``create_demo_repo(path)`` builds ``acme/widgets`` — a tiny Python package with tests — whose
history holds what the local-clone source and the chain builder must handle:

==== =============== ==================================================================
 PR  merge style     what it is
==== =============== ==================================================================
 #2  merge commit    add ``slugify``; 2nd commit addresses review feedback
 #4  squash          fix slugify on empty input, body "Fixes #3" (issue #3)
 #5  merge commit    document slugify ("Follow-up to #2"), adds a binary logo
 #6  squash          add ``parse_size``
 #7  merge commit    speed up ``parse_size`` (same lines as #6)
 #8  squash          revert #7 ("This reverts ... from #7")
 #9  merge commit    into ``release/1.0`` (bump version), reaches main via "Merge branch"
 #10 squash          into ``release/1.0``, cherry-picked onto main (number appears twice)
 #11 squash          format sizes, "Depends on #6"
 #12 squash          rename a slugify argument "as requested in review of #4"
 #14 merge commit    fix parse_size on lowercase units, "Closes #13" (issue #13)
==== =============== ==================================================================

plus direct (non-PR) commits. Issue texts live in ``.github-issues.json`` and review records in
``.github-reviews.json`` at the repository root (see ``local_clone`` for the sidecar format), the
only GitHub data a local clone cannot derive from git. Author/committer dates are fixed, so the
same git version builds the same shas every time.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from ops.github.git_cli import run_git

DEMO_REPO = "acme/widgets"
_START = dt.datetime(2024, 3, 1, 9, 0, 0)

ALICE = ("Alice Doe", "alice@example.com")
BOB = ("Bob Roe", "bob@example.com")
CAROL = ("Carol Poe", "carol@example.com")

ISSUES = [
    {"number": 1, "title": "Add a slugify helper", "state": "closed", "author": "carol",
     "body": "We need `widgets.text.slugify` for URLs.", "created_at": "2024-03-01T08:00:00",
     "labels": ["enhancement"]},
    {"number": 3, "title": "slugify crashes on empty string", "state": "closed", "author": "carol",
     "body": "`slugify('')` raises IndexError instead of returning ''.\n\nSteps: call slugify('').",
     "created_at": "2024-03-03T10:00:00", "labels": ["bug"]},
    {"number": 13, "title": "parse_size rejects lowercase units", "state": "closed", "author": "bob",
     "body": "`parse_size('10kb')` raises ValueError; units should be case-insensitive.",
     "created_at": "2024-03-12T10:00:00", "labels": ["bug"]},
]

REVIEWS = {
    "reviews": [
        {"number": 2, "id": 9001, "author": "bob", "state": "CHANGES_REQUESTED",
         "body": "Please strip accents before replacing spaces.", "created_at": "2024-03-02T12:00:00"},
        {"number": 2, "id": 9002, "author": "bob", "state": "APPROVED", "body": "Thanks!",
         "created_at": "2024-03-02T16:00:00"},
        {"number": 4, "id": 9003, "author": "alice", "state": "COMMENTED",
         "body": "Works. The `sep` argument name is unclear; rename it in a follow-up.",
         "created_at": "2024-03-04T12:00:00"},
        {"number": 7, "id": 9004, "author": "carol", "state": "APPROVED", "body": "LGTM",
         "created_at": "2024-03-08T12:00:00"},
    ],
    "review_comments": [
        {"number": 2, "id": 7001, "review_id": 9001, "author": "bob", "path": "widgets/text.py",
         "line": 6, "body": "Accented letters like 'é' are dropped here; normalise with unicodedata.",
         "created_at": "2024-03-02T12:00:00"},
        {"number": 4, "id": 7002, "review_id": 9003, "author": "alice", "path": "widgets/text.py",
         "line": 5, "body": "`sep` should be called `separator`.", "created_at": "2024-03-04T12:00:00"},
    ],
}

_TEXT_V1 = '''"""Text helpers."""


def slugify(text, sep="-"):
    words = text.lower().split()
    return sep.join(w for w in words if w[0].isalnum())
'''
_TEXT_V2 = '''"""Text helpers."""
import unicodedata


def slugify(text, sep="-"):
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = text.lower().split()
    return sep.join(w for w in words if w[0].isalnum())
'''
_TEXT_V3 = _TEXT_V2.replace("if w[0].isalnum())", "if w and w[0].isalnum())") \
    .replace("    text = unicodedata", "    if not text:\n        return \"\"\n    text = unicodedata")
_TEXT_V4 = _TEXT_V3.replace('def slugify(text, sep="-"):', 'def slugify(text, separator="-"):') \
    .replace("return sep.join", "return separator.join")
_TEST_TEXT_V1 = '''from widgets.text import slugify


def test_slugify_words():
    assert slugify("Hello World") == "hello-world"
'''
_TEST_TEXT_V2 = _TEST_TEXT_V1 + '''

def test_slugify_accents():
    assert slugify("Café au lait") == "cafe-au-lait"
'''
_TEST_TEXT_V3 = _TEST_TEXT_V2 + '''

def test_slugify_empty():
    assert slugify("") == ""
'''
_UNITS_V1 = '''"""Size parsing."""
_UNITS = {"B": 1, "KB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3}


def parse_size(text):
    """'10KB' -> 10240 (bytes)."""
    for unit in sorted(_UNITS, key=len, reverse=True):
        if text.endswith(unit):
            return int(float(text[: -len(unit)]) * _UNITS[unit])
    return int(text)
'''
_UNITS_FAST = _UNITS_V1.replace(
    '    for unit in sorted(_UNITS, key=len, reverse=True):\n        if text.endswith(unit):\n'
    '            return int(float(text[: -len(unit)]) * _UNITS[unit])\n',
    '    number, unit = text[:-2], text[-2:]\n    if unit in _UNITS:\n'
    '        return int(float(number) * _UNITS[unit])\n')
_UNITS_FORMAT = _UNITS_V1 + '''

def format_size(n):
    """10240 -> '10.0KB'."""
    for unit in ("GB", "MB", "KB"):
        if n >= _UNITS[unit]:
            return f"{n / _UNITS[unit]:.1f}{unit}"
    return f"{n}B"
'''
# #14 rewrites lines #8 (the revert) and #6 wrote: blame links it to both
_UNITS_LOWER = _UNITS_FORMAT.replace('        if text.endswith(unit):\n',
                                     '        if text.upper().endswith(unit):\n')
_TEST_UNITS = '''from widgets.units import parse_size


def test_parse_size():
    assert parse_size("10KB") == 10240
    assert parse_size("2MB") == 2 * 1024 ** 2
'''
_TEST_UNITS_LOWER = _TEST_UNITS.replace('    assert parse_size("2MB") == 2 * 1024 ** 2\n',
                                       '    assert parse_size("2MB") == parse_size("2mb") == 2 * 1024 ** 2\n') + '''

def test_parse_size_lowercase():
    assert parse_size("10kb") == 10240
'''
# A tiny valid PNG (1x1, grey): binary content for the files table.
_LOGO = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108000000003a7e9b55"
    "0000000a49444154789c63680000008200816cf0cb5a0000000049454e44ae426082")


class _Builder:
    """Writes files and commits them with fixed authors and advancing fixed dates."""

    def __init__(self, path: Path):
        self.path = path
        self.clock = _START

    def git(self, *args: str, env: dict[str, str] | None = None) -> str:
        return run_git(self.path, args, env=env).decode().strip()

    def _dates(self, hours: float) -> dict[str, str]:
        self.clock += dt.timedelta(hours=hours)
        stamp = self.clock.strftime("%Y-%m-%dT%H:%M:%S+0000")
        return {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}

    def commit(self, message: str, files: dict[str, str | bytes | None], who=ALICE,
               hours: float = 3, committer=None) -> str:
        for rel, content in files.items():
            target = self.path / rel
            if content is None:
                self.git("rm", "-q", "--", rel)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content)
            self.git("add", "--", rel)
        committer = committer or who
        env = {**self._dates(hours), "GIT_AUTHOR_NAME": who[0], "GIT_AUTHOR_EMAIL": who[1],
               "GIT_COMMITTER_NAME": committer[0], "GIT_COMMITTER_EMAIL": committer[1]}
        self.git("commit", "-q", "--no-verify", "-m", message, env=env)
        return self.git("rev-parse", "HEAD")

    def merge_pr(self, number: int, branch: str, title: str, owner: str = "acme",
                 who=BOB, hours: float = 2) -> str:
        """GitHub's merge-commit style: ``Merge pull request #N from owner/branch`` + title."""
        env = {**self._dates(hours), "GIT_AUTHOR_NAME": who[0], "GIT_AUTHOR_EMAIL": who[1],
               "GIT_COMMITTER_NAME": "GitHub", "GIT_COMMITTER_EMAIL": "noreply@github.com"}
        self.git("merge", "-q", "--no-ff", "--no-verify", "-m",
                 f"Merge pull request #{number} from {owner}/{branch}\n\n{title}", branch, env=env)
        self.git("branch", "-q", "-D", branch)
        return self.git("rev-parse", "HEAD")


def create_demo_repo(path: Path) -> Path:
    """Build the demo repository at ``path`` (must not exist or be empty); returns ``path``.

    Uses only ``git init/add/commit/merge/cherry-pick/checkout``; takes ~1 s."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    if any(path.iterdir()):
        raise FileExistsError(f"demo repository target {path} is not empty")
    b = _Builder(path)
    b.git("init", "-q", "-b", "main")
    b.git("config", "user.name", ALICE[0])
    b.git("config", "user.email", ALICE[1])
    b.git("config", "commit.gpgsign", "false")
    b.commit("Initial package layout", {
        "README.md": "# widgets\n\nSmall helpers.\n",
        "widgets/__init__.py": '__version__ = "1.0.0"\n',
        "widgets/core.py": "def clamp(x, lo, hi):\n    return max(lo, min(x, hi))\n",
        "tests/test_core.py": "from widgets.core import clamp\n\n\ndef test_clamp():\n"
                              "    assert clamp(5, 0, 3) == 3\n",
        ".github-issues.json": json.dumps(ISSUES, indent=1) + "\n",
        ".github-reviews.json": json.dumps(REVIEWS, indent=1) + "\n",
    }, hours=0)

    # PR #2 (merge commit): slugify, then a review-driven revision.
    b.git("checkout", "-q", "-b", "feature/slugify")
    b.commit("Add slugify helper\n\nCloses #1.", {"widgets/text.py": _TEXT_V1,
             "tests/test_text.py": _TEST_TEXT_V1}, who=ALICE)
    b.commit("Address review: strip accents before slugifying\n\nReview feedback from @bob on "
             "the first version dropped accented letters.",
             {"widgets/text.py": _TEXT_V2, "tests/test_text.py": _TEST_TEXT_V2}, who=ALICE)
    b.git("checkout", "-q", "main")
    b.merge_pr(2, "feature/slugify", "Add slugify helper")

    # PR #4 (squash): fixes issue #3.
    b.commit("Fix slugify on empty input (#4)\n\nslugify('') raised IndexError.\n\nFixes #3",
             {"widgets/text.py": _TEXT_V3, "tests/test_text.py": _TEST_TEXT_V3}, who=CAROL,
             committer=("GitHub", "noreply@github.com"), hours=20)

    # PR #5 (merge commit): docs, a follow-up to #2, with a binary logo.
    b.git("checkout", "-q", "-b", "docs/slugify")
    b.commit("Document slugify in the README\n\nFollow-up to #2.",
             {"README.md": "# widgets\n\nSmall helpers.\n\n## slugify\n\n"
                           "`slugify('Café au lait')` gives `cafe-au-lait`.\n",
              "docs/logo.png": _LOGO}, who=BOB)
    b.git("checkout", "-q", "main")
    b.merge_pr(5, "docs/slugify", "Document slugify\n\nFollow-up to #2.", who=ALICE)

    b.commit("Fix typo in README", {"README.md": "# widgets\n\nSmall Python helpers.\n\n"
             "## slugify\n\n`slugify('Café au lait')` gives `cafe-au-lait`.\n"}, who=ALICE)

    # PR #6 (squash): parse_size.
    b.commit("Add parse_size helper (#6)\n\nParses '10KB'-style sizes into bytes.",
             {"widgets/units.py": _UNITS_V1, "tests/test_units.py": _TEST_UNITS}, who=BOB,
             committer=("GitHub", "noreply@github.com"), hours=24)

    # Release branch forks here; it gets PR #9 (merge commit) and PR #10 (squash).
    b.git("checkout", "-q", "-b", "release/1.0")
    b.git("checkout", "-q", "-b", "bump-version")
    b.commit("Bump version to 1.0.1", {"widgets/__init__.py": '__version__ = "1.0.1"\n'}, who=CAROL)
    b.git("checkout", "-q", "release/1.0")
    b.merge_pr(9, "bump-version", "Release 1.0.1", who=CAROL)
    fix10 = b.commit("Clamp handles reversed bounds (#10)\n\nclamp(5, 3, 0) returned 0.",
                     {"widgets/core.py": "def clamp(x, lo, hi):\n    if lo > hi:\n"
                                         "        lo, hi = hi, lo\n    return max(lo, min(x, hi))\n"},
                     who=CAROL, committer=("GitHub", "noreply@github.com"))
    b.git("checkout", "-q", "main")

    # PR #7 (merge commit) changes the lines #6 wrote; PR #8 reverts it.
    b.git("checkout", "-q", "-b", "perf/parse-size")
    b.commit("Speed up parse_size with a suffix lookup", {"widgets/units.py": _UNITS_FAST}, who=ALICE)
    b.git("checkout", "-q", "main")
    merge7 = b.merge_pr(7, "perf/parse-size", "Speed up parse_size")
    b.commit(f'Revert "Speed up parse_size" (#8)\n\nThis reverts commit {merge7} from #7: '
             "'1B' has a one-letter unit and broke.",
             {"widgets/units.py": _UNITS_V1}, who=BOB, committer=("GitHub", "noreply@github.com"))

    # Cherry-pick #10 onto main: the same "(#10)" title on a second commit.
    env = {**b._dates(2), "GIT_COMMITTER_NAME": CAROL[0], "GIT_COMMITTER_EMAIL": CAROL[1]}
    b.git("cherry-pick", "-x", fix10, env=env)

    # PR #11 (squash) builds on #6.
    b.commit("Add format_size (#11)\n\nDepends on #6: uses its unit table.",
             {"widgets/units.py": _UNITS_FORMAT}, who=ALICE,
             committer=("GitHub", "noreply@github.com"))
    # PR #12 (squash): the rename asked for in review of #4.
    b.commit("Rename slugify's sep argument to separator (#12)\n\n"
             "As requested in review of #4.", {"widgets/text.py": _TEXT_V4}, who=CAROL,
             committer=("GitHub", "noreply@github.com"))

    # The release branch reaches main through a plain branch merge (not a PR).
    env = {**b._dates(3), "GIT_AUTHOR_NAME": CAROL[0], "GIT_AUTHOR_EMAIL": CAROL[1]}
    b.git("merge", "-q", "--no-ff", "--no-verify", "-m", "Merge branch 'release/1.0'",
          "release/1.0", env=env)

    # PR #14 (merge commit): two commits, closes issue #13.
    b.git("checkout", "-q", "-b", "fix/lowercase-units")
    b.commit("Accept lowercase units in parse_size\n\nCloses #13",
             {"widgets/units.py": _UNITS_LOWER}, who=BOB)
    b.commit("Test lowercase units", {"tests/test_units.py": _TEST_UNITS_LOWER}, who=BOB)
    b.git("checkout", "-q", "main")
    b.merge_pr(14, "fix/lowercase-units", "Accept lowercase units\n\nCloses #13", owner="bob")
    return path
