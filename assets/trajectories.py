"""Repository back-translation assets: PR chains → hidden-implementation tasks → agent trajectories
(quality gates) → deduplicated, decontaminated JSONL/Parquet → TRL SFT run → evaluation report.

Per repository (partition of ``github_repos``): ``trajectory_tasks``, ``agent_trajectories``.
Across repositories: ``trajectory_dataset`` (split by repository), ``trajectory_sft``,
``trajectory_eval_report``. Checks: ``task_leak_check`` (threshold) and the blocking
``trajectory_contamination_check``.
"""

import dataclasses
import json
import warnings
from pathlib import Path
from typing import Optional

import dagster as dg

from assets.github import github_pr_chains, github_repos
from assets.lineage import content_version, lineage_of, report_metadata, with_data_version
from assets.task_verification import verified_tasks
from pipelines.resources import WarehouseResource

GROUP = "trajectories"
DEMO_EVAL_SET = str(Path(__file__).resolve().parent.parent / "ops" / "trajectories" / "eval_sets" / "demo_eval.jsonl")


class TrajectoryConfig(dg.Config):
    """LLM backend and gate settings (the API key only ever comes from the environment)."""

    llm_kind: str = ""  # template (default) | transformers | openai | vllm; "" → $TRAINYARD_LLM_BACKEND or template
    llm_model: str = ""
    llm_checkpoint: str = ""  # transformers: checkpoint dir | .gguf file | "smollm2"
    llm_device: str = "auto"  # transformers: auto | cpu | cuda
    llm_dtype: str = "fp32"  # transformers: fp32 | bf16
    llm_batch_size: int = 8  # transformers: prompts per generate() call
    llm_base_url: str = ""  # else $TRAINYARD_LLM_BASE_URL / $OPENAI_BASE_URL
    llm_api_key_env: str = "OPENAI_API_KEY"
    llm_concurrency: int = 8
    llm_max_retries: int = 3
    llm_timeout_s: float = 60.0
    n_candidates: int = 4
    temperature: float = 0.7
    score_threshold: float = 0.8
    leak_threshold: float = 0.2
    max_attempts: int = 3
    thought_max_tokens: int = 32  # small models (transformers): one-sentence thoughts
    pass_rates_path: str = ""  # JSONL {task_id, passes, rollouts} for the SWE-Master filter
    max_tasks: int = 0  # >0: only the first N PRs (by number) get tasks — bounds slow model backends


class TrajectoryDatasetConfig(dg.Config):
    eval_sets: Optional[list[str]] = None  # JSONL paths; None → the embedded illustrative list
    dedup_threshold: float = 0.8
    contamination_threshold: float = 0.5
    drop_contaminated: bool = True
    heldout_fraction: float = 0.2


class TrajectorySFTConfig(dg.Config):
    """The model (``ModelSpec``) and loop settings; 0 / "" → the profile's value."""

    base_checkpoint: str = ""  # checkpoint dir | .gguf | "smollm2" (warm start); "" → tiny Llama
    device: str = "auto"  # auto | cpu | cuda
    dtype: str = "fp32"  # fp32 | bf16 (weights); CUDA autocasts to bf16 either way
    steps: int = 0
    batch_size: int = 0
    grad_accum: int = 0
    max_length: int = 0
    lr: float = 0.0
    eval_trajectories: int = 0  # distinct held-out trajectories evaluated
    max_new_tokens: int = 0
    checkpoint_every: int = 0  # resumable loop checkpoints every N steps
    warmup_steps: int = 0
    head_tokens: int = 0  # system prompt + task kept at the start of every window
    heldout_loss_windows: int = 0


def sft_sizes(config: TrajectorySFTConfig):
    from ops.lm.model import SMOLLM2, smollm2_gguf
    from ops.profiles import pick, profile_name
    from ops.trajectories.sft import SIZES, warm_start

    sizes = pick(SIZES)
    base = config.base_checkpoint
    if not base and profile_name() == "full" and smollm2_gguf() is not None:
        base = SMOLLM2  # the full profile warm-starts from SmolLM2-135M-Instruct when it is installed
    if base:
        sizes = warm_start(sizes, base)
    sizes = dataclasses.replace(sizes, model=dataclasses.replace(sizes.model, device=config.device,
                                                                 dtype=config.dtype))
    overrides = {k: getattr(config, k) for k in ("steps", "batch_size", "grad_accum", "max_length", "lr",
                                                 "eval_trajectories", "max_new_tokens", "checkpoint_every",
                                                 "warmup_steps", "head_tokens", "heldout_loss_windows")
                 if getattr(config, k)}
    return dataclasses.replace(sizes, **overrides)


def _backend(config: TrajectoryConfig, wh, lineage):
    from ops.llm import make_backend
    from warehouse.llm_cache import WarehouseLLMCache

    cfg = {"kind": config.llm_kind, "model": config.llm_model, "checkpoint": config.llm_checkpoint,
           "base_url": config.llm_base_url, "api_key_env": config.llm_api_key_env,
           "concurrency": config.llm_concurrency, "max_retries": config.llm_max_retries,
           "timeout_s": config.llm_timeout_s, "device": config.llm_device, "dtype": config.llm_dtype,
           "batch_size": config.llm_batch_size}
    backend = make_backend(cfg)
    if getattr(backend, "deterministic", False):
        return backend  # templates are free: caching them would only grow the table
    return make_backend(cfg, cache=WarehouseLLMCache(wh, dataclasses.replace(lineage, asset_key="llm_cache")))


def _gates(config: TrajectoryConfig):
    from ops.trajectories.build import GateConfig

    return GateConfig(n_candidates=config.n_candidates, temperature=config.temperature,
                      score_threshold=config.score_threshold, leak_threshold=config.leak_threshold,
                      max_attempts=config.max_attempts, max_tasks=config.max_tasks,
                      thought_max_tokens=config.thought_max_tokens)


def _llm_metadata(backend) -> dict:
    """Generation throughput and cache use of a model backend (empty for the template)."""
    inner = getattr(backend, "inner", backend)
    meta = {}
    stats = getattr(inner, "stats", None)
    if stats:
        meta["llm_new_tokens"] = int(stats["new_tokens"])
        meta["llm_tokens_per_s"] = round(stats["new_tokens"] / stats["seconds"], 2) if stats["seconds"] else 0.0
    if hasattr(backend, "hits"):
        meta["llm_cache_hits"] = backend.hits
        meta["llm_cache_misses"] = backend.misses
    return meta


@dg.asset(group_name=GROUP, code_version="2", partitions_def=github_repos,
          deps=[github_pr_chains, verified_tasks],
          description="Issue-voice task statements (goal + observable behaviour, no implementation) for "
                      "every PR that passed the task filters and was validated (and chains of such PRs), "
                      "naming the FAIL_TO_PASS tests of verified PRs, with their leak scores. "
                      "trajectory_tasks: one row per task (kind, PRs, statement, generator, leak score); "
                      "tasks that cannot be stated go to quarantine.")
def trajectory_tasks(context: dg.AssetExecutionContext, config: TrajectoryConfig,
                     warehouse: WarehouseResource) -> dg.MaterializeResult:
    from ops.github.store import load_snapshot
    from ops.trajectories.build import synthesize_tasks
    from ops.trajectories.sources import load_chains
    from ops.trajectories.store import load_validations
    from warehouse.registry import quarantine

    wh = warehouse.get()
    repo = context.partition_key
    snapshot = load_snapshot(repo, path=wh.path)
    chains = load_chains(repo, path=wh.path)
    lineage = lineage_of(context)
    backend = _backend(config, wh, lineage)
    gate: dict = {}
    tasks, bad = synthesize_tasks(snapshot, chains, backend, _gates(config), load_validations(repo, wh.path), gate)
    lineage = with_data_version(lineage, content_version(sorted((t.task_id, t.text) for t in tasks)))
    rows = [{"task_id": t.task_id, "kind": t.kind, "repo": t.repo, "pr_keys": t.source_keys,
             "task_text": t.text, "generator": t.generator, "leak_score": t.leak_score,
             "leak_detail": t.leak_detail, "source_key": ",".join(t.source_keys)} for t in tasks]
    wh.write("trajectory_tasks", rows, lineage)
    quarantine(wh, bad, lineage)
    worst = max(tasks, key=lambda t: t.leak_score, default=None)
    return dg.MaterializeResult(data_version=dg.DataVersion(lineage.data_version), metadata={
        "tasks": len(tasks), "pr_tasks": sum(t.kind == "pr" for t in tasks),
        "chain_tasks": sum(t.kind == "chain" for t in tasks), "quarantined": len(bad),
        "max_leak_score": float(worst.leak_score) if worst else 0.0,
        "generators": ", ".join(sorted({t.generator for t in tasks})), **_llm_metadata(backend),
        **(gate["statements"].as_dict("statements") if "statements" in gate else {}),
        "example": dg.MetadataValue.md(f"**{worst.task_id}**\n\n{worst.text}" if worst else "(none)"),
    })


class LeakCheckConfig(dg.Config):
    threshold: float = 0.2  # a task with leak_score above this leaks its implementation
    max_share: float = 0.0  # share of leaking tasks tolerated


def _task_leak_check(context: dg.AssetCheckExecutionContext, config: LeakCheckConfig,
                    warehouse: WarehouseResource) -> dg.AssetCheckResult:
    from ops.trajectories.checks import leak_check

    passed, meta = leak_check(warehouse.get().path, context.partition_key if context.has_partition_key else None,
                              config.threshold, config.max_share)
    return dg.AssetCheckResult(passed=passed, metadata=meta, severity=dg.AssetCheckSeverity.ERROR)


with warnings.catch_warnings():  # partitioned asset checks are a Dagster preview feature
    warnings.simplefilter("ignore", dg.PreviewWarning)
    task_leak_check = dg.asset_check(
        asset=trajectory_tasks, partitions_def=github_repos, name="task_leak_check",
        description="Leak check: share of task statements whose overlap with the diff's added lines "
                    "exceeds the threshold must not exceed max_share.")(_task_leak_check)


@dg.asset(group_name=GROUP, code_version="2", partitions_def=github_repos,
          deps=[trajectory_tasks, verified_tasks],
          description="Agent trajectories replayed from the real history (OpenAI chat/tool-call format), "
                      "thoughts from the backend, N candidates per task, rejection sampling ≥ threshold, "
                      "difficulty tags, SWE-Master filter. trajectories: one row per kept trajectory "
                      "(messages JSON, score, tool calls, real/replayed/synthetic observations, "
                      "difficulty); trajectory_decisions: one row per (candidate, gate) with keep and "
                      "reason; unusable tasks go to quarantine.")
def agent_trajectories(context: dg.AssetExecutionContext, config: TrajectoryConfig,
                       warehouse: WarehouseResource) -> dg.MaterializeResult:
    from ops.github.store import load_snapshot
    from ops.trajectories.build import build_trajectories
    from ops.trajectories.store import load_pass_rates, load_tasks, load_validations
    from ops.trajectories.sources import clone_path, load_chains
    from warehouse.registry import quarantine

    wh = warehouse.get()
    repo = context.partition_key
    lineage = lineage_of(context)
    snapshot = load_snapshot(repo, path=wh.path)
    tasks = load_tasks(repo, wh.path)
    path = clone_path(snapshot)
    if path is None:
        quarantine(wh, [(t.task_id, f"no local clone of {repo}: file contents at a commit need git history",
                         {"url": snapshot.repository.url}) for t in tasks], lineage)
        wh.write("trajectories", [], lineage)
        return dg.MaterializeResult(metadata={"trajectories": 0, "quarantined": len(tasks)})
    pass_rates = load_pass_rates(config.pass_rates_path) if config.pass_rates_path else None
    backend = _backend(config, wh, lineage)
    built = build_trajectories(tasks, snapshot, load_chains(repo, wh.path), path, backend, _gates(config), pass_rates,
                               load_validations(repo, wh.path))
    from ops.trajectories.store import trajectory_rows

    rows = trajectory_rows(built)
    lineage = with_data_version(lineage, content_version(sorted((r["trajectory_id"], r["messages_json"]) for r in rows)))
    wh.write("trajectories", rows, lineage)
    wh.write("trajectory_decisions", [dict(dataclasses.asdict(d), source_key=d.source_key or d.task_id)
                                      for d in built.decisions], lineage)
    quarantine(wh, built.quarantined, lineage)
    kept = {r["trajectory_id"] for r in rows}
    rejected = sum(1 for d in built.decisions if d.gate == "rejection_sampling" and not d.keep)
    example = rows[0]["messages_json"] if rows else "[]"
    return dg.MaterializeResult(data_version=dg.DataVersion(lineage.data_version), metadata={
        "tasks": len(tasks), "candidates": built.candidates, "kept": len(kept), "rejected_candidates": rejected,
        "quarantined": len(built.quarantined), **_llm_metadata(backend),
        **(built.thought_gate.as_dict("thoughts") if built.thought_gate else {}),
        "verified_kept": sum(1 for r in rows if r["n_synthetic_observations"] == 0),
        "self_correction_steps": sum(r["n_self_corrections"] for r in rows),
        "difficulty": dg.MetadataValue.json({lvl: sum(r["difficulty"] == lvl for r in rows)
                                             for lvl in ("easy", "medium", "hard")}),
        "example": dg.MetadataValue.md("```json\n" + json.dumps(json.loads(example)[:6], indent=1)[:3000] + "\n```"),
    })


@dg.asset(group_name=GROUP, code_version="1", deps=[agent_trajectories],
          description="MinHash near-duplicate removal and decontamination against the configured evaluation "
                      "sets, then JSONL + Parquet export (train/held-out split by repository). "
                      "trajectory_dataset: one row per exported trajectory with its split and export "
                      "folder; trajectory_decisions: the dedup and contamination verdicts; view "
                      "trajectory_export over the exported Parquet.")
def trajectory_dataset(context: dg.AssetExecutionContext, config: TrajectoryDatasetConfig,
                       warehouse: WarehouseResource) -> dg.MaterializeResult:
    from ops.trajectories.dataset import export_with_manifest
    from warehouse.paths import artifact_dir

    wh = warehouse.get()
    lineage = lineage_of(context)
    eval_sets = [DEMO_EVAL_SET] if config.eval_sets is None else list(config.eval_sets)
    out = export_with_manifest(wh.path, artifact_dir("trajectories", "dataset"), eval_sets,
                               dedup_threshold=config.dedup_threshold,
                               contamination_threshold=config.contamination_threshold,
                               drop_contaminated=config.drop_contaminated, heldout_fraction=config.heldout_fraction)
    lineage = with_data_version(lineage, out["data_version"])
    wh.write("trajectory_dataset", out["rows"], lineage)
    wh.write("trajectory_decisions", out["decisions"], lineage)
    wh.create_parquet_view("trajectory_export", artifact_dir("trajectories", "dataset") / "*.parquet")
    return dg.MaterializeResult(data_version=dg.DataVersion(out["data_version"]), metadata={
        "input": out["n_input"], "near_duplicates": out["n_dup"], "contaminated": out["n_contaminated"],
        "train": out["counts"]["train"], "heldout": out["counts"]["heldout"], "split_unit": out["split_unit"],
        "eval_sets": ", ".join(eval_sets) or "(none)",
        "export_dir": dg.MetadataValue.path(str(out["out_dir"])),
    })


@dg.asset_check(asset=trajectory_dataset, blocking=True,
                description="Blocking: re-scans the exported files against the evaluation sets the export used "
                            "(PR ids and MinHash task text); any hit fails and stops the SFT run.")
def trajectory_contamination_check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    from ops.trajectories.checks import contamination_check
    from warehouse.paths import artifact_dir

    passed, meta = contamination_check(artifact_dir("trajectories", "dataset"))
    return dg.AssetCheckResult(passed=passed, metadata=meta, severity=dg.AssetCheckSeverity.ERROR)


@dg.asset(group_name=GROUP, code_version="1", deps=[trajectory_dataset],
          description="SFT (assistant-turn loss only, windows covering the assistant tokens) of a tiny causal LM "
                      "or a warm start from a checkpoint/GGUF/smollm2, on the exported trajectories; held-out "
                      "tool-call validity and tool-name match before and after. training_runs: one row "
                      "for the run; training_metrics: its loss curve; "
                      "trajectory_run_inputs: which trajectories (and split) the run used.")
def trajectory_sft(context: dg.AssetExecutionContext, config: TrajectorySFTConfig,
                   warehouse: WarehouseResource) -> dg.MaterializeResult:
    from ops.trajectories.sft import result_summary, train_sft
    from warehouse.paths import artifact_dir
    from warehouse.readers import read_sql
    from warehouse.registry import TrainingRun, recorded_training_run, run_id_for

    wh = warehouse.get()
    lineage = lineage_of(context)
    sizes = sft_sizes(config)
    data_dir = artifact_dir("trajectories", "dataset")
    out_dir = artifact_dir("trajectories", "sft")
    inputs = read_sql("SELECT trajectory_id, split, pr_keys, data_version FROM trajectory_dataset "
                      "WHERE asset_key = 'trajectory_dataset' ORDER BY trajectory_id", path=wh.path)
    prs = sorted({k for ks in inputs["pr_keys"].to_list() for k in ks}) if inputs.height else []
    run = TrainingRun(
        training_run_id=run_id_for(lineage, "sft"), kind="sft",
        base_model=sizes.model.label, dataset_asset="trajectory_dataset",
        dataset_version=str(inputs["data_version"][0]) if inputs.height else "",
        source_key=",".join(prs)[:4000], device=sizes.model.device,
        config={"model": sizes.model.record(), "sizes": dataclasses.asdict(sizes), "data_dir": str(data_dir)})
    with recorded_training_run(wh, run, lineage) as metrics:
        wh.write("trajectory_run_inputs", [{"training_run_id": run.training_run_id, "trajectory_id": r["trajectory_id"],
                                            "split": r["split"], "source_key": ",".join(r["pr_keys"])}
                                           for r in inputs.to_dicts()], lineage)
        res = train_sft(data_dir / "train.parquet", data_dir / "heldout.parquet", out_dir,
                        sizes, lambda s, n, v: metrics.append((s, n, v)))
        run.output_checkpoint = str(res.checkpoint)
        run.device = res.device
        metrics += [(res.steps, "heldout/ppl", res.heldout_ppl), (res.steps, "heldout/tool_call_reference_validity",
                                                                 res.reference_validity),
                    (res.steps, "train/seconds", res.seconds), (res.steps, "data/n_train", res.n_train),
                    (res.steps, "data/n_heldout", res.n_heldout), (res.steps, "heldout/tool_call_n", res.format_n)]
    summary = result_summary(res)
    (out_dir / "samples.json").write_text(json.dumps(
        {"validity_flags": res.validity_flags, "samples": res.samples, "summary": summary,
         "before": {"validity_flags": res.before.flags, "name_flags": res.before.name_flags} if res.before else None,
         "after": {"validity_flags": res.after.flags, "name_flags": res.after.name_flags} if res.after else None},
        indent=1, default=str))
    pre = res.before
    return dg.MaterializeResult(metadata={
        "training_run_id": run.training_run_id, "base_model": res.base_model, "device": res.device,
        "train_examples": res.n_train, "windows": res.n_windows,
        "assistant_token_fraction_trained": round(res.trained_fraction, 4),
        "heldout_loss": res.heldout_loss, "heldout_ppl": res.heldout_ppl,
        "tool_call_validity": res.format_validity, "tool_call_n": res.format_n,
        "tool_call_validity_pre_sft": pre.validity if pre else float("nan"),
        "tool_name_match": res.after.name_match if res.after else float("nan"),
        "tool_name_match_pre_sft": pre.name_match if pre else float("nan"),
        "train_tokens_per_s": round(res.tokens_per_s, 1), "seconds": round(res.seconds, 2),
        "checkpoint": dg.MetadataValue.path(str(res.checkpoint)),
    })


@dg.asset(group_name=GROUP, code_version="1", deps=[trajectory_sft],
          description="Evaluation report: held-out loss/perplexity, tool-call format validity of generated "
                      "continuations, gate funnel and difficulty mix, with plots. eval_reports: one row; "
                      "eval_metrics: held-out loss before/after SFT, tool-call validity, export shares.")
def trajectory_eval_report(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from ops.trajectories.report import build_report
    from warehouse.paths import artifact_dir
    from warehouse.registry import record_eval_report, run_id_for

    wh = warehouse.get()
    lineage = lineage_of(context)
    run_id = run_id_for(dataclasses.replace(lineage, asset_key="trajectory_sft"), "sft")
    rep = build_report(wh.path, run_id, artifact_dir("reports", "trajectory_eval_report"))
    report_id = f"{lineage.asset_key}/sft"
    record_eval_report(wh, report_id=report_id, subject_kind="training_run", subject=run_id, suite="trajectories_sft",
                       summary=rep.summary, html_path=str(rep.rendered.html_path), metrics=rep.metrics,
                       lineage=lineage, source_key=rep.source_key)
    return dg.MaterializeResult(metadata=report_metadata(rep.rendered, report_id))


TRAJECTORY_ASSETS = [trajectory_tasks, agent_trajectories, trajectory_dataset, trajectory_sft, trajectory_eval_report]
TRAJECTORY_CHECKS = [task_leak_check, trajectory_contamination_check]
