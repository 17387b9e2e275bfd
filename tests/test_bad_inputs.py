"""Bad-input suite (issue 15): ≥ 30 hostile or broken inputs across the branches, each run through
the branch's real entry point (mostly the ``trainyard`` CLI). Every input gets either a quarantine
row with its reason or a clear one-line error (exit 2); the good records of the same run all land
(row counts before/after: nothing lost, nothing duplicated).

Each case prints ``BAD-INPUT | <input> | <what it got>`` (``pytest -s tests/test_bad_inputs.py``
gives the table)."""
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from pipelines.cli import main


def report(case: str, outcome: str) -> None:
    print(f"\nBAD-INPUT | {case} | {outcome}")


def one_line_error(capsys, argv) -> str:
    code = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, (code, err)
    assert len(err) == 1 and err[0].startswith("error: ") and "Traceback" not in err[0], err
    return err[0]


def quarantine_rows(asset_key: str) -> dict:
    from warehouse.readers import read_sql

    rows = read_sql("SELECT record_key, reason FROM quarantine WHERE asset_key = ? ORDER BY 1", [asset_key])
    return dict(zip(rows["record_key"].to_list(), rows["reason"].to_list()))


def count(sql: str, params=()) -> int:
    from warehouse.readers import scalar

    return int(scalar(sql, params) or 0)


# ----------------------------------------------------------------------------------------- images
def _photo(path: Path, seed: int, size=(96, 80)) -> None:
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    im = Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))
    draw = ImageDraw.Draw(im)
    for _ in range(6):
        x, y = rng.integers(0, size[0] - 20), rng.integers(0, size[1] - 20)
        draw.rectangle([x, y, x + 18, y + 14], fill=tuple(int(v) for v in rng.integers(0, 255, 3)))
    im.save(path)


BAD_IMAGES = {  # file name → (how it is made, expected quarantine reason)
    "zero_byte.png": (lambda p, good: p.write_bytes(b""), "zero_byte"),
    "truncated.png": (lambda p, good: p.write_bytes(good.read_bytes()[:300]), "corrupt"),
    "text_named.png": (lambda p, good: p.write_text("this is not an image\n"), "not_an_image"),
    "random_bytes.jpg": (lambda p, good: p.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(4000)), None),
    "bomb.png": (lambda p, good: __import__("PIL.Image").Image.new("1", (9000, 9000)).save(p),
                 "decompression_bomb"),
    "tiny_4x4.png": (lambda p, good: __import__("PIL.Image").Image.new("RGB", (4, 4)).save(p), "too_small"),
}
HOSTILE_IMAGE_NAMES = ["-rf.png", "$(touch pwned).png", "a\nnewline.png", "名前 ü.png",
                       "x" * 200 + ".png", "; rm -rf ~ ;.png"]


def test_images_dedup_quarantines_bad_files_and_keeps_the_rest(capsys, tmp_path, trainyard_home):
    bench, ref = tmp_path / "bench", tmp_path / "ref"
    bench.mkdir(), ref.mkdir()
    for i in range(3):
        _photo(ref / f"ref{i}.png", seed=i)
    _photo(bench / "good0.png", seed=100)
    _photo(bench / "copy_of_ref0.png", seed=0)  # a duplicate: decided "remove", not quarantined
    for j, name in enumerate(HOSTILE_IMAGE_NAMES):
        _photo(bench / name, seed=200 + j)
    for name, (make, _) in BAD_IMAGES.items():
        make(bench / name, ref / "ref0.png")
    n_good_bench = 2 + len(HOSTILE_IMAGE_NAMES)
    cwd = os.getcwd()
    os.chdir(tmp_path)  # a shell-injected `touch pwned` would land here
    try:
        code = main(["images", "dedup", "--benchmark", str(bench), "--reference", str(ref),
                     "--work-dir", str(tmp_path / "work")])
    finally:
        os.chdir(cwd)
    out = capsys.readouterr().out
    assert code == 0, out[-3000:]
    q = {Path(k).name: v for k, v in quarantine_rows("images_cli").items()}
    for name, (_, reason) in BAD_IMAGES.items():
        assert name in q, (name, q)
        if reason:
            assert q[name] == reason, (name, q[name])
        report(f"image `{name}`", f"quarantine row, reason `{q[name]}`")
    assert len(q) == len(BAD_IMAGES)
    # every good image (hostile names included) was described once; decisions for all of them
    assert count("SELECT count(*) FROM image_files WHERE asset_key = 'images_cli'") == n_good_bench + 3
    assert count("SELECT count(DISTINCT image_id) FROM image_files WHERE asset_key = 'images_cli'") \
        == n_good_bench + 3
    # one decision per benchmark file: the bad ones are decided "quarantined", with the reason
    assert count("SELECT count(*) FROM image_decisions WHERE asset_key = 'images_cli'") \
        == n_good_bench + len(BAD_IMAGES)
    assert count("SELECT count(*) FROM image_decisions WHERE asset_key = 'images_cli' "
                 "AND decision = 'quarantined'") == len(BAD_IMAGES)
    assert not list(tmp_path.rglob("pwned"))
    for name in HOSTILE_IMAGE_NAMES:
        report(f"image file name `{name!r}`"[:70], "processed like any image (row in image_files, no shell)")


# ----------------------------------------------------------------------------------------- github
def _git(repo: Path, *args, env=None):
    e = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@e", GIT_COMMITTER_NAME="t",
             GIT_COMMITTER_EMAIL="t@e", GIT_AUTHOR_DATE="2024-01-01T00:00:00",
             GIT_COMMITTER_DATE="2024-01-01T00:00:00", **(env or {}))
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=e)


def _commit(repo: Path, message: bytes, files: dict) -> None:
    for name, data in files.items():
        p = repo / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data if isinstance(data, bytes) else data.encode())
        _git(repo, "add", "--", name)
    msg = repo.parent / "msg.txt"
    msg.write_bytes(message)
    _git(repo, "commit", "-q", "-F", str(msg))


HOSTILE_FILE_NAMES = ["-rf", "$(touch pwned)", "line\nbreak.txt", "名前 ü.py", "; rm -rf ~ ;", "x" * 200]


@pytest.fixture
def hostile_repo(tmp_path):
    repo = tmp_path / "hostile"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    _commit(repo, b"Initial commit", {"README.md": "hello\n"})
    _commit(repo, b"Add module (#1)", {"src/mod.py": "def f():\n    return 1\n"})
    _commit(repo, b"Add binary blob (#2)", {"assets/blob.bin": bytes(range(256)) * 40 + b"\x00" * 100})
    _commit(repo, b"Caf\xe9 na\xefve latin-1 title (#3)\n\nbody \xff\xfe", {"src/latin.py": "x = 1\n"})
    _commit(repo, b"Huge generated file (#4)",
            {"data/huge.txt": "".join(f"line {i} {'y' * 60}\n" for i in range(6000))})
    _commit(repo, b"Hostile file names (#5)", {n: f"{n!r}\n" for n in HOSTILE_FILE_NAMES})
    _commit(repo, b"Non-UTF-8 file content (#6)", {"src/bad_utf8.py": b"s = '\xff\xfe\xfd'\n"})
    _commit(repo, b"Broken issues sidecar (#7)", {".github-issues.json": "{not json"})
    return repo


def test_github_ingest_of_a_hostile_clone(capsys, hostile_repo, tmp_path):
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        code = main(["github", "ingest", str(hostile_repo), "--repo", "local/hostile"])
    finally:
        os.chdir(cwd)
    out = capsys.readouterr()
    assert code == 0, out.out[-2000:] + out.err[-3000:]
    prs = count("SELECT count(*) FROM github_pull_requests WHERE repo = 'local/hostile'")
    assert prs == 7  # every PR, bad content or not, once
    assert count("SELECT count(*) - count(DISTINCT number) FROM github_pull_requests "
                 "WHERE repo = 'local/hostile'") == 0
    from warehouse.readers import read_sql

    files = read_sql("SELECT number, path, is_binary, patch_too_large, patch IS NULL AS no_patch "
                     "FROM github_pr_files WHERE repo = 'local/hostile' ORDER BY number, path")
    binary = files.filter(files["number"] == 2).row(0, named=True)
    assert binary["is_binary"] and binary["no_patch"]
    report("diff: binary file (PR #2)", "PR kept; file row is_binary=true, patch NULL")
    huge = files.filter(files["number"] == 4).row(0, named=True)
    assert huge["patch_too_large"] and huge["no_patch"]
    report("diff: 420 KB generated file (PR #4)", "PR kept; patch_too_large=true, full patch as artifact")
    paths = set(files.filter(files["number"] == 5)["path"].to_list())
    assert set(HOSTILE_FILE_NAMES) <= paths, paths
    assert not list(tmp_path.rglob("pwned"))
    report("file names `-rf`, `$(touch pwned)`, newline, 200 chars (PR #5)",
           "recorded verbatim in github_pr_files; nothing executed")
    q = quarantine_rows("github_repo_data")
    q = {k: v for k, v in q.items() if "hostile" in k}
    title = read_sql("SELECT title FROM github_pull_requests WHERE repo = 'local/hostile' AND number = 3")
    latin = [v for k, v in q.items() if "non-UTF-8 commit message" in v]
    # git re-encodes a message without an encoding header from Latin-1; a message git cannot
    # re-encode is decoded with U+FFFD and noted in quarantine
    assert title.item().startswith("Café") or latin, (title, q)
    report("commit message in Latin-1 bytes (PR #3)", f"PR kept, title `{title.item()[:30]}`"
           + (f"; quarantine note `{latin[0][:50]}`" if latin else " (git re-encodes Latin-1)"))
    six = files.filter(files["number"] == 6)
    assert six.height == 1
    patch_note = [v for k, v in q.items() if "bad_utf8" in k and "non-UTF-8 patch" in v]
    assert patch_note, q
    report("non-UTF-8 file content (PR #6)", f"PR kept; diff decoded with U+FFFD; quarantine note `{patch_note[0][:50]}…`")
    sidecar = [v for k, v in q.items() if ".github-issues.json" in k or "sidecar" in v]
    assert sidecar, q
    report("malformed .github-issues.json sidecar", f"quarantine row `{sidecar[0][:60]}…`; PRs kept")


@pytest.mark.xfail(strict=False, reason="PR numbers above 2^31: INTEGER columns; fixed by the GitHub "
                                        "ingest branch (another developer)")
def test_github_pr_number_above_2_31(capsys, tmp_path):
    repo = tmp_path / "bignum"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    _commit(repo, b"Initial", {"a.txt": "a\n"})
    _commit(repo, b"Normal (#1)", {"b.txt": "b\n"})
    _commit(repo, b"Huge number (#3000000000)", {"c.txt": "c\n"})
    code = main(["github", "ingest", str(repo), "--repo", "local/bignum"])
    capsys.readouterr()
    ok = code == 0 and count("SELECT count(*) FROM github_pull_requests WHERE repo = 'local/bignum' "
                             "AND number = 1") == 1
    report("PR number 3000000000 (> 2^31)", "ingest succeeds" if ok else "FAILS here (xfail; other branch)")
    assert ok


HOSTILE_REPO_NAMES = ["../..", "owner/..", "owner/.", "a/b/c", "-rf/x", "a b/c", "owner/name;rm -rf ~",
                      "../../etc/passwd", "owner/", "/name"]


@pytest.mark.parametrize("name", HOSTILE_REPO_NAMES)
def test_hostile_repository_names_are_refused(capsys, hostile_repo, name, trainyard_home):
    line = one_line_error(capsys, ["github", "ingest", str(hostile_repo), f"--repo={name}"])
    assert "owner/name" in line, line
    from ops.github.repo_list import read_repo_list

    assert [s.repo for s in read_repo_list()] == []
    report(f"repository name `{name!r}`", f"exit 2: `{line[:90]}`")


# ----------------------------------------------------------------------- preference rows (rubrics)
def _pair(i: int) -> dict:
    return {"query": f"How do I sort a list {i}?", "answer_a": f"Use sorted(xs) — version {i}.",
            "answer_b": f"Sorting is impossible {i}.", "preferred": "a"}


BAD_PREFERENCE_LINES = {
    "malformed JSON": (b'{"query": "x", "answer_a": ', "malformed JSON"),
    "a JSON list, not an object": (b'["query", "a", "b"]', "not a JSON object"),
    "missing label": (json.dumps({"query": "q", "answer_a": "a", "answer_b": "b"}).encode(), "missing preference label"),
    "label 'c'": (json.dumps({"query": "q", "answer_a": "a", "answer_b": "b", "preferred": "c"}).encode(),
                  "missing preference label"),
    "chosen without rejected": (json.dumps({"prompt": "q", "chosen": "a"}).encode(), "missing preference label"),
    "identical answers": (json.dumps({"query": "q", "answer_a": "same", "answer_b": "same", "preferred": "a"}).encode(),
                          None),
    "answer is a number": (json.dumps({"query": "q", "answer_a": 42, "answer_b": "b", "preferred": "b"}).encode(), None),
    "empty query": (json.dumps({"query": "", "answer_a": "a", "answer_b": "b", "preferred": "a"}).encode(), None),
}


def test_preference_rows_quarantined_rest_evaluated(capsys, tmp_path):
    path = tmp_path / "prefs.jsonl"
    good = [json.dumps(_pair(i)).encode() for i in range(16)]
    bad = list(BAD_PREFERENCE_LINES.values())
    lines = []
    for i, g in enumerate(good):
        lines.append(g)
        if i < len(bad):
            lines.append(bad[i][0])
    lines.append(b'{"query": "non-utf8 \xff\xfe", "answer_a": "ok \xff", "answer_b": "no", "preferred": "a"}')
    path.write_bytes(b"\n".join(lines) + b"\n")
    code = main(["rubrics", "eval", "--jsonl", str(path), "--generators", "generic", "--test-fraction", "0.5"])
    out = capsys.readouterr().out
    assert code == 0, out[-3000:]
    q = quarantine_rows("rubrics_eval")
    assert len(q) == len(BAD_PREFERENCE_LINES), q
    by_line = sorted(q.items(), key=lambda kv: int(kv[0].rsplit(":", 1)[1]))
    for (name, (_, expect)), (key, reason) in zip(BAD_PREFERENCE_LINES.items(), by_line):
        if expect:
            assert expect in reason, (name, reason)
        report(f"preference row: {name}", f"quarantine row `{key}`: `{reason[:70]}`")
    assert f"{len(good) + 1} pairs ({len(BAD_PREFERENCE_LINES)} rejected)" in out, out[:500]
    report("preference row with invalid UTF-8 bytes", "kept (decoded with U+FFFD), evaluated")


# ------------------------------------------------------------------------------ JSONL (trajectories)
def test_malformed_pass_rate_jsonl_is_one_line(tmp_path):
    from ops.trajectories.store import load_pass_rates

    p = tmp_path / "rates.jsonl"
    p.write_text('{"task_id": "a", "passes": 1, "rollouts": 4}\n{"task_id": "b", "passes": "x"}\n')
    with pytest.raises(ValueError) as exc:
        load_pass_rates(p)
    msg = str(exc.value)
    assert "rates.jsonl:2" in msg and len(msg.splitlines()) == 1
    report("pass-rate JSONL with a bad row", f"one-line error naming file:line: `{msg[:70]}`")


# ------------------------------------------------------------------------------- corpora (DeMix)
@pytest.mark.parametrize("kind", ["empty.txt", "blank_lines.txt", "empty.jsonl", "no_text_field.jsonl",
                                  "missing.txt", "binary.parquet", "unsupported.csv"])
def test_unusable_corpora_are_one_line_errors(capsys, tmp_path, kind):
    p = tmp_path / kind
    if kind == "empty.txt" or kind == "empty.jsonl":
        p.write_text("")
    elif kind == "blank_lines.txt":
        p.write_text("\n \n\t\n")
    elif kind == "no_text_field.jsonl":
        p.write_text('{"title": "x"}\n[1, 2]\n{not json\n')
    elif kind == "binary.parquet":
        p.write_bytes(os.urandom(2000))
    elif kind == "unsupported.csv":
        p.write_text("a,b\n1,2\n")
    line = one_line_error(capsys, ["demix", "study", "--corpora", f"user={p}", "--until-fidelity"])
    report(f"DeMix corpus `{kind}`", f"exit 2: `{line[:90]}`")


def test_corpus_with_some_bad_jsonl_lines_keeps_the_rest(tmp_path):
    from ops.demix.domains import load_user_domain

    p = tmp_path / "mixed.jsonl"
    good = [json.dumps({"text": f"document number {i} " * 20}) for i in range(30)]
    p.write_text("\n".join(good[:10] + ["{broken", '{"title": "no text"}', '""'] + good[10:]) + "\n")
    domain, rejects = load_user_domain(f"mixed={p}", 10**7)
    assert len(rejects) == 3 and all(r[1] for r in rejects)
    assert len(domain.train) + len(domain.held) == 30  # every good document kept, once
    report("corpus JSONL with 3 bad lines among 30", f"3 rejects with reasons ({rejects[0][1]!r}, …); 30 docs kept")


# --------------------------------------------------------------------------------- merges (DeMix)
def _ckpt(d: Path, tensors: dict) -> Path:
    from safetensors.numpy import save_file

    d.mkdir(parents=True)
    save_file({k: np.asarray(v, dtype=np.float32) for k, v in tensors.items()}, str(d / "model.safetensors"))
    return d


MERGE_CASES = {
    "shape mismatch": ({"w": np.ones((4, 4))}, {"w": np.ones((4, 5))}, "shape"),
    "missing tensor": ({"w": np.ones(4), "b": np.ones(2)}, {"w": np.ones(4)}, "missing"),
    "NaN weights in a checkpoint": ({"w": np.ones(8)}, {"w": np.array([1, np.nan] * 4)}, "not finite"),
    "inf in a checkpoint": ({"w": np.ones(8)}, {"w": np.array([np.inf] * 8)}, "not finite"),
    "not a safetensors file": ({"w": np.ones(4)}, None, "safetensors"),
}


@pytest.mark.parametrize("case", sorted(MERGE_CASES))
def test_bad_checkpoints_for_a_merge(tmp_path, case):
    from kernels.merge_linear import LinearMergeConfig, MergeError, merge_linear

    a, b, expect = MERGE_CASES[case]
    da = _ckpt(tmp_path / "a", a)
    if b is None:
        db = tmp_path / "b"
        db.mkdir()
        (db / "model.safetensors").write_bytes(b"garbage, not a checkpoint")
    else:
        db = _ckpt(tmp_path / "b", b)
    out = tmp_path / "merged"
    with pytest.raises(MergeError) as exc:
        merge_linear(LinearMergeConfig([da, db], [0.5, 0.5]), out)
    msg = str(exc.value)
    assert expect in msg and len(msg.splitlines()) == 1, msg
    assert not out.exists() or not any(out.iterdir())  # no half-written merge left behind
    report(f"merge: {case}", f"MergeError, nothing written: `{msg[:80]}`")


def test_nan_merge_weight(tmp_path):
    from kernels.merge_linear import LinearMergeConfig, MergeError, merge_linear

    da, db = _ckpt(tmp_path / "a", {"w": np.ones(4)}), _ckpt(tmp_path / "b", {"w": np.ones(4)})
    with pytest.raises(MergeError, match="not a finite number"):
        merge_linear(LinearMergeConfig([da, db], [float("nan"), 1.0]), tmp_path / "out")
    report("merge: NaN mixture weight", "MergeError naming the model and weight")


# ------------------------------------------------------------------------------------- warehouse
@pytest.mark.parametrize("content", ["empty", "text", "sqlite", "truncated"])
def test_warehouse_file_that_is_not_duckdb(capsys, trainyard_home, content):
    from warehouse.writer import Warehouse

    Warehouse().ensure_schema()
    db = trainyard_home / "warehouse.duckdb"
    data = {"empty": b"", "text": b"id,name\n1,x\n" * 100, "sqlite": b"SQLite format 3\x00" + b"\x00" * 4096,
            "truncated": db.read_bytes()[:6000]}[content]
    db.write_bytes(data)
    line = one_line_error(capsys, ["query", "select count(*) from quarantine"])
    assert "not a readable DuckDB database" in line and "restore" in line
    assert db.read_bytes() == data
    report(f"warehouse file: {content}", f"exit 2, file untouched: `{line[:80]}…`")
