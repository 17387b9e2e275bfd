"""Rubric benchmarks: pairs scored per second by the offline scorer (cold: embeddings computed;
warm: cached), and judge requests in flight with the OpenAI-compatible backend against the local
test server (``ops.llm.local_server``, 50 ms per reply). Quality figures of issue #13: agreement of
the criterion-satisfaction scorers with the hand-written probe set, and the query-specific DRB
generator leave-one-query-out (validity, distinct rubrics, English coverage beside free baselines)."""
from benchmarks.harness import BenchRow, timed


def _pairs():
    from pathlib import Path

    from ops.rubrics.embedded import embedded_pairs
    from ops.rubrics.pairs import read_hh_rlhf

    hh = Path(__file__).resolve().parents[2] / "shared/data/preferences/hh-rlhf/harmless-base/test-first1600.jsonl.gz"
    if hh.exists():
        return read_hh_rlhf(hh, limit=200)[0], "hh-rlhf[:200]"
    print(f"{hh} absent: benchmarking on the embedded default pairs")
    return embedded_pairs()[0], "embedded"


def run() -> list[BenchRow]:
    from ops.llm.local_server import LocalChatServer
    from ops.llm.openai_backend import OpenAIBackend
    from ops.rubrics.generators import generic_rubric, template_rubric
    from ops.rubrics.judge import score_pairs_judge
    from ops.rubrics.scorer import MiniLMEmbedder, score_pairs_offline

    pairs, name = _pairs()
    rubrics = [template_rubric(p.query) for p in pairs]
    ids = [f"t{i}" for i in range(len(pairs))]
    embedder = MiniLMEmbedder()  # no disk cache: the cold run embeds every answer
    embedder.encode(["warm up the model load"])
    with timed() as cold:
        score_pairs_offline(pairs, rubrics, ids, embedder)
    with timed() as warm:
        score_pairs_offline(pairs, rubrics, ids, embedder)
    rows = [BenchRow("rubrics_offline_scorer", f"pairs_per_s_cold[{name}]", len(pairs) / cold(), "pairs/s"),
            BenchRow("rubrics_offline_scorer", f"pairs_per_s_warm[{name}]", len(pairs) / warm(), "pairs/s")]
    judge_pairs = pairs[:24]

    def reply(messages, i):  # a well-formed judge reply with as many scores as criteria listed
        n = messages[-1]["content"].split("Criteria:\n", 1)[-1].count("\n") + 1
        return '{"scores": [' + ", ".join(["7"] * n) + "]}"

    with LocalChatServer(mode="ok", delay_s=0.05, reply=reply) as srv:
        backend = OpenAIBackend("local", base_url=srv.base_url, concurrency=8, max_retries=0)
        with timed() as t:
            scores, rejects = score_pairs_judge(judge_pairs, [generic_rubric()] * len(judge_pairs),
                                                ["g"] * len(judge_pairs), backend)
        if rejects:
            raise RuntimeError(f"judge benchmark got unparseable replies: {rejects[:1]}")
        rows += [BenchRow("rubrics_judge_openai_local", "max_requests_in_flight", srv.max_in_flight, "requests",
                          peer="configured concurrency", peer_value=8),
                 BenchRow("rubrics_judge_openai_local", "judge_requests_per_s", 2 * len(scores) / t(), "requests/s",
                          peer="serial at 50 ms/request", peer_value=20.0)]
    return rows + probe_rows() + drb_rows()


def probe_rows() -> list[BenchRow]:
    from ops.rubrics.probe import PROBES
    from ops.rubrics.satisfaction import EmbeddingSatisfaction, SmolJudge, agreement

    crits, answers, labels = [p[0] for p in PROBES], [p[1] for p in PROBES], [p[2] for p in PROBES]
    rows = []
    base = agreement("minilm", EmbeddingSatisfaction().score(crits, answers), labels)
    for scorer in (SmolJudge(),):
        try:
            a = agreement(scorer.name, scorer.score(crits, answers), labels)
        except Exception as exc:  # the local model missing is reported, not fatal
            print(f"{scorer.name}: not measured ({type(exc).__name__}: {exc})")
            continue
        rows += [BenchRow("rubrics_probe_agreement", f"{a.scorer}@0.5", a.at_half, "share",
                          peer="minilm-cosine@0.5", peer_value=base.at_half),
                 BenchRow("rubrics_probe_agreement", f"{a.scorer}@oracle_threshold", a.at_best, "share",
                          peer="minilm-cosine@oracle_threshold", peer_value=base.at_best)]
    return rows


def drb_rows() -> list[BenchRow]:
    from pathlib import Path

    from ops.rubrics.drb import load_drb, loo_eval
    from ops.rubrics.scorer import default_embedder

    d = Path(__file__).resolve().parents[2] / "shared/data/research/deep_research_bench"
    if not (d / "criteria.jsonl").exists():
        print(f"{d} absent: DRB leave-one-query-out not measured")
        return []
    res = loo_eval(load_drb(d / "query.jsonl", d / "criteria.jsonl")[0], default_embedder())
    return [BenchRow("rubrics_drb_loo", "valid_share", res.valid / res.n, "share"),
            BenchRow("rubrics_drb_loo", "distinct_rubrics", res.distinct, "rubrics", peer="queries", peer_value=res.n),
            BenchRow("rubrics_drb_loo", "coverage_en", res.coverage_en, "mean max cosine",
                     peer="nearest other query's reference rubric", peer_value=res.baseline_nearest_en),
            BenchRow("rubrics_drb_loo", "coverage_en_vs_other_query", res.coverage_en, "mean max cosine",
                     peer="next other query's reference rubric", peer_value=res.baseline_other_en)]
