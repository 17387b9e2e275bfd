import math

import pytest
import torch

from ops.lm.model import ModelConfig, build_causal_lm
from ops.lm.tokenizer import load_tokenizer, train_tokenizer
from ops.lm.train import MixtureSampler, TrainConfig, encode_corpus, evaluate_loss, train_causal_lm

TEXT = ["the cat sat on the mat. " * 40, "def add(a, b):\n    return a + b\n" * 40]


def test_tokenizer_roundtrip_and_special_tokens(tmp_path):
    tok = train_tokenizer(TEXT, vocab_size=300)
    assert tok.decode(tok("def add(a, b):")["input_ids"]) == "def add(a, b):"
    assert {tok.pad_token, tok.bos_token, tok.eos_token} == {"<|pad|>", "<|bos|>", "<|eos|>"}
    tok.save_pretrained(tmp_path)
    again = load_tokenizer(tmp_path)
    assert again("the cat")["input_ids"] == tok("the cat")["input_ids"]
    assert "assistant" in again.apply_chat_template([{"role": "assistant", "content": "hi"}], tokenize=False)


def test_training_lowers_loss_and_checkpoint_reloads(tmp_path):
    tok = train_tokenizer(TEXT, vocab_size=300)
    model = build_causal_lm(ModelConfig(hidden_size=64, num_heads=4, intermediate_size=128), tok)
    ids = encode_corpus(tok, TEXT)
    before = evaluate_loss(model, ids, seq_len=32)
    logged = []
    cfg = TrainConfig(steps=30, batch_size=8, seq_len=32, lr=3e-3, eval_every=30, warmup_steps=3)
    res = train_causal_lm(model, MixtureSampler([ids], [1.0], 32, 8, 0), cfg,
                          lambda s, n, v: logged.append((s, n, v)), val_ids=ids)
    assert res.val_loss < before - 1.0  # a repetitive corpus is learnt quickly
    assert [n for _, n, _ in logged].count("train/loss") == 30
    model.save_pretrained(tmp_path)
    reloaded = build_causal_lm(ModelConfig(checkpoint=str(tmp_path)), tok)
    assert math.isclose(evaluate_loss(reloaded, ids, 32), evaluate_loss(model, ids, 32), rel_tol=1e-5)


def test_mixture_sampler_follows_weights_and_rejects_bad_weights():
    a = torch.zeros(1000, dtype=torch.long)
    b = torch.ones(1000, dtype=torch.long)
    s = MixtureSampler([a, b], [3.0, 1.0], seq_len=8, batch_size=2000, seed=0)
    frac_a = float((s.batch()[:, 0] == 0).float().mean())
    assert abs(frac_a - 0.75) < 0.04
    for bad in ([0.0, 0.0], [-1.0, 2.0], [float("nan"), 1.0]):
        with pytest.raises(ValueError, match="weights"):
            MixtureSampler([a, b], bad, 8, 2, 0)


def test_missing_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        build_causal_lm(ModelConfig(checkpoint=str(tmp_path / "nope")), None)
