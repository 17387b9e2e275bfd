"""The run registry every branch records into: training runs, their metrics, evaluation
reports and their metrics. Ids are deterministic per (asset, partition, name), so a re-run
replaces its rows instead of adding new ones."""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
from typing import Any, Iterable, Iterator

from warehouse.provenance import git_commit, machine_description
from warehouse.writer import Lineage, Warehouse


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def run_id_for(lineage: Lineage, name: str) -> str:
    part = f"[{lineage.partition_key}]" if lineage.partition_key else ""
    return f"{lineage.asset_key}{part}/{name}"


@dataclasses.dataclass
class TrainingRun:
    training_run_id: str
    kind: str
    base_model: str
    dataset_asset: str
    source_key: str
    config: dict[str, Any]
    dataset_version: str = ""
    output_checkpoint: str = ""
    status: str = "running"
    device: str = "cpu"
    started_at: dt.datetime = dataclasses.field(default_factory=_now)
    finished_at: dt.datetime | None = None

    def row(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["config_json"] = json.dumps(d.pop("config"), sort_keys=True, default=str)
        return d


@dataclasses.dataclass
class EvalMetric:
    metric: str
    value: float
    n: int | None = None
    ci_low: float | None = None
    ci_high: float | None = None


def start_training_run(wh: Warehouse, run: TrainingRun, lineage: Lineage) -> None:
    wh.write("training_runs", [run.row()], lineage, mode="upsert", key=["training_run_id"])


def finish_training_run(
    wh: Warehouse,
    run: TrainingRun,
    metrics: Iterable[tuple[int, str, float]],
    lineage: Lineage,
    status: str = "succeeded",
) -> None:
    """Mark the run finished and replace its metric rows (step, name, value)."""
    run.status = status
    run.finished_at = _now()
    wh.write("training_runs", [run.row()], lineage, mode="upsert", key=["training_run_id"])
    wh.delete("training_metrics", "training_run_id = ?", [run.training_run_id])
    rows = [
        {"training_run_id": run.training_run_id, "step": int(s), "name": n, "value": float(v),
         "source_key": run.source_key}
        for s, n, v in metrics
    ]
    wh.write("training_metrics", rows, lineage, mode="upsert",
             key=["training_run_id", "step", "name"])


@contextlib.contextmanager
def recorded_training_run(
    wh: Warehouse, run: TrainingRun, lineage: Lineage
) -> Iterator[list[tuple[int, str, float]]]:
    """Record ``run`` as running, yield the list its (step, name, value) metrics go into, then mark
    it succeeded — or failed, re-raising, when the body raises. Set ``run.output_checkpoint``
    inside the body."""
    start_training_run(wh, run, lineage)
    metrics: list[tuple[int, str, float]] = []
    try:
        yield metrics
    except BaseException:
        finish_training_run(wh, run, metrics, lineage, status="failed")
        raise
    finish_training_run(wh, run, metrics, lineage)


def record_eval_report(
    wh: Warehouse,
    *,
    report_id: str,
    subject_kind: str,
    subject: str,
    suite: str,
    summary: dict[str, Any],
    html_path: str,
    metrics: Iterable[EvalMetric],
    lineage: Lineage,
    source_key: str,
) -> None:
    wh.write(
        "eval_reports",
        [{
            "report_id": report_id, "subject_kind": subject_kind, "subject": subject,
            "suite": suite, "summary_json": json.dumps(summary, sort_keys=True, default=str),
            "html_path": html_path, "created_at": _now(), "source_key": source_key,
            "machine": machine_description(), "git_commit": git_commit(),
        }],
        lineage, mode="upsert", key=["report_id"],
    )
    wh.delete("eval_metrics", "report_id = ?", [report_id])
    rows = [
        {"report_id": report_id, "source_key": source_key, **dataclasses.asdict(m)}
        for m in metrics
    ]
    if rows:
        frame_rows = [{**r, "value": float(r["value"])} for r in rows]
        wh.write("eval_metrics", frame_rows, lineage, mode="upsert", key=["report_id", "metric"])


def quarantine(
    wh: Warehouse, records: Iterable[tuple[str, str, Any]], lineage: Lineage
) -> int:
    """Record bad input as (record_key, reason, record) rows; replaces this partition's rows."""
    rows = [
        {"record_key": k, "reason": r, "record_json": json.dumps(rec, default=str)[:20000],
         "source_key": k}
        for k, r, rec in records
    ]
    return wh.write("quarantine", rows, lineage, mode="replace")
