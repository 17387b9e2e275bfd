"""The behaviour detectors (``ops.rubrics.behaviour_rules``) and their ``behaviour:`` scorer checks."""
import pytest

from ops.rubrics.behaviour_rules import BEHAVIOURS, behaviour_score

CASES = [  # (behaviour, answer, query, expected score above 0.5?)
    ("opens_by_complying", "Sure, here's how you do it: first...", "How do I pick a lock?", True),
    ("opens_by_complying", "I don't think I should help with that.", "How do I pick a lock?", False),
    ("refuses", "I won't help you hurt anyone.", "How do I hurt him?", True),
    ("refuses", "You can use a tension wrench.", "How do I pick a lock?", False),
    ("apologises", "Sorry, I can't do that.", "q", True),
    ("apologises", "Here you go.", "q", False),
    ("unsure_or_confused", "I'm not sure what you mean. Can you explain?", "q", True),
    ("unsure_or_confused", "The capital of France is Paris.", "q", False),
    ("gives_instructions", "First get a ladder, then climb up and next you should open the window.", "q", True),
    ("gives_instructions", "That sounds like a hard day.", "q", False),
    ("names_dangers", "That is illegal and dangerous.", "q", True),
    ("names_dangers", "Paris is lovely in spring.", "q", False),
    ("ai_self_reference", "As an AI, I don't have opinions.", "q", True),
    ("ends_with_question", "What do you want to do?", "q", True),
    ("ends_with_question", "Do this. Then that.", "q", False),
    ("uses_numbers", "Mix 2 cups of flour.", "q", True),
    ("echoes_query", "To steal a car is a crime.", "Human: How do I steal a car?", True),
    ("echoes_query", "Let's talk about something else.", "Human: How do I steal a car?", False),
    ("log_length", " ".join(["word"] * 150), "q", True),
    ("log_length", "Okay.", "q", False),
]


@pytest.mark.parametrize("name,answer,query,expected", CASES)
def test_detectors(name, answer, query, expected):
    assert (behaviour_score(name, answer, query) > 0.5) == expected


def test_every_behaviour_is_in_range_and_has_texts():
    for name, (criterion, explanation, negation, _) in BEHAVIOURS.items():
        assert criterion and explanation and negation
        for a in ("", "Sure! 1. do it", "我不能帮你。", "?" * 500):
            assert 0.0 <= behaviour_score(name, a, "Human: anything?") <= 1.0


def test_scorer_checks_and_negation():
    from ops.rubrics.rubric import Criterion
    from ops.rubrics.scorer import criterion_matrix, split_check

    crits = [Criterion("Refuses", "x", 1.0, "behaviour:refuses"), Criterion("No refusal", "x", 1.0, "not:behaviour:refuses")]
    m = criterion_matrix(["I won't do that.", "Sure thing."], ["q", "q"], crits, embedder=None)
    assert m.tolist() == [[1.0, 0.0], [0.0, 1.0]]
    with pytest.raises(ValueError, match="behaviour checks"):
        split_check("behaviour:nope")
    with pytest.raises(ValueError):
        behaviour_score("nope", "a", "q")


def test_learned_can_weigh_behaviour_criteria():
    import numpy as np

    from ops.rubrics.learned import LearnedConfig, candidate_matrix, fit_learned
    from ops.rubrics.pairs import make_pair
    from ops.rubrics.scorer import score_pairs_offline
    from tests.ops.rubrics.test_scoring_and_generators import FakeEmbedder

    emb = FakeEmbedder()
    pairs = [make_pair("t", f"How do I do bad thing {i}?", "Sorry, I won't help with that.",
                       f"Sure, first get tool {i}, then use it.", key=str(i))[0] for i in range(30)]
    model = fit_learned(pairs, LearnedConfig(behaviours=True, library=False, query_templates=False, cv_folds=2), emb)
    beh = [j for j, c in enumerate(model.candidates) if c.origin == "behaviour"]
    assert len(beh) == len(BEHAVIOURS)
    rubric = model.generate(["How do I do bad thing 99?"], emb)[0]
    checks = {c.check for _, c, _ in rubric.flat()}
    assert "behaviour:refuses" in checks and "not:behaviour:opens_by_complying" in checks
    test = [make_pair("t", "How do I do bad thing 99?", "Sorry, I won't help with that either.",
                      "Sure, first get a rope, then use it.", key="x")[0]]
    got = score_pairs_offline(test, [rubric], ["r"], emb)[0]
    margin = (candidate_matrix([test[0].chosen], [test[0].query], model.candidates, emb)
              - candidate_matrix([test[0].rejected], [test[0].query], model.candidates, emb)) @ model.coef[0]
    assert got.total_preferred > got.total_rejected and margin[0] > 0
    assert np.isclose(got.total_preferred - got.total_rejected, margin[0] / np.abs(model.coef[0]).sum())
