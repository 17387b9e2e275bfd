"""``trainyard rubrics eval``: rubric generators against free baselines on query-disjoint pairs.

Inputs are either two files (``--train`` / ``--test``, checked to share no query) or one file split
by query per seed. For every seed the learned generator is fitted on the training pairs only, every
generator's rubrics are scored on the held-out pairs, and two reward models that use no rubric at all
are fitted on the same training pairs:

- ``length``: the shorter (or longer: the direction is the one that wins on the training pairs)
  answer wins;
- ``embedding-lr``: logistic regression on the difference of the two answers' MiniLM embeddings
  (no intercept, L2 strength chosen by cross-validation on the training pairs).

With ``sft`` / ``grpo`` among the generators, the rubric policy of ``ops.rubrics.grpo`` is trained per
seed on the training pairs (distilled SFT, then GRPO from the SFT weights) and decodes one rubric per
held-out query.

Per method the report gives the mean ± sd of held-out preference accuracy over seeds (ties count ½)
and, for the target generator against every other method, a paired bootstrap interval of the
accuracy difference: each replicate resamples every seed's held-out pairs (the same pairs for both
methods) and averages the per-seed differences.
"""
from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

from ops.report import wilson_ci
from ops.rubrics.pairs import PreferencePair

BASELINES = ("length", "embedding-lr")


class DisjointError(ValueError):
    """Train and test files share queries (held out would not mean held out)."""


def check_disjoint(train: Sequence[PreferencePair], test: Sequence[PreferencePair]) -> None:
    shared = {p.query for p in train} & {p.query for p in test}
    if shared:
        example = next(iter(shared)).replace("\n", " ")[:80]
        raise DisjointError(f"train and test share {len(shared)} queries (e.g. {example!r}); "
                            "the test queries must be unseen")


def _hits(pref: np.ndarray, rej: np.ndarray) -> np.ndarray:
    return (pref > rej) + 0.5 * (pref == rej)


def length_baseline(train: Sequence[PreferencePair], test: Sequence[PreferencePair]) -> tuple[np.ndarray, str]:
    """Per-test-pair hits of "shorter (or longer) answer wins", direction fitted on ``train``."""
    from ops.rubrics.scorer import length_units

    def diffs(ps):
        return np.array([length_units(p.chosen) - length_units(p.rejected) for p in ps], float)

    tr = diffs(train)
    sign = -1.0 if np.mean(_hits(-tr, np.zeros_like(tr))) >= 0.5 else 1.0
    te = sign * diffs(test)
    return _hits(te, np.zeros_like(te)), "shorter wins" if sign < 0 else "longer wins"


def embedding_lr_baseline(train: Sequence[PreferencePair], test: Sequence[PreferencePair], embedder,
                          c_grid: Sequence[float] = (0.03, 0.1, 0.3, 1.0, 3.0), folds: int = 4,
                          seed: int = 0) -> tuple[np.ndarray, str]:
    """Per-test-pair hits of a logistic-regression reward model on MiniLM answer embeddings."""
    from sklearn.linear_model import LogisticRegression

    def diffs(ps):
        return embedder.encode([p.chosen for p in ps]) - embedder.encode([p.rejected for p in ps])

    x, xt = diffs(train), diffs(test)

    def fit(xm, c):
        return LogisticRegression(C=c, fit_intercept=False, max_iter=3000).fit(
            np.vstack([xm, -xm]), np.r_[np.ones(len(xm)), np.zeros(len(xm))])

    fold = np.random.default_rng(seed).permutation(len(x)) % folds
    best_c, best = c_grid[0], -1.0
    for c in c_grid:
        hits = []
        for f in range(folds):
            if (fold == f).sum() == 0 or (fold != f).sum() == 0:
                continue
            dec = fit(x[fold != f], c).decision_function(x[fold == f])
            hits.extend(_hits(dec, np.zeros_like(dec)))
        acc = float(np.mean(hits)) if hits else 0.0
        if acc > best:
            best_c, best = c, acc
    dec = fit(x, best_c).decision_function(xt)
    return _hits(dec, np.zeros_like(dec)), f"C={best_c} (train CV {best:.3f})"


@dataclasses.dataclass
class SeedRun:
    seed: int
    n_train: int
    n_test: int
    hits: dict[str, np.ndarray]       # method -> per-held-out-pair hit (1, ½, 0)
    notes: dict[str, str]
    rubrics: dict[str, list[str]]     # generator -> rubric id per held-out pair
    training: object = None           # grpo.TwoStageResult when sft/grpo were evaluated
    n_test_queries: int = 0


def run_seed(train: Sequence[PreferencePair], test: Sequence[PreferencePair], generators: Sequence[str],
             seed: int, config=None, embedder=None, criteria_bank=(), backend=None, policy_sizes=None) -> SeedRun:
    from ops.profiles import pick
    from ops.rubrics.learned import GENERATOR_CONFIG
    from ops.rubrics.sizes import SIZES
    from ops.rubrics.scorer import default_embedder
    from ops.rubrics.study import compare_generators

    embedder = embedder or default_embedder()
    config = dataclasses.replace(config or GENERATOR_CONFIG, seed=seed)
    policy_sizes = dataclasses.replace(policy_sizes or pick(SIZES)["policy"], seed=seed)
    evals, model = compare_generators(train, test, generators, config=config, backend=backend,
                                      embedder=embedder, n_boot=10, criteria_bank=criteria_bank,
                                      policy_sizes=policy_sizes)
    hits, notes, rubrics, training = {}, {}, {}, None
    index = {p.pair_id: i for i, p in enumerate(test)}
    for e in evals:
        h = np.full(len(test), np.nan)
        for s in e.scores:
            h[index[s.pair.pair_id]] = float(_hits(np.array([s.total_preferred]), np.array([s.total_rejected]))[0])
        # A pair whose rubric could not be generated counts as a miss (½ would flatter a failing generator).
        hits[e.generator] = np.nan_to_num(h, nan=0.0)
        rubrics[e.generator] = list(e.generated.rubric_ids)
        notes[e.generator] = f"{len(set(e.generated.rubric_ids))} distinct rubrics for {len({p.query for p in test})} queries"
        if e.training is not None:
            training = e.training
            secs = training.seconds_sft if e.generator == "sft" else training.seconds_grpo
            notes[e.generator] += (f"; {training.n_params} params, {secs:.0f} s training, "
                                   f"{len(e.generated.rejects)} rubrics rejected")
    if model is not None:
        notes["learned"] += f"; C={model.chosen_c}, train CV {model.cv_accuracy:.3f}"
    hits["length"], notes["length"] = length_baseline(train, test)
    hits["embedding-lr"], notes["embedding-lr"] = embedding_lr_baseline(train, test, embedder, seed=seed)
    return SeedRun(seed, len(train), len(test), hits, notes, rubrics, training, len({p.query for p in test}))


@dataclasses.dataclass(frozen=True)
class MethodSummary:
    method: str
    mean: float
    sd: float
    per_seed: tuple[float, ...]
    binom_low: float   # Wilson interval of the mean accuracy at one seed's held-out size
    binom_high: float


@dataclasses.dataclass(frozen=True)
class PairedDiff:
    target: str
    other: str
    diff: float
    ci_low: float
    ci_high: float


def summarise(runs: Sequence[SeedRun]) -> list[MethodSummary]:
    methods = list(runs[0].hits)
    out = []
    for m in methods:
        accs = [float(np.mean(r.hits[m])) for r in runs]
        # Wilson interval of the mean accuracy at one seed's held-out size: seeds re-use the same
        # pairs (fixed --test file) or overlapping ones, so pooling them would overstate n.
        n = int(round(np.mean([r.n_test for r in runs])))
        lo, hi = wilson_ci(float(np.mean(accs)) * n, n)
        out.append(MethodSummary(m, float(np.mean(accs)), float(np.std(accs, ddof=1)) if len(accs) > 1 else 0.0,
                                 tuple(accs), lo, hi))
    return out


def paired_bootstrap(runs: Sequence[SeedRun], target: str, n_boot: int = 2000, seed: int = 0,
                     alpha: float = 0.05) -> list[PairedDiff]:
    """Interval of mean-over-seeds(accuracy(target) − accuracy(other)) for every other method."""
    rng = np.random.default_rng(seed)
    draws = [rng.integers(0, r.n_test, size=(n_boot, r.n_test)) for r in runs]
    out = []
    for other in runs[0].hits:
        if other == target:
            continue
        d = [r.hits[target] - r.hits[other] for r in runs]
        point = float(np.mean([x.mean() for x in d]))
        boot = np.mean([x[idx].mean(axis=1) for x, idx in zip(d, draws)], axis=0)
        lo, hi = np.quantile(boot, [alpha / 2, 1 - alpha / 2])
        out.append(PairedDiff(target, other, point, float(lo), float(hi)))
    return out


def evaluate(train_test: Sequence[tuple[Sequence[PreferencePair], Sequence[PreferencePair]]],
             generators: Sequence[str], seeds: Sequence[int], target: str = "learned", config=None,
             embedder=None, criteria_bank=(), backend=None, n_boot: int = 2000, policy_sizes=None
             ) -> tuple[list[SeedRun], list[MethodSummary], list[PairedDiff]]:
    """``train_test[i]`` is seed i's (train, test); returns per-seed runs, summaries, paired diffs."""
    runs = []
    for (train, test), s in zip(train_test, seeds):
        check_disjoint(train, test)
        runs.append(run_seed(train, test, generators, s, config, embedder, criteria_bank, backend, policy_sizes))
    summaries = summarise(runs)
    diffs = paired_bootstrap(runs, target, n_boot=n_boot) if target in runs[0].hits else []
    return runs, summaries, diffs
