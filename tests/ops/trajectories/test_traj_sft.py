"""SFT on trajectories: loss on assistant turns only, windows that cover every assistant token,
Clopper–Pearson intervals, and a run that must actually learn (the same run at lr=0 must not)."""
import dataclasses
import math

import pytest

from ops.lm.model import ModelSpec
from ops.lm.tokenizer import train_tokenizer
from ops.llm import make_backend
from ops.trajectories.build import GateConfig, build_trajectories, synthesize_tasks
from ops.trajectories.export import export_dataset
from ops.trajectories.sft import (SIZES, clopper_pearson, message_segments, parse_tool_call_names, plain_messages,
                                  train_sft, trajectory_windows)


@pytest.fixture(scope="module")
def export(demo, tmp_path_factory):
    cfg = GateConfig()
    tasks, _ = synthesize_tasks(demo.snapshot, demo.chains, make_backend(), cfg)
    kept = build_trajectories(tasks, demo.snapshot, demo.chains, demo.path, make_backend(), cfg)
    return kept.kept, export_dataset(kept.kept, tmp_path_factory.mktemp("sftdata"))


@pytest.fixture(scope="module")
def tok(export):
    kept, _ = export
    return train_tokenizer([m["content"] for t in kept for m in plain_messages(t.messages)], vocab_size=400)


def test_labels_cover_exactly_the_assistant_bodies(export, tok):
    kept, _ = export
    msgs = kept[0].messages
    segs = message_segments(tok, msgs)
    assert len(segs) == len(msgs)
    labelled = tok.decode([t for s in segs for t, lab in zip(s.ids, s.labels) if lab])
    bodies = "".join(m["content"] + tok.eos_token + "\n" for m in plain_messages(msgs) if m["role"] == "assistant")
    assert labelled.replace(" ", "") == bodies.replace(" ", "")  # byte-level BPE may re-space at joins
    assert not any(s.labels and any(s.labels) for s in segs if s.role != "assistant")


@pytest.mark.parametrize("max_length", [128, 256])
def test_windows_train_every_assistant_token_within_max_length(export, tok, max_length):
    kept, _ = export
    total = trained = 0
    for t in kept:
        windows, a, k = trajectory_windows(message_segments(tok, t.messages), max_length, head_tokens=48,
                                           overlap=16)
        assert all(len(w.ids) <= max_length and len(w.ids) == len(w.labels) for w in windows)
        assert all(any(w.labels) for w in windows)
        total += a
        trained += k
    assert total > 0 and trained / total >= 0.9


def test_clopper_pearson_known_values():
    lo, hi = clopper_pearson(0, 30)
    assert lo == 0.0 and hi == pytest.approx(0.1157, abs=1e-3)
    lo, hi = clopper_pearson(15, 30)
    assert lo == pytest.approx(0.3130, abs=1e-3) and hi == pytest.approx(0.6870, abs=1e-3)
    assert clopper_pearson(30, 30)[1] == 1.0


def test_tool_call_names_are_read_even_from_invalid_calls():
    ok, why, names = parse_tool_call_names('I look.\n[{"function": {"name": "open_file", "arguments": {}}}]')
    assert not ok and "missing argument" in why and names == ["open_file"]
    ok, _, names = parse_tool_call_names('[{"function": {"name": "search", "arguments": {"query": "x"}}}]')
    assert ok and names == ["search"]


def _sizes(lr):
    return dataclasses.replace(SIZES["tiny"], steps=40, batch_size=8, max_length=256, lr=lr, warmup_steps=2,
                               eval_trajectories=30, max_new_tokens=96, head_tokens=96,
                               model=ModelSpec(hidden_size=48, num_layers=1, num_heads=2, intermediate_size=96,
                                               max_positions=512))


def _train(export, tmp_path, lr):
    _, res = export
    log = []
    out = train_sft(res.files["train_parquet"], res.files["heldout_parquet"], tmp_path / f"model{lr}", _sizes(lr),
                    lambda s, n, v: log.append((s, n, v)))
    return out, log


def learned(out) -> bool:
    """What SFT must achieve: held-out assistant-token loss well below the model before SFT."""
    return out.after.heldout_loss < out.before.heldout_loss - 1.0


def test_sft_learns_and_the_same_run_at_lr_0_does_not(export, tmp_path):
    out, log = _train(export, tmp_path, 3e-3)
    # the demo export holds out one PR component (2 trajectories since the blame-backed 2-12 chain)
    assert out.before is not None and out.after is not None and out.after.n == out.before.n >= 2
    assert out.trained_fraction >= 0.9
    assert [n for _, n, _ in log].count("train/loss") == 40
    assert out.reference_validity == 1.0
    assert learned(out), (out.before.heldout_loss, out.after.heldout_loss)
    assert out.after.validity_ci[0] <= out.after.validity <= out.after.validity_ci[1]
    assert (tmp_path / "model0.003" / "config.json").exists()
    frozen, _ = _train(export, tmp_path, 0.0)
    assert not learned(frozen)
    assert frozen.after.heldout_loss == pytest.approx(frozen.before.heldout_loss, rel=1e-5)
    assert math.isfinite(frozen.after.heldout_loss)
