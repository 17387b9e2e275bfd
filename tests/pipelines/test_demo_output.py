"""The demo's terminal output: per-asset lines, the closing summary (fed fixture metrics), the
progress display and the routing of library output to the run's log."""
import io
import os
import subprocess
import sys

import dagster as dg

from pipelines.demo import (HEADLINE_METRICS, ProgressDisplay, RunPrinter, format_asset_done, format_asset_start,
                            format_summary, headline_of, output_to_log)


def test_asset_lines_name_asset_partition_rows_seconds_and_headline():
    assert format_asset_start("github_repo_data", "acme/widgets") == "    started  github_repo_data [acme/widgets]"
    line = format_asset_done("github_repo_data", "acme/widgets", {"github_pull_requests": 11, "quarantine": 1234},
                             2.345, "prs_written=11")
    assert line == "    finished github_repo_data [acme/widgets]  1,245 rows in 2 tables  2.3s  prs_written=11"
    assert format_asset_done("raw_corpus", None, {"corpus_documents": 1}, 0.04, "") == \
        "    finished raw_corpus  1 rows in 1 table  0.0s"
    assert "0 rows" in format_asset_done("image_benchmark_set", None, {}, 1.0, "images=8")
    assert "rows ?" in format_asset_done("x", None, None, 1.0, "")


def test_headline_prefers_the_named_entry_then_the_report_metric_then_any_number():
    assert headline_of("corpus_lm", {"training_run_id": "r", "val_loss": 5.98351, "tokens_per_s": 900.0}) \
        == "val_loss=5.984"
    assert headline_of("demix_corpora", {"domains": ["code", "prose"]}) == "domains=code, prose"
    lookup = {"rubric_report/held_out": {"accuracy/learned/all/all": 0.8125, "auc/learned/all/all": 0.9}}
    assert headline_of("rubric_report", {"report_id": "rubric_report/held_out", "report": "# md"},
                       lambda rid: lookup.get(rid, {})) == "accuracy/learned/all/all=0.8125"
    assert headline_of("unknown_asset", {"note": "text", "flag": True, "pairs": 3}) == "pairs=3"
    assert headline_of("unknown_asset", {"note": "text"}) == ""


def _fixture_metrics():
    metrics = {}
    for i, h in enumerate(HEADLINE_METRICS):
        metrics[(h.report_id, h.metric)] = {"value": 0.5 + i / 100, "n": 10 + i, "ci_low": 0.25, "ci_high": 0.75}
    metrics[("rubric_report/held_out", "accuracy/learned/all/all")].update(ci_low=None, ci_high=None)
    return metrics


def test_summary_shows_total_time_every_headline_metric_and_the_index_untruncated(tmp_path):
    long_path = "/" + "/".join(["a-long-directory-name"] * 8) + "/report.html"
    index = tmp_path / "reports" / "index.html"
    metrics = _fixture_metrics()
    del metrics[("image_copy_detection_eval/copy_detection", "micro_ap")]
    jobs = [{"job": "spine_job", "success": True}, {"job": "demix_job", "success": False}]
    lines = format_summary(412.4, jobs, metrics, [("corpus_report/corpus", long_path)], index,
                           tmp_path / "demo.log", "/tmp/w.duckdb")
    text = "\n".join(lines)
    assert "1/2 runs succeeded in 412.4s (6 min 52 s)" in text and "failed runs: demix_job" in text
    shown = [line for line in lines if any(h.label in line for h in HEADLINE_METRICS)]
    assert len(shown) == len(HEADLINE_METRICS) >= 7
    branches = {h.branch for h in HEADLINE_METRICS}
    assert {"corpus", "github", "demix", "images", "trajectories", "rubrics"} <= branches
    assert "0.5  95% CI [0.25, 0.75]  n=10" in shown[0]
    assert any("copy detection µAP" in line and "not recorded in this run" in line for line in shown)
    assert any("learned rubrics" in line and "CI" not in line for line in shown)
    assert long_path in text and f"Report index:  {index}  (not written yet)" in text
    assert "…" not in text
    index.parent.mkdir()
    index.write_text("<html></html>")
    assert f"Report index:  {index}\n" in "\n".join(format_summary(1.0, jobs[:1], metrics, [], index, None)) + "\n"


def test_progress_off_a_terminal_is_one_line_per_interval():
    now = [0.0]
    out = io.StringIO()
    display = ProgressDisplay(out, interactive=False, interval_s=20.0, clock=lambda: now[0])
    display.context = "demix_fidelity"
    for step in range(1, 201):
        now[0] = step * 0.5  # 100 s of training at 2 steps/s
        display.update("train steps", step, 200)
    lines = out.getvalue().splitlines()
    assert 3 <= len(lines) <= 5, lines
    assert lines[0].strip() == "demix_fidelity: train steps 40/200"
    display.line("    finished demix_fidelity")
    assert out.getvalue().endswith("    finished demix_fidelity\n")


def test_nested_loops_show_together_and_finished_ones_drop_out():
    now = [0.0]
    out = io.StringIO()
    display = ProgressDisplay(out, interactive=False, interval_s=10.0, clock=lambda: now[0])
    display.context = "demix_fidelity"
    for model in range(3):
        display.update("mixtures trained", model, 3)
        for step in range(1, 31):
            now[0] += 0.25
            display.update("train steps", step, 30)
    display.update("mixtures trained", 3, 3)
    lines = [line.strip() for line in out.getvalue().splitlines()]
    assert lines and all(line.startswith("demix_fidelity: mixtures trained ") for line in lines), lines
    assert "demix_fidelity: mixtures trained 1/3; train steps 10/30" in lines
    display.line("    finished demix_fidelity")
    now[0] += 60
    display.context = "demix_search"
    display.update("train steps", 1, 30)
    assert out.getvalue().splitlines()[-1].strip() == "demix_search: train steps 1/30"


def test_progress_on_a_terminal_draws_a_bar_and_clears_it_before_a_line():
    out = io.StringIO()
    display = ProgressDisplay(out, interactive=True)
    display.context = "rubric_grpo"
    for step in range(1, 11):
        display.update("GRPO steps", step, 10)
    assert "rubric_grpo: GRPO steps" in out.getvalue() and "0/10" in out.getvalue()
    assert display._bar.n == 10 and display._bar.total == 10  # redraws are throttled by tqdm
    display.update("train steps", 1, 50)  # a new loop gets a new bar
    assert display._bar.total == 50 and display._bar.n == 1
    display.line("    finished rubric_grpo")
    assert display._bar is None and out.getvalue().endswith("    finished rubric_grpo\n")


def test_library_output_goes_to_the_log_and_the_demo_lines_to_the_terminal(tmp_path):
    code = (
        "import os, sys, subprocess, warnings\n"
        "from pathlib import Path\n"
        "from pipelines.demo import output_to_log\n"
        "with output_to_log(Path(sys.argv[1])) as term:\n"
        "    print({'loss': 0.1})\n"
        "    warnings.warn('old API', FutureWarning)\n"
        "    os.write(2, b'C-level chatter\\n')\n"
        "    subprocess.run(['echo', 'child process'])\n"
        "    term.write('    finished corpus_lm\\n')\n"
        "print('after')\n")
    log = tmp_path / "demo.log"
    out = subprocess.run([sys.executable, "-c", code, str(log)], capture_output=True, text=True,
                         cwd=os.getcwd(), env=dict(os.environ, PYTHONPATH=os.getcwd()))
    assert out.returncode == 0, out.stderr
    assert out.stdout == "    finished corpus_lm\nafter\n" and out.stderr == ""
    logged = log.read_text()
    for chatter in ("{'loss': 0.1}", "FutureWarning: old API", "C-level chatter", "child process"):
        assert chatter in logged


def test_run_printer_turns_dagster_events_into_asset_lines():
    @dg.asset(description="two rows")
    def tiny_table():
        return dg.MaterializeResult(metadata={"rows_made": 2, "note": "x"})

    @dg.asset(deps=[tiny_table], description="always fails")
    def broken():
        raise ValueError("bad input: row 3\nsecond line")

    out = io.StringIO()
    display = ProgressDisplay(out, interactive=False)
    with dg.DagsterInstance.ephemeral() as instance:
        run_id = "0" * 8 + "-0000-0000-0000-000000000000"
        printer = RunPrinter(display, {"tiny_table", "broken"}, run_id,
                             rows_of=lambda rid, asset, part: {"t": 2} if rid == run_id else None,
                             report_metrics=lambda rid: {})
        instance.add_event_listener(run_id, printer.on_event)
        job = dg.Definitions(assets=[tiny_table, broken]).resolve_implicit_global_asset_job_def()
        assert not job.execute_in_process(instance=instance, run_id=run_id, raise_on_error=False).success
    lines = out.getvalue().splitlines()
    assert lines[0] == "    started  tiny_table"
    assert lines[1].startswith("    finished tiny_table  2 rows in 1 table  ") and lines[1].endswith("rows_made=2")
    assert lines[2] == "    started  broken"
    assert lines[3].startswith("    FAILED   broken  ") and "bad input: row 3" in lines[3] and "second" not in lines[3]


def test_replaced_python_streams_are_routed_too(tmp_path, capsys):
    """Under a harness that swapped sys.stdout (pytest, notebooks), print() still reaches the log."""
    log = tmp_path / "demo.log"
    with output_to_log(log):
        print({"loss": 0.2})
        print("warning text", file=sys.stderr)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert "{'loss': 0.2}" in log.read_text() and "warning text" in log.read_text()
