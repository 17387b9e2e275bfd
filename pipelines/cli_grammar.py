"""The ``trainyard <branch> <verb>`` grammar: how every subcommand is declared (help + example),
the old spellings that still parse, and a walk over the parser tree (for tests and help pages)."""
import argparse
import sys
from typing import Iterator

# Old spelling -> the words that replace it. Still accepted (with a one-line note on stderr),
# never listed in --help.
DEPRECATED_SPELLINGS: dict[str, tuple[str, ...]] = {
    "images-dedup": ("images", "dedup"),
    "rubrics-eval": ("rubrics", "eval"),
}


def add_verb(subparsers, name: str, *, help: str, example: str, description: str = "",
             **kwargs) -> argparse.ArgumentParser:
    """A subcommand whose ``--help`` ends with ``Example:`` and the given command line(s);
    ``example`` holds one command per line."""
    lines = "\n".join(f"  {line}" for line in example.strip().splitlines())
    return subparsers.add_parser(
        name, help=help, description=description or help, epilog=f"Example:\n{lines}",
        formatter_class=argparse.RawDescriptionHelpFormatter, **kwargs)


def add_branch(subparsers, name: str, *, help: str, dest: str) -> argparse._SubParsersAction:
    """A branch (``trainyard <branch> ...``) whose verbs are added to the returned subparsers."""
    branch = subparsers.add_parser(name, help=help, description=help)
    return branch.add_subparsers(dest=dest, required=True, metavar="VERB")


def normalize_argv(argv: list[str], stderr=None) -> list[str]:
    """``argv`` with a deprecated spelling (``images-dedup``) replaced by its words
    (``images dedup``); prints one deprecation line on ``stderr`` when it does."""
    out = list(argv)
    for i, word in enumerate(out):
        if word.startswith("-"):  # global flags such as --debug come before the command
            continue
        if word in DEPRECATED_SPELLINGS:
            new = DEPRECATED_SPELLINGS[word]
            print(f"note: `trainyard {word}` is deprecated; use `trainyard {' '.join(new)}`",
                  file=stderr or sys.stderr)
            out[i:i + 1] = list(new)
        break
    return out


def iter_leaves(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
                ) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every leaf subcommand as (words after ``trainyard``, its parser)."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield path, parser
        return
    for action in subs:
        seen: set[int] = set()
        for name, child in action.choices.items():
            if id(child) in seen:
                continue
            seen.add(id(child))
            yield from iter_leaves(child, path + (name,))
