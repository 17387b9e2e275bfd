"""A generated git history of any size (``git fast-import``: thousands of commits per second), for
recall tests and the local-clone benchmark. Unlike ``demo_repo`` it is not meant to be read.

Every PR alternates between GitHub's merge-commit style (1–2 branch commits + "Merge pull request
#N from ...") and squash style ("title (#N)"); every ``release_every`` PRs a release branch gets
two PRs (one of each style), one of them is cherry-picked onto the main line (its number then
appears on two commits), and the release branch comes back through "Merge branch 'release/X'".
Some direct commits (no PR) are mixed in.
"""
from __future__ import annotations

import dataclasses
import random
from pathlib import Path

from ops.github.git_cli import run_git


@dataclasses.dataclass
class SyntheticRepo:
    path: Path
    pr_numbers: list[int]           # every PR number that must be found
    merge_style: dict[int, str]     # number -> "merge_commit" | "squash"
    duplicated: list[int]           # numbers that appear on two commits (cherry-picks)
    n_commits: int


def generate_repo(path: Path, n_prs: int = 100, seed: int = 0, n_files: int = 40,
                  release_every: int = 25) -> SyntheticRepo:
    """Write a repository with ``n_prs`` PRs at ``path`` (created, must be empty)."""
    rng = random.Random(seed)
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    run_git(path, ["init", "-q", "-b", "main"])
    out: list[str] = []
    mark = 0
    clock = 1_700_000_000
    files = {f"src/mod{i}.py": [f"# module {i}\n"] + [f"x{j} = {j}\n" for j in range(20)]
             for i in range(n_files)}
    tips = {"main": 0}
    merge_style: dict[int, str] = {}
    duplicated: list[int] = []

    def data(text: str) -> str:
        raw = text.encode()
        return f"data {len(raw)}\n{text}\n"

    def commit(ref: str, message: str, changes: dict[str, str], parents: list[int],
               who: str = "Dev <dev@example.com>") -> int:
        nonlocal mark, clock
        mark += 1
        clock += 600
        out.append(f"commit refs/heads/{ref}\nmark :{mark}\nauthor {who} {clock} +0000\n"
                   f"committer {who} {clock} +0000\n{data(message)}")
        if parents:
            out.append(f"from :{parents[0]}\n")
            for p in parents[1:]:
                out.append(f"merge :{p}\n")
        for p, content in changes.items():
            out.append(f"M 100644 inline {p}\n{data(content)}")
        out.append("\n")
        return mark

    def edit(state: dict[str, list[str]], n: int) -> dict[str, str]:
        name = rng.choice(sorted(state))
        lines = state[name]
        if rng.random() < 0.5:
            lines[rng.randrange(1, len(lines))] = f"x = {n}  # edited by {n}\n"
        else:
            lines.append(f"y{n} = {n}\n")
        return {name: "".join(lines)}

    tips["main"] = commit("main", "Initial commit", {k: "".join(v) for k, v in files.items()}, [])
    number = 1
    made = 0
    release_no = 0
    while made < n_prs:
        if rng.random() < 0.1:
            tips["main"] = commit("main", f"Direct commit {clock}", edit(files, 0), [tips["main"]])
        if release_every and made and made % release_every == 0 and made + 2 <= n_prs:
            release_no += 1
            ref = f"release/{release_no}"
            rel_file = f"release/notes{release_no}.txt"
            base = tips["main"]
            a = number
            branch = commit("scratch", f"Release note {a}", {rel_file: f"note {a}\n"}, [base])
            rel = commit(ref, f"Merge pull request #{a} from dev/pr{a}\n\nRelease note {a}",
                         {rel_file: f"note {a}\n"}, [base, branch])
            merge_style[a] = "merge_commit"
            b = number + 1
            rel = commit(ref, f"Release fix {b} (#{b})", {rel_file: f"note {a}\nfix {b}\n"}, [rel])
            merge_style[b] = "squash"
            # cherry-pick of #b onto main (a second commit carrying "(#b)")
            tips["main"] = commit("main", f"Release fix {b} (#{b})\n\n(cherry picked to main)",
                                  {f"release/cherry{b}.txt": f"fix {b}\n"}, [tips["main"]])
            duplicated.append(b)
            tips["main"] = commit("main", f"Merge branch '{ref}'",
                                  {rel_file: f"note {a}\nfix {b}\n"}, [tips["main"], rel])
            number += 2
            made += 2
            continue
        if number % 2:
            tip = tips["main"]
            changes: dict[str, str] = {}
            for k in range(rng.choice((1, 2))):
                ch = edit(files, number)
                changes.update(ch)
                tip = commit("scratch", f"Work on #{number} part {k}", ch, [tip])
            tips["main"] = commit("main", f"Merge pull request #{number} from dev/pr{number}\n\n"
                                          f"Change {number}", changes, [tips["main"], tip])
            merge_style[number] = "merge_commit"
        else:
            tips["main"] = commit("main", f"Change {number} (#{number})", edit(files, number),
                                  [tips["main"]])
            merge_style[number] = "squash"
        number += 1
        made += 1
    run_git(path, ["fast-import", "--quiet"], stdin="".join(out).encode())
    run_git(path, ["symbolic-ref", "HEAD", "refs/heads/main"])
    # only main matters: drop the PR branch refs, as GitHub does after merging
    refs = run_git(path, ["for-each-ref", "--format=%(refname)", "refs/heads/"]).decode().split()
    doomed = "".join(f"delete {ref}\n" for ref in refs if ref != "refs/heads/main")
    run_git(path, ["update-ref", "--stdin"], stdin=doomed.encode())
    return SyntheticRepo(path=path, pr_numbers=sorted(merge_style), merge_style=merge_style,
                         duplicated=duplicated, n_commits=mark)
