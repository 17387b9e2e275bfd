"""DeMix branch wiring: the mixture-search assets, their job, and ``trainyard demix study``."""

import sys

import dagster as dg

from assets.demix import DEMIX_ASSETS, DEMIX_CHECKS

ASSETS = DEMIX_ASSETS
ASSET_CHECKS = DEMIX_CHECKS
demix_job = dg.define_asset_job("demix_job", selection=dg.AssetSelection.groups("demix"))
JOBS = [demix_job]
SCHEDULES: list = []
SENSORS: list = []


def demo_plan(instance: dg.DagsterInstance) -> "list[tuple[str, str | None]]":
    """(job name, partition key) runs that ``trainyard demo`` executes for this branch."""
    return [("demix_job", None)]


def study_run_config(corpora: "list[str]", embedded: bool, sizes: "dict | None" = None) -> dict:
    """``demix_corpora`` run config: domains plus explicit size/step flags (0 / "" → profile)."""
    cfg = {"domains": list(corpora), "embedded": embedded}
    cfg.update({k: v for k, v in (sizes or {}).items() if v})
    return {"ops": {"demix_corpora": {"config": cfg}}}


def cmd_study(args) -> int:
    """Run the whole DeMix job on the given corpora, print the held-out fidelity table and the
    verdict; non-zero exit when the job fails (1) or the fidelity targets are missed (3)."""
    import os
    import sys

    from pipelines.definitions import defs
    from pipelines.instance import prepare_dagster_home
    from warehouse.readers import read_sql
    from warehouse.writer import Warehouse

    from ops.demix.sizes import OVERRIDE_KEYS, SIZES, apply_overrides, n_params
    from ops.profiles import pick

    if args.profile:
        os.environ["TRAINYARD_PROFILE"] = args.profile
    # Check the corpora before starting the job: an empty or unreadable corpus is a one-line
    # error here, not a failed Dagster step with a traceback.
    from ops.demix.domains import load_user_domain

    for spec in args.corpora:
        load_user_domain(spec, pick(SIZES).max_chars)
    overrides = {k: getattr(args, k) for k in OVERRIDE_KEYS if getattr(args, k, None)}
    sizes = apply_overrides(pick(SIZES), overrides)
    print(f"DeMix models: {sizes.model.num_layers} layers x {sizes.model.hidden_size} wide "
          f"(~{n_params(sizes) / 1e6:.1f}M parameters), seq {sizes.seq_len}, batch {sizes.batch_size}, "
          f"steps base/component/final {sizes.base_steps}/{sizes.component_steps}/{sizes.final_steps}, "
          f"device {sizes.model.device}")
    prepare_dagster_home()
    Warehouse().ensure_schema()
    job = defs.resolve_job_def("demix_job")
    if args.until_fidelity:
        job = job.get_subset(asset_selection={dg.AssetKey(k) for k in
                                              ("demix_corpora", "demix_components", "demix_fidelity")})
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False,
                                        run_config=study_run_config(args.corpora, not args.no_embedded,
                                                                    overrides))
    if not result.success:
        print("demix study FAILED; see `trainyard ui` for the run's logs", file=sys.stderr)
        return 1
    fid = read_sql("SELECT split, variant, method, domain, round(spearman, 3) AS spearman, round(ci_low, 2) AS ci_low, "
                   "round(ci_high, 2) AS ci_high, k FROM demix_fidelity WHERE asset_key = 'demix_fidelity' "
                   "AND split = 'evaluation' ORDER BY domain = 'aggregate' DESC, domain, variant, method")
    import polars as pl

    with pl.Config(tbl_rows=200, tbl_width_chars=200):
        print(fid)
    return report_verdict()


def report_verdict() -> int:
    """Print the held-out fidelity verdict (and the final comparison when it ran); 0 when the
    fidelity targets are met, 3 when they are not."""
    import json

    from assets.demix import read_verdict
    from warehouse.readers import read_sql
    from warehouse.writer import Warehouse

    v = read_verdict(Warehouse().path)
    print(f"\nfidelity (held out): proxy kind chosen per cell on the selection half; evaluation half: "
          f"aggregate Spearman {v['aggregate_spearman']:.3f}, proxy beats the best free baseline in "
          f"{v['cells_won']}/{v['cells']} cells (need {v['cells_needed']})")
    for d, (p, lo, hi) in v["proxy_ci"].items():
        dd, dlo, dhi = v["proxy_minus_best_baseline_ci"][d]
        print(f"  {d} ({v['kinds'][d]}): proxy {p:.3f} [{lo:.2f}, {hi:.2f}], proxy - best free baseline "
              f"{dd:+.3f} [{dlo:+.2f}, {dhi:+.2f}]")
    fid = read_sql("SELECT summary_json FROM eval_reports WHERE suite = 'demix_fidelity'")
    summary = json.loads(fid["summary_json"][0]) if fid.height else {}
    if "heldout_cells_won_any_components" in summary:
        best = ", ".join(f"{d} {b} {r:.3f}" for d, (b, r) in summary["heldout_best_baseline_any_components"].items())
        print(f"  stricter: against the best free baseline from any variant's components ({best}) the proxy "
              f"wins {summary['heldout_cells_won_any_components']}/{v['cells']} cells")
    for t in summary.get("truth_noise") or []:
        print(f"  truth noise, {t['domain']}: two disjoint {t['seeds'] // 2}-seed truths agree at Spearman "
              f"{t['split_half']:.3f} [{t['split_half_low']:.3f}, {t['split_half_high']:.3f}] (ceiling "
              f"{t['ceiling']:.3f}); proxy - best with the seeds resampled {t['diff']:+.3f} "
              f"[{t['diff_seed_low']:+.3f}, {t['diff_seed_high']:+.3f}]"
              f"{' (within the seed noise)' if t['within_noise'] else ''}")
    reg = read_sql("SELECT regressor_trained_spearman AS r, regressor_trained_ci_low AS lo, "
                   "regressor_trained_ci_high AS hi, regressor_trained_k AS k FROM demix_choice")
    if reg.height:
        r = reg.row(0, named=True)
        print(f"search regressor vs trained mixtures (evaluation half, k={r['k']}): {r['r']:.3f} "
              f"[{r['lo']:.2f}, {r['hi']:.2f}]")
    final = read_sql("SELECT summary_json FROM eval_reports WHERE suite = 'demix_final'")
    if final.height:
        f = json.loads(final["summary_json"][0])
        print(f"final ({f['seeds']} seeds): chosen {f['chosen_mean_loss']:.4f} ± {f['chosen_sd']:.4f}, uniform "
              f"{f['uniform_mean_loss']:.4f} ± {f['uniform_sd']:.4f}, chosen - uniform {f['delta_mean_loss']:+.4f} "
              f"± {f['delta_sd']:.4f}")
    if not v["passed"]:
        print("fidelity check FAILED: the held-out targets are not met", file=sys.stderr)
        return 3
    return 0


def add_cli(subparsers) -> dict:
    from pipelines.cli_grammar import add_branch, add_verb

    sub = add_branch(subparsers, "demix", help="DeMix data-mixture search", dest="demix_command")
    study = add_verb(sub, "study", help="fidelity study (and search/final run) on user corpora",
                     example="trainyard demix study --corpora legal=contracts.jsonl web=crawl.parquet\n"
                             "trainyard demix study --profile tiny --until-fidelity")
    study.add_argument("--corpora", nargs="+", default=[],
                       help="domains as name=path or path (.txt, .jsonl, .parquet)")
    study.add_argument("--no-embedded", action="store_true", help="leave out the code/prose/math domains")
    study.add_argument("--profile", choices=["tiny", "demo", "full"], default=None,
                       help="run size (default: $TRAINYARD_PROFILE or demo)")
    study.add_argument("--until-fidelity", action="store_true", help="stop after the fidelity study")
    for flag, kind, what in (("layers", int, "transformer layers"), ("width", int, "hidden size"),
                             ("heads", int, "attention heads"), ("intermediate", int, "MLP width"),
                             ("seq-len", int, "training window"), ("batch-size", int, "batch size"),
                             ("lr", float, "learning rate"), ("base-steps", int, "base model steps"),
                             ("component-steps", int, "steps per component"),
                             ("final-steps", int, "final-run steps"), ("vocab", int, "BPE vocabulary"),
                             ("eval-tokens", int, "held-out tokens per domain"),
                             ("fidelity-k", int, "really-trained fidelity mixtures (the profile's come first)")):
        study.add_argument(f"--{flag}", type=kind, default=0, help=f"{what} (0: the profile's)")
    study.add_argument("--device", default="", choices=["", "auto", "cpu", "cuda"], help="model device")
    study.add_argument("--dtype", default="", choices=["", "fp32", "bf16"], help="weights dtype")
    return {"demix": cmd_study}
