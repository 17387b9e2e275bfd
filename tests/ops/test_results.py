"""docs/results.md is generated from warehouse rows: deterministic bytes, every row shown with its
interval, producer and provenance, and any row change shows up in the output."""
import datetime as dt

import pytest

from ops.results import branch_of, render_results
from warehouse.readers import results_rows
from warehouse.registry import EvalMetric, record_eval_report
from warehouse.writer import Lineage

WHEN = dt.datetime(2026, 1, 2, 3, 4, 5)
GROUPS = {"demix_final": "demix", "github_chain_report": "github"}


def _lineage(asset, run="run-1"):
    return Lineage(dagster_run_id=run, asset_key=asset, materialized_at=WHEN)


def _fill(wh, tool_validity=0.25):
    record_eval_report(wh, report_id="demix_final/final", subject_kind="dataset", subject="demix_search",
                       suite="demix_final", summary={}, html_path="", lineage=_lineage("demix_final"),
                       source_key="demix_final",
                       metrics=[EvalMetric("chosen_minus_uniform/mean/loss", -0.0123, n=3, ci_low=-0.05, ci_high=0.02),
                                EvalMetric("chosen/mean/loss", 4.5, n=3)])
    record_eval_report(wh, report_id="rubrics_eval/x", subject_kind="dataset", subject="pairs.jsonl",
                       suite="rubrics_eval", summary={}, html_path="", lineage=_lineage("rubrics_eval", "adhoc-abc"),
                       source_key="x", metrics=[EvalMetric("accuracy", tool_validity, n=8, ci_low=0.07, ci_high=0.59)])
    wh.write("benchmarks", [
        {"benchmark": "merge", "metric": "seconds", "value": 1.5, "unit": "s", "peer": "mergekit", "peer_value": 3.0,
         "ratio": 0.5, "machine": "Linux x86_64, 2 cores, no GPU", "git_commit": "abc123", "measured_at": WHEN,
         "source_key": "bench:merge"}], _lineage("bench/merge", "bench"))


def _render(out, path=None):
    metrics, benches = results_rows(path)
    return render_results(metrics.to_dicts(), benches.to_dicts(), out, GROUPS, ["github", "demix", "rubrics"])


def _snapshot(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_two_renderings_of_one_warehouse_are_byte_identical(warehouse, tmp_path):
    _fill(warehouse)
    first = _render(tmp_path / "a")
    _render(tmp_path / "b")
    _render(tmp_path / "a")  # re-rendering in place leaves the same files
    assert _snapshot(tmp_path / "a") == _snapshot(tmp_path / "b")
    names = sorted(_snapshot(tmp_path / "a"))
    assert names == ["results.md", "results/benchmark-ratios.png", "results/demix-final-final.png",
                     "results/rubrics-eval-x.png"], names
    assert first[1].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"Software" not in first[1].read_bytes()  # no version chunk that changes with matplotlib


def test_results_show_rows_grouped_by_branch_with_interval_producer_and_provenance(warehouse, tmp_path):
    from warehouse.provenance import git_commit, machine_description

    _fill(warehouse)
    md = _render(tmp_path)[0].read_text()
    demix, rubrics, bench = md.index("## demix"), md.index("## rubrics"), md.index("## Benchmarks")
    assert demix < rubrics < bench
    assert md.index("chosen_minus_uniform/mean/loss") > demix
    assert "| chosen_minus_uniform/mean/loss | -0.0123 | [-0.05, 0.02] | 3 |" in md
    assert "| chosen/mean/loss | 4.5 | — | 3 |" in md
    assert "produced by asset `demix_final`" in md
    assert "produced by command outside Dagster (`rubrics_eval`)" in md
    assert md.index("| accuracy | 0.25 | [0.07, 0.59] | 8 |") > rubrics
    # stamped from the rows (recorded by record_eval_report), never from the clock at render time
    assert f"machine {machine_description()}" in md and f"`{git_commit()}`" in md
    stored = results_rows()[0]["created_at"][0].strftime("%Y-%m-%d %H:%M UTC")
    assert stored in md
    assert "Produced by `trainyard bench --only merge`; machine Linux x86_64, 2 cores, no GPU · commit `abc123` · " \
           "2026-01-02 03:04 UTC" in md
    assert "| seconds | 1.5 | s | mergekit | 3 | 0.5 |" in md


def test_a_changed_row_changes_the_output(warehouse, tmp_path):
    _fill(warehouse)
    before = _snapshot(_render(tmp_path / "a")[0].parent)
    _fill(warehouse, tool_validity=0.375)
    after = _snapshot(_render(tmp_path / "b")[0].parent)
    assert before["results.md"] != after["results.md"]
    assert "| accuracy | 0.375 |" in after["results.md"].decode()
    assert before["results/rubrics-eval-x.png"] != after["results/rubrics-eval-x.png"]
    assert before["results/demix-final-final.png"] == after["results/demix-final-final.png"]


def test_stale_plots_are_removed_and_empty_warehouse_says_so(warehouse, tmp_path):
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "old.png").write_bytes(b"x")
    md = _render(tmp_path)[0].read_text()
    assert "holds no evaluation metrics or benchmarks yet" in md
    assert not (tmp_path / "results" / "old.png").exists()


@pytest.mark.parametrize("key,expected", [("demix_final", "demix"), ("rubrics_eval", "rubrics"),
                                          ("github_chain_report", "github"), ("gpu_check", "other")])
def test_branch_of_asset_keys_and_adhoc_keys(key, expected):
    assert branch_of(key, {**GROUPS, "rubric_report": "rubrics"}) == expected


def test_rows_from_several_warehouses_keep_the_newest_measurement_whatever_their_order():
    import datetime as dt

    from ops.results import latest_rows

    old = {"report_id": "r", "metric": "acc", "value": 0.5, "created_at": dt.datetime(2026, 1, 1)}
    new = {"report_id": "r", "metric": "acc", "value": 0.7, "created_at": dt.datetime(2026, 2, 1)}
    other = {"report_id": "a", "metric": "acc", "value": 0.1, "created_at": None}
    for rows in ([old, new, other], [new, other, old]):
        kept = latest_rows(rows, ("report_id", "metric"), "created_at")
        assert [r["value"] for r in kept] == [0.1, 0.7]
