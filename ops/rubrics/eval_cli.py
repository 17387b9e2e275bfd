"""The ``trainyard rubrics eval`` study (deprecated alias ``rubrics-eval``).

Either ``--train FILE --test FILE`` (query-disjoint, checked) or one file split by query per seed.
For each seed: fit ``learned`` on the train pairs, score every generator's rubrics on the held-out
pairs, fit the free baselines (``ops.rubrics.evaluation``), then print mean ± sd over seeds and
paired bootstrap intervals of the target minus every other method, and record it all as an
evaluation report (``eval_reports`` / ``eval_metrics``)."""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Sequence


def load_pairs(path: Path):
    """hh-rlhf dialogues or generic preference JSONL, told apart by the first record."""
    from ops.rubrics.pairs import dedupe, iter_jsonl, read_generic_jsonl, read_hh_rlhf

    kind = "jsonl"
    for _, obj, err in iter_jsonl(path):
        if not err and isinstance(obj, dict) and "\n\nHuman:" in str(obj.get("chosen", "")) \
                and "query" not in obj and "prompt" not in obj:
            kind = "hh-rlhf"
        break
    pairs, rejects = read_hh_rlhf(path) if kind == "hh-rlhf" else read_generic_jsonl(path)
    return dedupe(pairs), rejects, kind


def run_eval(path: Path | None = None, kind: str | None = None, test_fraction: float = 0.3,
             generators: Sequence[str] = ("generic", "template", "learned"), limit: int = 0, seed: int = 0,
             criteria_bank: Path | None = None, train_path: Path | None = None, test_path: Path | None = None,
             seeds: int = 1, target: str = "learned", n_boot: int = 2000, policy_sizes=None,
             model_criteria: bool = False) -> int:
    from ops.report import Plot, Table, render_report
    from ops.rubrics.evaluation import DisjointError, check_disjoint, evaluate
    from ops.rubrics.pairs import split_pairs
    from warehouse.paths import artifact_dir
    from warehouse.registry import EvalMetric, quarantine, record_eval_report
    from warehouse.writer import Lineage, Warehouse

    t0 = time.perf_counter()
    rejects = []
    seed_list = list(range(seed, seed + max(1, seeds)))
    if train_path is not None or test_path is not None:
        if train_path is None or test_path is None:
            print("error: --train and --test go together")
            return 2
        train, rj1, _ = load_pairs(train_path)
        test, rj2, _ = load_pairs(test_path)
        rejects = rj1 + rj2
        train, test = train[: limit or None], test[: limit or None]
        try:
            check_disjoint(train, test)
        except DisjointError as exc:
            print(f"error: {exc}")
            return 2
        splits = [(train, test)] * len(seed_list)
        subject = f"{train_path.name}+{test_path.name}"
        print(f"train {train_path.name}: {len(train)} pairs; test {test_path.name}: {len(test)} pairs "
              f"({len(rejects)} rejected); seeds {seed_list} vary the learned model's fit")
    else:
        pairs, rejects, _ = load_pairs(path)
        pairs = pairs[: limit or None]
        splits = [split_pairs(pairs, test_fraction, s) for s in seed_list]
        subject = path.name
        print(f"{path.name}: {len(pairs)} pairs ({len(rejects)} rejected); query-disjoint "
              f"{1 - test_fraction:.0%}/{test_fraction:.0%} split per seed {seed_list}")
    bank = []
    if criteria_bank is not None:
        from ops.rubrics.rubric import load_criteria_bank

        bank, _ = load_criteria_bank(criteria_bank)
    backend = None
    if "llm" in generators:
        from ops.llm.factory import make_backend

        backend = make_backend()
    config = None
    if model_criteria:  # the learned generator may also pick the real model's criteria (learned.MODEL_CRITERIA)
        from ops.rubrics.learned import GENERATOR_CONFIG

        config = dataclasses.replace(GENERATOR_CONFIG, model_criteria=True)
        subject += "+model-criteria"
    runs, summaries, diffs = evaluate(splits, generators, seed_list, target=target, config=config,
                                      criteria_bank=bank, backend=backend, n_boot=n_boot,
                                      policy_sizes=policy_sizes)
    if "grpo" in generators and target != "grpo":  # the trained generator against every method too
        from ops.rubrics.evaluation import paired_bootstrap

        diffs += paired_bootstrap(runs, "grpo", n_boot=n_boot)
    print(f"\nheld-out preference accuracy over {len(runs)} seed(s) "
          f"(train {runs[0].n_train}, held-out {runs[0].n_test} pairs for seed {runs[0].seed})")
    print(f"{'method':14} {'mean':>6} {'sd':>6}  95% CI (Wilson)    per seed")
    for s in summaries:
        print(f"{s.method:14} {100 * s.mean:5.1f}% {100 * s.sd:5.1f}  [{100 * s.binom_low:.1f}, {100 * s.binom_high:.1f}]"
              f"  {' '.join(f'{100 * a:.1f}' for a in s.per_seed)}")
    for tgt in dict.fromkeys(d.target for d in diffs):
        print(f"\npaired bootstrap ({n_boot} replicates), {tgt} minus:")
        for d in diffs:
            if d.target == tgt:
                print(f"  {d.other:14} {100 * d.diff:+5.1f} points  95% CI [{100 * d.ci_low:+.1f}, {100 * d.ci_high:+.1f}]")
    rise = _grpo_reward_rise(runs, n_boot)
    print("\nnotes (seed %d):" % runs[0].seed)
    for m, note in runs[0].notes.items():
        print(f"  {m}: {note}")

    lineage = Lineage.adhoc("rubrics_eval")
    wh = Warehouse()
    report_id = f"rubrics_eval/{subject}/seeds{seed_list[0]}-{seed_list[-1]}"
    summary = {f"accuracy_mean_{s.method}": round(s.mean, 4) for s in summaries}
    summary.update({f"accuracy_sd_{s.method}": round(s.sd, 4) for s in summaries})
    summary.update({"subject": subject, "learned_model_criteria": model_criteria, "seeds": len(seed_list),
                    "train_pairs": runs[0].n_train,
                    "held_out_pairs": runs[0].n_test, "seconds": round(time.perf_counter() - t0, 1)})
    metrics = [EvalMetric(f"accuracy_mean/{s.method}", s.mean, runs[0].n_test, s.binom_low, s.binom_high)
               for s in summaries]
    metrics += [EvalMetric(f"accuracy_seed{r.seed}/{m}", float(h.mean()), r.n_test) for r in runs for m, h in r.hits.items()]
    metrics += [EvalMetric(f"accuracy_diff/{d.target}-{d.other}", d.diff, runs[0].n_test, d.ci_low, d.ci_high)
                for d in diffs]
    metrics += [EvalMetric(f"grpo_reward_rise/{name}", v, n, lo, hi) for name, v, n, lo, hi, *_ in rise]
    metrics += _policy_metrics(runs, summary)
    if rise:
        head = next((r for r in rise if r[0] == "mean_over_seeds"), rise[0])
        summary["grpo_reward_rise"] = round(head[1], 4)
        summary["grpo_reward_rise_ci"] = [round(head[3], 4), round(head[4], 4)]
        gain = next((r for r in rise if r[0] == "gain_over_sft_line/mean_over_seeds"), None)
        if gain is not None:
            summary["grpo_gain_over_sft_line_rise"] = round(gain[1], 4)
            summary["grpo_gain_over_sft_line_rise_ci"] = [round(gain[3], 4), round(gain[4], 4)]
    rendered = render_report(
        artifact_dir("reports", "rubrics_eval"), f"Rubric generators and baselines on {subject}", summary,
        tables=[Table("Held-out accuracy over seeds", ["method", "mean", "sd", "ci_low", "ci_high", "per_seed"],
                      [[s.method, s.mean, s.sd, s.binom_low, s.binom_high, " ".join(f"{a:.3f}" for a in s.per_seed)]
                       for s in summaries]),
                Table("Paired bootstrap: target minus other", ["target", "other", "diff", "ci_low", "ci_high"],
                      [[d.target, d.other, d.diff, d.ci_low, d.ci_high] for d in diffs])]
        + ([Table("GRPO reward curve: last-quarter minus first-quarter mean of per-step mean reward "
                  "(bootstrap over blocks of steps within each quarter; mean_over_seeds also over seeds)",
                  ["seed", "rise", "steps", "ci_low", "ci_high", "first_quarter", "last_quarter"],
                  [list(r) for r in rise])] if rise else []),
        plots=[Plot("grpo_reward", "GRPO per-step mean reward per seed", _draw_curves(runs))] if rise else [])
    _record_policy_runs(wh, runs, report_id, lineage)
    record_eval_report(wh, report_id=report_id, subject_kind="dataset", subject=subject, suite="rubrics_eval",
                       summary=summary, html_path=str(rendered.html_path), lineage=lineage, source_key=subject,
                       metrics=metrics)
    if rejects:
        quarantine(wh, [(r.record_key, r.reason, r.record) for r in rejects], lineage)
    print(f"report: {rendered.html_path}  ({summary['seconds']} s)")
    return 0


def _grpo_reward_rise(runs, n_boot: int) -> list[tuple]:
    """(name, rise, steps, ci_low, ci_high, first-quarter mean, last-quarter mean) of the GRPO per-step
    mean reward: per seed (``seed<s>``, steps resampled in blocks of ``RISE_BLOCK`` within each
    quarter), the mean over seeds with the seeds held fixed (``mean``) and with the seeds resampled
    too (``mean_over_seeds``: the headline interval); the same for the per-step reward minus the
    SFT greedy line's reward on the step's queries (``gain_over_sft_line/*``: the step's draw of
    queries cancels out) and the two-level interval of each reward term
    (``<term>/mean_over_seeds``: consistency, quality, format, sft_reference), printed; [] without
    GRPO."""
    import numpy as np

    from ops.rubrics.grpo import RISE_BLOCK, reward_rise

    runs = [r for r in runs if r.training is not None and len(r.training.curve) >= 4]
    if not runs:
        return []

    def row(name, cs, **kw):
        v, lo, hi = reward_rise(cs, n_boot, block=RISE_BLOCK, **kw)
        f = float(np.mean([np.mean(c[: len(c) // 4]) for c in cs]))
        l = float(np.mean([np.mean(c[-(len(c) // 4):]) for c in cs]))
        return (name, v, len(cs[0]), lo, hi, f, l)

    curves = [r.training.curve for r in runs]
    rows = [row(f"seed{r.seed}", [r.training.curve]) for r in runs]
    if len(runs) > 1:
        rows.append(row("mean", curves))
        rows.append(row("mean_over_seeds", curves, over_seeds=True))
    parts = [r.training.component_curves() for r in runs]
    if all(len(p.get("sft_reference", [])) == len(c) for p, c in zip(parts, curves)):
        # the reward minus the SFT line's on the same queries: the same expected rise, less noise
        gains = [list(np.subtract(c, p["sft_reference"])) for p, c in zip(parts, curves)]
        rows += [row(f"gain_over_sft_line/seed{r.seed}", [g]) for r, g in zip(runs, gains)]
        if len(runs) > 1:
            rows.append(row("gain_over_sft_line/mean", gains))
            rows.append(row("gain_over_sft_line/mean_over_seeds", gains, over_seeds=True))
    for term in parts[0]:
        cs = [p[term] for p in parts if len(p.get(term, [])) >= 4]
        if len(cs) == len(runs):
            rows.append(row(f"{term}/mean_over_seeds" if len(cs) > 1 else f"{term}/seed{runs[0].seed}", cs,
                            over_seeds=len(cs) > 1))
    print(f"\nGRPO reward curve (per-step mean reward): last quarter minus first quarter, bootstrap 95% CI "
          f"(blocks of {RISE_BLOCK} steps; mean_over_seeds also resamples the seeds)")
    for name, v, steps, lo, hi, f, l in rows:
        print(f"  {name:36} {f:.3f} -> {l:.3f}  rise {v:+.4f}  [{lo:+.4f}, {hi:+.4f}]  ({steps} steps)")
    return rows


def _policy_metrics(runs, summary: dict) -> list:
    """Distinct rubrics over the held-out queries per seed and generator (``distinct_rubrics_seed<s>/<g>``,
    n = held-out queries, and their mean over seeds) and, for GRPO with a validation split, the step
    chosen per seed (``grpo_chosen_step/seed<s>``) with its validation accuracy; printed, and the
    means/choices added to ``summary``."""
    import numpy as np

    from warehouse.registry import EvalMetric

    out = []
    gens = list(runs[0].rubrics)
    print("\ndistinct rubrics over the held-out queries (per seed)")
    for g in gens:
        counts = []
        for r in runs:
            d = len(set(r.rubrics[g]))
            counts.append(d)
            out.append(EvalMetric(f"distinct_rubrics_seed{r.seed}/{g}", float(d), r.n_test_queries))
        out.append(EvalMetric(f"distinct_rubrics_mean/{g}", float(np.mean(counts)), len(counts)))
        summary[f"distinct_rubrics_{g}"] = [int(c) for c in counts]
        print(f"  {g:10} {' '.join(str(c) for c in counts)}  (of {' '.join(str(r.n_test_queries) for r in runs)} queries)")
    chosen = [(r.seed, r.training) for r in runs if r.training is not None and r.training.checkpoints]
    if chosen:
        print("GRPO step chosen on the validation queries (carved from the training queries), per seed")
        for seed, t in chosen:
            best = next(c for c in t.checkpoints if c.step == t.chosen_step)
            n_val = t.n_val_pairs
            out.append(EvalMetric(f"grpo_chosen_step/seed{seed}", float(t.chosen_step), n_val))
            out.append(EvalMetric(f"grpo_val_accuracy_chosen/seed{seed}", best.val_accuracy, n_val))
            out.append(EvalMetric(f"grpo_val_accuracy_sft/seed{seed}", t.checkpoints[0].val_accuracy, n_val))
            print(f"  seed{seed}: step {t.chosen_step} (validation accuracy {best.val_accuracy:.3f}; step 0 = SFT "
                  f"{t.checkpoints[0].val_accuracy:.3f}; {n_val} validation pairs)")
        summary["grpo_chosen_steps"] = [int(t.chosen_step) for _, t in chosen]
    return out


def _draw_curves(runs):
    def draw(ax):
        for r in runs:
            if r.training is not None and r.training.curve:
                ax.plot(range(1, len(r.training.curve) + 1), r.training.curve, alpha=0.7, label=f"seed {r.seed}")
        ax.set_xlabel("GRPO step"); ax.set_ylabel("mean hybrid reward"); ax.legend()
    return draw


def _record_policy_runs(wh, runs, report_id: str, lineage) -> None:
    """One ``training_runs`` row per seed's rubric policy (kind ``sft+grpo``) with its metrics:
    ``distill/*``, ``sft/loss`` per step, ``grpo/reward`` (per-step mean) and TRL's other logs."""
    from warehouse.registry import TrainingRun, recorded_training_run

    for r in runs:
        t = r.training
        if t is None:
            continue
        run = TrainingRun(training_run_id=f"{report_id}/seed{r.seed}/rubric_policy",
                          kind="sft+grpo" if t.grpo is not None else "sft", base_model=t.sft.label,
                          dataset_asset="rubrics_eval", source_key=report_id, device="cpu",
                          config={"sizes": dataclasses.asdict(t.sft.sizes), "train_pairs": r.n_train,
                                  "distilled_lines": [" ".join(x) for x in t.distilled.lines],
                                  "seconds_sft": round(t.seconds_sft, 1), "seconds_grpo": round(t.seconds_grpo, 1),
                                  "params": t.n_params, "quality_term": "rubric_quality_heuristic (labelled heuristic)",
                                  "fit_pairs": t.n_fit_pairs, "validation_pairs": t.n_val_pairs,
                                  "grpo_chosen_step": t.chosen_step,
                                  "validation_accuracy": [[c.step, round(c.val_accuracy, 4)] for c in t.checkpoints]})
        with recorded_training_run(wh, run, lineage) as metrics:
            metrics.extend(t.metrics)


def run_drb_loo(query_path: Path, criteria_path: Path, k: int = 6, per_dimension: int = 8) -> int:
    """Leave-one-query-out of the query-specific DRB generator; recorded as an evaluation report."""
    from ops.rubrics.drb import load_drb, loo_eval
    from ops.rubrics.scorer import default_embedder
    from warehouse.registry import EvalMetric, quarantine, record_eval_report
    from warehouse.writer import Lineage, Warehouse

    queries, rejects = load_drb(query_path, criteria_path)
    res = loo_eval(queries, default_embedder(), k=k, per_dimension=per_dimension)
    print(f"{res.n} queries with reference rubrics ({len(rejects)} rejected), leave-one-query-out:")
    print(f"  valid DRB format      {res.valid}/{res.n}")
    print(f"  distinct rubrics      {res.distinct}/{res.n}")
    print(f"  coverage (en)         {res.coverage_en:.3f}   (mean max MiniLM cosine to the reference criteria)")
    print(f"  coverage (zh)         {res.coverage_zh:.3f}   (MiniLM is English-centred: not comparable to en)")
    print(f"  baseline: nearest other query's reference rubric (en)  {res.baseline_nearest_en:.3f}")
    print(f"  baseline: next other query's reference rubric (en)     {res.baseline_other_en:.3f}")
    lineage = Lineage.adhoc("rubrics_drb_loo")
    wh = Warehouse()
    n_en = sum(r["language"] == "en" for r in res.per_query)
    record_eval_report(wh, report_id=f"rubrics_drb_loo/{criteria_path.name}/k{k}-d{per_dimension}", subject_kind="dataset",
                       subject=str(criteria_path), suite="rubrics_drb_loo",
                       summary={"queries": res.n, "valid": res.valid, "distinct": res.distinct,
                                "coverage_en": round(res.coverage_en, 4), "k": k, "per_dimension": per_dimension},
                       html_path="", lineage=lineage, source_key=str(criteria_path),
                       metrics=[EvalMetric("valid_share", res.valid / res.n, res.n),
                                EvalMetric("distinct_share", res.distinct / res.n, res.n),
                                EvalMetric("coverage_en/query-specific", res.coverage_en, n_en),
                                EvalMetric("coverage_en/nearest-reference", res.baseline_nearest_en, n_en),
                                EvalMetric("coverage_en/other-reference", res.baseline_other_en, n_en),
                                EvalMetric("coverage_zh/query-specific", res.coverage_zh, res.n - n_en)])
    if rejects:
        quarantine(wh, rejects, lineage)
    return 0


def run_probe(judge: bool = True) -> int:
    """Agreement of the criterion-satisfaction scorers with the hand-written probe set (95 % Wilson
    intervals), overall and per dated group; the held-out groups (written before the scorer change they
    measure) and the blind one (written by someone who never saw the scorer) are marked, the development set's and older groups' figures are fitted, not estimates."""
    from ops.rubrics.criterion_checks import CriterionChecks
    from ops.rubrics.probe import BLIND, GROUPS, HELD_OUT, PROBES
    from ops.rubrics.satisfaction import EmbeddingSatisfaction, SmolJudge, agreement
    from ops.rubrics.satisfaction_dev import DEV
    from warehouse.registry import EvalMetric, record_eval_report
    from warehouse.writer import Lineage, Warehouse

    scorers = [EmbeddingSatisfaction(), CriterionChecks()] + ([SmolJudge()] if judge else [])
    sets = {"probe": PROBES, **{f"probe_{g}": cases for g, cases in GROUPS.items()}, "dev": DEV}
    metrics = []
    print(f"probe set: {len(PROBES)} cases in groups " + ", ".join(f"{g} {len(c)}" for g, c in GROUPS.items())
          + f"; held out (never used to choose a scorer): {', '.join(HELD_OUT) or 'none'}, of which written blind "
          f"(by someone who never saw the scorer; the target is judged there): {', '.join(BLIND) or 'none'}; "
          f"development set: {len(DEV)} cases (scorer variants chosen there and on the older groups)")
    print("agreement at score >= 0.5 [95 % Wilson interval]; oracle = best threshold fitted on the probes")
    for s in scorers:
        # the judge is fitted nowhere and costs ~2 s a case on CPU: it scores the probes only
        cases = PROBES if isinstance(s, SmolJudge) else PROBES + DEV
        scores = s.score([c for c, _, _ in cases], [a for _, a, _ in cases])
        by_set, start = {"probe": scores[:len(PROBES)], "dev": scores[len(PROBES):]}, 0
        for g, cases in GROUPS.items():
            by_set[f"probe_{g}"], start = scores[start:start + len(cases)], start + len(cases)
        for key, cases in sets.items():
            if not len(by_set[key]):
                continue
            a = agreement(s.name, by_set[key], [y for _, _, y in cases])
            suffix = "" if key == "probe" else f"/{key.removeprefix('probe_')}"
            metrics.append(EvalMetric(f"agreement@0.5/{a.scorer}{suffix}", a.at_half, a.n, a.ci_low, a.ci_high))
            if key == "probe":
                metrics.append(EvalMetric(f"agreement@oracle/{a.scorer}", a.at_best, a.n))
            g = key.removeprefix("probe_")
            held = " (blind)" if g in BLIND else " (held out)" if g in HELD_OUT else ""
            print(f"  {a.scorer:22} {key + held:25} {a.at_half:.3f} [{a.ci_low:.3f}, {a.ci_high:.3f}] n={a.n}"
                  + (f"   oracle {a.at_best:.3f} (threshold {a.best_threshold:.3f})" if key == "probe" else ""))
        if isinstance(s, CriterionChecks):
            for r, v, (c, ans, y) in zip(s.route([c for c, _, _ in PROBES]), by_set["probe"], PROBES):
                if (v >= 0.5) != y:
                    print(f"    miss: {c!r} routed to {r.property} ({r.sign:+d}, {r.via}, cos {r.similarity:.2f}) "
                          f"scored {v:.2f}, labelled {y}: {ans[:70]!r}")
    record_eval_report(Warehouse(), report_id="rubrics_probe/satisfaction", subject_kind="probe_set",
                       subject="ops.rubrics.probe", suite="rubrics_probe",
                       summary={"probes": len(PROBES), "dev": len(DEV), "held_out": list(HELD_OUT), "blind": list(BLIND),
                                "groups": {g: len(c) for g, c in GROUPS.items()}},
                       html_path="", lineage=Lineage.adhoc("rubrics_probe"), source_key="ops.rubrics.probe",
                       metrics=metrics)
    return 0
