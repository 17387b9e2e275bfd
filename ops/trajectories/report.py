"""The trajectory SFT evaluation report: held-out assistant-token loss and perplexity, tool-call
format validity and exact tool-name match of generated continuations after SFT with the same
numbers for the model before SFT beside them (Clopper–Pearson 95 % intervals), the share of
assistant tokens trained, the gate funnel, the difficulty mix and the training curve."""
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
    from ops.report import Plot, Table, category_ticks, render_report
    from ops.report import clopper_pearson_ci as clopper_pearson
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
    flags, samples, data = [], [], {}
    if run_row["output_checkpoint"] and samples_path.exists():
        data = json.loads(samples_path.read_text())
        flags, samples = data.get("validity_flags", []), data.get("samples", [])

    def rate(fl):
        k, n = sum(bool(f) for f in fl), len(fl)
        lo_, hi_ = clopper_pearson(k, n)
        return (k / n if n else float("nan")), lo_, hi_

    point, lo, hi = rate(flags)
    after, before = data.get("after") or {}, data.get("before") or {}
    name_p, name_lo, name_hi = rate(after.get("name_flags", []))
    pre_p, pre_lo, pre_hi = rate(before.get("validity_flags", []))
    pre_name_p, pre_name_lo, pre_name_hi = rate(before.get("name_flags", []))
    loss = last.get("heldout/loss", float("nan"))
    summary = {
        "training_run": run_id, "base_model": run_row["base_model"], "device": run_row["device"],
        "train_examples": int(last.get("data/n_train", 0)), "heldout_examples": int(last.get("data/n_heldout", 0)),
        "heldout_loss": loss, "heldout_ppl": math.exp(loss) if math.isfinite(loss) else float("nan"),
        "tool_call_validity": point, "tool_call_validity_ci": [lo, hi], "tool_call_validity_n": len(flags),
        "tool_call_validity_pre_sft": pre_p, "tool_call_validity_pre_sft_ci": [pre_lo, pre_hi],
        "tool_name_match": name_p, "tool_name_match_ci": [name_lo, name_hi],
        "tool_name_match_pre_sft": pre_name_p, "tool_name_match_pre_sft_ci": [pre_name_lo, pre_name_hi],
        "assistant_token_fraction_trained": last.get("data/assistant_token_fraction", float("nan")),
        "pre_sft_heldout_loss": last.get("pre_sft/assistant_loss", float("nan")),
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
        category_ticks(ax, range(len(labels)), labels)
        ax.set_ylabel("items")

    def draw_validity(ax):
        bars = [("valid\npre-SFT", pre_p, pre_lo, pre_hi), ("valid\nSFT", point, lo, hi),
                ("name\npre-SFT", pre_name_p, pre_name_lo, pre_name_hi), ("name\nSFT", name_p, name_lo, name_hi)]
        for i, (lab, p_, l_, h_) in enumerate(bars):
            if not math.isfinite(p_):
                continue
            ax.bar([i], [p_], color="C7" if "pre" in lab else "C0")
            ax.errorbar([i], [p_], yerr=[[p_ - l_], [h_ - p_]], fmt="none", color="k")
        category_ticks(ax, range(len(bars)), [b[0] for b in bars])
        ax.set_ylim(0, 1.05); ax.set_ylabel("share of held-out tool-call turns (95% CP)")

    rendered = render_report(
        out_dir, "Trajectory SFT: held-out loss and tool-call validity", summary,
        tables=[Table("Gate decisions", funnel.columns, funnel.rows()),
                Table("Tasks", tasks.columns, tasks.rows()),
                Table("Difficulty by split", diff.columns, diff.rows()),
                Table("Generated continuations (first 5)", ["turn", "valid", "reason", "generated"],
                      [[s["prompt_turn"], s["valid"], s["reason"], s["generated"][:160]] for s in samples])],
        plots=[Plot("loss", "SFT loss", draw_loss),
               Plot("funnel", "Quality-gate funnel", draw_funnel, n_categories=funnel.height),
               Plot("validity", "Tool-call validity and tool-name match, before/after SFT", draw_validity,
                    n_categories=4)],
    )
    metrics = [EvalMetric("heldout_loss", loss, n=summary["heldout_examples"]),
               EvalMetric("heldout_ppl", summary["heldout_ppl"], n=summary["heldout_examples"]),
               EvalMetric("tool_call_validity", point, n=len(flags), ci_low=lo, ci_high=hi),
               EvalMetric("tool_call_validity_pre_sft", pre_p, n=len(before.get("validity_flags", [])),
                          ci_low=pre_lo, ci_high=pre_hi),
               EvalMetric("tool_name_match", name_p, n=len(after.get("name_flags", [])), ci_low=name_lo,
                          ci_high=name_hi),
               EvalMetric("tool_name_match_pre_sft", pre_name_p, n=len(before.get("name_flags", [])),
                          ci_low=pre_name_lo, ci_high=pre_name_hi),
               EvalMetric("assistant_token_fraction_trained", summary["assistant_token_fraction_trained"]),
               EvalMetric("pre_sft_heldout_loss", summary["pre_sft_heldout_loss"], n=summary["heldout_examples"]),
               EvalMetric("reference_tool_call_validity", summary["reference_validity"], n=len(flags)),
               EvalMetric("train_examples", summary["train_examples"], n=summary["train_examples"])] + quality_metrics
    return TrajectoryReport(summary, metrics, rendered, run_row["source_key"] or run_id)
