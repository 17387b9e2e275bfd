"""One CLI grammar, ``trainyard <branch> <verb>``: every leaf's --help shows an example, the old
spellings still parse (with a deprecation note) and are not advertised."""
import io

import pytest

from pipelines.cli import build_parser, main
from pipelines.cli_grammar import DEPRECATED_SPELLINGS, iter_leaves, normalize_argv

# The verbs the grammar promises (issue 17); the walk below also covers any added later.
PROMISED = [("images", "dedup"), ("rubrics", "eval"), ("github", "ingest"), ("github", "sync"),
            ("demix", "study"), ("trajectories", "build"), ("trajectories", "verify"),
            ("trajectories", "diversity"), ("scaleout", "local"), ("warehouse", "check"),
            ("warehouse", "backup"), ("warehouse", "restore"), ("materialize",)]


def test_every_leaf_help_shows_an_example():
    parser, handlers = build_parser()
    leaves = dict(iter_leaves(parser))
    assert len(leaves) >= 18
    for path in PROMISED:
        assert path in leaves, f"trainyard {' '.join(path)} is missing"
    for path, leaf in leaves.items():
        text = leaf.format_help()
        assert "Example:\n  trainyard " in text or "Example:\n  TRAINYARD_" in text or "Example:\n  GITHUB_" in text, \
            f"`trainyard {' '.join(path)} --help` shows no example"
        assert path[0] in handlers, f"no handler for {path[0]}"
        # every example line names the command it documents
        example = text.split("Example:\n", 1)[1]
        assert f"trainyard {' '.join(path)}" in example, (path, example)


@pytest.mark.parametrize("old", sorted(DEPRECATED_SPELLINGS))
def test_old_spellings_parse_as_the_new_words_with_a_note(old):
    parser, _ = build_parser()
    err = io.StringIO()
    extra = ["--benchmark", "b", "--reference", "r"] if old == "images-dedup" else []
    args = parser.parse_args(normalize_argv(["--debug", old, *extra], stderr=err))
    new = DEPRECATED_SPELLINGS[old]
    assert args.command == new[0] and getattr(args, f"{new[0]}_command") == new[1] and args.debug
    assert err.getvalue().strip() == f"note: `trainyard {old}` is deprecated; use `trainyard {' '.join(new)}`"
    assert old not in parser.format_help()  # hidden: only the new grammar is advertised


def test_new_spelling_prints_no_note_and_leaves_arguments_alone(capsys):
    argv = ["images", "dedup", "--benchmark", "rubrics-eval"]  # an old name as a value is not rewritten
    assert normalize_argv(argv) == argv
    assert capsys.readouterr().err == ""


def test_alias_runs_the_same_command(capsys, tmp_path):
    code = main(["images-dedup", "--benchmark", str(tmp_path / "none"), "--reference", str(tmp_path / "none")])
    err = capsys.readouterr().err
    assert "deprecated; use `trainyard images dedup`" in err
    assert code == 2 and "error:" in err
