"""Generator comparison: fit ``learned`` on the training pairs, write rubrics for the held-out
pairs with every generator, score them with the offline scorer and compute the metrics per
generator × source × language. Used by the ``rubric_report`` asset and ``trainyard rubrics eval``."""
from __future__ import annotations

import dataclasses
from typing import Sequence

from ops.rubrics.generators import generic_rubric, llm_rubrics, rubric_id, template_rubric
from ops.rubrics.learned import GENERATOR_CONFIG, LearnedConfig, LearnedRubricModel, fit_learned
from ops.rubrics.metrics import MetricValue, metrics_with_ci
from ops.rubrics.pairs import PreferencePair
from ops.rubrics.rubric import Rubric
from ops.rubrics.scorer import PairScore, score_pairs_offline


@dataclasses.dataclass
class GeneratedRubrics:
    generator: str
    rubric_ids: list[str]          # one per pair (pairs of one query share an id)
    rubrics: list[Rubric | None]   # None: generation rejected (see ``rejects``)
    generator_ids: list[str]       # which model/template produced each rubric
    rejects: list[tuple[str, str, dict]]  # (record_key, reason, record) for quarantine


POLICY_GENERATORS = ("sft", "grpo")  # trained rubric-writing LMs (``ops.rubrics.grpo``)


def generate_rubrics(generator: str, pairs: Sequence[PreferencePair], learned: LearnedRubricModel | None = None,
                     backend=None, embedder=None, policies=None) -> GeneratedRubrics:
    """Rubrics for each pair's query with one generator (``llm`` needs an ``ops.llm`` backend;
    ``sft``/``grpo`` need ``policies[generator]``, a trained ``grpo.RubricPolicy``)."""
    queries = [p.query for p in pairs]
    ids = [rubric_id(generator, q) for q in queries]
    rejects: list[tuple[str, str, dict]] = []
    if generator == "generic":
        r = generic_rubric()
        return GeneratedRubrics(generator, ["generic:fixed"] * len(pairs), [r] * len(pairs), ["generic"] * len(pairs), [])
    if generator == "template":
        cache: dict[str, Rubric] = {}
        rubs = [cache.setdefault(q, template_rubric(q)) for q in queries]
        return GeneratedRubrics(generator, ids, rubs, ["template-rules"] * len(pairs), [])
    if generator == "learned":
        if learned is None:
            raise ValueError("the learned generator needs a fitted model")
        rubs = learned.generate(queries, embedder)
        return GeneratedRubrics(generator, ids, list(rubs), ["learned:logistic-criteria"] * len(pairs), [])
    if generator in POLICY_GENERATORS:
        policy = (policies or {}).get(generator)
        if policy is None:
            raise ValueError(f"the {generator} generator needs a trained rubric policy")
        got = policy.rubrics(queries)
        # One id per distinct code line: queries given the same line share a rubric.
        ids = [f"{generator}:{line.replace(' ', '+')[:120] or 'empty'}" for _, line in got]
        for p, rid, (rub, line) in zip(pairs, ids, got):
            if rub is None:
                rejects.append((rid, f"{generator} policy wrote no bank code: {line[:80]!r}", {"query": p.query[:2000]}))
        return GeneratedRubrics(generator, ids, [r for r, _ in got], [f"{generator}:{policy.label}"] * len(pairs),
                                list({r[0]: r for r in rejects}.values()))
    if generator == "llm":
        if backend is None:
            raise ValueError("the llm generator needs an ops.llm backend")
        uniq = list(dict.fromkeys(queries))
        got = dict(zip(uniq, llm_rubrics(uniq, backend)))
        rubs, gens = [], []
        for p, rid in zip(pairs, ids):
            rub, gen, reason = got[p.query]
            rubs.append(rub)
            gens.append(gen)
            if rub is None:
                rejects.append((rid, reason, {"query": p.query[:2000]}))
        return GeneratedRubrics(generator, ids, rubs, gens, list({r[0]: r for r in rejects}.values()))
    raise ValueError(f"unknown generator {generator!r}")


@dataclasses.dataclass
class GeneratorEval:
    generator: str
    generated: GeneratedRubrics
    scores: list[PairScore]
    metrics: dict[tuple[str, str], list[MetricValue]]  # (source, language) incl. ("all", "all")
    training: object = None  # grpo.TwoStageResult for the sft/grpo generators


def score_and_measure(gen: GeneratedRubrics, pairs: Sequence[PreferencePair], embedder=None,
                      n_boot: int = 1000) -> GeneratorEval:
    keep = [i for i, r in enumerate(gen.rubrics) if r is not None]
    scores = score_pairs_offline([pairs[i] for i in keep], [gen.rubrics[i] for i in keep],
                                 [gen.rubric_ids[i] for i in keep], embedder)
    groups: dict[tuple[str, str], list[PairScore]] = {("all", "all"): scores}
    for s in scores:
        groups.setdefault((s.pair.source, "all"), []).append(s)
        groups.setdefault((s.pair.source, s.pair.language), []).append(s)
    metrics = {g: metrics_with_ci([s.total_preferred for s in ss], [s.total_rejected for s in ss], n_boot=n_boot)
               for g, ss in groups.items()}
    return GeneratorEval(gen.generator, gen, scores, metrics)


def compare_generators(train: Sequence[PreferencePair], test: Sequence[PreferencePair],
                       generators: Sequence[str] = ("generic", "template", "learned"),
                       config: LearnedConfig = GENERATOR_CONFIG, backend=None, embedder=None,
                       n_boot: int = 1000, criteria_bank=(), policy_sizes=None
                       ) -> tuple[list[GeneratorEval], LearnedRubricModel | None]:
    """Fit ``learned`` and train the rubric policy (``sft``, then ``grpo`` from it; sizes
    ``policy_sizes``, default the profile's) on ``train`` when asked for (``criteria_bank``: DRB
    bank entries whose criteria join learned's candidates), and evaluate every generator on ``test``."""
    learned = fit_learned(train, config, embedder, criteria_bank) if "learned" in generators else None
    policies, training = {}, None
    if any(g in POLICY_GENERATORS for g in generators):
        from ops.profiles import pick
        from ops.rubrics.grpo import train_two_stage
        from ops.rubrics.sizes import SIZES

        training = train_two_stage(train, policy_sizes or pick(SIZES)["policy"], embedder, grpo="grpo" in generators)
        policies = {"sft": training.sft, "grpo": training.grpo}
    evals = []
    for g in generators:
        ev = score_and_measure(generate_rubrics(g, test, learned, backend, embedder, policies), test, embedder, n_boot)
        ev.training = training if g in POLICY_GENERATORS else None
        evals.append(ev)
    return evals, learned


def metric_rows(evals: Sequence[GeneratorEval]) -> list[dict]:
    """Flat rows (generator, source, language, metric, value, ci_low, ci_high, n)."""
    return [{"generator": e.generator, "source": src, "language": lang, "metric": m.metric,
             "value": m.value, "ci_low": m.ci_low, "ci_high": m.ci_high, "n": m.n}
            for e in evals for (src, lang), ms in sorted(e.metrics.items()) for m in ms]
