"""The Dagster UI in a real browser: the asset graph shows trainyard's assets and one asset can be
materialised from the UI. Starts `dagster dev` on loopback with the test's tiny home and stops
every process it started, by PID."""
import os
import re
import shutil
import sys
import time

import pytest

from tests import server_process as sp
from warehouse.paths import PROJECT_ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.browser


def _groups() -> list[str]:
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    return sorted({graph.get(k).group_name for k in graph.get_all_asset_keys()})


BRANCH_GROUPS = _groups()


@pytest.fixture
def dagster_ui(trainyard_home, tmp_path):
    from pipelines.instance import prepare_dagster_home

    home = prepare_dagster_home()
    port = sp.free_port()
    env = dict(os.environ, DAGSTER_HOME=str(home), PYTHONPATH=str(PROJECT_ROOT))
    # The user's command: `trainyard ui` (which runs `dagster dev` on loopback).
    proc = sp.start([sys.executable, "-m", "pipelines.cli", "ui", "--port", str(port)],
                    env, tmp_path, tmp_path / "dagster_dev.log")
    try:
        sp.wait_http(f"http://127.0.0.1:{port}/server_info", proc, timeout_s=120)
        yield f"http://127.0.0.1:{port}"
    finally:
        sp.stop(proc)
        assert proc.poll() is not None, "dagster dev is still running"


def test_asset_graph_shows_assets_and_ui_materialises_one(dagster_ui, tmp_path):
    if CHROMIUM is None:
        pytest.fail("chromium is not installed: run scripts/install-system-deps.sh (make test does)")
    from playwright.sync_api import expect, sync_playwright

    from warehouse.readers import scalar

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{dagster_ui}/asset-groups")
            # With several branches the global graph shows one node per asset group.
            for group in BRANCH_GROUPS:
                expect(page.get_by_text(group, exact=True).first).to_be_visible(timeout=60_000)
            page.screenshot(path=str(tmp_path / "global_graph.png"))
            page.goto(f"{dagster_ui}/locations/trainyard/asset-groups/spine")
            for name in ("raw_corpus", "corpus_stats", "corpus_lm", "corpus_report"):
                expect(page.get_by_text(name, exact=True).first).to_be_visible(timeout=60_000)
            assert "Join the Dagster community" not in page.inner_text("body")
            page.screenshot(path=str(tmp_path / "asset_graph.png"))

            # No repository registered yet: `trainyard ui` ran the partitions checks, and the
            # dynamically partitioned asset shows a warning naming the command, not a clean state.
            page.goto(f"{dagster_ui}/assets/github_repo_data?view=checks")
            expect(page.get_by_text("partitions_registered").first).to_be_visible(timeout=60_000)
            expect(page.get_by_text(re.compile("no partitions registered")).first).to_be_visible(timeout=60_000)
            page.screenshot(path=str(tmp_path / "partitions_check.png"))

            page.goto(f"{dagster_ui}/assets/raw_corpus")
            page.locator("button").filter(has_text=re.compile(r"^\s*Materialize\s*$")).first.click(timeout=60_000)
            deadline = time.monotonic() + 180
            count = 0
            while time.monotonic() < deadline:
                count = scalar("SELECT count(*) FROM corpus_documents WHERE asset_key = 'raw_corpus'")
                if count:
                    break
                time.sleep(2)
            assert count and count > 0, "the run launched from the UI did not write raw_corpus rows"
            page.goto(f"{dagster_ui}/runs")
            expect(page.get_by_text("Success").first).to_be_visible(timeout=90_000)
            page.screenshot(path=str(tmp_path / "runs.png"))
        finally:
            browser.close()


def _browser_or_skip():
    """Chromium and Playwright, or a skip that says what is missing."""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed: run scripts/install-system-deps.sh to run the report-index "
                    "browser test")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[dev]'): report-index browser test skipped")
    return sync_playwright


def test_report_index_opens_and_links_to_a_report_whose_images_load(trainyard_home, tmp_path):
    """Two reports rendered into the test's home; the index page (what the demo summary prints)
    opened in Chromium lists both, its link opens one, and every image of that report loads."""
    sync_playwright = _browser_or_skip()
    from playwright.sync_api import expect

    from ops.report import Plot, Table, render_report, report_index_path
    from warehouse.paths import artifact_dir

    render_report(artifact_dir("reports", "first_eval"), "First evaluation", {"accuracy": 0.75},
                  plots=[Plot("bars", "Bars", lambda ax: ax.bar(range(3), [1, 3, 2]), n_categories=3)])
    render_report(artifact_dir("reports", "second_eval"), "Second evaluation", {"loss": 1.25},
                  tables=[Table("T", ["a"], [[1]])],
                  plots=[Plot("curve", "Curve", lambda ax: ax.plot([0, 1, 2], [3, 1, 2])),
                         Plot("hist", "Histogram", lambda ax: ax.hist([0.1, 0.2, 0.2, 0.9]))])
    index = report_index_path()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(index.as_uri())
            assert page.title() == "trainyard reports"
            links = page.locator("a")
            expect(links).to_have_count(2)
            assert sorted(links.all_inner_texts()) == ["First evaluation", "Second evaluation"]
            page.get_by_role("link", name="Second evaluation").click()
            page.wait_for_load_state("load")
            assert page.url == (artifact_dir("reports", "second_eval") / "report.html").as_uri()
            assert page.title() == "Second evaluation"
            expect(page.locator("h1")).to_have_text("Second evaluation")
            widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => [i.getAttribute('src'), i.complete, "
                                                      "i.naturalWidth])")
            assert [w[0] for w in widths] == ["curve.png", "hist.png"]
            assert all(done and width > 0 for _, done, width in widths), widths
            page.screenshot(path=str(tmp_path / "report.png"))
            page.get_by_role("link", name="All reports").click()
            page.wait_for_load_state("load")
            assert page.url == index.as_uri() and page.title() == "trainyard reports"
        finally:
            browser.close()
