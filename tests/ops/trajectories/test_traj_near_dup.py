"""MinHash near-duplicate removal and decontamination (PR ids, SWE-bench instance ids, task text),
and the contamination check over the exported files."""
import json

import pytest

from ops.llm import make_backend
from ops.trajectories.build import GateConfig, build_trajectories, filter_dataset, synthesize_tasks
from ops.trajectories.near_dup import EvalSet, contamination_hits, exact_jaccard, load_eval_set, near_duplicates

BASE = ("the quick brown fox jumps over the lazy dog while the cat sleeps on the warm mat near the door "
        "and the bird sings a song about the long summer days in the quiet village by the sea")


def test_near_duplicates_follow_jaccard():
    near = BASE.replace("sea", "ocean")  # 38 words, last one changed: 33 shared of 35 shingles
    far = "completely different text about parsing sizes in kilobytes and megabytes for the widgets package"
    assert exact_jaccard(BASE, near) == pytest.approx(33 / 35)
    out = near_duplicates(["a", "b", "c"], [BASE, near, far], threshold=0.8)
    assert [d.keep for d in out] == [True, False, True]
    assert out[1].duplicate_of == "a" and out[1].jaccard == pytest.approx(33 / 35, abs=0.1)
    # at a threshold above their similarity both are kept
    assert all(d.keep for d in near_duplicates(["a", "b"], [BASE, near], threshold=0.97))


def test_eval_set_formats_and_errors(tmp_path):
    p = tmp_path / "bench.jsonl"
    p.write_text('{"instance_id": "acme__widgets-14", "problem_statement": "units are case sensitive"}\n'
                 '{"repo": "o/r", "pr": 3}\n{"pr_key": "o/r#9"}\n\n{"text": "hello"}\n')
    es = load_eval_set(p)
    assert es.pr_keys == {"acme/widgets#14", "o/r#3", "o/r#9"}
    assert es.texts == ["units are case sensitive", "hello"]
    p.write_text('{"text": "ok"}\nnot json\n')
    with pytest.raises(ValueError, match="bench.jsonl:2: not JSON"):
        load_eval_set(p)
    with pytest.raises(FileNotFoundError):
        load_eval_set(tmp_path / "missing.jsonl")


def test_contamination_by_id_and_by_text():
    es = EvalSet("bench", texts=[BASE], pr_keys={"o/r#1"})
    hits = contamination_hits(["x", "y", "z"], ["unrelated words here and there", BASE + " extra", "other text"],
                              [["o/r#1"], ["o/r#2"], ["o/r#3"]], [es], threshold=0.5)
    assert [(h.item_id, h.reason.split("(")[0]) for h in hits] == [("x", "pr_id"), ("y", "text")]


def test_filter_dataset_drops_contaminated_and_records_reasons(demo):
    cfg = GateConfig()
    tasks, _ = synthesize_tasks(demo.snapshot, demo.chains, make_backend(), cfg)
    built = build_trajectories(tasks, demo.snapshot, demo.chains, demo.path, make_backend(), cfg)
    t10 = next(t for t in tasks if t.task_id == "acme/widgets#10").text
    es = EvalSet("bench", texts=[t10], pr_keys={"acme/widgets#14"})
    kept, decisions = filter_dataset(built.kept, [es], cfg)
    dropped = {d.item_id: d.reason for d in decisions if d.gate == "contamination" and not d.keep}
    # #14 by id (the PR and the two chains through it), #10 by its task text
    assert sorted(dropped) == ["acme/widgets#10/cand0", "acme/widgets#14/cand0",
                               "acme/widgets/chain/6-14/cand0", "acme/widgets/chain/6-7-8-14/cand0"]
    assert "pr_id(acme/widgets#14)" in dropped["acme/widgets#14/cand0"]
    assert "text(jaccard=" in dropped["acme/widgets#10/cand0"]
    assert len(kept) == len(built.kept) - 4
    kept_all, decisions = filter_dataset(built.kept, [es], cfg, drop_contaminated=False)
    assert len(kept_all) == len(built.kept)


def test_contamination_check_blocks_a_contaminated_export(demo, tmp_path):
    from ops.trajectories.checks import contamination_check
    from ops.trajectories.export import export_dataset

    cfg = GateConfig()
    tasks, _ = synthesize_tasks(demo.snapshot, [], make_backend(), cfg)
    built = build_trajectories(tasks, demo.snapshot, [], demo.path, make_backend(), cfg)
    bench = tmp_path / "bench.jsonl"
    bench.write_text(json.dumps({"instance_id": "acme__widgets-6"}) + "\n")
    for drop, expect in ((True, True), (False, False)):
        out = tmp_path / f"export_{drop}"
        kept, _ = filter_dataset(built.kept, [load_eval_set(bench)], cfg, drop_contaminated=drop)
        export_dataset(kept, out)
        (out / "manifest.json").write_text(json.dumps({"eval_sets": [str(bench)], "contamination_threshold": 0.5}))
        passed, meta = contamination_check(out)
        assert passed is expect
        assert meta["contaminated"] == (0 if drop else 1)
        if not drop:
            assert "acme/widgets#6/cand0" in meta["hits"]


def test_eval_set_patch_catches_a_trajectory_that_replays_the_reference_solution(tmp_path):
    import json as _json
    from types import SimpleNamespace

    from ops.trajectories.build import GateConfig, filter_dataset
    from ops.trajectories.near_dup import load_eval_set

    patch = "@@ -1,2 +1,3 @@\n def parse_size(text):\n+    text = text.strip().upper()\n+    units = {'KB': 1024, 'MB': 1024 ** 2, 'GB': 1024 ** 3}\n"
    path = tmp_path / "eval.jsonl"
    path.write_text(_json.dumps({"instance_id": "other__proj-1", "problem_statement": "unrelated words here only",
                                 "patch": "--- a/x.py\n+++ b/x.py\n" + patch}) + "\n")
    es = load_eval_set(path)
    assert es.patches and "units" in es.patches[0]

    def traj(tid, p):
        call = {"id": "c0", "type": "function", "function": {"name": "edit_file",
                                                             "arguments": _json.dumps({"path": "x.py", "patch": p})}}
        return SimpleNamespace(trajectory_id=tid, task_id=tid, source_keys=[f"o/r#{tid}"], messages=[
            {"role": "user", "content": f"task {tid} about something specific number {tid}"},
            {"role": "assistant", "content": "edit", "tool_calls": [call]}])

    other = "@@ -1 +1,2 @@\n def clamp(x):\n+    return max(0, min(x, 10))\n"
    kept, decisions = filter_dataset([traj("1", patch), traj("2", other)], [es], GateConfig())
    assert [t.trajectory_id for t in kept] == ["2"]
    bad = [d for d in decisions if d.gate == "contamination" and not d.keep]
    assert len(bad) == 1 and "eval:patch" in bad[0].reason
