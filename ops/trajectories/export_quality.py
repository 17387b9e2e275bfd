"""What the exported training data is made of, measured from the warehouse independently of the
filters that built it: how many exported tasks are execution-verified, how many change non-test
source, how many come from PRs a user would not train on (bot authors, releases and version bumps,
raw merge subjects), and how many observations in verified trajectories are synthetic. Proportions
carry Clopper–Pearson 95 % intervals."""
from __future__ import annotations

from pathlib import Path

from ops.report import clopper_pearson_ci as clopper_pearson
from ops.trajectories.task_filters import BOT_RE, RAW_MERGE_RE, RELEASE_TITLE_RE, is_source
from warehouse.registry import EvalMetric


def export_quality(db_path: Path) -> tuple[dict, list[EvalMetric]]:
    """Summary and metrics of the current export (``trajectory_dataset`` rows)."""
    from warehouse.readers import read_sql, table_names

    exported = read_sql("SELECT d.trajectory_id, d.pr_keys, t.n_synthetic_observations FROM trajectory_dataset d "
                        "JOIN trajectories t USING (trajectory_id) WHERE d.asset_key = 'trajectory_dataset'",
                        path=db_path).to_dicts()
    keys = sorted({k for r in exported for k in r["pr_keys"]})
    status = {}
    if "task_validations" in table_names(db_path) and keys:
        status = {r["task_id"]: r["status"] for r in read_sql(
            "SELECT task_id, status FROM task_validations WHERE asset_key = 'verified_tasks'", path=db_path).to_dicts()}
    prs = {f"{r['repo']}#{r['number']}": r for r in read_sql(
        "SELECT repo, number, title, author FROM github_pull_requests", path=db_path).to_dicts()}
    # the title the task was written from, as validation saw it (``task_validations.title``)
    if status:
        for r in read_sql("SELECT task_id, title FROM task_validations WHERE asset_key = 'verified_tasks'",
                          path=db_path).to_dicts():
            if r["task_id"] in prs:
                prs[r["task_id"]] = {**prs[r["task_id"]], "title": r["title"]}
    files: dict[str, list[str]] = {}
    for r in read_sql("SELECT repo, number, path FROM github_pr_files", path=db_path).to_dicts():
        files.setdefault(f"{r['repo']}#{r['number']}", []).append(r["path"])

    def unwanted(key: str) -> bool:
        pr = prs.get(key, {})
        return bool(BOT_RE.search(pr.get("author") or "") or RELEASE_TITLE_RE.match(pr.get("title") or "")
                    or RAW_MERGE_RE.match(pr.get("title") or ""))

    n = len(exported)
    verified = sum(all(status.get(k) == "verified" for k in r["pr_keys"]) for r in exported)
    source = sum(any(is_source(p) for k in r["pr_keys"] for p in files.get(k, [])) for r in exported)
    bad = sum(any(unwanted(k) for k in r["pr_keys"]) for r in exported)
    synthetic = sum(int(r["n_synthetic_observations"] or 0) for r in exported
                    if all(status.get(k) == "verified" for k in r["pr_keys"]))
    metrics = []
    summary = {"exported_tasks": n}
    for name, k in (("exported_verified_share", verified), ("exported_changing_source_share", source),
                    ("exported_from_bot_release_or_merge_title_share", bad)):
        lo, hi = clopper_pearson(k, n)
        metrics.append(EvalMetric(name, k / n if n else float("nan"), n=n, ci_low=lo, ci_high=hi))
        summary[name] = f"{k}/{n}"
    metrics.append(EvalMetric("synthetic_observations_in_verified", float(synthetic), n=verified))
    summary["synthetic_observations_in_verified"] = synthetic
    return summary, metrics
