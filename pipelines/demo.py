"""``trainyard demo``: materialise every branch's assets on the embedded default, through
Dagster's own execution (runs are recorded in the project instance and visible in the UI).

The terminal gets one line per asset as it starts and finishes (rows written, seconds, its
headline metric), a progress bar (or, off a terminal, a line every few seconds) for long loops,
and a closing summary read from the warehouse. Library output (progress bars, warnings, trainer
dicts) and Dagster's own logs go to the run's log file ``$TRAINYARD_HOME/logs/demo-<time>.log``."""
from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator, TextIO

import dagster as dg

from pipelines.health import CHECK_NAME as PARTITIONS_CHECK

# Which materialisation metadata entry is an asset's headline (the first present wins). Report
# assets instead show the first HEADLINE_METRICS entry of their report (``report_id`` metadata).
ASSET_HEADLINES: dict[str, tuple[str, ...]] = {
    "raw_corpus": ("documents",),
    "corpus_lm": ("val_loss",),
    "github_repo_data": ("prs_written",),
    "github_pr_chains": ("chains",),
    "demix_corpora": ("domains",),
    "demix_components": ("components",),
    "demix_fidelity": ("best_variant",),
    "demix_search": ("regressor_trained_spearman",),
    "doc_signatures": ("documents",),
    "image_benchmark_set": ("images",),
    "image_reference_corpus": ("images",),
    "image_descriptors": ("images",),
    "image_duplicates": ("removed",),
    "verified_tasks": ("verified",),
    "trajectory_tasks": ("tasks",),
    "agent_trajectories": ("kept",),
    "trajectory_dataset": ("train",),
    "trajectory_sft": ("heldout_loss",),
    "rubric_preference_pairs": ("pairs",),
    "rubric_sets": ("learned_cv_accuracy",),
    "rubric_scores": ("criterion_scores",),
    "rubric_reward_data": ("reward_rows",),
    "rubric_grpo": ("last_reward",),
}


@dataclasses.dataclass(frozen=True)
class HeadlineMetric:
    """One line of the closing summary: an ``eval_metrics`` row picked by report and metric."""
    branch: str
    label: str
    report_id: str
    metric: str


def _from_report(branch: str, report_id: str, *labelled: tuple[str, str]) -> tuple[HeadlineMetric, ...]:
    return tuple(HeadlineMetric(branch, label, report_id, metric) for label, metric in labelled)


HEADLINE_METRICS: tuple[HeadlineMetric, ...] = (
    *_from_report("corpus", "corpus_report/corpus", ("tiny LM held-out loss", "held_out_loss")),
    *_from_report("github", "github_chain_report/pr_chains", ("PR chains found", "chains"),
                  ("share of PRs in a chain", "coverage")),
    *_from_report("demix", "demix_fidelity/fidelity",
                  ("fidelity: proxy Spearman (held-out half)", "heldout/proxy/aggregate/spearman"),
                  ("fidelity: proxy minus best free baseline",
                   "heldout/proxy_minus_best_baseline/aggregate/spearman")),
    *_from_report("demix", "demix_final/final",
                  ("final: chosen minus uniform mean loss", "chosen_minus_uniform/mean/loss")),
    *_from_report("images", "image_copy_detection_eval/copy_detection", ("copy detection µAP", "micro_ap"),
                  ("copy detection recall at threshold", "recall_at_threshold")),
    *_from_report("trajectories", "trajectory_eval_report/sft", ("SFT held-out loss", "heldout_loss"),
                  ("held-out loss before SFT", "pre_sft_heldout_loss"),
                  ("tool-call validity after SFT", "tool_call_validity")),
    *_from_report("rubrics", "rubric_report/held_out",
                  ("learned rubrics: preference accuracy", "accuracy/learned/all/all"),
                  ("generic rubrics (baseline): accuracy", "accuracy/generic/all/all")),
)


def report_index_path() -> Path:
    """The HTML page linking every report (under the reports' artifact folder).

    The one place the demo learns where the index lives (rebuilt on each call)."""
    from ops.report import report_index_path as index

    return index()


def format_number(value: Any) -> str:
    """Whole numbers as integers, others to 4 significant digits; NaN as ``nan``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:.4g}"


def headline_of(asset: str, metadata: dict[str, Any],
                report_metrics: Callable[[str], dict[str, float]] | None = None) -> str:
    """``key=value`` for the asset's headline metadata entry, else the report's first headline
    metric, else the first numeric entry; "" when there is none."""
    for key in ASSET_HEADLINES.get(asset, ()):
        if key in metadata:
            return f"{key}={format_number(metadata[key])}"
    report_id = metadata.get("report_id")
    if report_id and report_metrics is not None:
        values = report_metrics(str(report_id))
        for h in HEADLINE_METRICS:
            if h.report_id == report_id and h.metric in values:
                return f"{h.metric}={format_number(values[h.metric])}"
    for key, value in metadata.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return f"{key}={format_number(value)}"
    return ""


def asset_label(asset: str, partition: str | None) -> str:
    return f"{asset} [{partition}]" if partition else asset


def format_asset_start(asset: str, partition: str | None = None) -> str:
    return f"    started  {asset_label(asset, partition)}"


def format_asset_done(asset: str, partition: str | None, rows: dict[str, int] | None, seconds: float,
                      headline: str) -> str:
    """``finished <asset> [partition]  <n> rows in <k> tables  <s>s  <headline>``; rows ``?`` when
    they could not be counted."""
    if rows is None:
        written = "rows ?"
    elif not rows:
        written = "0 rows"
    else:
        total = sum(rows.values())
        written = f"{total:,} rows in {len(rows)} table{'' if len(rows) == 1 else 's'}"
    parts = [f"    finished {asset_label(asset, partition)}", written, f"{seconds:.1f}s"]
    return "  ".join(parts + ([headline] if headline else []))


def format_asset_failed(name: str, partition: str | None, seconds: float, error: str) -> str:
    first = (error.strip().splitlines() or [""])[0]
    return f"    FAILED   {asset_label(name, partition)}  {seconds:.1f}s  {first}"


def format_check(check: str, asset: str, passed: bool, severity: str, note: str = "") -> str:
    state = "passed" if passed else ("WARNING" if severity == "WARN" else "FAILED")
    return f"    check    {check} on {asset}: {state}" + (f" ({note})" if note else "")


def format_summary(total_seconds: float, jobs: list[dict], metrics: dict[tuple[str, str], dict],
                   reports: list[tuple[str, str]], index_path: Path, log_path: Path | None,
                   warehouse: str = "") -> list[str]:
    """The closing lines: total time and job count, one line per HEADLINE_METRICS entry (value,
    interval, n; "not recorded" when this run produced no such row), the reports and the index.

    ``metrics``: {(report_id, metric): {"value", "n", "ci_low", "ci_high"}};
    ``reports``: (report_id, html_path) pairs."""
    failed = [j["job"] for j in jobs if not j["success"]]
    minutes, seconds = divmod(round(total_seconds), 60)
    lines = ["", f"trainyard demo: {len(jobs) - len(failed)}/{len(jobs)} runs succeeded in {total_seconds:.1f}s "
                 f"({minutes} min {seconds:02d} s)"]
    if failed:
        lines.append("failed runs: " + ", ".join(failed))
    lines += ["", "Headline metrics (eval_metrics rows written by this demo's runs):"]
    width = max(len(h.label) for h in HEADLINE_METRICS)
    for h in HEADLINE_METRICS:
        row = metrics.get((h.report_id, h.metric))
        if row is None:
            lines.append(f"  {h.branch:13} {h.label:{width}}  not recorded in this run")
            continue
        text = format_number(row["value"])
        lo, hi = row.get("ci_low"), row.get("ci_high")
        if lo is not None and hi is not None and not (math.isnan(lo) or math.isnan(hi)):
            text += f"  95% CI [{format_number(lo)}, {format_number(hi)}]"
        if row.get("n") is not None:
            text += f"  n={row['n']}"
        lines.append(f"  {h.branch:13} {h.label:{width}}  {text}")
    lines += ["", "Reports:"]
    lines += [f"  {rid:{max(len(r) for r, _ in reports)}}  {path}" for rid, path in reports if path] or ["  (none)"]
    lines.append(f"Report index:  {index_path}" + ("" if index_path.exists() else "  (not written yet)"))
    if warehouse:
        lines.append(f"Warehouse:     {warehouse}")
    if log_path is not None:
        lines.append(f"Run log:       {log_path}  (library output, warnings, Dagster logs)")
    lines += ["Open the UI:   trainyard ui        (http://127.0.0.1:3000)",
              'Query:         trainyard query "select report_id, metric, value from eval_metrics order by 1, 2"']
    return lines


class ProgressDisplay:
    """Draws ``ops.progress`` reports: a tqdm bar on a terminal; elsewhere one line at most every
    ``interval_s`` seconds (a log or a pipe is not flooded). Nested loops (models trained, then each
    model's steps) show together: ``demix_fidelity: mixtures trained 3/12; train steps 20/30``."""

    def __init__(self, term: TextIO, interactive: bool, interval_s: float = 20.0,
                 clock: Callable[[], float] = time.monotonic):
        self.term, self.interactive, self.interval_s, self.clock = term, interactive, interval_s, clock
        self.context = ""
        self._tasks: dict[str, tuple[int, int]] = {}
        self._bar = None
        self._key: tuple[str, int, str] | None = None
        self._last_line = clock()

    def _status(self, skip: str = "") -> str:
        return "; ".join(f"{t} {d}/{n}" for t, (d, n) in self._tasks.items() if d < n and t != skip)

    def update(self, task: str, done: int, total: int) -> None:
        self._tasks[task] = (done, total)
        if self.interactive:
            self._draw_bar(task, done, total)
        elif self.clock() - self._last_line >= self.interval_s and done < total:
            self._last_line = self.clock()
            self.term.write(f"             {self.context}: {self._status()}\n")
            self.term.flush()

    def _draw_bar(self, task: str, done: int, total: int) -> None:
        from tqdm import tqdm

        outer = self._status(skip=task)
        if self._bar is None or self._key != (task, total, outer) or done < self._bar.n:
            self.close()
            label = "; ".join(x for x in (outer, task) if x)
            self._bar = tqdm(total=total, desc=f"             {self.context}: {label}", file=self.term,
                             leave=False, dynamic_ncols=True, mininterval=0.5)
            self._key = (task, total, outer)
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def line(self, text: str) -> None:
        """Print one line of the demo's own output (the bar, if any, is cleared first; the loops
        reported so far are forgotten)."""
        self.close()
        self._tasks.clear()
        self.term.write(text + "\n")
        self.term.flush()
        self._last_line = self.clock()


class RunPrinter:
    """Turns one run's Dagster events into the demo's asset lines (an instance event listener)."""

    def __init__(self, display: ProgressDisplay, asset_names: set[str], run_id: str,
                 rows_of: Callable[[str, str, str], dict[str, int] | None],
                 report_metrics: Callable[[str], dict[str, float]]):
        self.display, self.asset_names, self.run_id = display, asset_names, run_id
        self.rows_of, self.report_metrics = rows_of, report_metrics
        self.started: dict[str, float] = {}
        self.partition: str | None = None

    def on_event(self, entry) -> None:
        event = entry.dagster_event
        if event is None:
            return
        kind = event.event_type
        root = (event.step_key or "").split(".")[0]
        if kind == dg.DagsterEventType.STEP_START and root in self.asset_names and root not in self.started:
            self.started[root] = entry.timestamp
            self.display.context = root
            self.display.line(format_asset_start(root, self.partition))
        elif kind == dg.DagsterEventType.ASSET_MATERIALIZATION:
            mat = event.step_materialization_data.materialization
            name = mat.asset_key.to_user_string()
            metadata = {k: getattr(v, "value", v) for k, v in mat.metadata.items()}
            seconds = entry.timestamp - self.started.get(root, entry.timestamp)
            rows = self.rows_of(self.run_id, name, mat.partition or "")
            self.display.line(format_asset_done(name, mat.partition, rows, seconds,
                                                headline_of(name, metadata, self.report_metrics)))
        elif kind == dg.DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error
            while error is not None and error.cause is not None:  # the user's exception, not Dagster's wrapper
                error = error.cause
            seconds = entry.timestamp - self.started.get(root, entry.timestamp)
            self.display.line(format_asset_failed(root, self.partition, seconds,
                                                  error.message if error else "failed"))
        elif kind == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            data = event.asset_check_evaluation_data
            if data.passed and data.check_name == PARTITIONS_CHECK:  # uninformative once partitions exist
                return
            self.display.line(format_check(data.check_name, data.asset_key.to_user_string(), data.passed,
                                           data.severity.value, data.description or ""))


def _rows_of(run_id: str, asset: str, partition: str) -> dict[str, int] | None:
    from warehouse.readers import rows_written

    try:
        return rows_written(run_id, asset, partition)
    except Exception:  # a display detail: never fail the run over it
        return None


def _report_metrics(report_id: str) -> dict[str, float]:
    from warehouse.readers import read_sql

    try:
        frame = read_sql("SELECT metric, value FROM eval_metrics WHERE report_id = ?", [report_id])
    except Exception:
        return {}
    return dict(frame.iter_rows())


def execute_with_progress(job: dg.JobDefinition, instance: dg.DagsterInstance, display: ProgressDisplay,
                          partition_key: str | None = None, run_config: dict | None = None,
                          asset_selection: list | None = None, tags: dict | None = None):
    """``job.execute_in_process`` with the demo's asset lines and progress bar on ``display``."""
    from pipelines.definitions import defs
    from ops.progress import progress_listener

    run_id = str(uuid.uuid4())
    names = {k.path[-1] for k in defs.resolve_asset_graph().get_all_asset_keys()}
    printer = RunPrinter(display, names, run_id, _rows_of, _report_metrics)
    printer.partition = partition_key
    instance.add_event_listener(run_id, printer.on_event)
    with progress_listener(display.update):
        try:
            return job.execute_in_process(instance=instance, partition_key=partition_key, run_id=run_id,
                                          raise_on_error=False, run_config=run_config,
                                          asset_selection=asset_selection, tags=tags)
        finally:
            display.close()


def log_file(kind: str) -> Path:
    """``$TRAINYARD_HOME/logs/<kind>-<UTC time>.log``."""
    from warehouse.paths import trainyard_home

    logs = trainyard_home() / "logs"
    logs.mkdir(exist_ok=True)
    return logs / f"{kind}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.log"


@contextlib.contextmanager
def output_to_log(path: Path) -> Iterator[TextIO]:
    """Send everything written to stdout and stderr (Python's streams, even when replaced, and file
    descriptors 1 and 2: C libraries, child processes) to ``path`` while the block runs; yields a
    stream to the original stdout for the demo's own lines."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    saved_streams = sys.stdout, sys.stderr
    term = os.fdopen(os.dup(saved_out), "w", buffering=1, encoding="utf-8", errors="replace")
    with open(path, "ab", buffering=0) as log, \
            open(path, "a", buffering=1, encoding="utf-8", errors="replace") as log_text:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        sys.stdout = sys.stderr = log_text
        try:
            yield term
        finally:
            sys.stdout, sys.stderr = saved_streams
            os.dup2(saved_out, 1)
            os.dup2(saved_err, 2)
            os.close(saved_out)
            os.close(saved_err)
            term.close()


def run_demo(instance: dg.DagsterInstance, display: ProgressDisplay) -> list[dict]:
    """Every branch's demo plan, one run per (job, partition); returns one dict per run."""
    from pipelines.definitions import BRANCHES, defs

    plan = [step for branch in BRANCHES for step in branch.demo_plan(instance)]
    # Dagster's event and step logs go to the run (the UI) and, through the console logger, to the log file.
    level = os.environ.get("TRAINYARD_LOG_LEVEL", "DEBUG")
    results = []
    for i, (job_name, partition_key) in enumerate(plan, 1):
        label = job_name + (f" [{partition_key}]" if partition_key else "")
        display.line(f"[{i}/{len(plan)}] {label}")
        t0 = time.perf_counter()
        result = execute_with_progress(defs.resolve_job_def(job_name), instance, display, partition_key,
                                       run_config={"loggers": {"console": {"config": {"log_level": level}}}})
        seconds = time.perf_counter() - t0
        results.append({"job": label, "success": result.success, "seconds": round(seconds, 1),
                        "run_id": result.run_id})
        display.line(f"  {label}: {'ok' if result.success else 'FAILED'} in {seconds:.1f}s "
                     f"(run {result.run_id[:8]})")
    return results


def demo_summary(results: list[dict], total_seconds: float, log_path: Path | None) -> list[str]:
    """The closing summary from the warehouse rows written by ``results``' runs."""
    from warehouse.paths import warehouse_path
    from warehouse.readers import read_sql

    run_ids = [r["run_id"] for r in results]
    marks = ", ".join("?" * len(run_ids))
    rows = read_sql(f"SELECT report_id, metric, value, n, ci_low, ci_high FROM eval_metrics "
                    f"WHERE dagster_run_id IN ({marks})", run_ids)
    metrics = {(r["report_id"], r["metric"]): r for r in rows.to_dicts()}
    reports = read_sql(f"SELECT report_id, html_path FROM eval_reports WHERE dagster_run_id IN ({marks}) "
                       "ORDER BY report_id", run_ids)
    return format_summary(total_seconds, results, metrics, list(reports.iter_rows()), report_index_path(),
                          log_path, str(warehouse_path()))
