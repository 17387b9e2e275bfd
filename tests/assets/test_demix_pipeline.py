"""The DeMix assets end to end at the tiny profile: every table filled with consistent numbers,
and a re-run replaces rows instead of adding them."""
import json
import math

import pytest

from tests.conftest import materialize
from warehouse.readers import read_sql, scalar

TABLES = ("demix_domains", "demix_real_evals", "demix_proxy_evals", "demix_fidelity", "demix_candidates",
          "demix_choice", "training_runs", "training_metrics", "eval_reports", "eval_metrics")


def _counts():
    return {t: scalar(f"SELECT count(*) FROM {t}") for t in TABLES}




def test_demix_assets_end_to_end_and_rerun_is_idempotent(trainyard_home):
    from assets.demix import DEMIX_ASSETS, DEMIX_CHECKS
    from ops.demix.sizes import SIZES

    sizes = SIZES["tiny"]
    result = materialize([*DEMIX_ASSETS, *DEMIX_CHECKS])
    assert result.success
    domains = read_sql("SELECT DISTINCT domain FROM demix_domains ORDER BY domain")["domain"].to_list()
    assert domains == ["code", "math", "prose"]
    n_dom, n_var = 3, len(sizes.variants)

    runs = read_sql("SELECT kind, count(*) AS n, min(status) AS s FROM training_runs GROUP BY kind ORDER BY kind")
    assert dict(zip(runs["kind"], runs["n"])) == {
        "demix_base": 1, "demix_component": n_dom * n_var, "demix_mixture": sizes.fidelity_k * sizes.fidelity_seeds,
        "demix_regmix": sizes.regmix_runs, "demix_final": 2 * sizes.final_seeds}
    assert set(runs["s"]) == {"succeeded"}
    # every training run saved its model with save_pretrained
    for ckpt in read_sql("SELECT output_checkpoint FROM training_runs")["output_checkpoint"]:
        assert (trainyard_home / "artifacts" / "demix" / "models").as_posix() in ckpt
        assert (__import__("pathlib").Path(ckpt) / "model.safetensors").exists()

    # components: equal token budgets within a variant (same step count in their configs)
    cfgs = read_sql("SELECT training_run_id, config_json FROM training_runs WHERE kind = 'demix_component'")
    steps = {}
    for rid, cfg in cfgs.iter_rows():
        steps.setdefault(rid.split("/")[1], set()).add(json.loads(cfg)["spec"]["steps"])
    assert all(len(s) == 1 for s in steps.values())

    # fidelity rows per split (selection, evaluation, all): (variants x {proxy, neg_entropy,
    # weighted}) + regmix per domain + aggregate, −w_d per domain only; plus proxy − best baseline
    # per cell on the evaluation half
    fid = read_sql("SELECT * FROM demix_fidelity")
    # proxies per variant: plain merge + task-vector scales + norm-matched scales, each also
    # with the free prior added once per prior weight (+prior kinds)
    n_tv = (len(set(sizes.tv_scales) | {1.0}) + len(set(sizes.norm_scales))) * (1 + len(sizes.prior_alphas))
    assert sizes.prior_alphas
    per_split = (n_var * (n_tv + 2) + 1) * (n_dom + 1) + n_var * n_dom
    assert fid.height == 3 * per_split + n_dom + 1
    k = dict(read_sql("SELECT split, max(k) AS k FROM demix_fidelity GROUP BY 1").iter_rows())
    assert k == {"all": sizes.fidelity_k, "selection": sizes.fidelity_k // 2, "evaluation": sizes.fidelity_k // 2}
    # the two halves are disjoint trained mixtures
    halves = read_sql("SELECT mixture_id FROM demix_real_evals WHERE purpose = 'fidelity' GROUP BY 1")["mixture_id"]
    assert len(halves) == sizes.fidelity_k
    assert scalar("SELECT count(*) FROM demix_fidelity WHERE method = 'proxy_minus_best_baseline'") == n_dom + 1
    assert all(-1 <= r <= 1 for r in fid["spearman"] if not math.isnan(r))
    assert all(lo <= hi for lo, hi in zip(fid["ci_low"], fid["ci_high"]))

    # the recorded proxy aggregate Spearman recomputes from the stored losses
    from ops.demix.fidelity import spearman

    real = read_sql("SELECT mixture_id, avg(loss) AS l FROM demix_real_evals WHERE purpose = 'fidelity' "
                    "GROUP BY 1 ORDER BY 1")
    proxy = read_sql("SELECT mixture_id, avg(loss) AS l FROM demix_proxy_evals WHERE purpose = 'fidelity' "
                     "AND variant = 'plain' GROUP BY 1 ORDER BY 1")
    assert real["mixture_id"].to_list() == proxy["mixture_id"].to_list()
    stored = scalar("SELECT spearman FROM demix_fidelity WHERE variant = 'plain' AND method = 'proxy' "
                    "AND domain = 'aggregate' AND split = 'all'")
    assert stored == pytest.approx(spearman(proxy["l"].to_list(), real["l"].to_list()))

    # search: every candidate predicted each round, the scored ones carry their round
    assert scalar("SELECT count(*) FROM demix_candidates") == sizes.pool_size * sizes.rounds
    assert scalar("SELECT count(*) FROM demix_candidates WHERE in_top_k") == sizes.top_k
    assert scalar("SELECT count(DISTINCT candidate_index) FROM demix_candidates WHERE scored_in_round IS NOT NULL") \
        == sizes.rounds * sizes.per_round
    assert scalar("SELECT count(DISTINCT mixture_id) FROM demix_proxy_evals WHERE purpose = 'search'") \
        == sizes.rounds * sizes.per_round
    choice = read_sql("SELECT * FROM demix_choice").row(0, named=True)
    w = json.loads(choice["weights_json"])
    assert sum(w.values()) == pytest.approx(1.0, abs=1e-5)
    top = read_sql("SELECT weights_json FROM demix_candidates WHERE in_top_k")["weights_json"]
    mean_top = {d: sum(json.loads(x)[d] for x in top) / len(top) for d in w}
    assert all(w[d] == pytest.approx(mean_top[d], abs=1e-5) for d in w)  # chosen = mean of top-k
    plain = "@" not in choice["variant"]
    assert ("merge_method: linear" if plain else "merge_method: task_arithmetic") in choice["mergekit_yaml"]
    assert choice["mergekit_yaml"].startswith("#") == ("@norm" in choice["variant"])
    # the pool's weight floor holds for every candidate, so for the chosen mean too
    floor = min(min(json.loads(x).values()) for x in
                read_sql("SELECT DISTINCT weights_json FROM demix_candidates")["weights_json"])
    assert sizes.min_weight > 0 and sizes.min_weight - 1e-5 <= floor < sizes.min_weight + 0.05
    assert min(w.values()) >= sizes.min_weight - 1e-5

    # reports
    suites = set(read_sql("SELECT suite FROM eval_reports")["suite"])
    assert {"demix_fidelity", "demix_final"} <= suites
    final = read_sql("SELECT mixture_id, avg(loss) AS l FROM demix_real_evals WHERE purpose = 'final' GROUP BY 1")
    assert set(final["mixture_id"]) == {f"final/{m}/s{s}" for m in ("chosen", "uniform")
                                        for s in range(sizes.final_seeds)}
    assert scalar("SELECT n FROM eval_metrics WHERE metric = 'chosen_minus_uniform/mean/loss'") == sizes.final_seeds
    # the held-out figures sit beside the free baselines they are judged against
    held = set(read_sql("SELECT metric FROM eval_metrics WHERE metric LIKE 'heldout/%'")["metric"])
    assert {"heldout/proxy/aggregate/spearman", "heldout/neg_entropy/aggregate/spearman",
            "heldout/weighted_component_loss/aggregate/spearman", "heldout/regmix/aggregate/spearman",
            "heldout/neg_own_weight/code/spearman"} <= held
    assert "heldout/neg_own_weight/aggregate/spearman" not in held
    # the stricter comparison (best free baseline from any variant's components) is stored beside it
    assert {"heldout/cells_won_any_components", "heldout/proxy_minus_best_baseline_any_components/aggregate/spearman"} <= held
    assert scalar("SELECT value FROM eval_metrics WHERE metric = 'heldout/cells_won_any_components'") <= \
        scalar("SELECT value FROM eval_metrics WHERE metric = 'heldout/cells_won'")
    # the truth's seed noise beside each cell's margin (two seeds per mixture in tiny)
    noise = read_sql("SELECT metric, value, ci_low, ci_high FROM eval_metrics WHERE metric LIKE 'truth_noise/%'")
    assert set(noise["metric"]) == {f"truth_noise/{d}/{m}" for d in ("code", "prose", "math", "aggregate")
                                    for m in ("split_half_spearman", "ceiling", "proxy_minus_best_baseline_seed",
                                              "within_noise")}
    for r in noise.iter_rows(named=True):
        assert r["value"] in (0.0, 1.0) if r["metric"].endswith("within_noise") else r["value"] <= 1.0 or r["value"] != r["value"]
        assert r["ci_low"] is None or r["ci_low"] <= r["ci_high"]
    # the regressor is scored against the really-trained mixtures (evaluation half)
    reg = read_sql("SELECT regressor_trained_spearman AS r, regressor_trained_k AS k FROM demix_choice").row(0, named=True)
    assert reg["k"] == sizes.fidelity_k // 2 and (math.isnan(reg["r"]) or -1 <= reg["r"] <= 1)
    assert all(0 < v < math.log(sizes.vocab) + 1 for v in final["l"])

    # the asset check ran and reported the numbers it judged
    checks = [e for e in result.get_asset_check_evaluations()]
    assert len(checks) == 1 and "aggregate" in checks[0].metadata and "cells_won" in checks[0].metadata
    # held-out figures with their intervals: [point, low, high] per cell, for the proxy and for proxy − best
    ci = checks[0].metadata["proxy_minus_best_baseline_ci95"].data
    assert set(ci) == {"code", "prose", "math", "aggregate"}
    assert all(lo <= p <= hi or p != p for p, lo, hi in ci.values())
    assert set(checks[0].metadata["heldout_proxy_ci95"].data) == set(ci)
    from assets.demix import read_verdict

    assert checks[0].passed == read_verdict(trainyard_home / "warehouse.duckdb")["passed"]

    # a re-run reuses the cached trained models (same fingerprints): nothing is retrained
    log = (trainyard_home / "artifacts" / "demix" / "progress.log").read_text()
    assert log.count(": trained ") == scalar("SELECT count(*) FROM training_runs")

    # re-run (the cheap end of the graph; the expensive steps write through the same
    # replace/upsert paths): no duplicated rows anywhere
    before = _counts()
    assert materialize(DEMIX_ASSETS, selection=["demix_corpora", "demix_search", "demix_final"]).success
    assert _counts() == before
    log = (trainyard_home / "artifacts" / "demix" / "progress.log").read_text()
    assert log.count(": cached ") == 2 * sizes.final_seeds and log.count(": trained ") == before["training_runs"]
