"""The issue's target on real data (heavy: embeds ~5,000 texts with MiniLM on first run)."""
import pytest


@pytest.mark.heavy
def test_learned_beats_generic_on_held_out_hh_rlhf(shared_data):
    from ops.rubrics.pairs import read_hh_rlhf, split_pairs
    from ops.rubrics.study import compare_generators

    path = shared_data / "preferences" / "hh-rlhf" / "harmless-base" / "test-first1600.jsonl.gz"
    if not path.exists():
        pytest.skip(f"{path} absent")
    pairs, _ = read_hh_rlhf(path)
    train, test = split_pairs(pairs, 0.3)
    evals, _ = compare_generators(train, test, ("generic", "learned"), n_boot=200)
    acc = {e.generator: e.metrics[("all", "all")][0].value for e in evals}
    assert acc["learned"] >= 0.62
    assert acc["learned"] - acc["generic"] >= 0.07
