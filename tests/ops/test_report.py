import numpy as np
import pytest

from ops.report import Plot, Table, bootstrap_ci, render_report


def test_render_report_writes_html_pngs_and_markdown(tmp_path):
    rendered = render_report(
        tmp_path / "r", "Title <x>", {"acc": 0.5, "n": 3, "acc_ci": [0.123456, 0.876543]},
        tables=[Table("T", ["a", "b"], [[1, 2.0], [3, 4.5]])],
        plots=[Plot("curve", "Curve", lambda ax: ax.plot([0, 1], [1, 0]))],
    )
    html = rendered.html_path.read_text()
    assert "Title &lt;x&gt;" in html and "<td>4.5</td>" in html and 'src="curve.png"' in html
    assert "href='../index.html'" in html and (tmp_path / "index.html").is_file()
    assert rendered.png_paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<td>[0.1235, 0.8765]</td>" in html
    assert "data:image/png;base64," in rendered.markdown and "| 3 | 4.5 |" in rendered.markdown


def test_bootstrap_ci_brackets_the_mean_and_narrows_with_n():
    rng = np.random.default_rng(1)
    small = rng.normal(0, 1, 20)
    large = rng.normal(0, 1, 2000)
    p_s, lo_s, hi_s = bootstrap_ci(small)
    p_l, lo_l, hi_l = bootstrap_ci(large)
    assert lo_s <= p_s <= hi_s and lo_l <= p_l <= hi_l
    assert p_l == float(np.mean(large))
    assert (hi_l - lo_l) < (hi_s - lo_s) / 3


def test_proportion_intervals_are_binomial_where_a_bootstrap_collapses():
    from ops.report import clopper_pearson_ci, proportion_with_ci, wilson_ci

    # 0 of 8: every bootstrap resample is 0/8, so the percentile interval is [0, 0]
    assert bootstrap_ci([0.0] * 8)[1:] == (0.0, 0.0)
    lo, hi = wilson_ci(0, 8)
    assert lo == 0.0 and hi == pytest.approx(0.3244, abs=1e-4)
    lo, hi = clopper_pearson_ci(0, 8)
    assert lo == 0.0 and hi == pytest.approx(1 - 0.025 ** (1 / 8))  # exact: (alpha/2)^(1/n)
    assert clopper_pearson_ci(8, 8) == (pytest.approx(0.025 ** (1 / 8)), 1.0)
    assert wilson_ci(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert proportion_with_ci(3, 8, "exact")[0] == 3 / 8
    assert all(np.isnan(wilson_ci(0, 0)))


def test_hist_bins_spread_a_tight_cluster_and_logit_histogram_separates_near_one_scores():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ops.report import draw_score_hist, hist_bins

    # copy scores as the copy-detection eval produces them: all in 0.976-1.0
    copies = [0.9758, 0.9804, 0.9806, 0.9810, 0.9825, 0.9878, 0.9892, 0.9950, 0.9963, 0.9966, 0.9975, 0.9980,
              0.9983, 0.9984, 0.9986, 0.9987, 0.9988, 0.99906, 0.99908, 0.99913, 0.99985, 0.99997, 1.0]
    linear, _ = np.histogram(copies, bins=20, range=(0, 1))
    assert (linear > 0).sum() == 1  # the old histogram: every copy in one bin
    edges = hist_bins(copies)
    assert len(edges) - 1 >= 10 and edges[0] == min(copies) and edges[-1] == max(copies)
    assert (np.histogram(copies, edges)[0] > 0).sum() >= 5
    fig, ax = plt.subplots()
    edges = draw_score_hist(ax, {"copies": copies, "non-copies": [0.0, 0.3, 0.889]}, threshold=0.95)
    plt.close(fig)
    assert (np.histogram(np.clip(copies, 0, 1 - 1e-6), edges)[0] > 0).sum() >= 5
    every = np.clip(copies + [0.0, 0.3, 0.889], 1e-6, 1 - 1e-6)
    assert np.histogram(every, edges)[0].sum() == len(every)  # scores of exactly 0 and 1 are drawn too
    assert len(hist_bins([0.5] * 4)) == 11  # one value: still a bin around it


def test_category_labels_are_readable_and_figures_grow_with_bars():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ops.report import MIN_TICK_FONT, category_figsize, category_ticks

    assert category_figsize(3)[0] == 6 and category_figsize(20)[0] > category_figsize(8)[0] > 6
    assert category_figsize(40, horizontal=True)[1] > category_figsize(5, horizontal=True)[1]
    fig, ax = plt.subplots()
    labels = ["heldout_aggregate", "heldout_code", "heldout_math", "heldout_prose"]
    category_ticks(ax, range(4), labels)
    ticks = ax.get_xticklabels()
    assert [t.get_text() for t in ticks] == labels
    assert all(t.get_fontsize() >= MIN_TICK_FONT and t.get_rotation() == 30 for t in ticks)
    category_ticks(ax, range(2), ["a", "b"])
    assert all(t.get_rotation() == 0 for t in ax.get_xticklabels())
    plt.close(fig)


def test_render_report_sizes_figures_by_bars_and_writes_no_software_chunk(tmp_path):
    from PIL import Image

    few = render_report(tmp_path / "few", "Few", {}, plots=[Plot("b", "B", lambda ax: ax.bar(range(2), [1, 2]),
                                                                n_categories=2)])
    many = render_report(tmp_path / "many", "Many", {}, plots=[Plot("b", "B", lambda ax: ax.bar(range(24), range(24)),
                                                                    n_categories=24)])
    assert Image.open(many.png_paths[0]).size[0] > Image.open(few.png_paths[0]).size[0]
    assert b"Software" not in few.png_paths[0].read_bytes()


def test_report_index_lists_and_links_every_report(tmp_path, trainyard_home):
    import json
    import re

    from ops.report import report_index_path
    from warehouse.paths import artifact_dir

    render_report(artifact_dir("reports", "alpha"), "Alpha & co", {"x": 1})
    render_report(artifact_dir("reports", "beta"), "Beta report", {"y": 2})
    (artifact_dir("reports", "no_report") / "notes.txt").write_text("not a report")
    index = report_index_path()
    assert index == trainyard_home / "artifacts" / "reports" / "index.html"
    page = index.read_text()
    assert re.findall(r'href="([^"]+)"', page) == ["beta/report.html", "alpha/report.html"]  # newest first
    assert "Alpha &amp; co" in page and "Beta report" in page and "no_report" not in page
    meta = json.loads((artifact_dir("reports", "alpha") / "report.json").read_text())
    assert meta["title"] == "Alpha & co" and meta["created_at"] in page
    # the index is rewritten by every render: a third report appears without calling report_index_path
    render_report(artifact_dir("reports", "gamma"), "Gamma", {})
    assert "gamma/report.html" in index.read_text()


def test_wilson_interval_contains_the_point_at_the_edges():
    from ops.report import wilson_ci

    for n in range(1, 60):
        for k in (0, n):
            lo, hi = wilson_ci(k, n)
            assert lo <= k / n <= hi, (k, n)
    assert wilson_ci(7, 7)[1] == 1.0 and wilson_ci(0, 7)[0] == 0.0


def test_index_lists_a_report_without_its_json_from_the_html_title(tmp_path):
    from ops.report import write_report_index

    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "report.html").write_text("<html><head><title>Old &amp; plain</title></head></html>")
    render_report(tmp_path / "new", "New", {})
    page = write_report_index(tmp_path).read_text()
    assert 'href="old/report.html">Old &amp; plain</a>' in page and 'href="new/report.html">New</a>' in page
