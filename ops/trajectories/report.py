"""The trajectory SFT evaluation report: held-out loss (nats/token) and perplexity, tool-call format
validity of generated continuations (with a bootstrap interval), the gate funnel, the difficulty
mix and the training curve."""
from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

from warehouse.registry import EvalMetric


@dataclasses.dataclass
class TrajectoryReport:
    summary: dict
    metrics: list[EvalMetric]
    rendered: object
    source_key: str


def build_report(db_path: Path, run_id: str, out_dir: Path) -> TrajectoryReport:
    from ops.report import Plot, Table, bootstrap_ci, render_report
    from warehouse.readers import read_sql

    run = read_sql("SELECT * FROM training_runs WHERE training_run_id = ?", [run_id], path=db_path)
    if not run.height:
        raise ValueError(f"training run {run_id} not found: materialise trajectory_sft first")
    run_row = run.row(0, named=True)
    m = read_sql("SELECT step, name, value FROM training_metrics WHERE training_run_id = ? ORDER BY step",
                 [run_id], path=db_path)
    last = {r["name"]: r["value"] for r in m.to_dicts()}
    curve = [(r["step"], r["value"]) for r in m.to_dicts() if r["name"] == "train/loss"]
    funnel = read_sql(
        "SELECT gate, keep, count(*) AS n FROM trajectory_decisions GROUP BY gate, keep ORDER BY gate, keep",
        path=db_path)
    tasks = read_sql("SELECT kind, count(*) AS n, max(leak_score) AS max_leak FROM trajectory_tasks "
                     "WHERE asset_key = 'trajectory_tasks' GROUP BY kind ORDER BY kind", path=db_path)
    diff = read_sql("SELECT t.difficulty, d.split, count(*) AS n FROM trajectory_dataset d JOIN trajectories t "
                    "USING (trajectory_id) WHERE d.asset_key = 'trajectory_dataset' GROUP BY 1, 2 ORDER BY 1, 2",
                    path=db_path)
    gens = read_sql("SELECT generator, count(*) AS n FROM trajectories WHERE asset_key = 'agent_trajectories' "
                    "GROUP BY generator", path=db_path)
    samples_path = Path(run_row["output_checkpoint"] or "") / "samples.json"
    flags, samples = [], []
    if run_row["output_checkpoint"] and samples_path.exists():
        data = json.loads(samples_path.read_text())
        flags, samples = data.get("validity_flags", []), data.get("samples", [])
    point, lo, hi = bootstrap_ci([float(f) for f in flags]) if flags else (float("nan"),) * 3
    loss = last.get("heldout/loss", float("nan"))
    summary = {
        "training_run": run_id, "base_model": run_row["base_model"], "device": run_row["device"],
        "train_examples": int(last.get("data/n_train", 0)), "heldout_examples": int(last.get("data/n_heldout", 0)),
        "heldout_loss": loss, "heldout_ppl": math.exp(loss) if math.isfinite(loss) else float("nan"),
        "tool_call_validity": point, "tool_call_validity_n": len(flags),
        "reference_validity": last.get("heldout/tool_call_reference_validity", float("nan")),
        "generators": ", ".join(gens["generator"].to_list()) if gens.height else "",
    }
    from ops.trajectories.export_quality import export_quality

    quality_summary, quality_metrics = export_quality(db_path)
    summary.update(quality_summary)

    def draw_loss(ax):
        if curve:
            ax.plot([s for s, _ in curve], [v for _, v in curve], label="train")
        if math.isfinite(loss):
            ax.axhline(loss, color="C1", linestyle="--", label="held-out (final)")
        ax.set_xlabel("step"); ax.set_ylabel("loss (nats/token)"); ax.legend()

    def draw_funnel(ax):
        labels = [f"{r['gate']}\n{'kept' if r['keep'] else 'dropped'}" for r in funnel.to_dicts()]
        ax.bar(range(len(labels)), funnel["n"].to_list() if funnel.height else [],
               color=["C2" if r["keep"] else "C3" for r in funnel.to_dicts()])
        ax.set_xticks(range(len(labels)), labels, fontsize=6)
        ax.set_ylabel("items")

    def draw_validity(ax):
        vals = [point if math.isfinite(point) else 0.0, summary["reference_validity"] or 0.0]
        ax.bar(["generated", "reference"], vals, color=["C0", "C7"])
        if flags:
            ax.errorbar([0], [point], yerr=[[point - lo], [hi - point]], fmt="none", color="k")
        ax.set_ylim(0, 1.05); ax.set_ylabel("valid tool-call share")

    rendered = render_report(
        out_dir, "Trajectory SFT: held-out loss and tool-call validity", summary,
        tables=[Table("Gate decisions", funnel.columns, funnel.rows()),
                Table("Tasks", tasks.columns, tasks.rows()),
                Table("Difficulty by split", diff.columns, diff.rows()),
                Table("Generated continuations (first 5)", ["turn", "valid", "reason", "generated"],
                      [[s["prompt_turn"], s["valid"], s["reason"], s["generated"][:160]] for s in samples])],
        plots=[Plot("loss", "SFT loss", draw_loss), Plot("funnel", "Quality-gate funnel", draw_funnel),
               Plot("validity", "Tool-call format validity", draw_validity)],
    )
    metrics = [EvalMetric("heldout_loss", loss, n=summary["heldout_examples"]),
               EvalMetric("heldout_ppl", summary["heldout_ppl"], n=summary["heldout_examples"]),
               EvalMetric("tool_call_validity", point, n=len(flags), ci_low=lo, ci_high=hi),
               EvalMetric("reference_tool_call_validity", summary["reference_validity"], n=len(flags)),
               EvalMetric("train_examples", summary["train_examples"], n=summary["train_examples"])] + quality_metrics
    return TrajectoryReport(summary, metrics, rendered, run_row["source_key"] or run_id)
