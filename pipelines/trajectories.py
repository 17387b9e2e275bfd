"""Trajectories branch wiring (#4): per-repository task + trajectory job, the cross-repository
dataset → SFT → report job, the demo plan and ``trainyard trajectories``."""

from pathlib import Path

import dagster as dg

from assets.github import github_repos
from assets.task_verification import VERIFICATION_ASSETS, VERIFICATION_CHECKS, verified_tasks
from assets.trajectories import (TRAJECTORY_ASSETS, TRAJECTORY_CHECKS, agent_trajectories, trajectory_dataset,
                                 trajectory_eval_report, trajectory_sft, trajectory_tasks)

ASSETS = VERIFICATION_ASSETS + TRAJECTORY_ASSETS
ASSET_CHECKS = VERIFICATION_CHECKS + TRAJECTORY_CHECKS

trajectories_repo_job = dg.define_asset_job(
    "trajectories_repo_job", selection=dg.AssetSelection.assets(verified_tasks, trajectory_tasks, agent_trajectories),
    description="Execution-verified tasks, task statements and agent trajectories for one repository partition.")
trajectories_dataset_job = dg.define_asset_job(
    "trajectories_dataset_job",
    selection=dg.AssetSelection.assets(trajectory_dataset, trajectory_sft, trajectory_eval_report),
    description="Dedup + decontamination + export (blocking contamination check), SFT run, report.")
trajectories_verify_job = dg.define_asset_job(
    "trajectories_verify_job", selection=dg.AssetSelection.assets(verified_tasks),
    description="Execution verification only: each filtered-in PR's tests before/after in the sandbox.")
JOBS = [trajectories_repo_job, trajectories_dataset_job, trajectories_verify_job]
SCHEDULES: list = []
SENSORS: list = []


def demo_plan(instance: dg.DagsterInstance) -> "list[tuple[str, str | None]]":
    """The embedded demo repository's partition (registered by the GitHub branch's plan), then the
    cross-repository dataset job."""
    from ops.github.demo_repo import DEMO_REPO

    return [("trajectories_repo_job", DEMO_REPO), ("trajectories_dataset_job", None)]


def repo_run_config(args) -> dict:
    """Run config for ``trajectories_repo_job`` from the CLI flags: ``--model`` selects the
    transformers backend (checkpoint dir | .gguf | smollm2) for task statements and thoughts."""
    cfg: dict = {}
    if getattr(args, "model", None):
        cfg.update(llm_kind="transformers", llm_checkpoint=args.model, llm_device=args.device,
                   llm_dtype=args.dtype, llm_batch_size=args.batch_size)
    if getattr(args, "max_tasks", 0):
        cfg["max_tasks"] = args.max_tasks
    if getattr(args, "n_candidates", None):
        cfg["n_candidates"] = args.n_candidates
    if not cfg:
        return {}
    return {"ops": {"trajectory_tasks": {"config": cfg}, "agent_trajectories": {"config": cfg}}}


def sft_run_config(args) -> dict:
    """Run config for the dataset job's ``trajectory_sft`` from ``--sft-*`` flags."""
    cfg: dict = {}
    for flag, key in (("sft_model", "base_checkpoint"), ("sft_steps", "steps"), ("sft_batch_size", "batch_size"),
                      ("sft_grad_accum", "grad_accum"), ("sft_max_length", "max_length"), ("sft_lr", "lr"),
                      ("sft_eval_trajectories", "eval_trajectories"), ("sft_checkpoint_every", "checkpoint_every"),
                      ("sft_max_new_tokens", "max_new_tokens"), ("sft_warmup_steps", "warmup_steps"),
                      ("sft_head_tokens", "head_tokens"), ("sft_heldout_loss_windows", "heldout_loss_windows")):
        value = getattr(args, flag, None)
        if value:
            cfg[key] = value
    if cfg or getattr(args, "device", "auto") != "auto" or getattr(args, "dtype", "fp32") != "fp32":
        cfg.update(device=args.device, dtype=args.dtype)
    return {"ops": {"trajectory_sft": {"config": cfg}}} if cfg else {}


def _cmd_trajectories(args) -> int:
    from pipelines.definitions import defs
    from pipelines.instance import prepare_dagster_home
    from warehouse.readers import read_sql
    from warehouse.writer import Warehouse

    prepare_dagster_home()
    Warehouse().ensure_schema()
    verify = {"max_prs": args.max_prs, "runs": args.runs, "workers": args.workers, "wall_s": args.wall_s}
    job = "trajectories_verify_job" if args.trajectories_command == "verify" else "trajectories_repo_job"
    with dg.DagsterInstance.get() as instance:
        repos = args.repo or instance.get_dynamic_partitions(github_repos.name)
        failed = 0
        repo_config = repo_run_config(args)
        repo_config.setdefault("ops", {})["verified_tasks"] = {"config": verify}
        for repo in ([] if getattr(args, "sft_only", False) else repos):
            r = defs.resolve_job_def(job).execute_in_process(
                instance=instance, partition_key=repo, raise_on_error=False,
                run_config=repo_config if job == "trajectories_repo_job" else
                {"ops": {"verified_tasks": {"config": verify}}})
            print(f"{job} [{repo}]: {'ok' if r.success else 'FAILED'}")
            failed += not r.success
        if args.trajectories_command == "verify":
            print(read_sql("SELECT repo, status, count(*) AS n FROM task_validations GROUP BY 1, 2 ORDER BY 1, 2"))
            return 1 if failed else 0
        dataset_config = sft_run_config(args) or {"ops": {}}
        if args.eval_set is not None:
            dataset_config["ops"]["trajectory_dataset"] = {
                "config": {"eval_sets": [str(Path(p).resolve()) for p in args.eval_set]}}
        r = defs.resolve_job_def("trajectories_dataset_job").execute_in_process(
            instance=instance, raise_on_error=False, run_config=dataset_config)
        print(f"trajectories_dataset_job: {'ok' if r.success else 'FAILED'}")
        failed += not r.success
    print(read_sql("SELECT gate, keep, count(*) AS n FROM trajectory_decisions GROUP BY 1, 2 ORDER BY 1, 2"))
    print(read_sql("SELECT split, count(*) AS n, any_value(export_dir) AS export_dir FROM trajectory_dataset "
                   "GROUP BY split"))
    print(read_sql("SELECT generator, count(*) AS n FROM trajectories GROUP BY generator ORDER BY n DESC"))
    return 1 if failed else 0


def _cmd_diversity(args) -> int:
    """Distinct thought skeletons per generator (each thought counted under the generator that
    wrote it: a model, or the labelled template fallback) and over all thoughts, the share of
    thoughts and task statements a model wrote, all with Clopper–Pearson intervals; recorded as an
    eval report (suite ``trajectory_thought_diversity``) so the numbers live in ``eval_metrics``."""
    from ops.trajectories.diversity import diversity_metrics, thoughts_of
    from warehouse.readers import read_sql
    from warehouse.registry import EvalMetric, record_eval_report
    from warehouse.writer import Lineage, Warehouse

    wh = Warehouse()
    wh.ensure_schema()
    rows = read_sql("SELECT generator, thought_generators, messages_json FROM trajectories "
                    "WHERE asset_key = 'agent_trajectories'")
    pairs = []
    for r in rows.to_dicts():
        thoughts = thoughts_of(r["messages_json"])
        gens = list(r["thought_generators"] or [])
        gens = gens if len(gens) == len(thoughts) else [r["generator"]] * len(thoughts)
        pairs += list(zip(gens, thoughts))
    if not pairs:
        print("no trajectories with thoughts in the warehouse: run `trainyard trajectories build` first")
        return 1
    tasks = read_sql("SELECT generator FROM trajectory_tasks WHERE asset_key = 'trajectory_tasks'")
    found, extra = diversity_metrics(pairs, tasks["generator"].to_list())
    for d in found:
        print(f"{d.generator:45} thoughts {d.thoughts:6}  distinct skeletons {d.distinct:6}  share {d.share:.3f} "
              f"[{d.ci[0]:.3f}, {d.ci[1]:.3f}]")
        for sk, n in d.top:
            print(f"    {n:5} × {sk[:110]}")
    for name, (value, n, lo, hi) in extra.items():
        print(f"{name:60} {value:.3f} of {n} [{lo:.3f}, {hi:.3f}]")
    metrics = [EvalMetric(f"distinct_thought_skeleton_share[{d.generator}]", d.share, n=d.thoughts,
                          ci_low=d.ci[0], ci_high=d.ci[1]) for d in found]
    metrics += [EvalMetric(name, value, n=n, ci_low=lo, ci_high=hi) for name, (value, n, lo, hi) in extra.items()]
    record_eval_report(wh, report_id="trajectory_thought_diversity", subject_kind="dataset", subject="trajectories",
                       suite="trajectory_thought_diversity",
                       summary={d.generator: {"thoughts": d.thoughts, "distinct": d.distinct, "share": d.share}
                                for d in found},
                       html_path="", metrics=metrics, lineage=Lineage.adhoc("trajectory_thought_diversity"),
                       source_key="trajectories")
    return 0


def _dispatch(args) -> int:
    return _cmd_diversity(args) if args.trajectories_command == "diversity" else _cmd_trajectories(args)


def add_cli(subparsers) -> dict:
    """``trainyard trajectories build [--repo OWNER/NAME ...] [--model PATH|smollm2 --device --dtype]
    [--sft-model PATH|smollm2 --sft-steps N ...]`` (repositories already synced)."""
    from pipelines.cli_grammar import add_branch, add_verb

    sub = add_branch(subparsers, "trajectories", help="build agent trajectories + SFT from synced repositories",
                     dest="trajectories_command")
    b = add_verb(sub, "build", help="verified tasks → trajectories → dataset → SFT → report",
                 example="trainyard trajectories build --repo acme/widgets --max-prs 50 "
                         "--eval-set swe_bench_verified.jsonl\n"
                         "trainyard trajectories build --sft-only --sft-model smollm2 --sft-steps 200")
    v = add_verb(sub, "verify", help="only run each PR's tests in the sandbox (task_validations)",
                 example="trainyard trajectories verify --repo owner/name --max-prs 100")
    for x in (b, v):
        x.add_argument("--repo", nargs="*", default=None, help="owner/name partitions (default: all synced)")
        x.add_argument("--max-prs", type=int, default=0, help="validate the newest N filtered-in PRs (0: all)")
        x.add_argument("--runs", type=int, default=2, help="runs per phase that must agree (default 2)")
        x.add_argument("--workers", type=int, default=1, help="PRs validated at once")
        x.add_argument("--wall-s", type=float, default=300.0, help="wall-clock limit of one test run, seconds")
    b.add_argument("--eval-set", action="append", default=None, metavar="PATH",
                   help="JSONL evaluation set to decontaminate against (repo + pr, pr_key or SWE-bench "
                        "instance_id, problem_statement, patch); repeatable. Default: the embedded list")
    b.add_argument("--model", default="", help="task statements + thoughts from this model with transformers: "
                   "a checkpoint directory, a .gguf file, or 'smollm2' (default: the labelled template); its "
                   "text passes a gate per thought/statement, else the template's text is used, labelled template")
    b.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    b.add_argument("--dtype", default="fp32", choices=["fp32", "bf16"])
    b.add_argument("--batch-size", type=int, default=8, help="prompts per generate() call (--model)")
    b.add_argument("--max-tasks", type=int, default=0, help="only N PRs get tasks, verified ones first, then "
                   "lowest-numbered (0: all)")
    b.add_argument("--n-candidates", type=int, default=0, help="thought candidates per task (sampling backends); "
                   "with --model also the candidates per thought and per statement the gate chooses from")
    b.add_argument("--sft-model", default="", help="SFT warm start: checkpoint dir, .gguf or 'smollm2' "
                   "(default: a tiny Llama trained from scratch)")
    b.add_argument("--sft-steps", type=int, default=0)
    b.add_argument("--sft-batch-size", type=int, default=0)
    b.add_argument("--sft-grad-accum", type=int, default=0)
    b.add_argument("--sft-max-length", type=int, default=0)
    b.add_argument("--sft-lr", type=float, default=0.0)
    b.add_argument("--sft-eval-trajectories", type=int, default=0)
    b.add_argument("--sft-checkpoint-every", type=int, default=0)
    b.add_argument("--sft-max-new-tokens", type=int, default=0)
    b.add_argument("--sft-warmup-steps", type=int, default=0)
    b.add_argument("--sft-head-tokens", type=int, default=0)
    b.add_argument("--sft-heldout-loss-windows", type=int, default=0)
    b.add_argument("--sft-only", action="store_true", help="skip the per-repository jobs (tasks and "
                   "trajectories already built); run the dataset → SFT → report job")
    add_verb(sub, "diversity", help="distinct thought skeletons per generator (file names masked)",
             example="trainyard trajectories diversity")
    return {"trajectories": _dispatch}
