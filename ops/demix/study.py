"""The study's plan: which runs to train (base, components per variant, fidelity mixtures,
RegMix-style runs, finals) and how their losses become fidelity rows. Callers execute the
``RunSpec``s (recording them) and hand the per-domain losses back."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Sequence

from ops.demix.fidelity import baseline_predictors, fidelity_table
from ops.demix.search import dirichlet_pool, fit_regressor
from ops.demix.sizes import DemixSizes, Variant
from ops.demix.training import RunSpec, component_weights

FIDELITY_SEED = 101
REGMIX_SEED = 202
SELECTION, EVALUATION, ALL = "selection", "evaluation", "all"
FREE_BASELINES = ("neg_entropy", "weighted_component_loss", "neg_own_weight", "regmix")


def proxy_key(variant: str, scale: float, norm: bool = False, prior: float = 0.0) -> str:
    """Name of a proxy kind: the component variant, plus ``@norm`` for norm-matched task-vector
    merges, ``@tv<scale>`` for a task-vector scale ≠ 1 and ``+prior`` (``+prior<alpha>`` for
    alpha ≠ 1) for the merged proxy plus the free prior (``fidelity.with_prior``)."""
    key = variant + ("@norm" if norm else "") + ("" if scale == 1.0 else f"@tv{scale:g}")
    return key + ("" if not prior else "+prior" if prior == 1.0 else f"+prior{prior:g}")


def parse_proxy_key(key: str) -> tuple[str, float, bool]:
    """'short0.5@norm@tv1.5' → ('short0.5', 1.5, True) (a ``+prior`` suffix is ignored: see
    ``split_prior``)."""
    variant, *mods = split_prior(key)[0].split("@")
    scale = next((float(m[2:]) for m in mods if m.startswith("tv")), 1.0)
    return variant, scale, "norm" in mods


def split_prior(key: str) -> tuple[str, float]:
    """'lr0.3@tv2.5+prior' → ('lr0.3@tv2.5', 1.0): the merge's own kind and the prior's
    weight alpha (0 without a prior)."""
    merge, sep, alpha = key.partition("+prior")
    return merge, (float(alpha) if alpha else 1.0) if sep else 0.0


def merge_is_plain(key: str) -> bool:
    """True for the plain linear merge of the variant's components (no task-vector options, no prior)."""
    return "@" not in key and "+" not in key


def weights_json(names: Sequence[str], weights: Sequence[float]) -> str:
    return json.dumps({n: round(float(w), 6) for n, w in zip(names, weights)})


def plan_base(names: Sequence[str], sizes: DemixSizes) -> RunSpec:
    """The shared base: a fresh model on the uniform mix."""
    return RunSpec("base", tuple([1 / len(names)] * len(names)), sizes.base_steps, sizes.lr, None)


def plan_components(names: Sequence[str], sizes: DemixSizes, variant: Variant, base_dir: Path) -> list[RunSpec]:
    """One component per domain from the base, equal token budgets within the variant."""
    steps = max(1, round(sizes.component_steps * variant.steps_scale))
    return [RunSpec(f"component/{variant.name}/{name}",
                    tuple(component_weights(i, len(names), variant.replay)), steps,
                    sizes.lr * variant.lr_scale, str(base_dir), seed=1 + i)
            for i, name in enumerate(names)]


def fidelity_mixtures(n_domains: int, sizes: DemixSizes):
    """K mixtures for the fidelity check (own seed, so they are not the search's candidates):
    ``fidelity_inside`` of them inside the floored region the search may choose (every weight ≥
    ``min_weight``; the uniform mix first), the rest anywhere under the cap. They come in
    blocks of ``fidelity_block`` (0: K) with that composition, drawn from two prefix-stable
    streams, so a study with more mixtures (``--fidelity-k``) starts with the profile's own K
    (their trained runs are reused from the cache) and its halves keep their members."""
    import numpy as np

    k = sizes.fidelity_k
    block = sizes.fidelity_block or k
    sizes_b = [min(block, k - start) for start in range(0, k, block)]
    n_in = [min(b, round(b * sizes.fidelity_inside)) if sizes.min_weight > 0 else 0 for b in sizes_b]
    total_in, total_out = sum(n_in), k - sum(n_in)
    inside = (dirichlet_pool(n_domains, total_in, sizes.max_weight, seed=FIDELITY_SEED, min_weight=sizes.min_weight)
              if total_in else np.zeros((0, n_domains)))
    # row 0 of a pool is the uniform mix: the outside stream drops it when the inside one has it
    outside = (dirichlet_pool(n_domains, total_out + (1 if total_in else 0), sizes.max_weight,
                              seed=FIDELITY_SEED + 1)[(1 if total_in else 0):]
               if total_out else np.zeros((0, n_domains)))
    parts, i, o = [], 0, 0
    for b, m in zip(sizes_b, n_in):
        parts += [inside[i:i + m], outside[o:o + b - m]]
        i, o = i + m, o + b - m
    return np.concatenate(parts)


def fidelity_split(k: int) -> str:
    """Fidelity mixture k's half: 'selection' (choose variant / hyper-parameters) or
    'evaluation' (the reported, held-out figure). Alternating, so both halves get inside and
    outside mixtures."""
    return SELECTION if k % 2 == 0 else EVALUATION


def plan_fidelity(names: Sequence[str], sizes: DemixSizes, base_dir: Path) -> list[RunSpec]:
    """Really-trained mixtures: from the same base, a component's token budget each, with
    ``fidelity_seeds`` seeds shared by all mixtures (run ``fidelity/NN/sS``; the mixture's loss
    is the mean over its seeds)."""
    return [RunSpec(f"fidelity/{k:02d}/s{s}", tuple(float(x) for x in w), sizes.component_steps, sizes.lr,
                    str(base_dir), seed=100 + s)
            for k, w in enumerate(fidelity_mixtures(len(names), sizes)) for s in range(sizes.fidelity_seeds)]


def mixture_of(run_name: str) -> str:
    """'fidelity/03/s1' → 'fidelity/03' (the mixture a seeded run belongs to)."""
    parts = run_name.split("/")
    return "/".join(parts[:2]) if parts[0] == "fidelity" else run_name


def plan_final(names: Sequence[str], sizes: DemixSizes, chosen: Sequence[float], base_dir: Path) -> list[RunSpec]:
    """Chosen vs uniform with the fidelity mixtures' recipe (from the base, a component's
    budget), ``final_seeds`` seeds each; the seeds are shared so the pairs differ only in mix."""
    uniform = tuple([1 / len(names)] * len(names))
    return [RunSpec(f"final/{label}/s{s}", tuple(float(x) for x in w), sizes.component_steps, sizes.lr,
                    str(base_dir), seed=700 + s)
            for s in range(sizes.final_seeds) for label, w in (("chosen", chosen), ("uniform", uniform))]


def plan_regmix(names: Sequence[str], sizes: DemixSizes, base_dir: Path) -> list[RunSpec]:
    """RegMix-style small runs at the components' compute: ``regmix_runs`` runs sharing the
    D × component_steps steps that the (plain) components cost."""
    steps = max(1, round(len(names) * sizes.component_steps / sizes.regmix_runs))
    pool = dirichlet_pool(len(names), sizes.regmix_runs, sizes.max_weight, seed=REGMIX_SEED)
    return [RunSpec(f"regmix/{k:02d}", tuple(float(x) for x in w), steps, sizes.lr, str(base_dir),
                    seed=200 + k)
            for k, w in enumerate(pool)]


def regmix_predictions(regmix_weights, regmix_losses, targets) -> list[list[float]]:
    """LightGBM per domain fitted on the RegMix runs' losses, predicted for ``targets``."""
    import numpy as np

    X, Y = np.asarray(regmix_weights, dtype=float), np.asarray(regmix_losses, dtype=float)
    T = np.asarray(targets, dtype=float)
    return np.stack([fit_regressor(X, Y[:, d]).predict(T) for d in range(Y.shape[1])], 1).tolist()


def _subset(rows, idx):
    return [rows[i] for i in idx]


def predictors_for(mixtures, proxies: dict[str, list], component_losses: dict[str, list],
                   regmix: list | None) -> dict[tuple[str, str], list]:
    """(variant, method) → per-mixture predictions: each proxy kind's predictions (component
    variant, with ``@tv<scale>`` for task-vector merges) and the baselines built from each
    variant's components (under the plain variant name); RegMix once (variant '-')."""
    out = {}
    for variant, proxy in proxies.items():
        out[(variant, "proxy")] = proxy
        if not merge_is_plain(variant):
            continue  # task-vector proxies share their components' baselines (the plain key)
        for method, pred in baseline_predictors(mixtures, component_losses[variant]).items():
            out[(variant, method)] = pred
    if regmix is not None:
        out[("-", "regmix")] = regmix
    return out


def split_indices(k: int) -> dict[str, list[int]]:
    idx = {SELECTION: [], EVALUATION: [], ALL: list(range(k))}
    for i in range(k):
        idx[fidelity_split(i)].append(i)
    return idx


def fidelity_rows(names: Sequence[str], mixtures, real_losses, proxies: dict[str, list],
                  component_losses: dict[str, list], regmix: list | None, n_boot: int = 1000) -> list[dict]:
    """demix_fidelity rows for each half (``split``: selection, evaluation) and for all K:
    every (variant, method) predictor's Spearman per domain and aggregate."""
    preds = predictors_for(mixtures, proxies, component_losses, regmix)
    rows = []
    for split, idx in split_indices(len(mixtures)).items():
        real = _subset(real_losses, idx)
        for (variant, method), pred in preds.items():
            rows += [{**r, "variant": variant, "split": split}
                     for r in fidelity_table(names, real, {method: _subset(pred, idx)}, n_boot)]
    return rows


def _or_low(x: float) -> float:
    """NaN (a constant side) counts as the lowest Spearman, −1."""
    return -1.0 if x != x else x


def _score(r) -> float:
    return _or_low(r["spearman"])


def best_variant(rows: Sequence[dict], split: str = SELECTION) -> str:
    """The one-kind-for-all-cells rule (the previous selection; kept for comparison): the proxy
    kind with the highest mean Spearman over the cells the check judges on the ``split`` half
    (each domain and the aggregate; a missing or NaN cell counts as −1; ties: first listed).
    Rows without a ``split`` count as that half (older tables)."""
    scores: dict[str, list[float]] = {}
    for r in rows:
        if r["method"] == "proxy" and r.get("split", split) == split:
            scores.setdefault(r["variant"], []).append(_score(r))
    if not scores:
        raise ValueError("no proxy fidelity rows")
    cells = max(len(v) for v in scores.values())
    mean = {v: (sum(sc) - (cells - len(sc))) / cells for v, sc in scores.items()}
    return _first_best(mean)


def _first_best(mean: dict[str, float], tol: float = 1e-9) -> str:
    """The first listed key whose value is within ``tol`` of the highest (ties: listed order,
    not floating-point noise)."""
    top = max(mean.values())
    return next(v for v in mean if mean[v] >= top - tol)


def tie_order(kind: str, costs: dict[str, float] | None = None) -> tuple:
    """Sort key among kinds tied on Spearman: the plain linear merge first, then a task-vector
    merge, then a ``+prior`` kind; within each, cheaper components first (``costs``: component
    variant → relative training cost, 1 when absent), then the smaller prior weight (closer to
    the merged proxy alone); then the listed order (a stable sort). Cost before prior weight
    ranked better than the reverse in halvings of the selection half (both datasets, K = 48)."""
    merge, alpha = split_prior(kind)
    level = 0 if merge_is_plain(kind) else 2 if alpha else 1
    return level, (costs or {}).get(parse_proxy_key(kind)[0], 1.0), alpha


def pick_kind(scores: dict[str, float], costs: dict[str, float] | None = None, tol: float = 1e-9) -> str:
    """The kind with the highest score (NaN = −1); ties within ``tol`` broken by ``tie_order``."""
    clean = {k: _or_low(v) for k, v in scores.items()}
    top = max(clean.values())
    return min((k for k in clean if clean[k] >= top - tol), key=lambda k: tie_order(k, costs))


def best_kinds(rows: Sequence[dict], split: str = SELECTION, costs: dict[str, float] | None = None) -> dict[str, str]:
    """Per-cell selection: for each cell (each domain and the aggregate) the proxy kind with the
    highest Spearman in that cell on the ``split`` half, ties broken by ``tie_order`` (plain
    merge first, then cheaper components, then the listed order). A held-out choice as long as
    ``split`` is not the half that is reported."""
    cells: dict[str, dict[str, float]] = {}
    for r in rows:
        if r["method"] == "proxy" and r.get("split", split) == split:
            cells.setdefault(r["domain"], {})[r["variant"]] = _score(r)
    if not cells:
        raise ValueError("no proxy fidelity rows")
    return {d: pick_kind(s, costs) for d, s in cells.items()}


def _cell(pred, j):
    return [p[j] for p in pred]


def heldout_cells(names: Sequence[str], mixtures, real_losses, proxies, component_losses, regmix,
                  variant: str | dict[str, str], idx: Sequence[int], n_boot: int = 1000) -> list[dict]:
    """Per cell (each domain and the aggregate) on the mixtures ``idx``: the proxy kind's
    Spearman with its interval (``variant``: one kind for every cell, or cell → kind as
    ``best_kinds`` picks them), the best free baseline there (the highest Spearman among
    −entropy, Σwᵢ·Lᵢ, −w_d and RegMix: chosen on the same mixtures, so the comparison favours
    the baselines), and proxy − best baseline with a paired bootstrap interval. The baselines that
    need components (Σwᵢ·Lᵢ) are built from the kind's own components; ``best_baseline_any`` /
    ``diff_any`` / ``beats_any`` repeat the comparison against the best free baseline built from
    any variant's components ('variant/method'), the stricter figure."""
    from ops.demix.fidelity import spearman, spearman_ci, spearman_diff_ci, with_aggregate

    preds = predictors_for(mixtures, proxies, component_losses, regmix)
    real = [with_aggregate(r) for r in _subset(real_losses, idx)]
    out = []
    kinds = variant if isinstance(variant, dict) else {d: variant for d in [*names, "aggregate"]}
    for j, dom in enumerate([*names, "aggregate"]):
        y = _cell(real, j)
        variant = kinds[dom]

        def full(p):
            p = _subset(p, idx)
            return _cell([with_aggregate(x) if len(x) == len(names) else x for x in p], j)

        proxy = full(preds[(variant, "proxy")])
        rho, lo, hi = spearman_ci(proxy, y, n_boot=n_boot)
        base, any_base = {}, {}
        for (v, method), pred in preds.items():
            if method in FREE_BASELINES:
                x = full(pred)
                if not any(t != t for t in x):
                    r = spearman(x, y)
                    any_base[(v, method)] = -2.0 if r != r else r
                    if v in (parse_proxy_key(variant)[0], "-"):
                        base[method] = (any_base[(v, method)], x)
        best = max(base, key=lambda m: base[m][0])
        # the stricter comparison: the best free baseline built from any variant's components
        best_any = max(any_base, key=lambda k: any_base[k])
        d, dlo, dhi = spearman_diff_ci(proxy, base[best][1], y, n_boot=n_boot)
        out.append({"domain": dom, "variant": variant, "k": len(idx), "proxy": rho, "proxy_ci_low": lo,
                    "proxy_ci_high": hi, "best_baseline": best, "best_baseline_spearman": base[best][0],
                    "baselines": {m: v[0] for m, v in base.items()},
                    "diff": d, "diff_ci_low": dlo, "diff_ci_high": dhi, "beats": bool(d > 0),
                    "best_baseline_any": "/".join(best_any), "best_baseline_any_spearman": any_base[best_any],
                    "diff_any": rho - any_base[best_any], "beats_any": bool(rho - any_base[best_any] > 0)})
    return out


def _rank_corr(pred, y):
    """Spearman of every predictor column with ``y`` at once: ``pred`` (P, n, C), ``y`` (n, C)
    → (P, C); NaN where a side is constant or has a NaN (as ``fidelity.spearman``)."""
    import numpy as np
    from scipy.stats import rankdata

    rp = rankdata(pred, axis=1)
    ry = rankdata(y, axis=0)[None]
    rp -= rp.mean(axis=1, keepdims=True)
    ry = ry - ry.mean(axis=1, keepdims=True)
    num, den = (rp * ry).sum(axis=1), np.sqrt((rp**2).sum(axis=1) * (ry**2).sum(axis=1))
    bad = np.isnan(pred).any(axis=1) | (den <= 1e-12 * np.maximum(1.0, np.abs(num)))
    return np.where(bad, np.nan, num / np.where(den > 0, den, 1.0))


def split_repeats(names, mixtures, real_losses, proxies, component_losses, regmix, repeats: int,
                  seed: int = 0, costs: dict[str, float] | None = None) -> dict:
    """The held-out figure over ``repeats`` random halvings of the K mixtures: on one half the
    proxy kind is chosen per cell (``best_kinds``' rule: that cell's Spearman, ties by
    ``tie_order``), on the other it is scored against the best free baseline of that cell (built
    from the kind's components, or RegMix). Mean and 2.5/97.5 % of the aggregate Spearman and
    of proxy − best baseline on the aggregate, mean cells won, and the share of halvings in
    which the proxy beats the best baseline in ≥ 3/4 of the cells; ``all_cell_rule``: the same
    figures on the same halvings when one kind is chosen for all cells (``best_variant``' rule),
    for comparison."""
    import numpy as np

    from ops.demix.fidelity import with_aggregate

    rng = np.random.default_rng(seed)
    k, n_cells = len(mixtures), len(names) + 1
    preds = predictors_for(mixtures, proxies, component_losses, regmix)
    keys = list(preds)
    full = np.stack([np.array([with_aggregate(x) if len(x) == len(names) else list(x) for x in preds[key]], dtype=float)
                     for key in keys])  # (predictors, K, cells)
    real = np.array([with_aggregate(r) for r in real_losses], dtype=float)
    need = math.ceil(0.75 * n_cells)
    kinds = [v for v, m in keys if m == "proxy"]
    proxy_row = {v: keys.index((v, "proxy")) for v in kinds}
    baseline_rows = {v: [i for i, (bv, m) in enumerate(keys) if m in FREE_BASELINES and bv in (parse_proxy_key(v)[0], "-")]
                     for v in kinds}
    stats = {rule: {"agg": [], "diff": [], "won": []} for rule in ("per_cell", "all_cell")}
    for _ in range(repeats):
        perm = rng.permutation(k)
        sel, ev = perm[: k // 2], perm[k // 2:]
        rho_sel, rho_ev = _rank_corr(full[:, sel], real[sel]), _rank_corr(full[:, ev], real[ev])
        cell_scores = {v: rho_sel[proxy_row[v]] for v in kinds}
        mean = {v: float(np.mean(np.nan_to_num(sc, nan=-1.0))) for v, sc in cell_scores.items()}
        all_cell = _first_best(mean)
        for rule in stats:
            chosen = ([pick_kind({v: float(sc[j]) for v, sc in cell_scores.items()}, costs) for j in range(n_cells)]
                      if rule == "per_cell" else [all_cell] * n_cells)
            won = 0
            for j, v in enumerate(chosen):
                p = rho_ev[proxy_row[v], j]
                base = rho_ev[baseline_rows[v], j]
                b = float(np.nanmax(base)) if np.isfinite(base).any() else -1.0
                won += int(p == p and p > b)
                if j == n_cells - 1:
                    stats[rule]["agg"].append(p)
                    stats[rule]["diff"].append(p - b)
            stats[rule]["won"].append(won)
    out = {}
    for rule, st in stats.items():
        agg, diff = np.nan_to_num(st["agg"], nan=0.0), np.nan_to_num(st["diff"], nan=0.0)
        out[rule] = {"aggregate_mean": float(agg.mean()), "aggregate_low": float(np.quantile(agg, 0.025)),
                     "aggregate_high": float(np.quantile(agg, 0.975)), "diff_mean": float(diff.mean()),
                     "diff_low": float(np.quantile(diff, 0.025)), "diff_high": float(np.quantile(diff, 0.975)),
                     "cells_won_mean": float(np.mean(st["won"])),
                     "share_beats_3of4": float(np.mean([w >= need for w in st["won"]]))}
    return {"repeats": repeats, "rule": "per_cell", **out["per_cell"], "all_cell_rule": out["all_cell"]}


def fidelity_verdict(cells: Sequence[dict], target: float = 0.90) -> dict:
    """The held-out targets: aggregate proxy Spearman ≥ ``target`` and above the best free
    baseline in ≥ 3/4 of the cells (3 of 4 with three domains)."""
    agg = next(c for c in cells if c["domain"] == "aggregate")
    won = sum(c["beats"] for c in cells)
    need = math.ceil(0.75 * len(cells))
    return {"aggregate_spearman": agg["proxy"], "cells_won": won, "cells": len(cells), "cells_needed": need,
            "passed": bool(agg["proxy"] == agg["proxy"] and agg["proxy"] >= target and won >= need)}


def truth_noise(names: Sequence[str], seed_losses, mixtures, proxies, component_losses, regmix,
                cells: Sequence[dict], idx: Sequence[int], n_boot: int = 200, seed: int = 0,
                max_splits: int = 70) -> list[dict]:
    """How noisy is the trained truth the cells are judged against? ``seed_losses``: per mixture,
    per seed, the per-domain trained losses (the truth is their seed mean). Per cell on the mixtures
    ``idx``:

    - ``split_half``: Spearman between the truths of two disjoint halves of the seeds (mean and
      2.5/97.5 % over the seed halvings; at most ``max_splits`` of them). 1 − it is how much two
      equally good truths disagree on the ranking.
    - ``reliability``: Spearman–Brown for the full seed mean, 2r/(1 + r); ``ceiling`` = √ of it,
      about the Spearman a perfect predictor would reach against the seed-mean truth.
    - ``diff`` / ``diff_seed_low`` / ``diff_seed_high`` / ``diff_seed_sd``: the cell's proxy −
      best free baseline (kind and baseline as in ``cells``) when the seeds are resampled with
      replacement (``n_boot`` times), ``within_noise`` when that 95 % interval contains 0: the
      margin is smaller than what the truth's seed noise alone moves it by."""
    import itertools

    import numpy as np

    from ops.demix.fidelity import with_aggregate

    Y = np.array([[with_aggregate(s) for s in seeds] for seeds in seed_losses], dtype=float)[list(idx)]
    n_seeds = Y.shape[1]
    if n_seeds < 2:
        return []
    preds = predictors_for(mixtures, proxies, component_losses, regmix)

    def full(key):
        return np.array([with_aggregate(x) if len(x) == len(names) else list(x) for x in preds[key]],
                        dtype=float)[list(idx)]

    half = n_seeds // 2
    splits = [c for c in itertools.combinations(range(n_seeds), half) if 0 in c][:max_splits]
    sh = np.array([_rank_corr(Y[:, list(a)].mean(axis=1)[None],
                              Y[:, [s for s in range(n_seeds) if s not in a][:half]].mean(axis=1))[0]
                   for a in splits])  # (splits, cells)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n_seeds, size=(n_boot, n_seeds))
    out = []
    for j, cell in enumerate(cells):
        kind, base = cell["variant"], cell["best_baseline"]
        base_key = ("-", base) if base == "regmix" else (parse_proxy_key(kind)[0], base)
        P = np.stack([full((kind, "proxy")), full(base_key)])  # (2, k, cells)
        diffs = []
        for d in draws:
            rho = _rank_corr(P[:, :, j:j + 1], Y[:, d, j:j + 1].mean(axis=1))[:, 0]
            diffs.append(np.nan_to_num(rho[0], nan=-1.0) - np.nan_to_num(rho[1], nan=-1.0))
        r = float(np.nanmean(sh[:, j]))
        rel = 2 * r / (1 + r) if r > -1 else float("nan")
        lo, hi = (float(x) for x in np.quantile(diffs, [0.025, 0.975]))
        out.append({"domain": cell["domain"], "k": len(idx), "seeds": n_seeds, "splits": len(splits),
                    "split_half": r, "split_half_low": float(np.nanquantile(sh[:, j], 0.025)),
                    "split_half_high": float(np.nanquantile(sh[:, j], 0.975)), "reliability": rel,
                    "ceiling": float(np.sqrt(rel)) if rel == rel and rel >= 0 else float("nan"),
                    "diff": cell["diff"], "diff_seed_sd": float(np.std(diffs)), "diff_seed_low": lo,
                    "diff_seed_high": hi, "within_noise": bool(lo <= 0 <= hi)})
    return out
