"""Rubric preference data assets (issue #7): pairs → rubrics → scores → report, reward data → GRPO.

Data pass between steps as artifacts under ``artifacts/rubrics/`` and warehouse tables."""

import dataclasses
import json
from pathlib import Path

import dagster as dg
import polars as pl

from assets.lineage import content_version, lineage_of, report_metadata, with_data_version
from ops.profiles import pick
from pipelines.resources import WarehouseResource
from warehouse.paths import artifact_dir

GROUP = "rubrics"
GENERATOR_ORDER = ("generic", "template", "llm", "learned")


class RubricPairsConfig(dg.Config):
    """Where pairs come from: the embedded default unless a path is given."""

    hh_rlhf_path: str = ""      # hh-rlhf {chosen, rejected} .jsonl(.gz)
    jsonl_path: str = ""        # generic JSONL (see ops.rubrics.pairs.read_generic_jsonl)
    limit: int = 0              # keep the first N pairs (0 = all)


def _pairs_path() -> Path:
    return artifact_dir("rubrics") / "pairs.parquet"


def _rubric_sets_path() -> Path:
    return artifact_dir("rubrics") / "rubric_sets.json"


def load_pairs(split: str | None = None):
    from ops.rubrics.pairs import PreferencePair

    frame = pl.read_parquet(_pairs_path())
    if split:
        frame = frame.filter(pl.col("split") == split)
    fields = [f.name for f in dataclasses.fields(PreferencePair)]
    return [PreferencePair(**{k: r[k] for k in fields}) for r in frame.iter_rows(named=True)]


@dg.asset(group_name=GROUP, code_version="1",
          description="Preference pairs in one schema (query, answer A/B, preferred, source, language) with a "
                      "train/test split by query. rubric_pairs: one row per pair (query, answers A/B, "
                      "preferred, source, language, split); bad records go to quarantine with the reason.")
def rubric_preference_pairs(context: dg.AssetExecutionContext, config: RubricPairsConfig,
                            warehouse: WarehouseResource) -> dg.MaterializeResult:
    from ops.rubrics.embedded import embedded_pairs
    from ops.rubrics.pairs import dedupe, read_generic_jsonl, read_hh_rlhf, split_pairs
    from ops.rubrics.sizes import SIZES
    from warehouse.registry import quarantine

    if config.hh_rlhf_path:
        pairs, rejects = read_hh_rlhf(Path(config.hh_rlhf_path))
    elif config.jsonl_path:
        pairs, rejects = read_generic_jsonl(Path(config.jsonl_path))
    else:
        pairs, rejects = embedded_pairs()
    pairs = dedupe(pairs)[: config.limit or None]
    train, test = split_pairs(pairs, pick(SIZES)["test_fraction"])
    rows = [{**p.row(), "split": s, "source_key": p.pair_id} for part, s in ((train, "train"), (test, "test")) for p in part]
    pl.DataFrame(rows).write_parquet(_pairs_path())
    lineage = with_data_version(lineage_of(context), content_version(*(r["pair_id"] for r in rows)))
    wh = warehouse.get()
    wh.write("rubric_pairs", rows, lineage)
    quarantine(wh, [(r.record_key, r.reason, r.record) for r in rejects], lineage)
    by = pl.DataFrame(rows).group_by("source", "language", "split").len().sort("source", "language", "split")
    return dg.MaterializeResult(data_version=dg.DataVersion(lineage.data_version), metadata={
        "pairs": len(rows), "train": len(train), "test": len(test), "quarantined": len(rejects),
        "by_source_language": dg.MetadataValue.json({f"{s}/{l}/{sp}": n for s, l, sp, n in by.iter_rows()}),
    })


@dg.asset(group_name=GROUP, code_version="1", deps=[rubric_preference_pairs],
          description="Rubrics (DeepResearch Bench format, validated) for every pair's query from the generic, "
                      "template, llm (ops.llm backend, template by default) and learned generators; learned is "
                      "fitted on the train split only. rubrics: one row per (generator, query) with the "
                      "rubric JSON and its criteria count; invalid rubrics go to quarantine.")
def rubric_sets(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from ops.llm.factory import make_backend
    from ops.rubrics.sizes import SIZES
    from ops.rubrics.learned import fit_learned
    from ops.rubrics.study import generate_rubrics
    from warehouse.registry import quarantine

    sizes = pick(SIZES)
    pairs = load_pairs()
    train = load_pairs("train")
    model = fit_learned(train, sizes["learned"])
    backend = make_backend()
    sets, rubric_rows, rejects = {}, {}, []
    for gen in GENERATOR_ORDER:
        g = generate_rubrics(gen, pairs, learned=model, backend=backend)
        rejects += g.rejects
        sets[gen] = {p.pair_id: rid for p, rid, r in zip(pairs, g.rubric_ids, g.rubrics) if r is not None}
        for p, rid, r, gid in zip(pairs, g.rubric_ids, g.rubrics, g.generator_ids):
            if r is not None and rid not in rubric_rows:
                rubric_rows[rid] = {"rubric_id": rid, "generator": gen, "generator_id": gid, "query": p.query,
                                    "n_criteria": len(r.flat()), "rubric_json": r.to_json(), "source_key": rid}
    _rubric_sets_path().write_text(json.dumps(
        {"sets": sets, "rubrics": {k: v["rubric_json"] for k, v in rubric_rows.items()}}, ensure_ascii=False))
    lineage = with_data_version(lineage_of(context), content_version(sorted(rubric_rows)))
    wh = warehouse.get()
    wh.write("rubrics", list(rubric_rows.values()), lineage)
    quarantine(wh, rejects, lineage)
    counts = {g: len({rid for rid in s.values()}) for g, s in sets.items()}
    return dg.MaterializeResult(data_version=dg.DataVersion(lineage.data_version), metadata={
        "rubrics_per_generator": dg.MetadataValue.json(counts), "rejected": len(rejects),
        "learned_cv_accuracy": model.cv_accuracy, "learned_C": model.chosen_c,
        "llm_backend": getattr(backend, "id", type(backend).__name__),
    })


def load_rubric_sets():
    from ops.rubrics.rubric import parse_rubric

    data = json.loads(_rubric_sets_path().read_text())
    rubrics = {k: parse_rubric(v) for k, v in data["rubrics"].items()}
    return data["sets"], rubrics


@dg.asset(group_name=GROUP, code_version="1", deps=[rubric_sets],
          description="Offline scorer (MiniLM embeddings + rule checks): one score per (pair, rubric, criterion) "
                      "for both answers, and rubric totals per pair. rubric_scores: one row per (pair, rubric, "
                      "criterion) with both answers' scores and the weight; rubric_totals: one row per (pair, "
                      "rubric) with both totals and whether the preferred answer won.")
def rubric_scores(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from ops.rubrics.scorer import score_pairs_offline

    pairs = load_pairs()
    split = dict(pl.read_parquet(_pairs_path()).select("pair_id", "split").iter_rows())
    sets, rubrics = load_rubric_sets()
    score_rows, total_rows = [], []
    for gen, mapping in sets.items():
        ps = [p for p in pairs if p.pair_id in mapping]
        rids = [mapping[p.pair_id] for p in ps]
        for s in score_pairs_offline(ps, [rubrics[r] for r in rids], rids):
            key = f"{s.pair.pair_id}|{s.rubric_id}"
            for i, (dim, c, w, a, b) in enumerate(s.per_criterion):
                score_rows.append({"pair_id": s.pair.pair_id, "rubric_id": s.rubric_id, "generator": gen,
                                   "scorer": s.scorer, "criterion_idx": i, "dimension": dim, "criterion": c.criterion,
                                   "check_name": c.check, "weight": w, "score_a": a, "score_b": b, "source_key": key})
            tp, tr = s.total_preferred, s.total_rejected
            total_rows.append({"pair_id": s.pair.pair_id, "rubric_id": s.rubric_id, "generator": gen,
                               "scorer": s.scorer, "split": split[s.pair.pair_id], "source": s.pair.source,
                               "language": s.pair.language, "total_preferred": tp, "total_rejected": tr,
                               "correct": 1.0 if tp > tr else 0.5 if tp == tr else 0.0, "source_key": key})
    lineage = lineage_of(context, content_version(len(score_rows), [r["source_key"] for r in total_rows]))
    wh = warehouse.get()
    wh.write("rubric_scores", score_rows, lineage)
    wh.write("rubric_totals", total_rows, lineage)
    return dg.MaterializeResult(metadata={"criterion_scores": len(score_rows), "pair_totals": len(total_rows)})


@dg.asset(group_name=GROUP, code_version="1", deps=[rubric_scores],
          description="Evaluation report on the held-out split: preference accuracy, AUC and paired Cohen's d "
                      "per generator × source × language with 95 % intervals (Wilson for accuracy, bootstrap for "
                      "AUC and d) and plots. eval_reports: one row; eval_metrics: every (measure, generator, "
                      "source, language) figure with its interval.")
def rubric_report(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from ops.report import Plot, Table, category_ticks, hist_bins, render_report
    from ops.rubrics.metrics import metrics_with_ci
    from ops.rubrics.sizes import SIZES
    from warehouse.readers import read_sql
    from warehouse.registry import EvalMetric, record_eval_report

    wh = warehouse.get()
    lineage = lineage_of(context)
    totals = read_sql("SELECT generator, source, language, total_preferred, total_rejected FROM rubric_totals "
                      "WHERE asset_key = 'rubric_scores' AND split = 'test'", path=wh.path)
    n_boot = pick(SIZES)["n_boot"]
    rows, metrics = [], []
    for gen in GENERATOR_ORDER:
        g = totals.filter(pl.col("generator") == gen)
        groups = [("all", "all", g)]
        for (src, lang), sub in sorted(g.group_by("source", "language"), key=lambda kv: kv[0]):
            groups.append((src, lang, sub))
        for src, lang, sub in groups:
            for m in metrics_with_ci(sub["total_preferred"].to_list(), sub["total_rejected"].to_list(), n_boot=n_boot):
                rows.append([gen, src, lang, m.metric, m.value, m.ci_low, m.ci_high, m.n])
                metrics.append(EvalMetric(f"{m.metric}/{gen}/{src}/{lang}", m.value, m.n, m.ci_low, m.ci_high))
    overall = {r[0]: r for r in rows if r[1] == "all" and r[3] == "accuracy"}
    summary = {f"accuracy_{g}": overall[g][4] for g in GENERATOR_ORDER if g in overall}
    summary["held_out_pairs"] = int(totals.filter(pl.col("generator") == "generic").height)
    acc = [overall[g] for g in GENERATOR_ORDER if g in overall]

    def draw_acc(ax):
        xs = range(len(acc))
        ax.bar(xs, [r[4] for r in acc], yerr=[[r[4] - r[5] for r in acc], [r[6] - r[4] for r in acc]], capsize=4)
        ax.axhline(0.5, color="grey", ls="--")
        category_ticks(ax, list(xs), [r[0] for r in acc]); ax.set_ylabel("preference accuracy (95% Wilson)")

    margins = (totals["total_preferred"] - totals["total_rejected"]).to_list() if totals.height else []

    def draw_margin(ax):
        bins = hist_bins(margins)  # one set of edges over every generator's margins: bars line up
        for gen in GENERATOR_ORDER:
            g = totals.filter(pl.col("generator") == gen)
            if g.height:
                ax.hist((g["total_preferred"] - g["total_rejected"]).to_list(), bins=bins, alpha=0.5, label=gen)
        ax.set_xlabel("total(preferred) − total(rejected)"); ax.legend()

    report_id = f"{lineage.asset_key}/held_out"
    rendered = render_report(
        artifact_dir("reports", "rubric_report"), "Rubric generators vs human preferences (held-out pairs)", summary,
        tables=[Table("Metrics per generator, source, language",
                      ["generator", "source", "language", "metric", "value", "ci_low", "ci_high", "n"], rows)],
        plots=[Plot("accuracy", "Preference accuracy per generator", draw_acc, n_categories=len(acc)),
               Plot("margins", "Score margins", draw_margin)])
    record_eval_report(wh, report_id=report_id, subject_kind="dataset", subject="rubric_sets", suite="rubrics",
                       summary=summary, html_path=str(rendered.html_path), metrics=metrics, lineage=lineage,
                       source_key="rubric_sets")
    return dg.MaterializeResult(metadata=report_metadata(rendered, report_id))


@dg.asset(group_name=GROUP, code_version="1", deps=[rubric_scores],
          description="Hybrid reward per (query, rubric) = weighted preference consistency + judge quality + "
                      "format validity; exported as JSONL/Parquet for TRL's GRPOTrainer (train split). "
                      "rubric_rewards: one row per (query, rubric) with the reward and its parts; view "
                      "rubric_grpo_data over the exported Parquet.")
def rubric_reward_data(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from ops.llm.factory import make_backend
    from ops.rubrics.reward import RewardWeights, export_grpo_dataset, hybrid_rewards, judge_rubric_quality
    from warehouse.readers import read_sql

    wh = warehouse.get()
    weights = RewardWeights()
    totals = read_sql("SELECT pair_id, rubric_id, generator, correct FROM rubric_totals "
                      "WHERE asset_key = 'rubric_scores' AND split = 'train'", path=wh.path)
    pairs = {p.pair_id: p for p in load_pairs("train")}
    sets, rubrics = load_rubric_sets()
    grouped: dict[tuple[str, str, str], list[float]] = {}
    for pid, rid, gen, correct in totals.iter_rows():
        grouped.setdefault((pairs[pid].query, rid, gen), []).append(correct)
    items = [(q, rid, gen, rubrics.get(rid), c) for (q, rid, gen), c in sorted(grouped.items())]
    judge = judge_rubric_quality([(q, r) for q, _, _, r, _ in items], make_backend())
    rewards = hybrid_rewards(items, judge, weights)
    by_query: dict[str, list[dict]] = {}
    for p in pairs.values():
        by_query.setdefault(p.query, []).append(p.row())
    out = artifact_dir("rubrics", "reward_data")
    jsonl, parquet = export_grpo_dataset(sorted(by_query.items()), rewards, out)
    rows = [{"query_key": r.query_key, "rubric_id": r.rubric_id, "generator": r.generator, "n_pairs": r.n_pairs,
             "consistency": r.consistency, "judge_quality": r.judge_quality, "format_valid": r.format_valid,
             "reward": r.reward, "weights_json": json.dumps(dataclasses.asdict(weights)),
             "source_key": f"{r.query_key}|{r.rubric_id}"} for r in rewards]
    lineage = lineage_of(context, content_version(rows))
    wh.write("rubric_rewards", rows, lineage)
    wh.create_parquet_view("rubric_grpo_data", parquet)
    mean = pl.DataFrame(rows).group_by("generator").agg(pl.col("reward").mean()).sort("generator") if rows else None
    return dg.MaterializeResult(metadata={
        "reward_rows": len(rows), "queries": len(by_query), "jsonl": dg.MetadataValue.path(str(jsonl)),
        "parquet": dg.MetadataValue.path(str(parquet)),
        "mean_reward_by_generator": dg.MetadataValue.json(dict(mean.iter_rows()) if mean is not None else {}),
    })


@dg.asset(group_name=GROUP, code_version="2", deps=[rubric_reward_data],
          op_tags={"trainyard/accelerator": "gpu"},  # a GPU step on k8s (pipelines/k8s.py)
          description="Rubric generator LM (ops.lm ModelSpec, fresh small sizes) trained as arXiv 2602.03619 does: SFT "
                      "on code-line rubrics distilled from the train pairs, then GRPO (TRL) on the hybrid reward "
                      "(preference consistency + labelled quality heuristic + format); both checkpoints are scored on "
                      "the held-out split. training_runs: one row for the run; training_metrics: the SFT loss and "
                      "the figures TRL logs per GRPO step (reward, loss, ...).")
def rubric_grpo(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from ops.rubrics.grpo import RISE_BLOCK, reward_rise, save_policy, train_two_stage
    from ops.rubrics.reward import RewardWeights
    from ops.rubrics.sizes import SIZES
    from ops.rubrics.study import generate_rubrics, score_and_measure
    from warehouse.registry import TrainingRun, recorded_training_run, run_id_for

    sizes = pick(SIZES)["policy"]
    weights = RewardWeights()
    train, test = load_pairs("train"), load_pairs("test")
    wh = warehouse.get()
    lineage = lineage_of(context)
    run = TrainingRun(training_run_id=run_id_for(lineage, "grpo"), kind="grpo", base_model="llama(random)",
                      dataset_asset="rubric_preference_pairs", source_key="rubric_preference_pairs", device="cpu",
                      config={"policy": dataclasses.asdict(sizes), "reward_weights": dataclasses.asdict(weights),
                              "train_pairs": len(train), "quality_term": "rubric_quality_heuristic (labelled heuristic)"})
    out_dir = artifact_dir("rubrics", "grpo")
    with recorded_training_run(wh, run, lineage) as metrics:
        res = train_two_stage(train, sizes, weights=weights, out_dir=out_dir / "trainer",
                              log=lambda s, n, v: metrics.append((s, n, v)))
        save_policy(res.sft, out_dir / "sft")
        run.output_checkpoint = str(save_policy(res.grpo, out_dir / "grpo"))
        run.base_model = res.sft.label
    held_out = {}
    for name, pol in (("sft", res.sft), ("grpo", res.grpo)):
        ev = score_and_measure(generate_rubrics(name, test, policies={name: pol}), test, n_boot=10)
        held_out[name] = ev.metrics[("all", "all")][0].value if test else float("nan")
    rise, lo, hi = reward_rise([res.curve], block=RISE_BLOCK)
    return dg.MaterializeResult(metadata={
        "training_run_id": run.training_run_id, "grpo_steps": len(res.curve), "params": res.n_params,
        "seconds_sft": res.seconds_sft, "seconds_grpo": res.seconds_grpo,
        "first_reward": res.curve[0] if res.curve else float("nan"),
        "last_reward": res.curve[-1] if res.curve else float("nan"),
        "reward_rise": rise, "reward_rise_ci": dg.MetadataValue.json([lo, hi]),
        "held_out_accuracy_sft": held_out["sft"], "held_out_accuracy_grpo": held_out["grpo"],
        "distilled_lines": dg.MetadataValue.json([" ".join(x) for x in res.distilled.lines]),
        "grpo_chosen_step": res.chosen_step,
    })


RUBRIC_ASSETS = [rubric_preference_pairs, rubric_sets, rubric_scores, rubric_report, rubric_reward_data, rubric_grpo]
