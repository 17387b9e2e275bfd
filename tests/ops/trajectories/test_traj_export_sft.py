"""Export loads with ``datasets.load_dataset`` (JSONL and Parquet), splits never share a PR (or a
repository when there are several), and the SFT (assistant-only loss) trains on it."""
import dataclasses
import json
import math

import pytest

from ops.llm import make_backend
from ops.trajectories.build import GateConfig, build_trajectories, synthesize_tasks
from ops.trajectories.export import assign_splits, export_dataset


@pytest.fixture(scope="module")
def kept(demo):
    cfg = GateConfig()
    tasks, _ = synthesize_tasks(demo.snapshot, demo.chains, make_backend(), cfg)
    return build_trajectories(tasks, demo.snapshot, demo.chains, demo.path, make_backend(), cfg)


def test_export_loads_with_datasets_and_splits_by_pr_component(kept, tmp_path):
    from datasets import load_dataset

    res = export_dataset(kept.kept, tmp_path, kept.difficulty)
    assert res.split_unit == "pr_component"  # one repository: split by groups of PRs
    assert res.counts["train"] + res.counts["heldout"] == 17 and res.counts["heldout"] >= 1  # 11 PRs + 6 chains
    js = load_dataset("json", data_files={"train": str(res.files["train_jsonl"]),
                                          "heldout": str(res.files["heldout_jsonl"])})
    pq = load_dataset("parquet", data_files={"train": str(res.files["train_parquet"])})
    assert len(js["train"]) == len(pq["train"]) == res.counts["train"]
    row = pq["train"][0]
    assert row["messages"][0]["role"] == "system" and row["messages"][1]["role"] == "user"
    call = next(m for m in row["messages"] if m["tool_calls"])["tool_calls"][0]
    assert call["type"] == "function" and isinstance(json.loads(call["function"]["arguments"]), dict)
    assert json.loads(row["tools_json"])[0]["function"]["name"] == "search"
    assert row["generator"] == "template" and row["source_keys"][0].startswith("acme/widgets#")
    train_prs = {k for r in js["train"] for k in r["source_keys"]}
    held_prs = {k for r in js["heldout"] for k in r["source_keys"]}
    assert train_prs and held_prs and not train_prs & held_prs


def test_split_is_by_repository_when_there_are_several(kept):
    other = [dataclasses.replace(t, repo="acme/gadgets", trajectory_id="g/" + t.trajectory_id,
                                 source_keys=[k.replace("widgets", "gadgets") for k in t.source_keys])
             for t in kept.kept]
    split, unit = assign_splits(kept.kept + other, heldout_fraction=0.3)
    assert unit == "repository"
    by_repo = {}
    for t in kept.kept + other:
        by_repo.setdefault(t.repo, set()).add(split[t.trajectory_id])
    assert sorted(len(v) for v in by_repo.values()) == [1, 1]  # each repository entirely on one side
    assert {s for v in by_repo.values() for s in v} == {"train", "heldout"}


def test_sft_trains_on_the_export(kept, tmp_path):
    from ops.trajectories.sft import SIZES, parse_tool_calls, train_sft

    res = export_dataset(kept.kept, tmp_path / "data")
    log = []
    out = train_sft(res.files["train_parquet"], res.files["heldout_parquet"], tmp_path / "model", SIZES["tiny"],
                    lambda s, n, v: log.append((s, n, v)))
    losses = [v for s, n, v in log if n == "train/loss"]
    assert len(losses) == SIZES["tiny"].steps and all(math.isfinite(v) and v > 0 for v in losses)
    assert math.isfinite(out.heldout_loss) and out.heldout_ppl == pytest.approx(math.exp(out.heldout_loss))
    # three steps of a tiny model: assistant-token loss still near log(vocab), not a copied constant
    assert abs(out.heldout_loss - math.log(SIZES["tiny"].vocab)) < 1.5
    assert out.before is not None and out.after.n == out.before.n <= SIZES["tiny"].eval_trajectories
    assert out.format_n == 0 or out.reference_validity == 1.0
    assert (tmp_path / "model" / "config.json").exists()
    assert parse_tool_calls('thinking\n[{"id": "c", "type": "function", "function": {"name": "open_file", '
                            '"arguments": "{\\"path\\": \\"a.py\\"}"}}]') == (True, "ok")
    assert parse_tool_calls("[{\"function\": {\"name\": \"rm\", \"arguments\": \"{}\"}}]")[1] == "unknown tool 'rm'"
    assert parse_tool_calls("no json")[0] is False
