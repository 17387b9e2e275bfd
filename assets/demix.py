"""DeMix branch assets: domain corpora → base + components → fidelity check → mixture search →
final run. Logic lives in ``ops/demix`` and ``kernels/merge_linear``; these assets gather inputs,
record runs in the registry and write the warehouse tables of migration 3001."""

import dataclasses
import json
import math

import dagster as dg

from assets.lineage import content_version, lineage_of, report_metadata, with_data_version
from ops.profiles import pick
from pipelines.resources import WarehouseResource
from warehouse.paths import artifact_dir

GROUP = "demix"


class DemixCorporaConfig(dg.Config):
    """``domains``: extra user domains as ``name=path`` (.txt, .jsonl, .parquet);
    ``embedded``: include the offline code / prose / math domains."""

    domains: list[str] = []
    embedded: bool = True
    # explicit sizes for every DeMix model (0 / "" → the profile's); see ops.demix.sizes.OVERRIDE_KEYS
    layers: int = 0
    width: int = 0
    heads: int = 0
    intermediate: int = 0
    seq_len: int = 0
    batch_size: int = 0
    lr: float = 0.0
    base_steps: int = 0
    component_steps: int = 0
    final_steps: int = 0
    eval_tokens: int = 0
    vocab: int = 0
    device: str = ""  # auto | cpu | cuda
    dtype: str = ""  # fp32 | bf16


def _overrides_path():
    return _data_dir() / "sizes_overrides.json"


def _sizes():
    """The profile's sizes with the overrides ``demix_corpora`` recorded for this run's models."""
    from ops.demix.sizes import SIZES, apply_overrides

    sizes = pick(SIZES)
    path = _overrides_path()
    return apply_overrides(sizes, json.loads(path.read_text())) if path.exists() else sizes


def _data_dir():
    return artifact_dir("demix", "data")


def _model_dir(name: str):
    return artifact_dir("demix", "models", *name.split("/"))


def _train_recorded(wh, lineage, spec, kind, tokens, tokenizer, sizes, purpose, variant=""):
    """Train one RunSpec, recording it in training_runs/training_metrics; returns its summary
    plus the demix_real_evals rows for it."""
    from ops.demix.study import weights_json
    from ops.demix.training import train_run
    from ops.lm.model import pick_device
    from warehouse.registry import TrainingRun, recorded_training_run, run_id_for

    run = TrainingRun(
        training_run_id=run_id_for(lineage, spec.name), kind=kind,
        base_model=spec.init or "llama-tiny(random)", dataset_asset="demix_corpora",
        source_key=spec.name, device=pick_device(sizes.model.device),
        config={"spec": dataclasses.asdict(spec), "model": sizes.model.record(),
                "seq_len": sizes.seq_len, "batch_size": sizes.batch_size, "domains": tokens.names})
    with recorded_training_run(wh, run, lineage) as metrics:
        summary = train_run(spec, tokens, tokenizer, sizes, _model_dir(spec.name),
                            lambda s, n, v: metrics.append((s, n, v)), device=sizes.model.device)
        run.output_checkpoint = summary["checkpoint"]
    rows = [{"mixture_id": spec.name, "purpose": purpose, "variant": variant,
             "weights_json": weights_json(tokens.names, spec.weights), "domain": d, "loss": loss,
             "training_run_id": run.training_run_id, "source_key": spec.name}
            for d, loss in zip(tokens.names, summary["domain_loss"])]
    return summary, rows


@dg.asset(group_name=GROUP, code_version="1", pool="warehouse",
          description="Domain corpora (embedded code/prose/math + user files), held-out splits, "
                      "and the locally trained BPE with token ids per domain.")
def demix_corpora(context: dg.AssetExecutionContext, config: DemixCorporaConfig,
                  warehouse: WarehouseResource) -> dg.MaterializeResult:
    from ops.demix.domains import DomainError, embedded_domains, load_user_domain
    from ops.demix.training import build_tokens
    from ops.demix.sizes import OVERRIDE_KEYS
    from warehouse.registry import quarantine

    overrides = {k: getattr(config, k) for k in OVERRIDE_KEYS if getattr(config, k)}
    _data_dir().mkdir(parents=True, exist_ok=True)
    _overrides_path().write_text(json.dumps(overrides, sort_keys=True))
    sizes = _sizes()
    domains = embedded_domains(sizes.max_chars) if config.embedded else []
    rejects = []
    for spec in config.domains:
        try:
            domain, bad = load_user_domain(spec, sizes.max_chars)
        except DomainError as exc:
            rejects.append((spec, str(exc), {"spec": spec}))
            continue
        if domain.name in {d.name for d in domains}:
            rejects.append((spec, f"duplicate domain name {domain.name!r}", {"spec": spec}))
            continue
        rejects += bad
        domains.append(domain)
    tokenizer, tokens = build_tokens(domains, sizes.vocab, _data_dir()) if domains else (None, None)
    if tokens is not None:
        # a domain too small for one training window cannot be sampled: drop it, say why
        small = [d.name for d, tr, he in zip(domains, tokens.train, tokens.held)
                 if tr.numel() < sizes.seq_len + 2 or he.numel() < sizes.seq_len + 1]
        if small:
            rejects += [(d, f"domain {d!r} has fewer tokens than one {sizes.seq_len}-token window",
                         {"domain": d}) for d in small]
            domains = [d for d in domains if d.name not in small]
            tokenizer, tokens = build_tokens(domains, sizes.vocab, _data_dir()) if domains else (None, None)
    wh = warehouse.get()
    lineage = lineage_of(context)
    quarantine(wh, rejects, lineage)
    if len(domains) < 2:
        raise dg.Failure(f"DeMix needs at least 2 usable domains, got {len(domains)}; rejected: "
                         + "; ".join(r[1] for r in rejects))
    version = content_version(sizes.vocab, *((d.name, d.n_chars, d.train[:3]) for d in domains))
    lineage = with_data_version(lineage, version)
    rows = []
    for d, tr, he in zip(domains, tokens.train, tokens.held):
        for split, docs, ids in (("train", d.train, tr), ("held_out", d.held, he)):
            rows.append({"domain": d.name, "source": d.source, "split": split, "n_docs": len(docs),
                         "n_chars": sum(len(t) for t in docs), "n_tokens": int(ids.numel()),
                         "source_key": f"{d.source}#{split}"})
    wh.write("demix_domains", rows, lineage)
    return dg.MaterializeResult(data_version=dg.DataVersion(version), metadata={
        "domains": [d.name for d in domains], "rejected": len(rejects), "size_overrides": overrides,
        "model": f"{sizes.model.num_layers}x{sizes.model.hidden_size}, seq {sizes.seq_len}, batch {sizes.batch_size}",
        "train_tokens": {d.name: int(t.numel()) for d, t in zip(domains, tokens.train)}})


@dg.asset(group_name=GROUP, code_version="1", pool="warehouse", deps=[demix_corpora],
          description="Base model on the uniform mix, then one component per domain (equal token "
                      "budgets) for each component-training variant; all save_pretrained.")
def demix_components(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from ops.demix.study import plan_base, plan_components
    from ops.demix.training import load_tokens

    sizes = _sizes()
    tokenizer, tokens = load_tokens(_data_dir())
    wh, lineage = warehouse.get(), lineage_of(context)
    base_spec = plan_base(tokens.names, sizes)
    base, rows = _train_recorded(wh, lineage, base_spec, "demix_base", tokens, tokenizer, sizes, "base")
    for variant in sizes.variants:
        for spec in plan_components(tokens.names, sizes, variant, _model_dir("base")):
            _, r = _train_recorded(wh, lineage, spec, "demix_component", tokens, tokenizer, sizes,
                                   "component", variant.name)
            rows += r
    wh.write("demix_real_evals", rows, lineage)
    return dg.MaterializeResult(metadata={
        "base_loss": {d: round(v, 4) for d, v in zip(tokens.names, base["domain_loss"])},
        "components": len(rows) // len(tokens.names) - 1, "variants": [v.name for v in sizes.variants]})


def _component_losses(wh, names, variant):
    from warehouse.readers import read_sql

    frame = read_sql("SELECT mixture_id, domain, loss FROM demix_real_evals WHERE purpose = 'component' "
                     "AND variant = ? AND asset_key = 'demix_components'", [variant], path=wh.path)
    table = {(m, d): v for m, d, v in frame.iter_rows()}
    return [[table[(f"component/{variant}/{c}", d)] for d in names] for c in names]


@dg.asset(group_name=GROUP, code_version="1", pool="warehouse", deps=[demix_components],
          description="Fidelity study: K really-trained mixtures vs merged proxies of every "
                      "component variant, the two trivial baselines and a RegMix-style baseline "
                      "at equal compute; Spearman per domain and aggregate, with an eval report.")
def demix_fidelity(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from ops.demix.proxies import ProxyScorer
    from ops.demix.study import best_variant, fidelity_rows, plan_fidelity, plan_regmix, regmix_predictions, weights_json
    from ops.demix.training import load_tokens

    sizes = _sizes()
    tokenizer, tokens = load_tokens(_data_dir())
    names = tokens.names
    wh, lineage = warehouse.get(), lineage_of(context)
    real, rows = [], []
    for spec in plan_fidelity(names, sizes, _model_dir("base")):
        summary, r = _train_recorded(wh, lineage, spec, "demix_mixture", tokens, tokenizer, sizes, "fidelity")
        real.append(summary)
        rows += r
    regmix = []
    for spec in plan_regmix(names, sizes, _model_dir("base")):
        summary, r = _train_recorded(wh, lineage, spec, "demix_regmix", tokens, tokenizer, sizes, "regmix")
        regmix.append(summary)
        rows += r
    wh.write("demix_real_evals", rows, lineage)
    mixtures = [s["weights"] for s in real]
    proxies, comp_losses, proxy_rows = {}, {}, []
    for variant in sizes.variants:
        scorer = ProxyScorer([_model_dir(f"component/{variant.name}/{d}") for d in names], tokens, sizes,
                             artifact_dir("demix", "scratch") / "fidelity_proxy")
        proxies[variant.name] = [scorer(w) for w in mixtures]
        comp_losses[variant.name] = _component_losses(wh, names, variant.name)
        for s, losses in zip(real, proxies[variant.name]):
            proxy_rows += [{"mixture_id": s["name"], "purpose": "fidelity", "variant": variant.name,
                            "round": -1, "weights_json": weights_json(names, s["weights"]), "domain": d,
                            "loss": v, "source_key": s["name"]} for d, v in zip(names, losses)]
    wh.write("demix_proxy_evals", proxy_rows, lineage)
    regmix_pred = regmix_predictions([s["weights"] for s in regmix], [s["domain_loss"] for s in regmix], mixtures)
    fid = fidelity_rows(names, mixtures, [s["domain_loss"] for s in real], proxies, comp_losses, regmix_pred)
    wh.write("demix_fidelity", [{**r, "source_key": f"{r['variant']}/{r['method']}/{r['domain']}"} for r in fid],
             lineage)
    best = best_variant(fid)
    rendered, report_id, summary = _fidelity_report(wh, lineage, names, real, proxies, fid, best)
    return dg.MaterializeResult(metadata={
        "best_variant": best, **{k: v for k, v in summary.items() if isinstance(v, float)},
        **report_metadata(rendered, report_id)})


def _fidelity_report(wh, lineage, names, real, proxies, fid, best):
    from ops.report import Plot, Table, render_report
    from warehouse.registry import EvalMetric, record_eval_report

    def rho(variant, method, domain="aggregate"):
        return next(r for r in fid if r["variant"] == variant and r["method"] == method and r["domain"] == domain)

    summary = {"k_mixtures": len(real), "best_variant": best,
               "proxy_aggregate_spearman": rho(best, "proxy")["spearman"],
               "neg_entropy_aggregate_spearman": rho(best, "neg_entropy")["spearman"],
               "weighted_component_loss_aggregate_spearman": rho(best, "weighted_component_loss")["spearman"],
               "regmix_aggregate_spearman": rho("-", "regmix")["spearman"]}
    for d in names:
        summary[f"proxy_{d}_spearman"] = rho(best, "proxy", d)["spearman"]
    table = Table("Spearman vs really-trained mixtures", ["variant", "method", "domain", "spearman", "ci_low", "ci_high"],
                  [[r["variant"], r["method"], r["domain"], r["spearman"], r["ci_low"], r["ci_high"]] for r in fid])
    real_agg = [sum(s["domain_loss"]) / len(names) for s in real]

    def draw_scatter(ax):
        for variant, pred in proxies.items():
            ax.scatter([sum(p) / len(p) for p in pred], real_agg, label=variant, s=14)
        ax.set_xlabel("merged proxy mean loss (nats/token)"); ax.set_ylabel("trained mean loss")
        ax.legend(fontsize=7)

    def draw_bars(ax):
        aggs = [r for r in fid if r["domain"] == "aggregate"]
        labels = [f"{r['method']}\n{r['variant']}" for r in aggs]
        ax.bar(range(len(aggs)), [0 if r["spearman"] != r["spearman"] else r["spearman"] for r in aggs])
        ax.set_xticks(range(len(aggs)), labels, rotation=90, fontsize=6)
        ax.set_ylabel("aggregate Spearman"); ax.axhline(0.9, ls="--", c="gray")

    report_id = f"{lineage.asset_key}/fidelity"
    rendered = render_report(artifact_dir("reports", "demix_fidelity"), "DeMix proxy fidelity", summary,
                             tables=[table], plots=[Plot("scatter", "Proxy vs trained (aggregate)", draw_scatter),
                                                    Plot("spearman", "Aggregate Spearman by method", draw_bars)])
    metrics = []
    for r in fid:
        if r["variant"] in (best, "-"):
            metrics.append(EvalMetric(f"{r['method']}/{r['domain']}/spearman", r["spearman"], n=r["k"],
                                      ci_low=r["ci_low"], ci_high=r["ci_high"]))
    record_eval_report(wh, report_id=report_id, subject_kind="dataset", subject="demix_components",
                       suite="demix_fidelity", summary=summary, html_path=str(rendered.html_path),
                       metrics=metrics, lineage=lineage, source_key="demix_fidelity")
    return rendered, report_id, summary


@dg.asset_check(asset=demix_fidelity, description="Merged proxies of the chosen variant rank the "
                "aggregate better than both trivial baselines (targets: ≥0.95 per domain, ≥0.90 aggregate).")
def demix_fidelity_check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    from ops.demix.study import best_variant
    from warehouse.readers import read_sql

    frame = read_sql("SELECT variant, method, domain, spearman FROM demix_fidelity WHERE asset_key = 'demix_fidelity'",
                     path=warehouse.get().path)
    rows = frame.to_dicts()
    best = best_variant(rows)
    agg = {r["method"]: r["spearman"] for r in rows if r["domain"] == "aggregate" and r["variant"] in (best, "-")}
    per_domain = {r["domain"]: r["spearman"] for r in rows
                  if r["variant"] == best and r["method"] == "proxy" and r["domain"] != "aggregate"}
    beats = all(agg["proxy"] > agg[b] or math.isnan(agg[b]) for b in ("neg_entropy", "weighted_component_loss"))
    meets = agg["proxy"] >= 0.90 and all(v >= 0.95 for v in per_domain.values())
    return dg.AssetCheckResult(
        passed=bool(beats and not math.isnan(agg["proxy"])), severity=dg.AssetCheckSeverity.WARN,
        metadata={"variant": best, "aggregate": {k: round(v, 4) for k, v in agg.items()},
                  "per_domain_proxy": {k: round(v, 4) for k, v in per_domain.items()},
                  "meets_targets": bool(meets)})


@dg.asset(group_name=GROUP, code_version="1", pool="warehouse", deps=[demix_fidelity],
          description="LightGBM search over a Dirichlet pool, scoring merged proxies of the most "
                      "faithful component variant; chosen mixture = mean of the top-k predicted.")
def demix_search(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from kernels.merge_linear import LinearMergeConfig, mergekit_yaml
    from ops.demix.proxies import ProxyScorer
    from ops.demix.search import dirichlet_pool, run_search
    from ops.demix.study import best_variant, weights_json
    from ops.demix.training import load_tokens
    from warehouse.readers import read_sql

    sizes = _sizes()
    tokenizer, tokens = load_tokens(_data_dir())
    names = tokens.names
    wh, lineage = warehouse.get(), lineage_of(context)
    fid = read_sql("SELECT variant, method, domain, spearman FROM demix_fidelity WHERE asset_key = 'demix_fidelity'",
                   path=wh.path).to_dicts()
    variant = best_variant(fid)
    comps = [_model_dir(f"component/{variant}/{d}") for d in names]
    scorer = ProxyScorer(comps, tokens, sizes, artifact_dir("demix", "scratch") / "search_proxy")
    pool = dirichlet_pool(len(names), sizes.pool_size, sizes.max_weight, seed=0, min_weight=sizes.min_weight)
    result = run_search(scorer, names, pool, sizes.rounds, sizes.per_round, sizes.top_k, log=context.log.info)
    proxy_rows = [{"mixture_id": f"search/{e['index']}", "purpose": "search", "variant": variant,
                   "round": e["round"], "weights_json": weights_json(names, pool[e["index"]]), "domain": d,
                   "loss": v, "source_key": f"search/{e['index']}"}
                  for e in result.evaluated for d, v in zip(names, e["losses"])]
    wh.write("demix_proxy_evals", proxy_rows, lineage)
    scored_round = {e["index"]: e["round"] for e in result.evaluated}
    top = set(result.top_k_indices)
    last = len(result.predictions) - 1
    cand_rows = [{"candidate_index": i, "weights_json": weights_json(names, pool[i]), "round": r,
                  "predicted_aggregate": float(pred[i]), "scored_in_round": scored_round.get(i),
                  "in_top_k": r == last and i in top, "source_key": f"pool/{i}"}
                 for r, pred in enumerate(result.predictions) for i in range(len(pool))]
    wh.write("demix_candidates", cand_rows, lineage)
    merged = scorer.merge(result.final_weights, artifact_dir("demix", "chosen_merge"))
    chosen_proxy = scorer(result.final_weights)
    cfg = LinearMergeConfig(comps, result.final_weights)
    yaml_text = mergekit_yaml(cfg)
    (artifact_dir("demix") / "chosen_mergekit.yml").write_text(yaml_text)
    wh.write("demix_choice", [{
        "choice": "chosen", "variant": variant, "weights_json": weights_json(names, result.final_weights),
        "top_k": sizes.top_k, "proxies_scored": len(result.evaluated),
        "regressor_cv_spearman": result.regressor_cv_spearman,
        "proxy_loss_json": json.dumps(dict(zip(names, chosen_proxy))), "mergekit_yaml": yaml_text,
        "merged_checkpoint": str(merged), "source_key": "chosen"}], lineage)
    return dg.MaterializeResult(metadata={
        "variant": variant, "chosen": dict(zip(names, [round(w, 4) for w in result.final_weights])),
        "proxies_scored": len(result.evaluated), "regressor_cv_spearman": result.regressor_cv_spearman,
        "proxy_seconds_each": scorer.seconds / max(1, scorer.count)})


@dg.asset(group_name=GROUP, code_version="1", pool="warehouse", deps=[demix_search],
          description="Final runs from scratch on the chosen and on the uniform mixture (same "
                      "budget); eval report comparing per-domain held-out loss.")
def demix_final(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from ops.demix.training import RunSpec, load_tokens
    from warehouse.readers import read_sql

    sizes = _sizes()
    tokenizer, tokens = load_tokens(_data_dir())
    names = tokens.names
    wh, lineage = warehouse.get(), lineage_of(context)
    choice = read_sql("SELECT weights_json FROM demix_choice WHERE asset_key = 'demix_search'", path=wh.path)
    if not choice.height:
        raise dg.Failure("no chosen mixture in demix_choice: materialise demix_search first")
    chosen = json.loads(choice["weights_json"][0])
    mixes = {"chosen": tuple(chosen[d] for d in names), "uniform": tuple([1 / len(names)] * len(names))}
    out, rows = {}, []
    for label, w in mixes.items():
        spec = RunSpec(f"final/{label}", w, sizes.final_steps, sizes.lr, None, seed=7)
        out[label], r = _train_recorded(wh, lineage, spec, "demix_final", tokens, tokenizer, sizes, "final")
        rows += r
    wh.write("demix_real_evals", rows, lineage)
    rendered, report_id = _final_report(wh, lineage, names, mixes, out)
    return dg.MaterializeResult(metadata=report_metadata(rendered, report_id))


def _final_report(wh, lineage, names, mixes, out):
    from ops.report import Plot, Table, render_report
    from warehouse.readers import read_sql
    from warehouse.registry import EvalMetric, record_eval_report, run_id_for

    mean = {k: sum(v["domain_loss"]) / len(names) for k, v in out.items()}
    summary = {"chosen_mean_loss": mean["chosen"], "uniform_mean_loss": mean["uniform"],
               "delta_mean_loss": mean["chosen"] - mean["uniform"],
               "chosen_weights": dict(zip(names, [round(w, 4) for w in mixes["chosen"]]))}
    table = Table("Held-out loss per domain (nats/token)", ["domain", "chosen", "uniform", "chosen - uniform"],
                  [[d, c, u, c - u] for d, c, u in zip(names, out["chosen"]["domain_loss"], out["uniform"]["domain_loss"])])
    curves = {k: read_sql("SELECT step, value FROM training_metrics WHERE training_run_id = ? AND name = 'train/loss' "
                          "ORDER BY step", [run_id_for(lineage, f"final/{k}")], path=wh.path) for k in out}

    def draw_domains(ax):
        x = range(len(names))
        ax.bar([i - 0.2 for i in x], out["chosen"]["domain_loss"], 0.4, label="chosen")
        ax.bar([i + 0.2 for i in x], out["uniform"]["domain_loss"], 0.4, label="uniform")
        ax.set_xticks(list(x), names); ax.set_ylabel("held-out loss (nats/token)"); ax.legend()

    def draw_curves(ax):
        for k, c in curves.items():
            ax.plot(c["step"].to_list(), c["value"].to_list(), label=k)
        ax.set_xlabel("step"); ax.set_ylabel("train loss"); ax.legend()

    report_id = f"{lineage.asset_key}/final"
    rendered = render_report(artifact_dir("reports", "demix_final"), "DeMix: chosen vs uniform mixture", summary,
                             tables=[table], plots=[Plot("domains", "Held-out loss per domain", draw_domains),
                                                    Plot("curves", "Training loss", draw_curves)])
    metrics = [EvalMetric(f"{k}/{d}/loss", v) for k in out for d, v in zip(names, out[k]["domain_loss"])]
    metrics += [EvalMetric(f"{k}/mean/loss", mean[k]) for k in out]
    record_eval_report(wh, report_id=report_id, subject_kind="training_run", subject=run_id_for(lineage, "final/chosen"),
                       suite="demix_final", summary=summary, html_path=str(rendered.html_path), metrics=metrics,
                       lineage=lineage, source_key="demix_final")
    return rendered, report_id


DEMIX_ASSETS = [demix_corpora, demix_components, demix_fidelity, demix_search, demix_final]
DEMIX_CHECKS = [demix_fidelity_check]
