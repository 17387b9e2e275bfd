import numpy as np

from ops.report import Plot, Table, bootstrap_ci, render_report


def test_render_report_writes_html_pngs_and_markdown(tmp_path):
    rendered = render_report(
        tmp_path / "r", "Title <x>", {"acc": 0.5, "n": 3},
        tables=[Table("T", ["a", "b"], [[1, 2.0], [3, 4.5]])],
        plots=[Plot("curve", "Curve", lambda ax: ax.plot([0, 1], [1, 0]))],
    )
    html = rendered.html_path.read_text()
    assert "Title &lt;x&gt;" in html and "<td>4.5</td>" in html and 'src="curve.png"' in html
    assert rendered.png_paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
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
