"""Rubric branch wiring (issue #7): assets, job, demo plan and ``trainyard rubrics eval|drb|probe``."""

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
    """Fit ``learned`` on training pairs, report every generator and baseline on held-out pairs."""
    import sys
    from pathlib import Path

    from ops.rubrics.eval_cli import run_eval

    command = getattr(args, "rubrics_command", "eval")
    if command == "drb":
        from ops.rubrics.eval_cli import run_drb_loo

        d = Path(args.drb_dir)
        if not (d / "query.jsonl").is_file() or not (d / "criteria.jsonl").is_file():
            print(f"error: {d} needs query.jsonl and criteria.jsonl", file=sys.stderr)
            return 2
        return run_drb_loo(d / "query.jsonl", d / "criteria.jsonl", k=args.k, per_dimension=args.per_dimension)
    if command == "probe":
        from ops.rubrics.eval_cli import run_probe

        return run_probe(judge=not args.no_judge)
    train = Path(args.train) if args.train else None
    test = Path(args.test) if args.test else None
    for f in (train, test):
        if f is not None and not f.is_file():
            print(f"error: preference file {f} not found", file=sys.stderr)
            return 2
    path = Path(args.hh_rlhf or args.jsonl or "")
    if train is None and test is None:
        if not str(path) or str(path) == ".":
            from warehouse.paths import PROJECT_ROOT

            path = (PROJECT_ROOT / DEFAULT_HH).resolve()
        if not path.is_file():
            print(f"error: preference file {path} not found (the hh-rlhf subset lives in ../shared/data; "
                  "pass --hh-rlhf PATH, --jsonl PATH or --train/--test)", file=sys.stderr)
            return 2
    policy_sizes = None
    if args.sft_steps or args.grpo_steps:
        import dataclasses

        from ops.profiles import pick
        from ops.rubrics.sizes import SIZES

        base = pick(SIZES)["policy"]
        policy_sizes = dataclasses.replace(base, sft_steps=args.sft_steps or base.sft_steps,
                                           grpo_steps=args.grpo_steps or base.grpo_steps)
    return run_eval(path, test_fraction=args.test_fraction, generators=args.generators, limit=args.limit,
                    seed=args.seed, criteria_bank=Path(args.criteria_bank) if args.criteria_bank else None,
                    train_path=train, test_path=test, seeds=args.seeds, target=args.target,
                    policy_sizes=policy_sizes, model_criteria=args.model_criteria)


def _eval_args(p) -> None:
    p.add_argument("--train", default="", help="training preference file (hh-rlhf or generic JSONL)")
    p.add_argument("--test", default="", help="held-out preference file; must share no query with --train")
    p.add_argument("--hh-rlhf", default="", help="one hh-rlhf {chosen, rejected} .jsonl(.gz), split by query")
    p.add_argument("--jsonl", default="", help="one generic preference JSONL, split by query")
    p.add_argument("--test-fraction", type=float, default=0.3)
    p.add_argument("--seeds", type=int, default=1, help="number of seeds (splits / fits) to average over")
    p.add_argument("--seed", type=int, default=0, help="first seed")
    p.add_argument("--generators", nargs="*", default=["generic", "template", "learned"],
                   help="generic template learned llm sft grpo (sft/grpo: the rubric-writing LM trained per seed "
                        "on the train pairs, SFT on distilled rubrics then GRPO on the hybrid reward)")
    p.add_argument("--sft-steps", type=int, default=0, help="SFT steps of the sft/grpo policy (0: the profile's)")
    p.add_argument("--grpo-steps", type=int, default=0, help="GRPO steps of the grpo policy (0: the profile's)")
    p.add_argument("--target", default="learned", help="method compared against every other one")
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--model-criteria", action="store_true",
                   help="let the learned generator also pick criteria scored by the real local model "
                        "(SmolLM2's likelihood of the answer after the dialogue; slow on first use, cached)")
    p.add_argument("--criteria-bank", default="", help="DeepResearch Bench criteria.jsonl whose criteria the "
                                                      "learned generator may select")


def add_cli(subparsers) -> dict:
    from pipelines.cli_grammar import add_branch, add_verb

    sub = add_branch(subparsers, "rubrics", help="rubric generators: held-out evaluation, DRB rubrics, probes",
                     dest="rubrics_command")
    _eval_args(add_verb(
        sub, "eval", help="preference accuracy of each rubric generator and free baselines on held-out, "
        "query-disjoint pairs (default: the hh-rlhf subset)",
        example="trainyard rubrics eval\ntrainyard rubrics eval --jsonl my_pairs.jsonl --seeds 3\n"
                "trainyard rubrics eval --train train.jsonl --test test.jsonl --generators generic learned"))
    drb = add_verb(sub, "drb", help="query-specific DRB rubrics, leave-one-query-out (format, distinctness, "
                   "coverage)", example="trainyard rubrics drb --drb-dir ../shared/data/research/deep_research_bench")
    drb.add_argument("--drb-dir", default="../shared/data/research/deep_research_bench",
                     help="folder with DRB query.jsonl and criteria.jsonl")
    drb.add_argument("--k", type=int, default=6, help="neighbour queries to retrieve criteria from")
    drb.add_argument("--per-dimension", type=int, default=8, help="criteria per dimension (DRB uses 4-10)")
    probe = add_verb(sub, "probe", help="criterion-satisfaction scorers' agreement with the hand-written probe set",
                     example="trainyard rubrics probe --no-judge")
    probe.add_argument("--no-judge", action="store_true", help="skip the SmolLM2 judge (embedding and criterion-checks scorers only)")
    return {"rubrics": cmd_rubrics_eval}
