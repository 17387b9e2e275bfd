"""The PR-chain evaluation report: statistics over ``github_pr_chains`` for every repository,
rendered with ``ops.report`` (HTML + PNG + markdown) and returned with its metrics."""
from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path
from typing import Any


@dataclasses.dataclass
class ChainReport:
    summary: dict[str, Any]
    metrics: list
    rendered: Any


def build_chain_report(warehouse_path: Path, out_dir: Path) -> ChainReport:
    """Read chains/edges/PRs from the warehouse at ``warehouse_path`` and render the report into
    ``out_dir``. Metrics: chains, PRs, coverage (share of PRs in some chain), mean/max length,
    mean span (days), edges per reason kind, task candidates."""
    from ops.report import Plot, Table, bootstrap_ci, category_ticks, render_report, wilson_ci
    from warehouse.registry import EvalMetric
    from warehouse.readers import read_sql

    chains = read_sql("SELECT repo, chain_id, length, span_days, reasons FROM github_pr_chains "
                      "ORDER BY repo, chain_id", path=warehouse_path)
    edges = read_sql("SELECT reason FROM github_pr_chain_edges", path=warehouse_path)
    prs = read_sql("SELECT repo, count(*) AS prs, count(*) FILTER (WHERE task_candidate) AS candidates, "
                   "count(*) FILTER (WHERE is_merged) AS merged FROM github_pull_requests GROUP BY repo "
                   "ORDER BY repo", path=warehouse_path)
    covered = read_sql("SELECT count(DISTINCT (repo, n)) AS n FROM (SELECT repo, unnest(pr_numbers) AS n "
                       "FROM github_pr_chains)", path=warehouse_path)
    n_prs = int(prs["prs"].sum()) if prs.height else 0
    lengths = chains["length"].to_list() if chains.height else []
    spans = chains["span_days"].to_list() if chains.height else []
    kinds: Counter = Counter()
    for reason in (edges["reason"].to_list() if edges.height else []):
        for part in reason.split("; "):
            kinds[part.split("(", 1)[0]] += 1
    n_covered = int(covered["n"][0]) if covered.height else 0
    cov_lo, cov_hi = wilson_ci(n_covered, n_prs)  # a proportion: binomial interval, never a bootstrap
    summary = {
        "repositories": prs.height, "prs": n_prs, "chains": len(lengths),
        "prs_in_chains": n_covered, "coverage": n_covered / n_prs if n_prs else 0.0,
        "coverage_ci95_wilson": [cov_lo, cov_hi],
        "mean_length": sum(lengths) / len(lengths) if lengths else 0.0,
        "max_length": max(lengths, default=0),
        "mean_span_days": sum(spans) / len(spans) if spans else 0.0,
        "edges": sum(kinds.values()), "task_candidates": int(prs["candidates"].sum()) if prs.height else 0,
        **{f"edges_{k}": v for k, v in sorted(kinds.items())},
    }
    metrics = [
        EvalMetric("chains", len(lengths), n=len(lengths)),
        EvalMetric("prs_in_chains", n_covered, n=n_prs),
        EvalMetric("coverage", summary["coverage"], n=n_prs, ci_low=cov_lo if n_prs else None,
                   ci_high=cov_hi if n_prs else None),
        EvalMetric("max_length", summary["max_length"], n=len(lengths)),
        EvalMetric("task_candidates", summary["task_candidates"], n=n_prs),
    ]
    if lengths:
        _, lo, hi = bootstrap_ci(lengths) if len(lengths) > 1 else (None, None, None)
        metrics.append(EvalMetric("mean_length", summary["mean_length"], n=len(lengths), ci_low=lo, ci_high=hi))
        metrics.append(EvalMetric("mean_span_days", summary["mean_span_days"], n=len(lengths)))
    metrics += [EvalMetric(f"edges_{k}", v, n=summary["edges"]) for k, v in sorted(kinds.items())]
    length_hist = sorted(Counter(lengths).items())

    def draw_lengths(ax):
        ax.bar(range(len(length_hist)), [v for _, v in length_hist])
        category_ticks(ax, range(len(length_hist)), [str(k) for k, _ in length_hist])
        ax.set_xlabel("chain length (PRs)")
        ax.set_ylabel("chains")

    def draw_reasons(ax):
        names = sorted(kinds)
        ax.barh(range(len(names)), [kinds[n] for n in names])
        category_ticks(ax, range(len(names)), names, axis="y")
        ax.set_xlabel("edges")

    rendered = render_report(
        out_dir, "PR chains", summary,
        tables=[Table("Per repository", prs.columns, prs.rows()),
                Table("Chains", chains.columns, [[*r[:4], ", ".join(r[4])] for r in chains.rows()])],
        plots=[Plot("lengths", "Chain length distribution", draw_lengths, n_categories=len(length_hist)),
               Plot("reasons", "Edge reasons", draw_reasons, n_categories=len(kinds), horizontal=True)],
    )
    return ChainReport(summary, metrics, rendered)
