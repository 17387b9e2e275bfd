"""Query-specific DeepResearch-Bench-format rubrics: format, distinctness, leave-one-query-out."""
import pytest

from ops.rubrics.rubric import build_rubric, validate_rubric
from tests.ops.rubrics.test_scoring_and_generators import FakeEmbedder


def _bank():
    from ops.rubrics.drb import DRB_DIMENSIONS, DRBQuery

    out = []
    for i in range(6):
        items = [(d, f"{d} criterion {j} of query {i} topic:t{j}", f"explanation {j}", 1.0 + j, "")
                 for d in DRB_DIMENSIONS for j in range(3)]
        out.append(DRBQuery(str(i), f"Compare the energy policies of country {i} and explain the trade-offs. "
                                    f"Provide figures for {i} sectors.", "en", build_rubric(items)))
    return out


def test_clauses_split_requirements():
    from ops.rubrics.drb import clauses

    got = clauses("Compare solar and wind power in Europe. Estimate their costs to 2030; cite sources please.")
    assert got == ["Compare solar and wind power in Europe", "Estimate their costs to 2030", "cite sources please"]
    assert clauses("收集整理目前中国9阶层实际收入和财务状况，特别研究得出中国的中产有哪些特点")


def test_generated_rubrics_are_drb_format_query_specific_and_distinct():
    from ops.rubrics.drb import DRB_DIMENSIONS, QuerySpecificDRB

    bank = _bank()
    gen = QuerySpecificDRB(bank, FakeEmbedder(), k=3, per_dimension=4)
    rubs = [gen.generate(q.prompt, exclude_id=q.query_id, language="en") for q in bank]
    for q, r in zip(bank, rubs):
        assert validate_rubric(r.as_dict()) == [] and set(r.dimension_weight) == set(DRB_DIMENSIONS)
        assert abs(sum(r.dimension_weight.values()) - 1) < 1e-3
        names = [c.criterion for _, c, _ in r.flat()]
        assert any(f"country {q.query_id} " in n for n in names)            # names what this query needs
        assert not any(f"of query {q.query_id} " in n for n in names)      # its own reference is held out
        assert all(c.explanation for _, c, _ in r.flat())
    assert len({str(r.as_dict()) for r in rubs}) == len(rubs)


def test_loo_eval_counts_validity_distinctness_and_baselines():
    from ops.rubrics.drb import loo_eval

    res = loo_eval(_bank(), FakeEmbedder(), k=3, per_dimension=4)
    assert res.n == 6 and res.valid == 6 and res.distinct == 6
    assert 0 <= res.baseline_other_en <= 1 + 1e-9 and res.coverage_en == res.coverage_en


@pytest.mark.heavy
def test_drb_leave_one_query_out_targets(shared_data):
    import os
    from pathlib import Path

    from ops.rubrics.drb import load_drb, loo_eval
    from ops.rubrics.scorer import MiniLMEmbedder

    d = shared_data / "research" / "deep_research_bench"
    queries, rejects = load_drb(d / "query.jsonl", d / "criteria.jsonl")
    cache = Path(os.environ.get("TRAINYARD_EMBEDDING_CACHE", Path.home() / ".cache" / "trainyard" / "minilm"))
    cache.mkdir(parents=True, exist_ok=True)
    res = loo_eval(queries, MiniLMEmbedder(cache_dir=cache))
    assert res.n == 80 and res.valid == 80 and res.distinct == 80
    assert res.coverage_en >= 0.55 and res.coverage_en > res.baseline_nearest_en
