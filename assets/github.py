"""GitHub branch assets: per-repository sync (dynamic partitions), PR chains, chain report."""

import dagster as dg

from assets.lineage import content_version, lineage_of, report_metadata
from pipelines.resources import WarehouseResource

GROUP = "github"
github_repos = dg.DynamicPartitionsDefinition(name="github_repos")


class GithubConfig(dg.Config):
    """Run config for the API source; the token itself only ever comes from the environment."""

    token_env: str = "GITHUB_TOKEN"
    per_page: int = 100
    max_rate_limit_wait_s: float = 3600.0


@dg.asset(group_name=GROUP, code_version="1", partitions_def=github_repos,
          description="One repository (partition = owner/name) synced from its source in the repository "
                      "list; incremental and resumable. Rows of this repository in github_repositories "
                      "(one row), github_pull_requests (one per PR: state, refs, SHAs, task-candidate flags), "
                      "github_pr_files (one per changed file, with its patch), github_commits, github_reviews, "
                      "github_comments (review and conversation comments), github_issues (linked issues), "
                      "github_pr_blame_links (earlier PRs whose lines a PR changed) and github_sync_cursors "
                      "(where the next sync resumes); unusable records go to quarantine with the reason.")
def github_repo_data(context: dg.AssetExecutionContext, config: GithubConfig,
                     warehouse: WarehouseResource) -> dg.MaterializeResult:
    from ops.github.repo_list import find_spec
    from ops.github.sync import sync_repository

    spec = find_spec(context.partition_key)
    wh = warehouse.get()
    token = dg.EnvVar(config.token_env).get_value() if spec.source == "api" else None
    result = sync_repository(spec, wh, lineage_of(context), token=token or None,
                             log=context.log.info, per_page=config.per_page,
                             max_rate_limit_wait=config.max_rate_limit_wait_s)
    metadata = {
        "source": spec.source, "prs_written": result.prs_written, "unchanged": result.unchanged,
        "quarantined": len(result.problems), "requests": result.requests,
        "not_modified_304": result.not_modified, "rate_limited_requests": result.rate_limited_requests,
        **{f"rows/{k}": v for k, v in sorted(result.rows.items())},
    }
    return dg.MaterializeResult(
        metadata=metadata,
        data_version=dg.DataVersion(content_version(result.head_sha, result.rows, result.prs_written)),
    )


@dg.asset(group_name=GROUP, code_version="1", partitions_def=github_repos,
          deps=[github_repo_data],
          description="PR chains of one repository: a dependency graph over its PRs with a reason on every "
                      "edge, and ordered paths through it. github_pr_chains: one row per chain (PR numbers, "
                      "length, span in days, files, reasons); github_pr_chain_edges: one row per edge "
                      "(from PR, to PR, reason).")
def github_pr_chains(context: dg.AssetExecutionContext,
                     warehouse: WarehouseResource) -> dg.MaterializeResult:
    from ops.github.chains import build_pr_chains, chain_statistics
    from ops.github.store import chain_rows, load_snapshot
    from ops.report import Table, markdown_table

    wh = warehouse.get()
    snapshot = load_snapshot(context.partition_key, path=wh.path)
    chains = build_pr_chains(snapshot)
    chains_, edges = chain_rows(chains)
    lineage = lineage_of(context, content_version([c.key for c in chains], [e["reason"] for e in edges]))
    wh.write("github_pr_chains", chains_, lineage, mode="replace")
    wh.write("github_pr_chain_edges", edges, lineage, mode="replace")
    stats = chain_statistics(chains, len(snapshot.pull_requests))
    preview = Table("Longest chains", ["chain", "length", "span_days", "reasons"],
                    [[c["chain_id"], c["length"], c["span_days"], ", ".join(c["reasons"])]
                     for c in sorted(chains_, key=lambda c: -c["length"])[:10]])
    return dg.MaterializeResult(metadata={
        **{k: float(v) if isinstance(v, float) else int(v) for k, v in stats.items()},
        "preview": dg.MetadataValue.md(markdown_table(preview)),
    })


@dg.asset(group_name=GROUP, code_version="1", deps=[github_pr_chains],
          description="Evaluation report (HTML) over every repository's PR chains: counts, length "
                      "distribution, span, edge reasons, task-mining candidates. eval_reports: one row; "
                      "eval_metrics: chains, coverage, lengths, edges by reason.")
def github_chain_report(context: dg.AssetExecutionContext,
                        warehouse: WarehouseResource) -> dg.MaterializeResult:
    from ops.github.chain_report import build_chain_report
    from warehouse.paths import artifact_dir
    from warehouse.registry import record_eval_report

    wh = warehouse.get()
    lineage = lineage_of(context)
    report = build_chain_report(wh.path, artifact_dir("reports", "github_chain_report"))
    report_id = f"{lineage.asset_key}/pr_chains"
    record_eval_report(wh, report_id=report_id, subject_kind="dataset", subject="github_pr_chains",
                       suite="github_pr_chains", summary=report.summary,
                       html_path=str(report.rendered.html_path), metrics=report.metrics,
                       lineage=lineage, source_key="github_pr_chains")
    return dg.MaterializeResult(metadata=report_metadata(report.rendered, report_id))


GITHUB_ASSETS = [github_repo_data, github_pr_chains, github_chain_report]
