"""DeMix branch assets: domain corpora → base + components → fidelity check → mixture search →
final run. Logic lives in ``ops/demix`` and ``kernels/merge_linear``; these assets gather inputs,
record runs in the registry and write the warehouse tables of migration 3001."""

import dataclasses
import json
import math

import dagster as dg

from assets.lineage import content_version, lineage_of, report_metadata, with_data_version
from ops.profiles import pick
from ops.progress import counted
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
    fidelity_k: int = 0  # really-trained fidelity mixtures (0: the profile's K)


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


def _progress(msg: str) -> None:
    """One line per step of the study in ``$TRAINYARD_HOME/artifacts/demix/progress.log``
    (follow a long study with ``tail -f``)."""
    import time

    with open(artifact_dir("demix") / "progress.log", "a") as f:
        f.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {msg}\n")


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
    from ops.demix.cache import cached_summary, run_fingerprint, stamp, tokens_fingerprint

    if getattr(tokens, "fingerprint", None) is None:
        tokens.fingerprint = tokens_fingerprint(tokens)
    out_dir = _model_dir(spec.name)
    fingerprint = run_fingerprint(spec, sizes, tokens.fingerprint)
    cached = cached_summary(out_dir, fingerprint)
    with recorded_training_run(wh, run, lineage) as metrics:
        if cached is not None:  # same spec, data and starting point: reuse the saved model and curves
            summary = {**cached, "checkpoint": str(out_dir)}  # (the home may have moved)
            metrics += [tuple(m) for m in summary.get("metrics", [])]
        else:
            logged = []
            summary = train_run(spec, tokens, tokenizer, sizes, out_dir, lambda s, n, v: logged.append((s, n, v)),
                                device=sizes.model.device)
            metrics += logged
            summary = stamp(out_dir, {**summary, "metrics": logged}, fingerprint)
        run.output_checkpoint = summary["checkpoint"]
    _progress(f"{spec.name}: {'cached' if cached is not None else 'trained'} "
              f"mean loss {sum(summary['domain_loss']) / len(summary['domain_loss']):.4f}")
    rows = [{"mixture_id": spec.name, "purpose": purpose, "variant": variant,
             "weights_json": weights_json(tokens.names, spec.weights), "domain": d, "loss": loss,
             "training_run_id": run.training_run_id, "source_key": spec.name}
            for d, loss in zip(tokens.names, summary["domain_loss"])]
    return summary, rows


@dg.asset(group_name=GROUP, code_version="1",
          description="Domain corpora (embedded code/prose/math + user files), held-out splits, "
                      "and the locally trained BPE with token ids per domain (artifacts). demix_domains: one "
                      "row per (domain, split) with documents, characters and tokens; rejected user files "
                      "go to quarantine with the reason.")
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
    domains = embedded_domains(sizes.max_chars, held_every=sizes.held_every) if config.embedded else []
    rejects = []
    for spec in config.domains:
        try:
            domain, bad = load_user_domain(spec, sizes.max_chars, sizes.held_every)
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


@dg.asset(group_name=GROUP, code_version="1", deps=[demix_corpora],
          op_tags={"trainyard/accelerator": "gpu"},  # a GPU step on k8s (pipelines/k8s.py)
          description="Base model on the uniform mix, then one component per domain (equal token "
                      "budgets) for each component-training variant; all save_pretrained. training_runs / "
                      "training_metrics: one run each, with its loss curve; demix_real_evals: held-out loss "
                      "per (model, domain).")
def demix_components(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from ops.demix.study import plan_base, plan_components
    from ops.demix.training import load_tokens

    sizes = _sizes()
    tokenizer, tokens = load_tokens(_data_dir())
    wh, lineage = warehouse.get(), lineage_of(context)
    base_spec = plan_base(tokens.names, sizes)
    base, rows = _train_recorded(wh, lineage, base_spec, "demix_base", tokens, tokenizer, sizes, "base")
    planned = [(v, spec) for v in sizes.variants
               for spec in plan_components(tokens.names, sizes, v, _model_dir("base"))]
    for variant, spec in counted(planned, "components trained"):
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


@dg.asset(group_name=GROUP, code_version="2", deps=[demix_components],
          description="Fidelity study: K really-trained mixtures (mostly inside the search's floored "
                      "region), split into a selection half (choose the component variant) and an "
                      "evaluation half (the reported figure); merged proxies vs free baselines "
                      "(−entropy, Σwᵢ·Lᵢ, −w_d, RegMix at equal compute) per domain and aggregate. "
                      "training_runs / training_metrics: the trained mixtures; demix_real_evals and "
                      "demix_proxy_evals: held-out loss per (mixture, domain), trained vs merged proxy; "
                      "demix_fidelity: Spearman with CI per (split, variant, method, domain); eval_reports / "
                      "eval_metrics: the report and its figures.")
def demix_fidelity(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from ops.demix.proxies import ProxyScorer
    from ops.demix.study import (
        EVALUATION, SELECTION, best_kinds, best_variant, fidelity_rows, fidelity_split, fidelity_verdict,
        heldout_cells, mixture_of, plan_fidelity, plan_regmix, proxy_key, regmix_predictions, split_indices, split_repeats,
        truth_noise, weights_json,
    )
    from ops.demix.training import load_tokens

    sizes = _sizes()
    tokenizer, tokens = load_tokens(_data_dir())
    names = tokens.names
    wh, lineage = warehouse.get(), lineage_of(context)
    runs, rows = {}, []
    for spec in counted(plan_fidelity(names, sizes, _model_dir("base")), "mixtures trained"):
        summary, r = _train_recorded(wh, lineage, spec, "demix_mixture", tokens, tokenizer, sizes, "fidelity")
        runs.setdefault(mixture_of(spec.name), []).append(summary)
        rows += [{**x, "mixture_id": mixture_of(spec.name)} for x in r]
    # one entry per mixture: its losses are the mean over the (common) seeds
    real = [{"name": m, "weights": ss[0]["weights"],
             "domain_loss": [sum(s["domain_loss"][j] for s in ss) / len(ss) for j in range(len(names))]}
            for m, ss in runs.items()]
    regmix = []
    for spec in counted(plan_regmix(names, sizes, _model_dir("base")), "RegMix models trained"):
        summary, r = _train_recorded(wh, lineage, spec, "demix_regmix", tokens, tokenizer, sizes, "regmix")
        regmix.append(summary)
        rows += r
    wh.write("demix_real_evals", rows, lineage)
    mixtures = [s["weights"] for s in real]
    proxies, comp_losses, proxy_rows = {}, {}, []
    for variant in sizes.variants:
        scorer = ProxyScorer([_model_dir(f"component/{variant.name}/{d}") for d in names], tokens, sizes,
                             artifact_dir("demix", "scratch") / "fidelity_proxy", base_dir=_model_dir("base"))
        kinds = [(s, False) for s in sorted({1.0, *sizes.tv_scales})] + [(s, True) for s in sorted(sizes.norm_scales)]
        for scale, norm in kinds:
            key = proxy_key(variant.name, scale, norm)
            proxies[key] = [scorer(w, scale, norm) for w in counted(mixtures, f"proxies scored ({key})")]
            comp_losses[key] = _component_losses(wh, names, variant.name)
            for s, losses in zip(real, proxies[key]):
                proxy_rows += [{"mixture_id": s["name"], "purpose": "fidelity", "variant": key,
                                "round": -1, "weights_json": weights_json(names, s["weights"]), "domain": d,
                                "loss": v, "source_key": f"{key}/{s['name']}"} for d, v in zip(names, losses)]
        _progress(f"proxies of variant {variant.name} scored ({scorer.seconds / max(1, scorer.count):.2f} s each)")
    wh.write("demix_proxy_evals", proxy_rows, lineage)
    proxies.update(_prior_kinds(proxies, mixtures, sizes.prior_alphas))
    regmix_pred = regmix_predictions([s["weights"] for s in regmix], [s["domain_loss"] for s in regmix], mixtures)
    real_losses = [s["domain_loss"] for s in real]
    fid = fidelity_rows(names, mixtures, real_losses, proxies, comp_losses, regmix_pred)
    # per-cell selection on the selection half (ties: plain merge, then cheaper components)
    costs = {v.name: v.steps_scale for v in sizes.variants}
    kinds = best_kinds(fid, SELECTION, costs)
    held = split_indices(len(mixtures))[EVALUATION]
    cells = heldout_cells(names, mixtures, real_losses, proxies, comp_losses, regmix_pred, kinds, held)
    # the one-kind-for-all-cells rule, for comparison only (not judged)
    all_cell = best_variant(fid, SELECTION)
    all_cell_verdict = fidelity_verdict(heldout_cells(names, mixtures, real_losses, proxies, comp_losses,
                                                      regmix_pred, all_cell, held, n_boot=200))
    fid += [{"variant": c["variant"], "method": "proxy_minus_best_baseline", "domain": c["domain"], "spearman": c["diff"],
             "ci_low": c["diff_ci_low"], "ci_high": c["diff_ci_high"], "k": c["k"], "split": EVALUATION}
            for c in cells]
    wh.write("demix_fidelity", [{**r, "source_key": f"{r['split']}/{r['variant']}/{r['method']}/{r['domain']}"}
                                for r in fid], lineage)
    repeats = split_repeats(names, mixtures, real_losses, proxies, comp_losses, regmix_pred, sizes.split_repeats,
                            costs=costs)
    verdict = fidelity_verdict(cells)
    # how much the trained truth's own seed noise moves each cell's ranking and margin
    noise = truth_noise(names, [[s["domain_loss"] for s in ss] for ss in runs.values()], mixtures, proxies,
                        comp_losses, regmix_pred, cells, held)
    inside = [min(w) >= sizes.min_weight - 1e-9 for w in mixtures]
    from ops.demix.training import eval_windows

    windows, owner = eval_windows(tokens, sizes)  # held-out tokens each loss is measured on
    eval_tokens = {d: int((owner == j).sum()) * (windows.shape[1] - 1) for j, d in enumerate(names)}
    rendered, report_id, summary = _fidelity_report(wh, lineage, names, real, proxies, fid, kinds, cells, repeats,
                                                    verdict, inside, [fidelity_split(k) for k in range(len(real))],
                                                    sizes, eval_tokens, (all_cell, all_cell_verdict), noise)
    _progress(f"fidelity: kinds {kinds} (chosen per cell on the selection half); held-out aggregate Spearman "
              f"{verdict['aggregate_spearman']:.3f}, cells won {verdict['cells_won']}/{verdict['cells']}")
    return dg.MaterializeResult(metadata={
        "best_variant": kinds["aggregate"], "kinds_per_cell": kinds,
        **{k: v for k, v in summary.items() if isinstance(v, (float, int, bool))},
        **report_metadata(rendered, report_id)})


def _prior_kinds(proxies: dict, mixtures, alphas) -> dict:
    """Proxy + free prior kinds (``+prior``): for every merged kind, per cell its losses plus
    ``alpha · scale · prior`` (``ops.demix.fidelity.with_prior``; the scales come from the
    fidelity mixtures' weights and proxy losses, never from trained losses)."""
    from ops.demix.fidelity import prior_scales, prior_terms, with_aggregate, with_prior
    from ops.demix.study import proxy_key

    prior = prior_terms(mixtures)
    out = {}
    for key, pred in proxies.items():
        full = [with_aggregate(p) for p in pred]
        scales = prior_scales(full, prior)
        for alpha in alphas:
            out[f"{key}{proxy_key('', 1.0, prior=alpha)}"] = with_prior(full, prior, scales, alpha)
    return out


def _fidelity_report(wh, lineage, names, real, proxies, fid, kinds, cells, repeats, verdict, inside, splits, sizes,
                     eval_tokens, all_cell, noise):
    from ops.demix.study import EVALUATION, FREE_BASELINES, parse_proxy_key, split_prior
    from ops.report import Plot, Table, category_ticks, render_report
    from warehouse.registry import EvalMetric, record_eval_report

    def rho(variant, method, domain="aggregate", split=EVALUATION):
        return next((r for r in fid if r["variant"] == variant and r["method"] == method and r["domain"] == domain
                     and r["split"] == split), {"spearman": float("nan")})

    agg = next(c for c in cells if c["domain"] == "aggregate")
    summary = {"k_mixtures": len(real), "k_selection": sum(s != EVALUATION for s in splits),
               "k_evaluation": sum(s == EVALUATION for s in splits), "k_inside_floor": sum(inside),
               "min_weight": sizes.min_weight, "selection_rule": "per cell (ties: plain merge, then cheaper)",
               "selected_kinds": kinds, "selected_variant": kinds["aggregate"],
               "eval_tokens_per_domain": eval_tokens, "fidelity_seeds": sizes.fidelity_seeds,
               "heldout_proxy_aggregate_spearman": agg["proxy"],
               "heldout_proxy_aggregate_ci": [agg["proxy_ci_low"], agg["proxy_ci_high"]],
               "heldout_best_baseline_aggregate": agg["best_baseline"],
               "heldout_best_baseline_aggregate_spearman": agg["best_baseline_spearman"],
               "heldout_proxy_minus_best_baseline_aggregate": agg["diff"],
               "heldout_proxy_minus_best_baseline_aggregate_ci": [agg["diff_ci_low"], agg["diff_ci_high"]],
               "heldout_cells_won": verdict["cells_won"], "heldout_cells": verdict["cells"],
               "heldout_cells_won_any_components": sum(c["beats_any"] for c in cells),
               "heldout_best_baseline_any_components": {c["domain"]: [c["best_baseline_any"],
                                                                      c["best_baseline_any_spearman"]] for c in cells},
               "targets_met": verdict["passed"],
               "split_repeats": repeats,
               "all_cell_rule": {"kind": all_cell[0], **all_cell[1]},
               "in_sample_proxy_aggregate_spearman_all_k": rho(kinds["aggregate"], "proxy", split="all")["spearman"],
               "merged_only_kind": split_prior(kinds["aggregate"])[0],
               "heldout_merged_only_aggregate_spearman": rho(split_prior(kinds["aggregate"])[0], "proxy")["spearman"],
               "regmix_heldout_aggregate_spearman": rho("-", "regmix")["spearman"],
               "truth_noise": noise}
    for c in cells:
        summary[f"heldout_proxy_{c['domain']}_spearman"] = c["proxy"]
    cell_table = Table(
        f"Held-out cells (evaluation half, k={agg['k']}; proxy kind chosen per cell on the selection half)",
        ["domain", "kind", "proxy", "ci_low", "ci_high", "best free baseline", "its spearman", "proxy - best", "diff ci_low",
         "diff ci_high", "beats"],
        [[c["domain"], c["variant"], c["proxy"], c["proxy_ci_low"], c["proxy_ci_high"], c["best_baseline"],
          c["best_baseline_spearman"], c["diff"], c["diff_ci_low"], c["diff_ci_high"], c["beats"]] for c in cells])
    noise_table = Table(
        "Truth noise (evaluation half): Spearman between two disjoint seed halves' trained truths, the "
        "ceiling it implies for the seed mean, and proxy - best baseline with the seeds resampled",
        ["domain", "split-half spearman", "low", "high", "ceiling", "proxy - best", "seed low", "seed high", "seed sd",
         "within seed noise"],
        [[t["domain"], t["split_half"], t["split_half_low"], t["split_half_high"], t["ceiling"], t["diff"],
          t["diff_seed_low"], t["diff_seed_high"], t["diff_seed_sd"], t["within_noise"]] for t in noise])
    table = Table("Spearman vs really-trained mixtures (all rows)",
                  ["split", "variant", "method", "domain", "spearman", "ci_low", "ci_high", "k"],
                  [[r["split"], r["variant"], r["method"], r["domain"], r["spearman"], r["ci_low"], r["ci_high"],
                    r["k"]] for r in fid])
    real_agg = [sum(s["domain_loss"]) / len(names) for s in real]

    def draw_scatter(ax):
        ev = [i for i, s in enumerate(splits) if s == EVALUATION]
        for variant, pred in proxies.items():
            if "+prior" in variant:
                continue  # not losses
            ax.scatter([sum(pred[i]) / len(pred[i]) for i in ev], [real_agg[i] for i in ev], label=variant, s=14)
        ax.set_xlabel("merged proxy mean loss (nats/token)"); ax.set_ylabel("trained mean loss (evaluation half)")
        ax.legend()

    def draw_bars(ax):
        labels = [c["domain"] for c in cells]
        x = range(len(cells))
        ax.bar([i - 0.2 for i in x], [c["proxy"] for c in cells], 0.4, label="proxy (kind chosen per cell)")
        ax.bar([i + 0.2 for i in x], [c["best_baseline_spearman"] for c in cells], 0.4, label="best free baseline")
        category_ticks(ax, list(x), labels); ax.set_ylabel("held-out Spearman"); ax.axhline(0.9, ls="--", c="gray")
        ax.legend()

    report_id = f"{lineage.asset_key}/fidelity"
    rendered = render_report(artifact_dir("reports", "demix_fidelity"), "DeMix proxy fidelity (held-out)", summary,
                             tables=[cell_table, noise_table, table],
                             plots=[Plot("scatter", "Proxy vs trained (aggregate, evaluation half)", draw_scatter),
                                    Plot("spearman", "Held-out Spearman: proxy vs best free baseline", draw_bars,
                                         n_categories=2 * len(cells))])
    metrics = []
    for r in fid:
        best = kinds.get(r["domain"])
        if best is None:
            continue
        merge_kind, components = split_prior(best)[0], parse_proxy_key(best)[0]
        if merge_kind != best and r["variant"] == merge_kind and r["method"] == "proxy" and r["split"] == EVALUATION:
            # the cell's selected +prior kind's merged proxy alone, beside it (what the prior adds)
            metrics.append(EvalMetric(f"heldout/merged_only/{r['domain']}/spearman", r["spearman"], n=r["k"],
                                      ci_low=r["ci_low"], ci_high=r["ci_high"]))
        # the cell's selected kind and, beside it, the free baselines it is judged against
        # (built from the same components; RegMix under '-')
        judged = r["variant"] in (best, "-") or (r["variant"] == components and r["method"] in FREE_BASELINES)
        if judged and r["split"] == EVALUATION:
            metrics.append(EvalMetric(f"heldout/{r['method']}/{r['domain']}/spearman", r["spearman"], n=r["k"],
                                      ci_low=r["ci_low"], ci_high=r["ci_high"]))
        elif judged and r["split"] == "all":
            metrics.append(EvalMetric(f"all/{r['method']}/{r['domain']}/spearman", r["spearman"], n=r["k"],
                                      ci_low=r["ci_low"], ci_high=r["ci_high"]))
    metrics.append(EvalMetric("split_repeats/proxy/aggregate/spearman", repeats["aggregate_mean"],
                              n=repeats["repeats"], ci_low=repeats["aggregate_low"], ci_high=repeats["aggregate_high"]))
    metrics.append(EvalMetric("split_repeats/proxy_minus_best_baseline/aggregate", repeats["diff_mean"],
                              n=repeats["repeats"], ci_low=repeats["diff_low"], ci_high=repeats["diff_high"]))
    metrics.append(EvalMetric("split_repeats/share_beats_3of4", repeats["share_beats_3of4"], n=repeats["repeats"]))
    metrics.append(EvalMetric("split_repeats/cells_won_mean", repeats["cells_won_mean"], n=repeats["repeats"]))
    alt = repeats["all_cell_rule"]
    metrics.append(EvalMetric("split_repeats_all_cell_rule/proxy/aggregate/spearman", alt["aggregate_mean"],
                              n=repeats["repeats"], ci_low=alt["aggregate_low"], ci_high=alt["aggregate_high"]))
    metrics.append(EvalMetric("split_repeats_all_cell_rule/share_beats_3of4", alt["share_beats_3of4"],
                              n=repeats["repeats"]))
    metrics.append(EvalMetric("heldout_all_cell_rule/proxy/aggregate/spearman", all_cell[1]["aggregate_spearman"],
                              n=agg["k"]))
    metrics.append(EvalMetric("heldout_all_cell_rule/cells_won", all_cell[1]["cells_won"], n=all_cell[1]["cells"]))
    metrics.append(EvalMetric("heldout/cells_won", verdict["cells_won"], n=verdict["cells"]))
    # the stricter comparison: against the best free baseline built from any variant's components
    for c in cells:
        metrics.append(EvalMetric(f"heldout/proxy_minus_best_baseline_any_components/{c['domain']}/spearman",
                                  c["diff_any"], n=c["k"]))
    metrics.append(EvalMetric("heldout/cells_won_any_components", sum(c["beats_any"] for c in cells), n=len(cells)))
    for t in noise:  # the truth's seed noise beside each cell's margin
        metrics.append(EvalMetric(f"truth_noise/{t['domain']}/split_half_spearman", t["split_half"], n=t["splits"],
                                  ci_low=t["split_half_low"], ci_high=t["split_half_high"]))
        metrics.append(EvalMetric(f"truth_noise/{t['domain']}/ceiling", t["ceiling"], n=t["k"]))
        metrics.append(EvalMetric(f"truth_noise/{t['domain']}/proxy_minus_best_baseline_seed", t["diff"], n=t["seeds"],
                                  ci_low=t["diff_seed_low"], ci_high=t["diff_seed_high"]))
        metrics.append(EvalMetric(f"truth_noise/{t['domain']}/within_noise", float(t["within_noise"]), n=t["k"]))
    record_eval_report(wh, report_id=report_id, subject_kind="dataset", subject="demix_components",
                       suite="demix_fidelity", summary=summary, html_path=str(rendered.html_path),
                       metrics=metrics, lineage=lineage, source_key="demix_fidelity")
    return rendered, report_id, summary


def read_verdict(path) -> dict:
    """The held-out fidelity verdict from demix_fidelity (what the asset check and the CLI judge):
    per cell the kind chosen on the selection half, as ``demix_fidelity`` recorded it on the
    cell's ``proxy_minus_best_baseline`` row."""
    from ops.demix.study import EVALUATION, fidelity_verdict
    from warehouse.readers import read_sql

    rows = read_sql("SELECT split, variant, method, domain, spearman, ci_low, ci_high, k FROM demix_fidelity "
                    "WHERE asset_key = 'demix_fidelity' ORDER BY rowid", path=path).to_dicts()  # domains in order
    ev = [r for r in rows if r["split"] == EVALUATION]
    diff = {r["domain"]: r for r in ev if r["method"] == "proxy_minus_best_baseline"}
    kinds = {d: r["variant"] for d, r in diff.items()}
    proxy = {r["domain"]: r for r in ev if r["method"] == "proxy" and kinds.get(r["domain"]) == r["variant"]}
    order = [d for d in diff if d != "aggregate"] + ["aggregate"]
    cells = [{"domain": d, "proxy": proxy[d]["spearman"], "diff": diff[d]["spearman"],
              "beats": bool(diff[d]["spearman"] > 0)} for d in order]

    def ci(r):
        return [round(r["spearman"], 4), round(r["ci_low"], 4), round(r["ci_high"], 4)]

    return {"variant": kinds["aggregate"], "kinds": {d: kinds[d] for d in order}, **fidelity_verdict(cells),
            "proxy": {c["domain"]: round(c["proxy"], 4) for c in cells},
            "proxy_minus_best_baseline": {c["domain"]: round(c["diff"], 4) for c in cells},
            # [point, 95 % low, 95 % high] (bootstrap over the evaluation mixtures; paired for the difference)
            "proxy_ci": {d: ci(proxy[d]) for d in order},
            "proxy_minus_best_baseline_ci": {d: ci(diff[d]) for d in order}}


@dg.asset_check(asset=demix_fidelity, description="On the evaluation half of the trained mixtures (the "
                "proxy kind chosen per cell on the selection half): merged proxies rank the aggregate with Spearman "
                "≥ 0.90 and beat the best free baseline in ≥ 3/4 of the cells (domains + aggregate).")
def demix_fidelity_check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    v = read_verdict(warehouse.get().path)
    return dg.AssetCheckResult(
        passed=v["passed"], severity=dg.AssetCheckSeverity.WARN,
        metadata={"variant": v["variant"], "kinds_per_cell": v["kinds"], "aggregate": round(v["aggregate_spearman"], 4),
                  "cells_won": f"{v['cells_won']}/{v['cells']} (need {v['cells_needed']})",
                  "heldout_proxy": v["proxy"], "proxy_minus_best_baseline": v["proxy_minus_best_baseline"],
                  "heldout_proxy_ci95": v["proxy_ci"], "proxy_minus_best_baseline_ci95": v["proxy_minus_best_baseline_ci"]})


@dg.asset(group_name=GROUP, code_version="1", deps=[demix_fidelity],
          description="LightGBM search over a Dirichlet pool, scoring merged proxies of the most "
                      "faithful component variant; chosen mixture = mean of the top-k predicted. "
                      "demix_proxy_evals: proxy loss per (scored candidate, domain); demix_candidates: every "
                      "pool mixture's predicted loss per round; demix_choice: the chosen weights, mergekit "
                      "YAML and merged checkpoint; eval_reports / eval_metrics: the regressor against the "
                      "really-trained mixtures.")
def demix_search(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from kernels.merge_linear import LinearMergeConfig, mergekit_yaml
    from ops.demix.proxies import ProxyScorer
    from ops.demix.search import REGRESSORS, dirichlet_pool, refit_final, run_search
    from ops.demix.study import parse_proxy_key, split_prior, weights_json
    from ops.demix.training import load_tokens

    sizes = _sizes()
    tokenizer, tokens = load_tokens(_data_dir())
    names = tokens.names
    wh, lineage = warehouse.get(), lineage_of(context)
    # the search ranks candidates by the aggregate: the kind chosen for that cell on the selection half
    variant = read_verdict(wh.path)["variant"]
    component_variant, scale, norm = parse_proxy_key(variant)
    comps = [_model_dir(f"component/{component_variant}/{d}") for d in names]
    scorer = ProxyScorer(comps, tokens, sizes, artifact_dir("demix", "scratch") / "search_proxy",
                         base_dir=_model_dir("base"))
    pool = dirichlet_pool(len(names), sizes.pool_size, sizes.max_weight, seed=0, min_weight=sizes.min_weight)
    merge_kind, alpha = split_prior(variant)
    # a +prior kind searches on merged mean loss + its prior term (the same offset on every
    # domain, so the mean of a candidate's scores is the kind's aggregate prediction)
    offset = _prior_offset(wh, names, merge_kind, alpha)
    result = run_search(lambda w: [x + offset(w) for x in scorer(w, scale, norm)], names, pool, sizes.rounds,
                        sizes.per_round, sizes.top_k, log=context.log.info)
    # the final regressor: the REGRESSORS setting that ranks the selection half's trained mixtures best
    trained_fid = _trained_fidelity(wh, names)
    reg_name, reg_scores = _choose_final_regressor(result, trained_fid)
    result = refit_final(result, sizes.top_k, REGRESSORS[reg_name])
    proxy_rows = [{"mixture_id": f"search/{e['index']}", "purpose": "search", "variant": merge_kind,
                   "round": e["round"], "weights_json": weights_json(names, pool[e["index"]]), "domain": d,
                   "loss": v - offset(pool[e["index"]]), "source_key": f"search/{e['index']}"}
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
    chosen_proxy = scorer(result.final_weights, scale, norm)
    if scale == 1.0 and not norm:
        merged = scorer.merge(result.final_weights, artifact_dir("demix", "chosen_merge"))
        yaml_text = mergekit_yaml(LinearMergeConfig(comps, result.final_weights))
    else:  # task-vector merge: the scorer's model holds it now
        merged = artifact_dir("demix", "chosen_merge")
        scorer.model.save_pretrained(str(merged))
        total = sum(result.final_weights)
        yaml_text = ("# norm-matched task vectors (trainyard ProxyScorer norm=True): each tensor's merged task\n"
                     "# vector is rescaled to the weighted mean norm of the components' task vectors; mergekit\n"
                     "# has no such method: demix_choice.merged_checkpoint is the merge; the recipe below\n"
                     "# is the task-arithmetic merge before the rescaling.\n" if norm else "")
        yaml_text += "merge_method: task_arithmetic\n" f"base_model: {_model_dir('base')}\n" "models:\n" + "".join(
            f"  - model: {c}\n    parameters:\n      weight: {scale * w / total:.6f}\n"
            for c, w in zip(comps, result.final_weights)) + "parameters:\n  normalize: false\ndtype: float32\n"
    (artifact_dir("demix") / "chosen_mergekit.yml").write_text(yaml_text)
    trained = _regressor_vs_trained(wh, lineage, pool, result, trained_fid, reg_name, reg_scores)
    wh.write("demix_choice", [{
        "choice": "chosen", "variant": variant, "weights_json": weights_json(names, result.final_weights),
        "top_k": sizes.top_k, "proxies_scored": len(result.evaluated),
        "regressor_cv_spearman": result.regressor_cv_spearman,
        "regressor_trained_spearman": trained["spearman"], "regressor_trained_ci_low": trained["ci_low"],
        "regressor_trained_ci_high": trained["ci_high"], "regressor_trained_k": trained["k"],
        "proxy_loss_json": json.dumps(dict(zip(names, chosen_proxy))), "mergekit_yaml": yaml_text,
        "merged_checkpoint": str(merged), "source_key": "chosen"}], lineage)
    return dg.MaterializeResult(metadata={
        "variant": variant, "chosen": dict(zip(names, [round(w, 4) for w in result.final_weights])),
        "proxies_scored": len(result.evaluated), "regressor_cv_spearman": result.regressor_cv_spearman,
        "final_regressor": reg_name,
        "regressor_trained_spearman": trained["spearman"], "regressor_trained_spearman_all_k": trained["all_k"],
        "proxy_seconds_each": scorer.seconds / max(1, scorer.count)})


def _prior_offset(wh, names, merge_kind: str, alpha: float):
    """w → the aggregate prior term ``alpha · scale · Σ wᵢ log wᵢ`` of a ``+prior`` kind, with the
    scale ``_prior_kinds`` used (from the fidelity mixtures' weights and ``merge_kind`` proxy
    losses); 0 for a merged kind without prior."""
    if not alpha:
        return lambda w: 0.0
    from ops.demix.fidelity import prior_scales, prior_terms, with_aggregate
    from warehouse.readers import read_sql

    frame = read_sql("SELECT mixture_id, any_value(weights_json) AS w, list(domain) AS d, list(loss) AS l "
                     "FROM demix_proxy_evals WHERE purpose = 'fidelity' AND variant = ? "
                     "AND asset_key = 'demix_fidelity' GROUP BY 1 ORDER BY 1", [merge_kind], path=wh.path)
    weights = [[json.loads(w)[d] for d in names] for w in frame["w"]]
    full = [with_aggregate([dict(zip(d, l))[n] for n in names]) for d, l in zip(frame["d"], frame["l"])]
    scale = alpha * prior_scales(full, prior_terms(weights))[-1]
    return lambda w: float(scale * prior_terms([w])[0, -1])


def _trained_fidelity(wh, names) -> dict:
    """The really-trained fidelity mixtures: weights, seed-mean aggregate loss, and the
    indices of each half."""
    from ops.demix.study import EVALUATION, SELECTION, fidelity_split
    from warehouse.readers import read_sql

    frame = read_sql("SELECT mixture_id, any_value(weights_json) AS w, avg(loss) AS l FROM demix_real_evals "
                     "WHERE purpose = 'fidelity' AND asset_key = 'demix_fidelity' GROUP BY 1 ORDER BY 1", path=wh.path)
    half = [fidelity_split(int(m.rsplit("/", 1)[1])) for m in frame["mixture_id"]]
    return {"weights": [[json.loads(w)[d] for d in names] for w in frame["w"]], "real": frame["l"].to_list(),
            SELECTION: [i for i, h in enumerate(half) if h == SELECTION],
            EVALUATION: [i for i, h in enumerate(half) if h == EVALUATION]}


def _scored(result):
    import numpy as np

    return (np.stack([result.pool[e["index"]] for e in result.evaluated]),
            np.array([e["losses"] for e in result.evaluated]))


def _choose_final_regressor(result, trained: dict):
    """(name, Spearman per setting): the ``REGRESSORS`` setting chosen on the selection half."""
    from ops.demix.search import choose_regressor
    from ops.demix.study import SELECTION

    X, Y = _scored(result)
    return choose_regressor(X, Y, trained["weights"], trained["real"], trained[SELECTION])


def _regressor_vs_trained(wh, lineage, pool, result, trained: dict, reg_name: str, reg_scores: dict) -> dict:
    """The search's final regressor (setting ``reg_name``, chosen on the selection half; fitted
    on all scored proxies) predicts the really-trained fidelity mixtures; Spearman against their
    trained mean loss on the evaluation half (and on all K), stored in demix_choice and as an
    eval report."""
    from ops.demix.fidelity import spearman, spearman_ci
    from ops.demix.search import REGRESSORS, predict_aggregate
    from ops.demix.study import EVALUATION
    from warehouse.registry import EvalMetric, record_eval_report

    weights, real = trained["weights"], trained["real"]
    X, Y = _scored(result)
    pred = predict_aggregate(X, Y, weights, params=REGRESSORS[reg_name]).tolist()
    ev = trained[EVALUATION]
    rho, lo, hi = spearman_ci([pred[i] for i in ev], [real[i] for i in ev])
    # the search only predicts inside the floored pool: the same figure on the evaluation
    # mixtures inside it (the rest are extrapolations)
    floor = _sizes().min_weight
    ev_in = [i for i in ev if min(weights[i]) >= floor - 1e-9]
    rho_in, lo_in, hi_in = spearman_ci([pred[i] for i in ev_in], [real[i] for i in ev_in])
    out = {"spearman": rho, "ci_low": lo, "ci_high": hi, "k": len(ev), "all_k": spearman(pred, real),
           "final_regressor": reg_name, "selection_half_spearman_per_setting": reg_scores,
           "inside_floor_spearman": rho_in, "inside_floor_ci": [lo_in, hi_in], "inside_floor_k": len(ev_in)}
    record_eval_report(wh, report_id=f"{lineage.asset_key}/regressor", subject_kind="dataset",
                       subject="demix_fidelity", suite="demix_search", summary=out, html_path="",
                       metrics=[EvalMetric("regressor_vs_trained/aggregate/spearman", rho, n=len(ev), ci_low=lo,
                                           ci_high=hi),
                                EvalMetric("regressor_vs_trained_all/aggregate/spearman", out["all_k"], n=len(real)),
                                EvalMetric("regressor_vs_trained_inside_floor/aggregate/spearman", rho_in,
                                           n=len(ev_in), ci_low=lo_in, ci_high=hi_in),
                                EvalMetric("regressor_cv_on_proxies/aggregate/spearman", result.regressor_cv_spearman,
                                           n=len(result.evaluated))],
                       lineage=lineage, source_key="demix_search/regressor")
    return out


@dg.asset(group_name=GROUP, code_version="2", deps=[demix_search],
          op_tags={"trainyard/accelerator": "gpu"},  # a GPU step on k8s (pipelines/k8s.py)
          description="Final runs on the chosen and on the uniform mixture with the fidelity mixtures' "
                      "recipe (from the base, a component's budget), several seeds each; eval report "
                      "with mean ± sd of per-domain and mean held-out loss. training_runs / training_metrics: "
                      "one run per (mixture, seed); demix_real_evals: their held-out loss per domain; "
                      "eval_reports / eval_metrics: the comparison.")
def demix_final(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from ops.demix.study import plan_final
    from ops.demix.training import load_tokens
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
    out, rows = {"chosen": [], "uniform": []}, []
    for spec in counted(plan_final(names, sizes, mixes["chosen"], _model_dir("base")), "final runs trained"):
        summary, r = _train_recorded(wh, lineage, spec, "demix_final", tokens, tokenizer, sizes, "final")
        out[spec.name.split("/")[1]].append(summary)
        rows += r
    wh.write("demix_real_evals", rows, lineage)
    rendered, report_id, summary = _final_report(wh, lineage, names, mixes, out)
    return dg.MaterializeResult(metadata={**{k: v for k, v in summary.items() if isinstance(v, float)},
                                          **report_metadata(rendered, report_id)})


def _mean_sd(xs):
    m = sum(xs) / len(xs)
    return m, (math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) if len(xs) > 1 else float("nan"))


def _final_report(wh, lineage, names, mixes, out):
    from ops.report import Plot, Table, category_ticks, render_report
    from warehouse.registry import EvalMetric, record_eval_report

    mean_loss = {k: [sum(s["domain_loss"]) / len(names) for s in v] for k, v in out.items()}
    deltas = [c - u for c, u in zip(mean_loss["chosen"], mean_loss["uniform"])]  # paired by seed
    (cm, csd), (um, usd), (dm, dsd) = _mean_sd(mean_loss["chosen"]), _mean_sd(mean_loss["uniform"]), _mean_sd(deltas)
    n = len(deltas)
    from scipy.stats import t as student_t

    half = student_t.ppf(0.975, n - 1) * dsd / math.sqrt(n) if n > 1 else float("nan")
    summary = {"seeds": n, "chosen_mean_loss": cm, "chosen_sd": csd, "uniform_mean_loss": um, "uniform_sd": usd,
               "delta_mean_loss": dm, "delta_sd": dsd, "delta_ci95": [dm - half, dm + half],
               "seeds_chosen_better": sum(d < 0 for d in deltas),
               "chosen_beats_uniform": bool(dm < 0),
               "chosen_weights": dict(zip(names, [round(w, 4) for w in mixes["chosen"]]))}
    per_dom = {k: [_mean_sd([s["domain_loss"][j] for s in v]) for j in range(len(names))] for k, v in out.items()}
    table = Table(f"Held-out loss per domain (nats/token), mean ± sd over {n} seeds",
                  ["domain", "chosen", "chosen sd", "uniform", "uniform sd", "chosen - uniform"],
                  [[d, c[0], c[1], u[0], u[1], c[0] - u[0]]
                   for d, c, u in zip(names, per_dom["chosen"], per_dom["uniform"])])

    def draw_domains(ax):
        x = range(len(names))
        for off, k in ((-0.2, "chosen"), (0.2, "uniform")):
            ax.bar([i + off for i in x], [m for m, _ in per_dom[k]], 0.4, yerr=[s for _, s in per_dom[k]], label=k)
        category_ticks(ax, list(x), names); ax.set_ylabel("held-out loss (nats/token)"); ax.legend()

    def draw_deltas(ax):
        ax.bar(range(n), deltas); ax.axhline(0, c="gray")
        ax.set_xlabel("seed"); ax.set_ylabel("chosen − uniform mean loss")

    report_id = f"{lineage.asset_key}/final"
    rendered = render_report(artifact_dir("reports", "demix_final"), "DeMix: chosen vs uniform mixture", summary,
                             tables=[table],
                             plots=[Plot("domains", "Held-out loss per domain", draw_domains, n_categories=2 * len(names)),
                                    Plot("deltas", "Chosen − uniform per seed", draw_deltas, n_categories=n)])
    metrics = [EvalMetric(f"{k}/{d}/loss", m, n=n) for k in per_dom for d, (m, _) in zip(names, per_dom[k])]
    metrics += [EvalMetric(f"{k}/{d}/loss_sd", sd, n=n) for k in per_dom for d, (_, sd) in zip(names, per_dom[k])]
    metrics += [EvalMetric("chosen/mean/loss", cm, n=n), EvalMetric("uniform/mean/loss", um, n=n),
                EvalMetric("chosen/mean/loss_sd", csd, n=n), EvalMetric("uniform/mean/loss_sd", usd, n=n),
                EvalMetric("chosen_minus_uniform/mean/loss", dm, n=n, ci_low=dm - half, ci_high=dm + half),
                EvalMetric("chosen_minus_uniform/mean/loss_sd", dsd, n=n)]
    record_eval_report(wh, report_id=report_id, subject_kind="dataset", subject="demix_search",
                       suite="demix_final", summary=summary, html_path=str(rendered.html_path), metrics=metrics,
                       lineage=lineage, source_key="demix_final")
    return rendered, report_id, summary


DEMIX_ASSETS = [demix_corpora, demix_components, demix_fidelity, demix_search, demix_final]
DEMIX_CHECKS = [demix_fidelity_check]
