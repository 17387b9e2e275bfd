"""Domain corpora: embedded domains, user files in three formats, and bad input."""
import json
import re

import pytest

from ops.demix.domains import DomainError, embedded_domains, load_user_domain, split_held_out
from ops.demix.math_problems import math_word_problems


def test_embedded_domains_are_equal_sized_and_split():
    doms = embedded_domains(30_000)
    assert [d.name for d in doms] == ["code", "prose", "math"]
    for d in doms:
        assert d.n_chars == 30_000
        assert d.train and d.held and not set(d.train) & set(d.held)
    code, prose, _ = doms
    assert any("def " in t for t in code.train)
    # prose is docstrings / pydoc topics: mostly letters and spaces, few code tokens
    letters = sum(c.isalpha() or c.isspace() for t in prose.train for c in t) / sum(len(t) for t in prose.train)
    assert letters > 0.85
    assert embedded_domains(30_000)[2].train == doms[2].train  # deterministic


def test_math_problems_answers_are_correct():
    for text in math_word_problems(300, seed=3):
        steps = re.findall(r"(\d+) ([-+*/]) (\d+) = (-?\d+)", text)
        assert steps, text
        for a, op, b, r in steps:
            assert eval(f"{a} {op} {b}") == int(r), text
        assert text.endswith(f"#### {steps[-1][3]}")


def test_user_domains_from_text_jsonl_parquet(tmp_path):
    import polars as pl

    txt = tmp_path / "plays.txt"
    txt.write_text("\n\n".join(f"Speaker {i}:\nline of verse number {i}." for i in range(400)))
    jl = tmp_path / "qa.jsonl"
    rows = [{"question": f"What is {i}+1?", "answer": f"{i + 1}"} for i in range(50)]
    jl.write_text("\n".join(json.dumps(r) for r in rows) + "\nnot json\n" + json.dumps({"x": 1}) + "\n")
    pq = tmp_path / "docs.parquet"
    pl.DataFrame({"text": [f"document {i} " * 20 for i in range(30)] + [""]}).write_parquet(pq)

    d, bad = load_user_domain(f"plays={txt}", 10_000)
    assert d.name == "plays" and d.source == str(txt) and d.n_chars == 10_000 and not bad
    d, bad = load_user_domain(str(jl), 10**6)
    assert d.name == "qa" and len(d.train) + len(d.held) == 50
    assert d.train[0].startswith("Question: What is") and "Answer:" in d.train[0]
    assert [r[1] for r in bad] == ["invalid JSON: Expecting value", "no text/content or question+answer field"]
    assert bad[0][0] == f"{jl}:51"
    d, bad = load_user_domain(f"docs={pq}", 10**6)
    assert len(d.train) + len(d.held) == 30 and [r[1] for r in bad] == ["empty document"]


def test_bad_user_domains_raise_clear_errors(tmp_path):
    with pytest.raises(DomainError, match="does not exist"):
        load_user_domain(f"x={tmp_path / 'missing.txt'}", 1000)
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n\n  ")
    with pytest.raises(DomainError, match="no usable text"):
        load_user_domain(str(empty), 1000)
    (tmp_path / "a.csv").write_text("a,b")
    with pytest.raises(DomainError, match="unsupported file type"):
        load_user_domain(str(tmp_path / "a.csv"), 1000)
    with pytest.raises(DomainError, match="identifier"):
        load_user_domain(f"bad name={empty}", 1000)
    with pytest.raises(DomainError, match="need at least 2"):
        split_held_out("one", ["only document"])


def test_embedded_domains_share_no_text_and_hold_out_16k_tokens(tmp_path):
    """At the demo profile's size: no 8-word shingle appears in two embedded domains (train and
    held-out text together), and every domain holds out at least 16,384 tokens under the study's
    BPE, all of which the held-out loss reads (``eval_windows``)."""
    from ops.demix.domains import word_shingles
    from ops.demix.sizes import SIZES
    from ops.demix.training import build_tokens, eval_windows

    sizes = SIZES["demo"]
    doms = embedded_domains(sizes.max_chars, held_every=sizes.held_every)
    shingles = {d.name: word_shingles(d.train + d.held) for d in doms}
    assert all(len(s) > 10_000 for s in shingles.values())
    shared = {(a, b): len(shingles[a] & shingles[b]) for a in shingles for b in shingles if a < b}
    assert shared == {("code", "math"): 0, ("code", "prose"): 0, ("math", "prose"): 0}
    _, tokens = build_tokens(doms, sizes.vocab, tmp_path)
    held = {n: int(t.numel()) for n, t in zip(tokens.names, tokens.held)}
    assert min(held.values()) >= 16_384, held
    windows, owner = eval_windows(tokens, sizes)
    read = {n: int((owner == j).sum()) * (windows.shape[1] - 1) for j, n in enumerate(tokens.names)}
    assert read == {n: 16_384 for n in tokens.names}
