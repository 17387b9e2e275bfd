"""The benchmark harness pieces shared by several benchmarks and tests."""
import os
import time

from benchmarks.harness import bare_training_tokens, scoped_environ


def test_scoped_environ_puts_back_exactly_what_was_there(monkeypatch):
    monkeypatch.setenv("TY_A", "a")
    monkeypatch.setenv("TY_B", "b")
    monkeypatch.delenv("TY_C", raising=False)
    with scoped_environ({"TY_A": "x", "TY_C": "y"}, clear=("TY_B",), restore=("TY_D",)):
        os.environ["TY_D"] = "set inside"
        assert (os.environ["TY_A"], os.environ.get("TY_B"), os.environ["TY_C"]) == ("x", None, "y")
    assert (os.environ["TY_A"], os.environ["TY_B"], os.environ.get("TY_C"), os.environ.get("TY_D")) == \
        ("a", "b", None, None)


def test_bare_training_tokens_counts_the_predicted_tokens_and_trains():
    import torch

    from ops.lm.model import ModelConfig, build_causal_lm

    class Tok:
        vocab_size, pad_token_id, bos_token_id, eos_token_id = 64, 0, 1, 2

        def __len__(self):
            return self.vocab_size

    torch.manual_seed(0)
    model = build_causal_lm(ModelConfig(hidden_size=16, num_layers=1, num_heads=2, intermediate_size=32,
                                        max_positions=32), Tok())
    before = [p.detach().clone() for p in model.parameters()]
    batches = [torch.randint(0, 64, (2, 9)) for _ in range(3)]
    tokens, seconds = bare_training_tokens(model, batches, 1e-2, 0.0, 1.0, time.perf_counter)
    assert tokens == 3 * 2 * 8 and seconds > 0
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))
