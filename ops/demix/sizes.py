"""Run sizes per profile (``tiny`` tests, ``demo`` default, ``full`` documented study) and the
component-training variants whose merge fidelity the study compares."""
from __future__ import annotations

import dataclasses

from ops.lm.model import ModelConfig


@dataclasses.dataclass(frozen=True)
class Variant:
    """How components are continued from the base: ``replay`` is the share of each batch drawn
    from the uniform base mix, ``lr_scale`` scales the base LR, ``steps_scale`` the budget."""

    name: str
    replay: float = 0.0
    lr_scale: float = 1.0
    steps_scale: float = 1.0


@dataclasses.dataclass(frozen=True)
class DemixSizes:
    max_chars: int             # characters per domain (equal-sized domains)
    vocab: int
    model: ModelConfig
    seq_len: int
    batch_size: int
    lr: float
    base_steps: int            # uniform-mix pre-training of the shared base
    component_steps: int       # per component and per really-trained fidelity mixture
    eval_batches: int          # held-out windows: eval_batches * batch_size per domain
    pool_size: int             # Dirichlet candidate pool
    rounds: int                # search rounds
    per_round: int             # proxies evaluated per round
    top_k: int                 # final mixture = mean of the top-k predicted
    max_weight: float          # per-domain cap on candidate weights
    fidelity_k: int            # really-trained mixtures for the fidelity check (K >= 12)
    regmix_runs: int           # RegMix-style small runs at the components' compute
    final_steps: int           # chosen-vs-uniform final runs (= component_steps: one recipe)
    variants: tuple[Variant, ...]
    # torch intra-op threads while training/scoring: these models are so small that extra
    # threads only add synchronisation (5x slower on a loaded 2-core box); 0 = leave as is
    threads: int = 1
    # floor on every candidate weight in the search pool (0 = none): keeps the chosen mixture
    # inside the region where the proxies were checked against trained mixtures
    min_weight: float = 0.0
    # share of the fidelity mixtures drawn inside the floored region the search may choose
    fidelity_inside: float = 0.8
    # final chosen-vs-uniform runs: seeds per mixture (same recipe as the fidelity mixtures)
    final_seeds: int = 4
    # ~1 in held_every documents of each domain is held out (more held-out text = steadier losses)
    held_every: int = 10
    # fidelity-study repetitions of the selection/evaluation split (robustness of the held-out figure)
    split_repeats: int = 500
    # task-vector scales tried for the merged proxies (1 = plain linear merge): the proxy is
    # θ_base + scale·(merge − θ_base); chosen with the variant on the selection half
    tv_scales: tuple[float, ...] = (1.0,)
    # task-vector scales tried with norm-matched merges (``ProxyScorer(..., norm=True)``: each
    # tensor's merged task vector rescaled to the components' weighted mean norm); () = none
    norm_scales: tuple[float, ...] = ()
    # seeds per fidelity mixture, common to all mixtures (common random numbers: the same seeds'
    # sampling noise hits every mixture alike, so their ranking is steadier); loss = seed mean
    fidelity_seeds: int = 1
    # weights alpha of the free prior added to every merged proxy kind (``+prior`` kinds, see
    # ``ops.demix.fidelity.with_prior``); () = merged proxies only. Chosen per cell with the rest
    # on the selection half (ties: the smaller weight, see ``study.tie_order``).
    prior_alphas: tuple[float, ...] = ()
    # fidelity mixtures come in blocks of this many (0 = fidelity_k) with the same inside share;
    # ``--fidelity-k`` sets it to the profile's K, so a larger study starts with the profile's mixtures
    fidelity_block: int = 0


VARIANTS = (
    Variant("plain"),
    Variant("replay50", replay=0.5),
    Variant("lr0.3", lr_scale=0.3),
    Variant("short0.5", steps_scale=0.5),
    Variant("long2", steps_scale=2.0),
)

# the prior's weight in a +prior kind, chosen per cell on the selection half with the rest: in
# halvings of the selection half (K = 48, both datasets) this grid won more cells than alpha = 1 alone
PRIOR_GRID = (0.25, 0.5, 1.0, 2.0, 4.0)

SIZES = {
    "tiny": DemixSizes(
        max_chars=40_000, vocab=384,
        model=ModelConfig(hidden_size=32, num_layers=1, num_heads=2, intermediate_size=64, max_positions=64),
        seq_len=32, batch_size=4, lr=3e-3, base_steps=30, component_steps=12, eval_batches=2,
        pool_size=300, rounds=2, per_round=4, top_k=3, max_weight=0.8, fidelity_k=12, regmix_runs=6,
        final_steps=12, variants=VARIANTS[:2], min_weight=0.05, final_seeds=2, split_repeats=50,
        tv_scales=(1.0, 2.0), prior_alphas=(0.5, 1.0), fidelity_seeds=2),
    "demo": DemixSizes(
        max_chars=400_000, vocab=1024,
        model=ModelConfig(hidden_size=32, num_layers=2, num_heads=4, intermediate_size=86, max_positions=64),
        seq_len=64, batch_size=8, lr=3e-3, base_steps=120, component_steps=30, eval_batches=32,
        pool_size=2000, rounds=5, per_round=20, top_k=5, max_weight=0.8, fidelity_k=24, regmix_runs=12,
        final_steps=30, variants=VARIANTS, min_weight=0.1, held_every=5,
        tv_scales=(1.0, 1.5, 2.5, 4.0), fidelity_seeds=8, prior_alphas=PRIOR_GRID),
    "full": DemixSizes(
        max_chars=1_000_000, vocab=4096,
        model=ModelConfig(hidden_size=128, num_layers=2, num_heads=4, intermediate_size=344, max_positions=256),
        seq_len=128, batch_size=16, lr=3e-3, base_steps=600, component_steps=200, eval_batches=8,
        pool_size=5000, rounds=4, per_round=12, top_k=8, max_weight=0.8, fidelity_k=32, regmix_runs=16,
        final_steps=200, variants=VARIANTS, threads=0, min_weight=0.1, held_every=5,
        tv_scales=(1.0, 1.5, 2.5, 4.0), fidelity_seeds=2, prior_alphas=PRIOR_GRID),
}


# Explicit size/step flags (CLI ``trainyard demix study --layers ...`` / ``demix_corpora`` run config):
# 0 or "" keeps the profile's value. ``eval_tokens`` sets held-out windows per domain
# (``eval_batches = ceil(eval_tokens / (batch_size * seq_len))``); ``device``/``dtype`` go to the
# ModelSpec every DeMix model is built with (proxies are scored on that device too). ``fidelity_k``
# sets the number of really-trained fidelity mixtures (the profile's K come first).
OVERRIDE_KEYS = ("layers", "width", "heads", "intermediate", "seq_len", "batch_size", "lr", "base_steps",
                 "component_steps", "final_steps", "eval_tokens", "vocab", "device", "dtype", "fidelity_k")


def apply_overrides(sizes: DemixSizes, overrides: dict) -> DemixSizes:
    """``sizes`` with the non-empty ``overrides`` applied (see ``OVERRIDE_KEYS``)."""
    unknown = set(overrides) - set(OVERRIDE_KEYS)
    if unknown:
        raise ValueError(f"unknown DeMix size overrides {sorted(unknown)}; known: {OVERRIDE_KEYS}")
    o = {k: v for k, v in overrides.items() if v not in (0, 0.0, "", None)}
    model = sizes.model
    width = int(o.get("width", model.hidden_size))
    heads = int(o.get("heads", model.num_heads if width % model.num_heads == 0 else max(1, width // 64)))
    seq_len = int(o.get("seq_len", sizes.seq_len))
    model = dataclasses.replace(
        model, hidden_size=width, num_heads=heads, num_layers=int(o.get("layers", model.num_layers)),
        intermediate_size=int(o.get("intermediate", model.intermediate_size if "width" not in o
                                    else 8 * width // 3 // 8 * 8)),
        max_positions=max(model.max_positions, seq_len), device=o.get("device", model.device),
        dtype=o.get("dtype", model.dtype))
    batch = int(o.get("batch_size", sizes.batch_size))
    changes = dict(model=model, seq_len=seq_len, batch_size=batch)
    for k in ("lr", "base_steps", "component_steps", "final_steps", "vocab"):
        if k in o:
            changes[k] = type(getattr(sizes, k))(o[k])
    if "fidelity_k" in o:  # more (or fewer) trained mixtures: the profile's K first (see fidelity_mixtures)
        if int(o["fidelity_k"]) < 4:
            raise ValueError(f"fidelity_k must be at least 4 (two per half), got {o['fidelity_k']}")
        changes["fidelity_k"] = int(o["fidelity_k"])
        changes["fidelity_block"] = sizes.fidelity_block or sizes.fidelity_k
    if "eval_tokens" in o:
        changes["eval_batches"] = max(1, -(-int(o["eval_tokens"]) // (batch * seq_len)))
    return dataclasses.replace(sizes, **changes)


def n_params(sizes: DemixSizes) -> int:
    """Parameters of the Llama these sizes build (untied embeddings), for the CLI's summary."""
    m = sizes.model
    per_layer = 4 * m.hidden_size * m.hidden_size + 3 * m.hidden_size * m.intermediate_size + 2 * m.hidden_size
    return m.num_layers * per_layer + 2 * sizes.vocab * m.hidden_size + m.hidden_size
