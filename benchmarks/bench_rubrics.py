"""Rubric benchmarks: pairs scored per second by the offline scorer (cold: embeddings computed;
warm: cached), and judge requests in flight with the OpenAI-compatible backend against the local
test server (``ops.llm.local_server``, 50 ms per reply)."""
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
    return rows
