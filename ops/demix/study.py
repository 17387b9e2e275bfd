"""The study's plan: which runs to train (base, components per variant, fidelity mixtures,
RegMix-style runs, finals) and how their losses become fidelity rows. Callers execute the
``RunSpec``s (recording them) and hand the per-domain losses back."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from ops.demix.fidelity import baseline_predictors, fidelity_table
from ops.demix.search import dirichlet_pool, fit_regressor
from ops.demix.sizes import DemixSizes, Variant
from ops.demix.training import RunSpec, component_weights

FIDELITY_SEED = 101
REGMIX_SEED = 202


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
    """K mixtures for the fidelity check (own seed, so they are not the search's candidates)."""
    return dirichlet_pool(n_domains, sizes.fidelity_k, sizes.max_weight, seed=FIDELITY_SEED)


def plan_fidelity(names: Sequence[str], sizes: DemixSizes, base_dir: Path) -> list[RunSpec]:
    """Really-trained mixtures: from the same base, a component's token budget each."""
    return [RunSpec(f"fidelity/{k:02d}", tuple(float(x) for x in w), sizes.component_steps, sizes.lr,
                    str(base_dir), seed=100 + k)
            for k, w in enumerate(fidelity_mixtures(len(names), sizes))]


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


def fidelity_rows(names: Sequence[str], mixtures, real_losses, proxies: dict[str, list],
                  component_losses: dict[str, list], regmix: list | None, n_boot: int = 1000) -> list[dict]:
    """demix_fidelity rows: for each variant its proxies and the two baselines built from its
    components; RegMix once (variant '-')."""
    rows = []
    for variant, proxy in proxies.items():
        preds = {"proxy": proxy, **baseline_predictors(mixtures, component_losses[variant])}
        rows += [{**r, "variant": variant} for r in fidelity_table(names, real_losses, preds, n_boot)]
    if regmix is not None:
        rows += [{**r, "variant": "-"} for r in fidelity_table(names, real_losses, {"regmix": regmix}, n_boot)]
    return rows


def best_variant(rows: Sequence[dict]) -> str:
    """The variant whose proxies rank the aggregate best (ties: first listed)."""
    agg = [r for r in rows if r["method"] == "proxy" and r["domain"] == "aggregate"]
    if not agg:
        raise ValueError("no proxy fidelity rows")
    return max(agg, key=lambda r: -2.0 if r["spearman"] != r["spearman"] else r["spearman"])["variant"]
