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


def test_in_memory_merge_equals_the_kernel_merge(tiny_study, tmp_path):
    from safetensors.torch import load_file

    from ops.demix.proxies import ProxyScorer

    sizes, tok, tokens, base, comps, logs, root = tiny_study
    scorer = ProxyScorer([c["checkpoint"] for c in comps], tokens, sizes, tmp_path / "proxy")
    w = [0.2, 0.45, 0.35]
    scorer(w)
    out = scorer.merge(w, tmp_path / "kernel")
    disk = {}
    for shard in sorted(out.glob("*.safetensors")):
        disk.update(load_file(str(shard)))
    params = scorer.model.state_dict()
    assert disk and all(torch.equal(params[k], v) for k, v in disk.items())
    with pytest.raises(ValueError, match="weights"):
        scorer([0.5, -0.1, 0.6])
    with pytest.raises(ValueError, match="weights"):
        scorer([0, 0, 0])


def test_batched_domain_eval_equals_per_domain_eval(tiny_study):
    from transformers import AutoModelForCausalLM

    from ops.demix.training import eval_windows, evaluate_domains, evaluate_windows
    from ops.lm.train import evaluate_loss

    sizes, tok, tokens, base, comps, logs, root = tiny_study
    model = AutoModelForCausalLM.from_pretrained(comps[2]["checkpoint"], local_files_only=True)
    one_by_one = [evaluate_loss(model, ids, sizes.seq_len, sizes.batch_size, sizes.eval_batches) for ids in tokens.held]
    assert evaluate_domains(model, tokens, sizes) == pytest.approx(one_by_one, rel=1e-5)
    # forwards that cut across domain boundaries give the same per-domain numbers
    windows, owner = eval_windows(tokens, sizes)
    assert 5 < len(windows) <= 3 * sizes.batch_size * sizes.eval_batches and set(owner.tolist()) == {0, 1, 2}
    assert evaluate_windows(model, windows, owner, 3, rows_per_forward=5) == pytest.approx(one_by_one, rel=1e-5)
    assert len(set(round(x, 3) for x in one_by_one)) == 3


def test_task_vector_proxy_equals_hand_scaled_merge(tiny_study, tmp_path):
    """scale s: θ_base + s·(Σ wᵢθᵢ − θ_base); s = 1 is the linear merge, s = 0 the base."""
    from transformers import AutoModelForCausalLM

    from ops.demix.proxies import ProxyScorer
    from ops.demix.training import evaluate_domains

    sizes, tok, tokens, base, comps, logs, root = tiny_study
    scorer = ProxyScorer([c["checkpoint"] for c in comps], tokens, sizes, tmp_path / "proxy", base_dir=root / "base")
    w = [0.5, 0.3, 0.2]
    states = [AutoModelForCausalLM.from_pretrained(c["checkpoint"], local_files_only=True).state_dict() for c in comps]
    b = AutoModelForCausalLM.from_pretrained(str(root / "base"), local_files_only=True)
    bs = {k: v.clone() for k, v in b.state_dict().items()}
    b.load_state_dict({k: bs[k] + 2.0 * (sum(wi * s[k] for wi, s in zip(w, states)) - bs[k]) for k in states[0]})
    assert scorer(w, 2.0) == pytest.approx(evaluate_domains(b, tokens, sizes), abs=1e-4)
    assert scorer(w, 0.0) == pytest.approx(base["domain_loss"], abs=1e-4)
    assert scorer(w, 1.0) == pytest.approx(ProxyScorer([c["checkpoint"] for c in comps], tokens, sizes,
                                                       tmp_path / "p2")(w), abs=1e-6)
    with pytest.raises(ValueError, match="base checkpoint"):
        ProxyScorer([c["checkpoint"] for c in comps], tokens, sizes, tmp_path / "p3")(w, 2.0)


def test_norm_matched_task_vector_proxy_equals_hand_merge(tiny_study, tmp_path):
    """norm: each tensor's merged task vector Σ wᵢ(θᵢ − θ_base) is rescaled to Σ wᵢ‖θᵢ − θ_base‖;
    a one-hot mixture is its component, and the rescaled vector is never shorter than the plain
    merge's."""
    from transformers import AutoModelForCausalLM

    from ops.demix.proxies import ProxyScorer
    from ops.demix.study import parse_proxy_key, proxy_key
    from ops.demix.training import evaluate_domains

    sizes, tok, tokens, base, comps, logs, root = tiny_study
    scorer = ProxyScorer([c["checkpoint"] for c in comps], tokens, sizes, tmp_path / "proxy", base_dir=root / "base")
    w = [0.5, 0.3, 0.2]
    states = [AutoModelForCausalLM.from_pretrained(c["checkpoint"], local_files_only=True).state_dict() for c in comps]
    b = AutoModelForCausalLM.from_pretrained(str(root / "base"), local_files_only=True)
    bs = {k: v.clone() for k, v in b.state_dict().items()}
    hand, stretched = {}, []
    for k in states[0]:
        tv = [s[k] - bs[k] for s in states]
        merged = sum(wi * t for wi, t in zip(w, tv))
        target = sum(wi * float(t.norm()) for wi, t in zip(w, tv))
        hand[k] = bs[k] + merged * (target / float(merged.norm()) if float(merged.norm()) > 0 else 1.0)
        stretched.append(target >= float(merged.norm()) - 1e-6)
    assert all(stretched)
    b.load_state_dict(hand)
    assert scorer(w, 1.0, norm=True) == pytest.approx(evaluate_domains(b, tokens, sizes), abs=1e-4)
    assert scorer([0, 0, 1], 1.0, norm=True) == pytest.approx(comps[2]["domain_loss"], abs=1e-4)
    assert scorer(w, 1.0, norm=True) != pytest.approx(scorer(w), abs=1e-4)
    assert parse_proxy_key(proxy_key("plain", 1.5, True)) == ("plain", 1.5, True)
    assert proxy_key("plain", 1.0, True) == "plain@norm" and parse_proxy_key("lr0.3@tv2") == ("lr0.3", 2.0, False)
