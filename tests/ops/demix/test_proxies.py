"""Merged proxies: the scorer's loss equals the loss of a hand-averaged model, and training runs
save loadable checkpoints with per-domain held-out losses."""
import dataclasses
import math

import pytest

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def tiny_study(tmp_path_factory):
    from ops.demix.domains import embedded_domains
    from ops.demix.sizes import SIZES
    from ops.demix.training import RunSpec, build_tokens, train_run

    root = tmp_path_factory.mktemp("demix")
    sizes = dataclasses.replace(SIZES["tiny"], max_chars=20_000)
    tok, tokens = build_tokens(embedded_domains(sizes.max_chars), sizes.vocab, root / "data")
    logs = []
    base = train_run(RunSpec("base", (1 / 3,) * 3, 8, sizes.lr, None), tokens, tok, sizes, root / "base",
                     lambda s, n, v: logs.append((s, n, v)))
    comps = [train_run(RunSpec(f"c{i}", tuple(float(i == j) for j in range(3)), 6, sizes.lr, str(root / "base"),
                               seed=i), tokens, tok, sizes, root / f"c{i}", lambda *a: None) for i in range(3)]
    return sizes, tok, tokens, base, comps, logs, root


def test_train_run_saves_checkpoint_and_domain_losses(tiny_study):
    from transformers import AutoModelForCausalLM

    from ops.demix.training import evaluate_domains

    sizes, tok, tokens, base, comps, logs, root = tiny_study
    assert sum(1 for _, n, _ in logs if n == "train/loss") == 8
    assert [n for _, n, _ in logs if n.startswith("val/loss/")] == ["val/loss/code", "val/loss/prose", "val/loss/math"]
    model = AutoModelForCausalLM.from_pretrained(str(root / "base"), local_files_only=True)
    again = evaluate_domains(model, tokens, sizes)
    assert again == pytest.approx(base["domain_loss"], rel=1e-5)
    assert all(0 < x < math.log(sizes.vocab) + 1 for x in again)
    assert base["tokens"] == 8 * sizes.batch_size * sizes.seq_len


def test_proxy_equals_hand_merged_model(tiny_study, tmp_path):
    from transformers import AutoModelForCausalLM

    from ops.demix.proxies import ProxyScorer
    from ops.demix.training import evaluate_domains

    sizes, tok, tokens, base, comps, logs, root = tiny_study
    scorer = ProxyScorer([c["checkpoint"] for c in comps], tokens, sizes, tmp_path / "proxy")
    w = [0.5, 0.3, 0.2]
    got = scorer(w)
    models = [AutoModelForCausalLM.from_pretrained(c["checkpoint"], local_files_only=True) for c in comps]
    hand = AutoModelForCausalLM.from_pretrained(comps[0]["checkpoint"], local_files_only=True)
    states = [m.state_dict() for m in models]
    hand.load_state_dict({k: sum(wi * s[k] for wi, s in zip(w, states)) for k in states[0]})
    assert got == pytest.approx(evaluate_domains(hand, tokens, sizes), abs=1e-4)
    # a one-hot proxy is the component itself
    assert scorer([0, 1, 0]) == pytest.approx(comps[1]["domain_loss"], abs=1e-5)
    assert scorer.count == 2
