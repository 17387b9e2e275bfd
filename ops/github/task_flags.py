"""SWE-rebench-style task-mining flags for one PR, recorded as columns (never used to drop rows)."""
from __future__ import annotations

import posixpath
import re
from collections import Counter

from ops.github.records import PRFile, PullRequest

LANGUAGES = {
    ".py": "Python", ".pyi": "Python", ".js": "JavaScript", ".jsx": "JavaScript", ".mjs": "JavaScript",
    ".ts": "TypeScript", ".tsx": "TypeScript", ".go": "Go", ".rs": "Rust", ".java": "Java",
    ".kt": "Kotlin", ".c": "C", ".h": "C", ".cc": "C++", ".cpp": "C++", ".hpp": "C++", ".cs": "C#",
    ".rb": "Ruby", ".php": "PHP", ".swift": "Swift", ".scala": "Scala", ".sh": "Shell",
}
_TEST_RE = re.compile(r"(^|/)(tests?|testing|__tests__|spec)(/|$)|(^|/)test_[^/]*$|_test\.[a-z]+$"
                      r"|(^|/)[^/]*\.(test|spec)\.[a-z]+$|(^|/)conftest\.py$", re.I)


def is_test_path(path: str) -> bool:
    return bool(_TEST_RE.search(path))


def language_of(path: str) -> str:
    """Language by file extension; "" for non-code files (docs, data, images)."""
    return LANGUAGES.get(posixpath.splitext(path)[1].lower(), "")


def task_flags(pr: PullRequest, files: list[PRFile]) -> dict:
    """Columns: is_merged, n_linked_issues, links_one_issue, touches_tests, touches_code (non-test
    code), n_files, files_1_to_15, language (most changed lines among non-test code files),
    task_candidate (all conditions)."""
    tests = [f for f in files if is_test_path(f.path)]
    code = [f for f in files if not is_test_path(f.path) and language_of(f.path)]
    weight: Counter = Counter()
    for f in code:
        weight[language_of(f.path)] += f.additions + f.deletions + 1
    language = min(weight, key=lambda k: (-weight[k], k)) if weight else ""
    n_files = len(files)
    flags = {
        "is_merged": bool(pr.merged), "n_linked_issues": len(pr.linked_issues),
        "links_one_issue": len(pr.linked_issues) == 1, "touches_tests": bool(tests),
        "touches_code": bool(code), "n_files": n_files, "files_1_to_15": 1 <= n_files <= 15,
        "language": language,
    }
    flags["task_candidate"] = (flags["is_merged"] and flags["links_one_issue"]
                               and flags["touches_tests"] and flags["touches_code"]
                               and flags["files_1_to_15"])
    return flags
