"""``trainyard demix study`` wiring: arguments become the corpora asset's run config, and the
job and its asset check are registered in the one Definitions object."""
import argparse


def test_study_arguments_become_run_config():
    from pipelines.demix import add_cli, study_run_config

    parser = argparse.ArgumentParser()
    handlers = add_cli(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["demix", "study", "--no-embedded", "--profile", "tiny", "--corpora", "a=x.txt", "y.jsonl"])
    assert set(handlers) == {"demix"} and args.profile == "tiny" and args.no_embedded
    cfg = study_run_config(args.corpora, not args.no_embedded)
    assert cfg == {"ops": {"demix_corpora": {"config": {"domains": ["a=x.txt", "y.jsonl"], "embedded": False}}}}
    # --fidelity-k reaches the corpora asset's config (which records it with the other size overrides)
    from assets.demix import DemixCorporaConfig
    from ops.demix.sizes import OVERRIDE_KEYS

    args = parser.parse_args(["demix", "study", "--fidelity-k", "48"])
    overrides = {k: getattr(args, k) for k in OVERRIDE_KEYS if getattr(args, k, None)}
    assert overrides == {"fidelity_k": 48}
    cfg = study_run_config(args.corpora, True, overrides)["ops"]["demix_corpora"]["config"]
    assert DemixCorporaConfig(**cfg).fidelity_k == 48


def test_job_and_check_registered():
    from pipelines.definitions import defs

    job = defs.resolve_job_def("demix_job")
    nodes = set(job.graph.node_dict)
    assert {"demix_corpora", "demix_components", "demix_fidelity", "demix_search", "demix_final",
            "demix_fidelity_demix_fidelity_check"} <= nodes


def _fidelity_rows(proxy_agg, diffs):
    rows = []
    for split in ("selection", "evaluation"):
        rows += [{"split": split, "variant": v, "method": "proxy", "domain": "aggregate", "spearman": s,
                  "ci_low": 0.0, "ci_high": 1.0, "k": 12} for v, s in (("plain", 0.5), ("lr0.3", proxy_agg))]
        rows += [{"split": split, "variant": v, "method": "proxy", "domain": d, "spearman": s,
                  "ci_low": 0.0, "ci_high": 1.0, "k": 12}
                 for d in ("a", "b", "c") for v, s in (("lr0.3", 0.9), ("plain", 0.95 if d == "a" else 0.1))]
    # per-cell selection: domain a's kind is plain, the other cells' lr0.3 (the row's variant)
    rows += [{"split": "evaluation", "variant": "plain" if d == "a" else "lr0.3", "method": "proxy_minus_best_baseline",
              "domain": d, "spearman": x, "ci_low": -0.1, "ci_high": 0.1, "k": 12}
             for d, x in zip(("a", "b", "c", "aggregate"), diffs)]
    return [{**r, "source_key": f"{r['split']}/{r['variant']}/{r['method']}/{r['domain']}"} for r in rows]


def test_study_exit_code_follows_the_heldout_verdict(trainyard_home, capsys):
    """The CLI exits 3 when the held-out targets are missed (aggregate < 0.90 or fewer than 3 of
    4 cells above the best free baseline), 0 when met."""
    from pipelines.demix import report_verdict
    from warehouse.writer import Lineage, Warehouse

    wh = Warehouse()
    lineage = Lineage(dagster_run_id="r", asset_key="demix_fidelity")
    wh.write("demix_fidelity", _fidelity_rows(0.95, [0.01, 0.0, 0.02, 0.05]), lineage)
    assert report_verdict() == 0
    out = capsys.readouterr().out
    assert "proxy kind chosen per cell on the selection half" in out
    # every held-out cell is printed with its kind, its interval and proxy − best baseline with its paired interval
    assert "aggregate (lr0.3): proxy 0.950 [0.00, 1.00], proxy - best free baseline +0.050 [-0.10, +0.10]" in out
    assert "c (lr0.3): proxy 0.900 [0.00, 1.00], proxy - best free baseline +0.020 [-0.10, +0.10]" in out
    assert "a (plain): proxy 0.950 [0.00, 1.00]" in out
    # the truth's seed noise is printed beside each margin when the report carries it
    from warehouse.registry import record_eval_report

    noise = [{"domain": "c", "seeds": 8, "split_half": 0.981, "split_half_low": 0.96, "split_half_high": 0.99,
              "ceiling": 0.995, "diff": 0.02, "diff_seed_low": -0.01, "diff_seed_high": 0.03, "within_noise": True}]
    record_eval_report(wh, report_id="demix_fidelity/fidelity", subject_kind="dataset", subject="x",
                       suite="demix_fidelity", summary={"truth_noise": noise, "heldout_cells_won_any_components": 2,
                                                        "heldout_best_baseline_any_components": {"c": ["plain/neg_own_weight", 0.97]}},
                       html_path="", metrics=[],
                       lineage=lineage, source_key="demix_fidelity")
    report_verdict()
    assert ("truth noise, c: two disjoint 4-seed truths agree at Spearman 0.981 [0.960, 0.990] (ceiling 0.995); "
            "proxy - best with the seeds resampled +0.020 [-0.010, +0.030] (within the seed noise)") in (out := capsys.readouterr().out)
    assert "any variant's components (c plain/neg_own_weight 0.970) the proxy wins 2/4 cells" in out
    wh.write("demix_fidelity", _fidelity_rows(0.95, [0.01, 0.0, -0.02, 0.05]), lineage)  # 2 of 4 cells
    assert report_verdict() == 3
    wh.write("demix_fidelity", _fidelity_rows(0.85, [0.01, 0.01, 0.02, 0.05]), lineage)  # aggregate < 0.90
    assert report_verdict() == 3
    assert "FAILED" in capsys.readouterr().err
