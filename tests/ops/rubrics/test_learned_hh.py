"""The issue's accuracy target on the shipped hh-rlhf pairs (query-disjoint 70/30, seed 0).

Fast after the first run: MiniLM embeddings are cached on disk outside the project
($TRAINYARD_EMBEDDING_CACHE, default ~/.cache/trainyard/minilm); the first run embeds ~8,000 texts
(answers, queries, their last user turns and previous assistant turns).
The 5-seed figures come from ``trainyard rubrics eval --hh-rlhf FILE --seeds 5``."""
import os
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def seed0(request):
    from tests.conftest import SHARED_DATA

    path = SHARED_DATA / "preferences" / "hh-rlhf" / "harmless-base" / "test-first1600.jsonl.gz"
    if not path.exists():
        pytest.skip(f"{path} absent: real-data target test skipped")
    from ops.rubrics.evaluation import evaluate
    from ops.rubrics.pairs import dedupe, read_hh_rlhf, split_pairs
    from ops.rubrics.scorer import MiniLMEmbedder

    cache = Path(os.environ.get("TRAINYARD_EMBEDDING_CACHE", Path.home() / ".cache" / "trainyard" / "minilm"))
    cache.mkdir(parents=True, exist_ok=True)
    pairs = dedupe(read_hh_rlhf(path)[0])
    runs, summaries, diffs = evaluate([split_pairs(pairs, 0.3, 0)], ("generic", "learned"), [0],
                                      embedder=MiniLMEmbedder(cache_dir=cache), n_boot=1000)
    return runs[0], {s.method: s.mean for s in summaries}, {d.other: d for d in diffs}


def test_learned_beats_generic_and_length_on_held_out_queries(seed0):
    run, acc, diffs = seed0
    assert run.n_test > 400 and run.n_train > 1000
    assert acc["learned"] >= 0.62  # 0.653 measured on seed 0 (Gram prior, dialogue criteria)
    assert diffs["generic"].diff >= 0.07 and diffs["generic"].ci_low > 0
    assert diffs["length"].ci_low > 0


@pytest.mark.xfail(strict=True, reason="issue #13 target not met: learned 63.2 % (5-seed mean, seeds 0-4; seed 0 "
                                       "65.3 %) < 64 % and below the MiniLM logistic-regression reward model "
                                       "(64.1 %; seed 0 66.7 %), paired -0.8 points [-2.3, +0.6]; fixing the Gram "
                                       "prior's C at 0.3 (64.1 vs 64.0 on tuning seeds 100-107) and query-"
                                       "conditioned weights (63.2-64.2 there) did not move seeds 0-4")
def test_learned_reaches_the_issue_target(seed0):
    _, acc, diffs = seed0
    assert acc["learned"] >= 0.64 and diffs["embedding-lr"].diff > 0
