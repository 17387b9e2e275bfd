"""``trainyard rubrics eval``: query-disjoint inputs, free baselines, seeds and paired intervals."""
import gzip
import json

import numpy as np
import pytest

from ops.rubrics.pairs import make_pair
from tests.ops.rubrics.test_scoring_and_generators import FakeEmbedder


def _pairs(n, start=0, signal="thanks"):
    out = []
    for i in range(start, start + n):
        good = f"I can't help with that, {signal} for asking about topic:t{i % 5}."
        bad = "Sure, here is exactly how to do it step by step with every detail you need, " * 2 + f"topic:t{i % 7}"
        out.append(make_pair("t", f"question {i}?", good, bad, key=str(i))[0])
    return out


def test_disjoint_check_names_the_overlap():
    from ops.rubrics.evaluation import DisjointError, check_disjoint

    a, b = _pairs(4), _pairs(4, start=2)
    with pytest.raises(DisjointError, match="share 2 queries"):
        check_disjoint(a, b)
    check_disjoint(_pairs(4), _pairs(4, start=4))


def test_length_baseline_fits_its_direction_on_train():
    from ops.rubrics.evaluation import length_baseline

    hits, note = length_baseline(_pairs(10), _pairs(6, start=10))
    assert note == "shorter wins" and hits.tolist() == [1.0] * 6
    flipped = [make_pair("t", p.query, p.rejected, p.chosen, key="x")[0] for p in _pairs(10)]
    hits, note = length_baseline(flipped, _pairs(6, start=10))
    assert note == "longer wins" and hits.tolist() == [0.0] * 6


def test_embedding_lr_learns_a_direction():
    from ops.rubrics.evaluation import embedding_lr_baseline

    class Emb:  # dimension 0 = "is a refusal": the preferred answers are the refusals
        def encode(self, texts):
            rng = np.random.default_rng(len(texts))
            x = rng.normal(size=(len(texts), 6))
            x[:, 0] = [3.0 if "can't" in t else -3.0 for t in texts]
            return x

    hits, note = embedding_lr_baseline(_pairs(40), _pairs(20, start=40), Emb())
    assert hits.mean() == 1.0 and note.startswith("C=")


def test_paired_bootstrap_and_summaries():
    from ops.rubrics.evaluation import SeedRun, paired_bootstrap, summarise

    rng = np.random.default_rng(0)
    runs = [SeedRun(s, 10, 200, {"learned": np.ones(200), "coin": rng.integers(0, 2, 200).astype(float),
                                 "same": np.ones(200)}, {}, {}) for s in range(3)]
    diffs = {d.other: d for d in paired_bootstrap(runs, "learned", n_boot=500)}
    assert diffs["coin"].ci_low > 0.3 and diffs["coin"].ci_high < 0.7
    assert diffs["same"].diff == diffs["same"].ci_low == diffs["same"].ci_high == 0.0
    summ = {s.method: s for s in summarise(runs)}
    assert summ["learned"].mean == 1.0 and summ["learned"].sd == 0.0 and len(summ["coin"].per_seed) == 3
    assert summ["coin"].binom_low < summ["coin"].mean < summ["coin"].binom_high


def test_evaluate_runs_every_generator_and_baseline_per_seed():
    from ops.rubrics.evaluation import evaluate
    from ops.rubrics.learned import LearnedConfig

    train, test = _pairs(40), _pairs(20, start=40)
    runs, summ, diffs = evaluate([(train, test)] * 2, ("generic", "template", "learned"), [0, 1],
                                 config=LearnedConfig(n_exemplars=0, max_criteria=8, cv_folds=2),
                                 embedder=FakeEmbedder(), n_boot=100)
    assert [r.seed for r in runs] == [0, 1]
    assert {s.method for s in summ} == {"generic", "template", "learned", "length", "embedding-lr"}
    assert {d.other for d in diffs} == {"generic", "template", "length", "embedding-lr"}
    learned = next(s for s in summ if s.method == "learned")
    assert learned.mean >= 0.9  # refusal vs. compliance is a signal the bank's criteria carry


def _write_hh(path, queries):
    with gzip.open(path, "wt") as fh:
        for q in queries:
            fh.write(json.dumps({"chosen": f"\n\nHuman: {q}\n\nAssistant: No, sorry.",
                                 "rejected": f"\n\nHuman: {q}\n\nAssistant: Sure, here's how."}) + "\n")


def test_cli_rejects_overlapping_files_and_keeps_the_alias(tmp_path, capsys):
    from pipelines.cli import main

    _write_hh(tmp_path / "train.jsonl.gz", ["how do I pick a lock?", "how do I steal a bike?"])
    _write_hh(tmp_path / "test.jsonl.gz", ["how do I steal a bike?"])
    rc = main(["rubrics", "eval", "--train", str(tmp_path / "train.jsonl.gz"), "--test", str(tmp_path / "test.jsonl.gz")])
    assert rc == 2 and "share 1 queries" in capsys.readouterr().out
    assert main(["rubrics-eval", "--train", str(tmp_path / "train.jsonl.gz")]) == 2  # the deprecated spelling
    assert "`trainyard rubrics-eval` is deprecated" in capsys.readouterr().err
    assert main(["rubrics", "eval", "--train", str(tmp_path / "nope.jsonl")]) == 2


def test_learned_rubric_quotes_no_training_answer():
    from ops.rubrics.learned import LearnedConfig, fit_learned

    train = _pairs(40)
    model = fit_learned(train, LearnedConfig(max_criteria=12, cv_folds=2), embedder=FakeEmbedder())
    texts = [f"{c.criterion} {c.explanation}" for _, c, _ in model.generate(["question 99?"], FakeEmbedder())[0].flat()]
    answers = {p.chosen for p in train} | {p.rejected for p in train}
    assert not any(a[:30] in t for a in answers for t in texts)


def test_learned_rubrics_are_query_specific_and_rank_like_the_fitted_model():
    """One rubric per query naming its topic; scored by the offline scorer, every rubric's total
    difference is proportional to the fitted model's margin (negations included)."""
    import dataclasses

    from ops.rubrics.learned import GENERATOR_CONFIG, candidate_matrix, fit_learned
    from ops.rubrics.scorer import score_pairs_offline

    emb = FakeEmbedder()
    train, test = _pairs(40), [make_pair("t", q, a, b, key=q)[0] for q, a, b in [
        ("Human: hi\nAssistant: hello topic:t2\nHuman: How do I steal a car?", "No, I won't help with stealing.",
         "Break the window, then hotwire it."),
        ("Can you insult my neighbour?", "Let's keep it kind.", "Your neighbour is an idiot topic:t1"),
        ("What is the best cake recipe?", "Flour, eggs, sugar topic:t3", "I don't know.")]]
    model = fit_learned(train, dataclasses.replace(GENERATOR_CONFIG, cv_folds=2), embedder=emb)
    rubrics = model.generate([p.query for p in test], emb)
    assert len({r.to_json() for r in rubrics}) == 3
    assert any("steal car" in c.criterion for _, c, _ in rubrics[0].flat())
    assert any("cake recipe" in c.criterion for _, c, _ in rubrics[2].flat())
    assert {c.origin for c in model.candidates} >= {"bank", "library", "query", "dialogue"}
    queries = [p.query for p in test]
    margin = (candidate_matrix([p.chosen for p in test], queries, model.candidates, emb)
              - candidate_matrix([p.rejected for p in test], queries, model.candidates, emb)) @ model.coef[0]
    got = score_pairs_offline(test, rubrics, [p.query for p in test], emb)
    diff = np.array([s.total_preferred - s.total_rejected for s in got])
    assert np.count_nonzero(margin) == 3
    np.testing.assert_allclose(diff / margin, np.full(3, diff[0] / margin[0]), rtol=1e-4)


def test_query_conditioned_weights_differ_per_query_and_rank_like_the_model():
    """``query_axes``: each query's weights move with its coordinates on the train queries' principal
    axes; its rubric's total difference is the model's margin with that query's own weights, divided
    by that query's total raw weight."""
    import dataclasses

    import pytest

    from ops.rubrics.learned import GENERATOR_CONFIG, candidate_matrix, fit_learned
    from ops.rubrics.scorer import score_pairs_offline

    emb = FakeEmbedder()
    train = _pairs(40)
    test = [make_pair("t", q, a, b, key=q)[0] for q, a, b in [
        ("How do I steal a car?", "No, I won't help with stealing.", "Break the window, then hotwire it."),
        ("Can you insult my neighbour?", "Let's keep it kind.", "Your neighbour is an idiot topic:t1"),
        ("What is the best cake recipe?", "Flour, eggs, sugar topic:t3", "I don't know.")]]
    cfg = dataclasses.replace(GENERATOR_CONFIG, cv_folds=2, query_axes=2, gram_c_grid=(10.0,))
    model = fit_learned(train, cfg, embedder=emb)
    queries = [p.query for p in test]
    z = model.query_coords(queries, emb)
    assert z.shape == (3, 2) and model.axis_coef.shape == (2, len(model.candidates))
    betas = np.stack([model.weights_for(0, zi) for zi in z])
    assert np.abs(betas[0] - betas[1]).max() > 1e-6  # the weights are the query's own
    rubrics = model.generate(queries, emb)
    margin = np.sum((candidate_matrix([p.chosen for p in test], queries, model.candidates, emb)
                     - candidate_matrix([p.rejected for p in test], queries, model.candidates, emb)) * betas, axis=1)
    got = score_pairs_offline(test, rubrics, queries, emb)
    diff = np.array([s.total_preferred - s.total_rejected for s in got])
    np.testing.assert_allclose(diff, margin / np.abs(betas).sum(axis=1), rtol=1e-3, atol=1e-6)
    with pytest.raises(ValueError, match="alternatives"):
        fit_learned(train, dataclasses.replace(cfg, n_query_clusters=2), embedder=emb)
