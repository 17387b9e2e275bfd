"""Held-out fidelity: the fidelity mixtures' draw and halves, the −w_d baseline, proxy − best
baseline with a paired interval, the verdict, repeated halvings, the final plan, and the
on-disk cache of trained runs."""
import dataclasses
import json

import pytest

from ops.demix.fidelity import neg_own_weight, spearman, spearman_diff_ci
from ops.demix.sizes import SIZES
from ops.demix.study import (
    EVALUATION, SELECTION, best_variant, fidelity_mixtures, fidelity_rows, fidelity_split, fidelity_verdict,
    heldout_cells, plan_final, split_indices, split_repeats,
)


def test_fidelity_mixtures_mostly_inside_the_search_region_and_halves_disjoint():
    s = SIZES["demo"]
    mix = fidelity_mixtures(3, s)
    assert len(mix) == s.fidelity_k >= 24
    assert len({tuple(m) for m in mix.round(9).tolist()}) == len(mix)
    inside = [m.min() >= s.min_weight - 1e-9 for m in mix]
    assert round(s.fidelity_k * s.fidelity_inside) <= sum(inside) < len(mix)
    assert mix[0] == pytest.approx([1 / 3] * 3)
    idx = split_indices(len(mix))
    assert not set(idx[SELECTION]) & set(idx[EVALUATION])
    assert len(idx[SELECTION]) == len(idx[EVALUATION]) == s.fidelity_k // 2
    # both halves hold mixtures outside the floor too
    for half in (SELECTION, EVALUATION):
        assert 0 < sum(not inside[i] for i in idx[half]) < len(idx[half])
    assert fidelity_split(0) == SELECTION and fidelity_split(1) == EVALUATION


def test_final_plan_uses_the_fidelity_recipe_with_paired_seeds(tmp_path):
    s = SIZES["demo"]
    specs = plan_final(["a", "b", "c"], s, (0.5, 0.3, 0.2), tmp_path)
    assert len(specs) == 2 * s.final_seeds >= 8
    assert {x.steps for x in specs} == {s.component_steps} and {x.init for x in specs} == {str(tmp_path)}
    chosen = [x for x in specs if "/chosen/" in x.name]
    uniform = [x for x in specs if "/uniform/" in x.name]
    assert [x.seed for x in chosen] == [x.seed for x in uniform] and len({x.seed for x in chosen}) == s.final_seeds


def test_neg_own_weight_and_paired_difference():
    assert neg_own_weight([[2, 1, 1]]) == [[-0.5, -0.25, -0.25, pytest.approx(float("nan"), nan_ok=True)]]
    real = list(range(12))
    good = [x + 0.1 * (x % 2) for x in real]
    noisy = [3, 1, 2, 5, 4, 0, 8, 6, 11, 7, 10, 9]
    d, lo, hi = spearman_diff_ci(good, noisy, real, n_boot=300)
    assert d == pytest.approx(1 - spearman(noisy, real)) and 0 < lo <= d <= hi
    d, lo, hi = spearman_diff_ci(noisy, noisy, real, n_boot=50)
    assert d == lo == hi == 0


def _synthetic(k=24, seed=0):
    """3 domains; the true loss of domain d falls with w_d and with a hidden interaction that
    only the 'good' proxy sees; 'bad' proxies are noise."""
    import numpy as np

    rng = np.random.default_rng(seed)
    mixtures = rng.dirichlet([1, 1, 1], size=k).tolist()
    real = [[2 - w[d] + 0.8 * w[(d + 1) % 3] ** 2 for d in range(3)] for w in mixtures]
    proxies = {"good": [[x + 0.001 * rng.standard_normal() for x in r] for r in real],
               "bad": [list(rng.standard_normal(3)) for _ in real]}
    comps = {v: [[1.0, 2.0, 2.0], [2.0, 1.0, 2.0], [2.0, 2.0, 1.0]] for v in proxies}
    regmix = [list(rng.standard_normal(3)) for _ in real]
    return ["a", "b", "c"], mixtures, real, proxies, comps, regmix


def test_heldout_cells_choose_on_selection_and_beat_baselines():
    names, mixtures, real, proxies, comps, regmix = _synthetic()
    rows = fidelity_rows(names, mixtures, real, proxies, comps, regmix, n_boot=100)
    assert {r["split"] for r in rows} == {"selection", "evaluation", "all"}
    assert not [r for r in rows if r["method"] == "neg_own_weight" and r["domain"] == "aggregate"]
    variant = best_variant(rows, SELECTION)
    assert variant == "good"
    cells = heldout_cells(names, mixtures, real, proxies, comps, regmix, variant,
                          split_indices(len(mixtures))[EVALUATION], n_boot=100)
    assert [c["domain"] for c in cells] == [*names, "aggregate"]
    for c in cells:
        assert c["best_baseline"] in ("neg_entropy", "weighted_component_loss", "neg_own_weight", "regmix")
        assert c["best_baseline_spearman"] == max(c["baselines"].values())
        assert c["diff"] == pytest.approx(c["proxy"] - c["best_baseline_spearman"])
        assert c["beats"] and c["proxy"] > 0.95
    v = fidelity_verdict(cells)
    assert v["passed"] and v["cells_won"] == 4 and v["cells_needed"] == 3
    # a noise proxy fails the verdict
    bad = heldout_cells(names, mixtures, real, proxies, comps, regmix, "bad",
                        split_indices(len(mixtures))[EVALUATION], n_boot=50)
    assert not fidelity_verdict(bad)["passed"]
    rep = split_repeats(names, mixtures, real, proxies, comps, regmix, repeats=40)
    assert rep["repeats"] == 40 and rep["aggregate_mean"] > 0.9 and rep["share_beats_3of4"] > 0.5
    assert rep["aggregate_low"] <= rep["aggregate_mean"] <= rep["aggregate_high"]


def test_run_cache_fingerprints(tmp_path):
    import torch

    from ops.demix.cache import cached_summary, run_fingerprint, stamp, tokens_fingerprint
    from ops.demix.training import DomainTokens, RunSpec

    s = SIZES["tiny"]
    tok = DomainTokens(["a"], [torch.arange(10)], [torch.arange(5)])
    fp_tok = tokens_fingerprint(tok)
    assert fp_tok != tokens_fingerprint(DomainTokens(["a"], [torch.arange(11)], [torch.arange(5)]))
    base = RunSpec("base", (1.0,), 5, 1e-3, None)
    fp = run_fingerprint(base, s, fp_tok)
    assert fp and fp != run_fingerprint(dataclasses.replace(base, seed=1), s, fp_tok)
    out = tmp_path / "base"
    out.mkdir()
    assert cached_summary(out, fp) is None
    (out / "model.safetensors").write_bytes(b"x")
    stamp(out, {"domain_loss": [1.0]}, fp)
    assert cached_summary(out, fp)["domain_loss"] == [1.0] and cached_summary(out, "other") is None
    # a continuation's fingerprint follows its starting checkpoint's
    cont = RunSpec("c", (1.0,), 5, 1e-3, str(out))
    fp_c = run_fingerprint(cont, s, fp_tok)
    stamp(out, {"domain_loss": [1.0]}, "retrained")
    assert run_fingerprint(cont, s, fp_tok) != fp_c
    assert run_fingerprint(RunSpec("d", (1.0,), 5, 1e-3, str(tmp_path / "missing")), s, fp_tok) is None
    assert json.loads((out / "trainyard_run.json").read_text())["fingerprint"] == "retrained"


def test_proxy_plus_prior_kinds_and_selection_by_mean_over_cells():
    import numpy as np

    from ops.demix.fidelity import prior_scales, prior_terms, with_aggregate, with_prior
    from ops.demix.study import merge_is_plain, parse_proxy_key, proxy_key, split_prior

    prior = prior_terms([[2, 1, 1], [1, 1, 1]])
    assert prior[0, :3].tolist() == [-0.5, -0.25, -0.25] and prior[1, 3] == pytest.approx(np.log(1 / 3))
    assert proxy_key("lr0.3", 2.5, prior=1.0) == "lr0.3@tv2.5+prior" and proxy_key("plain", 1.0, prior=0.5) == "plain+prior0.5"
    assert split_prior("lr0.3@tv2.5+prior") == ("lr0.3@tv2.5", 1.0) and split_prior("plain@norm") == ("plain@norm", 0.0)
    assert parse_proxy_key("short0.5@norm@tv1.5+prior2") == ("short0.5", 1.5, True)
    assert merge_is_plain("plain") and not merge_is_plain("plain+prior")
    # the prior term spreads the mixtures as much as the proxy does, cell by cell
    names, mixtures, real, proxies, comps, regmix = _synthetic(seed=3)
    full = [with_aggregate(p) for p in proxies["bad"]]
    scales = prior_scales(full, prior_terms(mixtures))
    term = np.array(with_prior(full, prior_terms(mixtures), scales)) - np.array(full)
    assert term.std(axis=0) == pytest.approx(np.array(full).std(axis=0))
    assert np.allclose(with_prior(full, prior_terms(mixtures), scales, alpha=0.0), full)
    # noise + prior ranks like the prior (a domain's loss falls with its own weight); the
    # selection takes the mean over the cells, not the aggregate alone
    proxies["bad+prior"] = with_prior(full, prior_terms(mixtures), scales, alpha=20.0)
    rows = fidelity_rows(names, mixtures, real, proxies, comps, regmix, n_boot=20)
    agg = {r["variant"]: r["spearman"] for r in rows if r["method"] == "proxy" and r["domain"] == "aggregate"
           and r["split"] == SELECTION}
    assert agg["bad+prior"] != agg["bad"]
    cells = heldout_cells(names, mixtures, real, proxies, comps, regmix, "bad+prior",
                          split_indices(len(mixtures))[EVALUATION], n_boot=20)
    bad = heldout_cells(names, mixtures, real, proxies, comps, regmix, "bad",
                        split_indices(len(mixtures))[EVALUATION], n_boot=20)
    for c, b in zip(cells[:3], bad):  # −w_d carries the per-domain order
        assert c["proxy"] >= c["baselines"]["neg_own_weight"] - 0.15 and c["proxy"] > b["proxy"] + 0.3
    fake = [{"method": "proxy", "split": SELECTION, "variant": v, "domain": d, "spearman": s}
            for v, ss in (("agg_only", (0.1, 0.1, 0.1, 0.99)), ("all_cells", (0.9, 0.9, 0.9, 0.95)))
            for d, s in zip(["a", "b", "c", "aggregate"], ss)]
    assert best_variant(fake, SELECTION) == "all_cells"
    assert best_variant(fake[:4] + fake[4:6], SELECTION) == "agg_only"  # a missing cell counts as −1


def test_per_cell_selection_differs_from_the_all_cell_rule_and_wins_where_it_should():
    """One kind ranks every domain (but not the mean loss), another only the mean loss: the
    all-cell rule takes the first everywhere and misses the aggregate; per-cell selection takes
    each where it ranks, on the selection half, and the held-out verdict follows."""
    import numpy as np

    from ops.demix.study import best_kinds

    names, mixtures, real, _, comps, regmix = _synthetic(k=32, seed=5)
    rng = np.random.default_rng(1)
    agg = [sum(r) / 3 for r in real]
    proxies = {"dom": [[*r, float(rng.standard_normal())] for r in real],          # rows with the aggregate given
               "agg": [[*rng.standard_normal(3).tolist(), a] for a in agg]}
    comps = {v: comps["good"] for v in proxies}
    rows = fidelity_rows(names, mixtures, real, proxies, comps, regmix, n_boot=20)
    assert best_variant(rows, SELECTION) == "dom"
    kinds = best_kinds(rows, SELECTION)
    assert kinds == {"a": "dom", "b": "dom", "c": "dom", "aggregate": "agg"}
    ev = split_indices(len(mixtures))[EVALUATION]
    per_cell = heldout_cells(names, mixtures, real, proxies, comps, regmix, kinds, ev, n_boot=20)
    assert [c["variant"] for c in per_cell] == ["dom", "dom", "dom", "agg"]
    all_cell = heldout_cells(names, mixtures, real, proxies, comps, regmix, "dom", ev, n_boot=20)
    assert fidelity_verdict(per_cell)["passed"] and fidelity_verdict(per_cell)["aggregate_spearman"] > 0.95
    assert not fidelity_verdict(all_cell)["passed"]
    rep = split_repeats(names, mixtures, real, proxies, comps, regmix, repeats=30)
    assert rep["rule"] == "per_cell" and rep["share_beats_3of4"] > 0.9 and rep["aggregate_mean"] > 0.95
    assert rep["all_cell_rule"]["aggregate_mean"] < 0.5  # it wins the 3 domains but not the aggregate
    assert rep["cells_won_mean"] > rep["all_cell_rule"]["cells_won_mean"]


def test_kind_ties_prefer_the_plain_merge_then_cheaper_components():
    from ops.demix.study import best_kinds, pick_kind

    assert pick_kind({"a@tv2": 0.9, "b+prior": 0.9, "b": 0.9}) == "b"
    assert pick_kind({"a@tv2+prior": 0.9, "b@tv1.5": 0.9}) == "b@tv1.5"
    assert pick_kind({"long2": 0.9, "short0.5": 0.9, "plain": 0.9}, {"long2": 2.0, "short0.5": 0.5}) == "short0.5"
    assert pick_kind({"x@tv2": 0.95, "y": 0.9}) == "x@tv2"  # a higher Spearman wins over simplicity
    assert pick_kind({"y": float("nan"), "x@tv2": 0.1}) == "x@tv2"  # NaN counts as −1
    # among +prior kinds of the same components the smaller prior weight wins a tie (closer to
    # the merged proxy alone); cheaper components come first; a higher Spearman still wins
    assert pick_kind({"a+prior4": 0.9, "a+prior": 0.9, "a+prior0.25": 0.9, "a+prior2": 0.9}) == "a+prior0.25"
    assert pick_kind({"long2+prior0.5": 0.9, "short0.5+prior": 0.9}, {"long2": 2.0, "short0.5": 0.5}) == "short0.5+prior"
    assert pick_kind({"a@tv2+prior2": 0.9, "b@tv2+prior0.5": 0.9}) == "b@tv2+prior0.5"
    assert pick_kind({"a+prior0.5": 0.9, "a+prior2": 0.95}) == "a+prior2"
    rows = [{"method": "proxy", "split": s, "variant": v, "domain": "aggregate", "spearman": r}
            for s, v, r in ((SELECTION, "a", 0.5), (SELECTION, "b", 0.7), (EVALUATION, "a", 0.9))]
    assert best_kinds(rows, SELECTION) == {"aggregate": "b"}  # the evaluation half never chooses


def test_more_fidelity_mixtures_start_with_the_profiles_own():
    import numpy as np

    from ops.demix.sizes import apply_overrides

    s = SIZES["demo"]
    big = apply_overrides(s, {"fidelity_k": 2 * s.fidelity_k})
    assert big.fidelity_k == 2 * s.fidelity_k and big.fidelity_block == s.fidelity_k
    mix, own = fidelity_mixtures(3, big), fidelity_mixtures(3, s)
    assert len(mix) == big.fidelity_k and np.array_equal(mix[: s.fidelity_k], own)
    assert len({tuple(m) for m in mix.round(9).tolist()}) == len(mix)
    extra = mix[s.fidelity_k:]
    assert sum(m.min() >= s.min_weight - 1e-9 for m in extra) >= round(s.fidelity_k * s.fidelity_inside)
    with pytest.raises(ValueError, match="fidelity_k"):
        apply_overrides(s, {"fidelity_k": 2})


def test_truth_noise_separates_seed_noise_from_a_real_margin():
    """Seeds that agree: split-half Spearman 1 and the good proxy's margin is outside the seed
    noise; seeds that are mostly noise: the split halves disagree and the margin is within it."""
    import numpy as np

    from ops.demix.study import truth_noise

    names, mixtures, real, proxies, comps, regmix = _synthetic(k=32)
    ev = split_indices(len(mixtures))[EVALUATION]
    cells = heldout_cells(names, mixtures, real, proxies, comps, regmix, "good", ev, n_boot=20)
    rng = np.random.default_rng(3)
    quiet = [[[x + 1e-6 * rng.standard_normal() for x in r] for _ in range(8)] for r in real]
    tq = truth_noise(names, quiet, mixtures, proxies, comps, regmix, cells, ev, n_boot=60)
    assert [t["domain"] for t in tq] == [*names, "aggregate"]
    assert tq[0]["splits"] == 35 and tq[0]["seeds"] == 8 and tq[0]["k"] == len(ev)
    for t, c in zip(tq, cells):
        assert t["split_half"] > 0.999 and t["ceiling"] > 0.999 and t["diff"] == c["diff"]
        assert t["diff_seed_low"] <= t["diff_seed_high"]
        assert t["within_noise"] == (c["diff"] == 0)  # a margin stays put when the seeds agree
    assert any(c["diff"] > 0.05 for c in cells)
    loud = [[[x + 5 * rng.standard_normal() for x in r] for _ in range(8)] for r in real]
    loud_truth = np.mean(loud, axis=1).tolist()
    loud_cells = heldout_cells(names, mixtures, loud_truth, proxies, comps, regmix, "good", ev, n_boot=20)
    tl = truth_noise(names, loud, mixtures, proxies, comps, regmix, loud_cells, ev, n_boot=60)
    assert all(t["split_half"] < 0.5 and t["split_half_low"] <= t["split_half"] <= t["split_half_high"] for t in tl)
    assert sum(t["within_noise"] for t in tl) >= 3 and all(t["diff_seed_sd"] > 0.02 for t in tl)
    assert truth_noise(names, [[r] for r in real], mixtures, proxies, comps, regmix, cells, ev) == []


def test_heldout_cells_also_compare_with_baselines_from_any_components():
    """Σwᵢ·Lᵢ is judged with the kind's own components; the stricter figure takes the best free
    baseline over every variant's components, so it is never easier to beat."""
    names, mixtures, real, proxies, comps, regmix = _synthetic(k=32)
    # good's own Σwᵢ·Lᵢ is constant; bad's components see that domain d + 1's data hurts domain d
    comps = {"good": [[1.0, 1.0, 1.0]] * 3,
             "bad": [[1.0 if i == d else 2.5 if i == (d + 1) % 3 else 2.0 for d in range(3)] for i in range(3)]}
    ev = split_indices(len(mixtures))[EVALUATION]
    cells = heldout_cells(names, mixtures, real, proxies, comps, regmix, "good", ev, n_boot=20)
    for c in cells:
        assert c["best_baseline_any_spearman"] >= c["best_baseline_spearman"]
        assert c["diff_any"] <= c["diff"] + 1e-12 and c["beats_any"] == (c["diff_any"] > 0)
        assert c["best_baseline"] != "weighted_component_loss"
    stricter = [c for c in cells if c["best_baseline_any"] == "bad/weighted_component_loss"]
    assert stricter and all(c["diff_any"] < c["diff"] for c in stricter)
