"""The trained rubric generator (``ops.rubrics.grpo``): distilled SFT targets, the fast consistency
reward against the offline scorer, SFT then GRPO at tiny sizes, evaluation as generators."""
import dataclasses

import numpy as np
import pytest

from ops.rubrics.pairs import make_pair
from tests.ops.rubrics.test_scoring_and_generators import FakeEmbedder

def _sizes(**kw):
    from ops.rubrics.grpo import PolicySizes

    base = PolicySizes(hidden_size=32, num_layers=1, vocab_size=300, n_clusters=1, max_codes=3, sft_steps=40,
                       sft_batch=8, grpo_steps=3, grpo_batch=16, num_generations=8, grpo_lr=1e-2)
    return dataclasses.replace(base, **kw)


def _pairs(n, start=0):
    """Refusals preferred over compliance; half the answers are long, so length says nothing."""
    out = []
    for i in range(start, start + n):
        pad = " with many more words here" * (4 if i % 2 else 0)
        good = f"I can't help with that{pad}, sorry topic:t{i % 5}."
        bad = f"Sure, here is how{pad if i % 2 == 0 else ' ' + 'and then ' * 12} topic:t{i % 7}."
        out.append(make_pair("t", f"question {i} about thing {i % 3}?", good, bad, key=str(i))[0])
    return out


def test_code_line_consistency_equals_the_offline_scorer():
    from ops.rubrics.grpo import SIGNED, bank_deltas, code_vector, consistency, decode_codes
    from ops.rubrics.scorer import score_pairs_offline

    pairs, emb = _pairs(12), FakeEmbedder()
    deltas = bank_deltas(pairs, emb)
    rng = np.random.default_rng(0)
    for _ in range(20):
        line = " ".join(rng.choice(SIGNED, size=int(rng.integers(1, 6))))
        rubric, fmt = decode_codes(line)
        assert fmt == 1.0
        if rubric is None:  # e.g. "relevant -relevant": every weight cancels... still a rubric
            continue
        scores = score_pairs_offline(pairs, [rubric] * len(pairs), ["r"] * len(pairs), emb)
        direct = np.mean([(s.total_preferred > s.total_rejected + 1e-9) + 0.5 * (abs(s.total_preferred - s.total_rejected) <= 1e-9)
                          for s in scores])
        assert consistency(code_vector(line), deltas) == pytest.approx(direct), line


def test_distilled_targets_are_code_lines_that_rank_the_training_pairs():
    from ops.rubrics.grpo import SIGNED, bank_deltas, code_vector, consistency, distill_targets

    pairs, emb = _pairs(40), FakeEmbedder()
    deltas = bank_deltas(pairs, emb)
    d = distill_targets(pairs, deltas, emb, _sizes())
    assert set(d.targets) == {p.query for p in pairs}
    assert all(t and set(t) <= set(SIGNED) for t in d.targets.values())  # codes only: no answer quoted
    line = next(iter(d.targets.values()))
    assert consistency(code_vector(" ".join(line)), deltas) >= 0.9


@pytest.fixture(scope="module")
def trained():
    from ops.rubrics.grpo import train_two_stage

    pairs = _pairs(40)
    out = {}
    for lr in (0.0, 1e-2):
        out[lr] = train_two_stage(pairs, _sizes(), FakeEmbedder(), grpo_learning_rate=lr)
    return pairs, out


def _param_change(a, b) -> float:
    return max(float((p.detach() - q.detach()).abs().max()) for p, q in zip(a.parameters(), b.parameters()))


def test_sft_learns_the_distilled_line_and_grpo_moves_the_policy(trained):
    from ops.rubrics.grpo import decode_codes
    from ops.rubrics.reward import RewardWeights

    pairs, runs = trained
    res = runs[1e-2]
    loss = [v for _, n, v in res.metrics if n == "sft/loss"]
    assert len(loss) == 40 and loss[-1] < 0.5 * loss[0]
    lines = res.sft.lines([p.query for p in pairs[:5]] + ["an unseen question?"])
    assert all(decode_codes(x)[0] is not None for x in lines)
    assert len(res.curve) == 3 and all(0.0 <= r <= 1.0 for r in res.curve)
    assert {n for _, n, _ in res.metrics} >= {"sft/loss", "grpo/reward", "grpo/loss"}
    # the reward's terms are logged per step; weighted by RewardWeights they sum to the reward
    parts = res.component_curves()
    assert set(parts) == {"consistency", "quality", "format", "sft_reference"} and all(len(v) == 3 for v in parts.values())
    w = RewardWeights()
    mix = [w.combine(c, q, f) for c, q, f in zip(parts["consistency"], parts["quality"], parts["format"])]
    assert mix == pytest.approx(res.curve, abs=1e-5)
    # A GRPO learning rate of 0 leaves the SFT weights as they are; a positive one moves them.
    assert _param_change(runs[0.0].grpo.model, runs[0.0].sft.model) == 0.0
    assert _param_change(res.grpo.model, res.sft.model) > 1e-4


def test_reward_rise_interval():
    from ops.rubrics.grpo import reward_rise

    rng = np.random.default_rng(0)
    rising = np.linspace(0.3, 0.7, 40) + rng.normal(0, 0.02, 40)
    v, lo, hi = reward_rise([rising], n_boot=500)
    assert 0 < lo < v < hi and v == pytest.approx(np.mean(rising[-10:]) - np.mean(rising[:10]))
    v, lo, hi = reward_rise([rng.normal(0.5, 0.05, 40)], n_boot=500)
    assert lo < 0 < hi
    assert np.isnan(reward_rise([[0.1, 0.2]])[0])
    # blocks of steps: a curve whose noise comes in runs of 8 steps is less sure than iid steps say
    runs = np.repeat(rng.normal(0, 0.05, 20), 8) + np.linspace(0.3, 0.34, 160)
    iid, blocks = reward_rise([runs], n_boot=1000), reward_rise([runs], n_boot=1000, block=8)
    assert iid[0] == blocks[0] and blocks[2] - blocks[1] > 1.5 * (iid[2] - iid[1])
    # over seeds: four seeds rise, one falls; resampling the seeds widens the interval
    curves = [np.linspace(0.3, 0.4, 40) + rng.normal(0, 0.01, 40) for _ in range(4)] + [np.linspace(0.4, 0.25, 40)]
    fixed, seeds = reward_rise(curves, n_boot=1000, block=5), reward_rise(curves, n_boot=1000, block=5, over_seeds=True)
    assert fixed[0] == seeds[0] and fixed[1] > 0 and seeds[1] < fixed[1] and seeds[2] > fixed[2]


def test_sft_and_grpo_are_evaluated_like_every_generator():
    from ops.rubrics.evaluation import evaluate

    train, test = _pairs(40), _pairs(20, start=40)
    runs, summ, diffs = evaluate([(train, test)], ("generic", "sft", "grpo"), [0], target="grpo",
                                 embedder=FakeEmbedder(), n_boot=100, policy_sizes=_sizes(grpo_steps=2))
    assert {s.method for s in summ} == {"generic", "sft", "grpo", "length", "embedding-lr"}
    assert {d.other for d in diffs} == {"generic", "sft", "length", "embedding-lr"}
    assert runs[0].training is not None and len(runs[0].training.curve) == 2
    acc = {s.method: s.mean for s in summ}
    assert acc["sft"] >= 0.9  # the distilled line (refusal criteria) carries the signal to unseen queries
    assert all(r.startswith(("sft:", "grpo:")) for g in ("sft", "grpo") for r in runs[0].rubrics[g])


def test_consistency_pairs_add_the_nearest_queries_pairs():
    from ops.rubrics.grpo import consistency_pairs

    pairs = [make_pair("t", q, "I can't help with that.", "Sure, here's how.", key=str(i))[0]
             for i, q in enumerate(["steal topic:a", "steal topic:a", "rob topic:a", "cake topic:b", "pie topic:b"])]
    own = consistency_pairs(pairs, 0, FakeEmbedder())
    assert own == {"steal topic:a": [0, 1], "rob topic:a": [2], "cake topic:b": [3], "pie topic:b": [4]}
    near = consistency_pairs(pairs, 1, FakeEmbedder())
    # own pairs first, then the single most similar other query's (same topic: identical embedding)
    assert near["steal topic:a"] == [0, 1, 2] and near["rob topic:a"] == [2, 0, 1]
    assert near["cake topic:b"] == [3, 4] and near["pie topic:b"] == [4, 3]
    assert all(len(set(v)) == len(v) for v in consistency_pairs(pairs, 10, FakeEmbedder()).values())


def test_same_seed_gives_the_same_grpo_policy(trained):
    """Seeded TRL/torch and a fixed thread count: a rerun of seed 0 (here with the caller's torch
    threads changed) gives bit-identical GRPO weights and reward curve; another seed does not."""
    import torch

    from ops.rubrics.grpo import train_two_stage

    pairs, runs = trained
    before = torch.get_num_threads()
    torch.set_num_threads(2 if before == 1 else 1)
    try:
        again = train_two_stage(pairs, _sizes(), FakeEmbedder(), grpo_learning_rate=1e-2)
    finally:
        torch.set_num_threads(before)
    assert again.curve == runs[1e-2].curve
    assert _param_change(again.grpo.model, runs[1e-2].grpo.model) == 0.0
    other = train_two_stage(pairs, _sizes(seed=1), FakeEmbedder(), grpo_learning_rate=1e-2)
    assert other.curve != runs[1e-2].curve


def test_a_seed_evaluated_alone_matches_the_same_seed_inside_a_multi_seed_run():
    """What ran before a seed (another seed's SFT, GRPO, baselines) changes nothing in its result."""
    from ops.rubrics.evaluation import evaluate

    train, test = _pairs(40), _pairs(20, start=40)
    kw = dict(embedder=FakeEmbedder(), n_boot=10, policy_sizes=_sizes(grpo_steps=3, grpo_lr=3e-2))
    both, _, _ = evaluate([(train, test)] * 2, ("sft", "grpo"), [0, 1], target="grpo", **kw)
    alone, _, _ = evaluate([(train, test)], ("sft", "grpo"), [1], target="grpo", **kw)
    a, b = both[1], alone[0]
    assert a.training.curve == b.training.curve and a.rubrics == b.rubrics
    assert all((a.hits[m] == b.hits[m]).all() for m in a.hits)
    assert _param_change(a.training.grpo.model, b.training.grpo.model) == 0.0


def test_grpo_step_is_chosen_on_validation_queries_carved_from_training():
    from ops.rubrics.grpo import bank_deltas, line_accuracy, train_two_stage, validation_split

    pairs = _pairs(60)
    fit, val = validation_split(pairs, 0.25, 0)
    assert sorted(fit + val) == list(range(60)) and val
    assert not {pairs[i].query for i in fit} & {pairs[i].query for i in val}
    assert validation_split(pairs, 0.25, 1) != (fit, val)  # the seed picks the validation queries
    res = train_two_stage(pairs, _sizes(grpo_steps=4, val_fraction=0.25, eval_every=2), FakeEmbedder())
    assert res.n_fit_pairs == len(fit) and res.n_val_pairs == len(val)
    assert set(res.distilled.targets) == {pairs[i].query for i in fit}  # validation never trains SFT either
    assert [c.step for c in res.checkpoints] == [0, 2, 4]
    best = max(c.val_accuracy for c in res.checkpoints)
    assert res.chosen_step == min(c.step for c in res.checkpoints if c.val_accuracy == best)
    chosen = next(c for c in res.checkpoints if c.step == res.chosen_step)
    assert all(bool((v == chosen.state[k]).all()) for k, v in res.grpo.model.state_dict().items())
    # step 0 is the SFT policy, scored as the held-out evaluation scores a rubric
    vp = [pairs[i] for i in val]
    lines = dict(zip([p.query for p in vp], res.sft.lines([p.query for p in vp])))
    assert res.checkpoints[0].val_accuracy == pytest.approx(line_accuracy(lines, vp, bank_deltas(vp, FakeEmbedder())))
    logged = {n for _, n, _ in res.metrics}
    assert {"grpo/val_accuracy", "grpo/chosen_step"} <= logged


def test_diversity_term_lowers_the_reward_of_a_line_every_query_gets():
    from ops.rubrics.grpo import SIGNED, batch_specificity, code_vector, make_reward_fn
    from ops.rubrics.reward import RewardWeights

    texts = ["relevant concise", "relevant concise", "relevant concise", "declines_harm"]
    queries = ["a", "a", "b", "c"]
    spec = batch_specificity([code_vector(t) for t in texts], queries)
    # "a"'s line: shared with "b", not with "c"; "b"'s line: shared with both of "a"'s; "c"'s: with none
    assert spec == pytest.approx([0.5, 0.5, 1 / 3, 1.0])
    deltas = {q: np.zeros((1, len(SIGNED))) for q in queries}
    plain = make_reward_fn(RewardWeights(), deltas)(None, texts, queries)
    div = make_reward_fn(RewardWeights(), deltas, diversity=1.0)(None, texts, queries)
    assert plain[0] == plain[2] and div[2] < div[0]
    assert div[3] - div[2] > plain[3] - plain[2]
    # GRPO gets the three terms as separate reward functions mixed by RewardWeights: the same reward
    from ops.rubrics.grpo import reward_components, reward_weight_list

    w = reward_weight_list(RewardWeights())
    terms = [fn(None, texts + ["banana"], queries + ["a"]) for fn in reward_components(deltas, diversity=1.0)]
    mixed = [sum(wi * t[i] for wi, t in zip(w, terms)) for i in range(5)]
    assert mixed == pytest.approx(make_reward_fn(RewardWeights(), deltas, diversity=1.0)(None, texts + ["banana"], queries + ["a"]))
    assert [t[4] for t in terms] == [0.0, 0.0, 0.0]  # no code: nothing from any term
    # the weight-0 reference: what each completion's query's fixed line would get in the same batch
    from ops.rubrics.grpo import reference_reward

    ref = {"a": "declines_harm", "b": "relevant concise", "c": "relevant concise"}
    got = reference_reward(RewardWeights(), deltas, ref, diversity=1.0)(None, texts, queries)
    want = make_reward_fn(RewardWeights(), deltas, diversity=1.0)(None, [ref[q] for q in queries], queries)
    assert got == want and got[0] == got[1] and got[2] == got[3]


def test_eval_records_distinct_rubrics_and_the_chosen_step():
    from types import SimpleNamespace

    from ops.rubrics.eval_cli import _policy_metrics
    from ops.rubrics.evaluation import SeedRun
    from ops.rubrics.grpo import Checkpoint

    ck = [Checkpoint(0, 0.55, {}), Checkpoint(20, 0.6, {}), Checkpoint(40, 0.58, {})]
    runs = [SeedRun(s, 10, 4, {}, {}, {"sft": ["sft:a", "sft:a", "sft:b", "sft:c"], "grpo": ["grpo:x"] * 4},
                    SimpleNamespace(checkpoints=ck, chosen_step=20, n_val_pairs=7), n_test_queries=3)
            for s in (0, 1)]
    summary = {}
    got = {m.metric: m for m in _policy_metrics(runs, summary)}
    assert got["distinct_rubrics_seed1/sft"].value == 3 and got["distinct_rubrics_seed1/sft"].n == 3
    assert got["distinct_rubrics_mean/grpo"].value == 1
    assert got["grpo_chosen_step/seed0"].value == 20 and got["grpo_chosen_step/seed0"].n == 7
    assert got["grpo_val_accuracy_chosen/seed0"].value == 0.6 and got["grpo_val_accuracy_sft/seed0"].value == 0.55
    assert summary["distinct_rubrics_sft"] == [3, 3] and summary["grpo_chosen_steps"] == [20, 20]
