"""Rubric branch wiring (issue #7): assets, job, demo plan and the ``rubrics-eval`` command."""

import dagster as dg

from assets.rubrics import RUBRIC_ASSETS

ASSETS = RUBRIC_ASSETS
ASSET_CHECKS: list = []
rubrics_job = dg.define_asset_job("rubrics_job", selection=dg.AssetSelection.groups("rubrics"))
JOBS = [rubrics_job]
SCHEDULES: list = []
SENSORS: list = []

DEFAULT_HH = "../shared/data/preferences/hh-rlhf/harmless-base/test-first1600.jsonl.gz"


def demo_plan(instance: dg.DagsterInstance) -> "list[tuple[str, str | None]]":
    """(job name, partition key) runs that ``trainyard demo`` executes for this branch."""
    return [("rubrics_job", None)]


def cmd_rubrics_eval(args) -> int:
    """Fit ``learned`` on part of a preference file, report every generator on the rest."""
    import sys
    from pathlib import Path

    from ops.rubrics.eval_cli import run_eval

    path = Path(args.hh_rlhf or args.jsonl or "")
    if not str(path) or str(path) == ".":
        from warehouse.paths import PROJECT_ROOT

        path = (PROJECT_ROOT / DEFAULT_HH).resolve()
    if not path.is_file():
        print(f"error: preference file {path} not found (the hh-rlhf subset lives in ../shared/data; "
              "pass --hh-rlhf PATH or --jsonl PATH)", file=sys.stderr)
        return 2
    return run_eval(path, kind="jsonl" if args.jsonl else "hh-rlhf", test_fraction=args.test_fraction,
                    generators=args.generators, limit=args.limit, seed=args.seed,
                    criteria_bank=Path(args.criteria_bank) if args.criteria_bank else None)


def add_cli(subparsers) -> dict:
    p = subparsers.add_parser("rubrics-eval", help="preference accuracy / AUC / Cohen's d of each rubric generator "
                                                   "on held-out pairs (default: the hh-rlhf subset)")
    p.add_argument("--hh-rlhf", default="", help="hh-rlhf {chosen, rejected} .jsonl(.gz)")
    p.add_argument("--jsonl", default="", help="generic preference JSONL instead")
    p.add_argument("--test-fraction", type=float, default=0.3)
    p.add_argument("--generators", nargs="*", default=["generic", "template", "learned"])
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--criteria-bank", default="", help="DeepResearch Bench criteria.jsonl whose criteria the "
                                                      "learned generator may select")
    return {"rubrics-eval": cmd_rubrics_eval}
