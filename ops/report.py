"""Evaluation report rendering shared by every branch: an HTML file with PNG plots and tables,
plus the markdown summary (plot embedded) that assets attach to their materialisation, and an
index page (``reports/index.html``) beside the report folders linking every report.

Interval helpers: ``wilson_ci`` / ``clopper_pearson_ci`` for proportions (k of n: never a
bootstrap, which gives [0, 0] for 0/8), ``bootstrap_ci`` for other statistics. Plot helpers:
``hist_bins`` (bins over the data's own range), ``category_figsize`` and ``category_ticks``
(figure size and tick labels readable for any number of bars)."""
from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import html
import io
import json
import math
import os
import re
from pathlib import Path
from typing import Any, Callable, Sequence

PlotFn = Callable[[Any], None]  # draws on a matplotlib Axes


@dataclasses.dataclass
class Plot:
    name: str
    title: str
    draw: PlotFn
    n_categories: int = 0       # bars/groups on the category axis: the figure grows with them
    horizontal: bool = False    # categories on the y axis (barh)


@dataclasses.dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[Sequence[Any]]


@dataclasses.dataclass
class RenderedReport:
    html_path: Path
    png_paths: list[Path]
    markdown: str


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, float) for v in value):
        return "[" + ", ".join(f"{v:.4g}" for v in value) + "]"  # an interval
    return str(value)


def markdown_table(table: Table, limit: int = 20) -> str:
    head = "| " + " | ".join(table.columns) + " |\n|" + "---|" * len(table.columns) + "\n"
    body = "".join(
        "| " + " | ".join(_fmt(v).replace("|", "\\|") for v in row) + " |\n"
        for row in table.rows[:limit]
    )
    more = f"\n_{len(table.rows) - limit} more rows in the HTML report_\n" if len(table.rows) > limit else ""
    return f"**{table.title}**\n\n{head}{body}{more}"


def render_report(
    out_dir: Path,
    title: str,
    summary: dict[str, Any],
    tables: Sequence[Table] = (),
    plots: Sequence[Plot] = (),
) -> RenderedReport:
    """Write ``report.html`` and one PNG per plot into ``out_dir``.

    Returns the paths and a markdown rendering (key numbers, first plot inlined as a data URI so
    the Dagster UI shows it, tables truncated)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    pngs: list[Path] = []
    png_bytes: list[bytes] = []
    for plot in plots:
        with plt.rc_context(READABLE_RC):
            size = category_figsize(plot.n_categories, plot.horizontal) if plot.n_categories else (7, 4.2)
            fig, ax = plt.subplots(figsize=size, dpi=100)
            plot.draw(ax)
            ax.set_title(plot.title)
            fig.tight_layout()
            buf = io.BytesIO()
            fig.savefig(buf, format="png", metadata={"Software": None})
            plt.close(fig)
        path = out_dir / f"{plot.name}.png"
        path.write_bytes(buf.getvalue())
        pngs.append(path)
        png_bytes.append(buf.getvalue())

    summary_rows = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(_fmt(v))}</td></tr>"
        for k, v in summary.items()
    )
    table_html = "".join(
        f"<h2>{html.escape(t.title)}</h2><table><tr>"
        + "".join(f"<th>{html.escape(c)}</th>" for c in t.columns) + "</tr>"
        + "".join(
            "<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in row) + "</tr>"
            for row in t.rows
        ) + "</table>"
        for t in tables
    )
    plot_html = "".join(
        f'<figure><img src="{p.name}" alt="{html.escape(pl.title)}"><figcaption>'
        f"{html.escape(pl.title)}</figcaption></figure>"
        for p, pl in zip(pngs, plots)
    )
    page = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>body{{font-family:sans-serif;margin:2em}}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;"
        "text-align:left}</style></head><body>"
        f"<p><a href='../{INDEX_NAME}'>All reports</a></p>"
        f"<h1>{html.escape(title)}</h1><table>{summary_rows}</table>{plot_html}{table_html}"
        "</body></html>"
    )
    html_path = out_dir / "report.html"
    html_path.write_text(page, encoding="utf-8")
    created = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    (out_dir / REPORT_META).write_text(json.dumps({"title": title, "created_at": created,
                                                   "plots": [p.name for p in pngs]}), encoding="utf-8")
    write_report_index(out_dir.parent)

    md = [f"### {title}", ""]
    md += [f"- **{k}**: {_fmt(v)}" for k, v in summary.items()]
    md.append("")
    for data, plot in zip(png_bytes[:2], plots[:2]):
        md.append(f"![{plot.title}](data:image/png;base64,{base64.b64encode(data).decode()})")
    md += ["", *(markdown_table(t) for t in tables[:3]), f"\nFull report: `{html_path}`"]
    return RenderedReport(html_path=html_path, png_paths=pngs, markdown="\n".join(md))


READABLE_RC = {"font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10, "xtick.labelsize": 9,
               "ytick.labelsize": 9, "legend.fontsize": 9}
MIN_TICK_FONT = 9
REPORT_META = "report.json"
INDEX_NAME = "index.html"


def category_figsize(n: int, horizontal: bool = False) -> tuple[float, float]:
    """(width, height) in inches for ``n`` bars: ~0.45 in per bar, within 6–16 in wide (vertical
    bars) or 3–14 in tall (horizontal bars)."""
    if horizontal:
        return 7.5, min(14.0, max(3.0, 1.2 + 0.35 * n))
    return min(16.0, max(6.0, 2.5 + 0.45 * n)), 4.2


def category_ticks(ax, positions: Sequence[float], labels: Sequence[str], axis: str = "x") -> None:
    """Readable category labels: at least ``MIN_TICK_FONT`` pt; x labels rotated 30° (right-aligned)
    when there are many or long ones."""
    labels = [str(label) for label in labels]
    if axis == "y":
        ax.set_yticks(list(positions), labels, fontsize=MIN_TICK_FONT)
        return
    longest = max((len(label) for label in labels), default=0)
    rotate = len(labels) > 8 or (len(labels) > 3 and longest > 10)
    ax.set_xticks(list(positions), labels, fontsize=MIN_TICK_FONT, rotation=30 if rotate else 0,
                  ha="right" if rotate else "center")


def hist_bins(values: Sequence[float], floor: int = 10, ceiling: int = 60):
    """Bin edges over the values' own range (numpy's 'auto' rule), at least ``floor`` and at most
    ``ceiling`` bins, so a tight cluster (copies scoring 0.97–0.999) still spreads over bins."""
    import numpy as np

    arr = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if arr.size == 0:
        return np.linspace(0.0, 1.0, floor + 1)
    lo, hi = float(arr.min()), float(arr.max())
    if hi - lo < 1e-12:
        pad = max(abs(lo) * 1e-3, 1e-6)
        return np.linspace(lo - pad, hi + pad, floor + 1)
    n = len(np.histogram_bin_edges(arr, bins="auto")) - 1
    return np.linspace(lo, hi, min(ceiling, max(floor, n)) + 1)


UNIT_EPS = 1e-6  # scores at exactly 0 or 1 sit this far inside (0, 1) on a logit axis


def draw_score_hist(ax, groups: dict[str, Sequence[float]], threshold: float | None = None):
    """Histogram of scores in [0, 1] per group on a logit axis, with bins over the data's range
    (``hist_bins`` in logit space): copies scoring 0.976–1.0 spread over many bins instead of one
    0.95–1.0 bin of a linear 20-bin histogram. Returns the bin edges."""
    import numpy as np

    def logit(xs):
        x = np.clip(np.asarray(list(xs), dtype=float), UNIT_EPS, 1 - UNIT_EPS)
        return np.log(x / (1 - x))

    everything = np.concatenate([logit(v) for v in groups.values()] or [np.zeros(0)])
    edges = 1 / (1 + np.exp(-hist_bins(everything.tolist(), floor=30)))
    data = [np.clip(np.asarray(list(v), dtype=float), UNIT_EPS, 1 - UNIT_EPS) for v in groups.values()]
    if everything.size:  # the logit round trip moves the outer edges by an ulp: keep the extremes inside
        edges[0] = min(edges[0], min(float(d.min()) for d in data if d.size))
        edges[-1] = max(edges[-1], max(float(d.max()) for d in data if d.size))
    ax.hist(data, bins=edges, label=list(groups), histtype="stepfilled", alpha=0.55)
    ax.set_xscale("logit")
    from matplotlib.ticker import NullFormatter

    ax.xaxis.set_minor_formatter(NullFormatter())  # minor labels (1-3·10⁻²) collide on a short range
    ax.tick_params(axis="x", labelrotation=30)
    if threshold is not None:
        ax.axvline(threshold, color="k", ls="--", label=f"threshold {threshold:g}")
    ax.set_xlabel("score (logit axis)")
    ax.set_ylabel("pairs")
    ax.legend()
    return edges


def wilson_ci(k: float, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval for ``k`` successes out of ``n`` (``k`` may be fractional, e.g. ties
    counted ½); (nan, nan) when ``n`` is 0. 0/8 gives [0, 0.32], not [0, 0]."""
    if n <= 0:
        return float("nan"), float("nan")
    from statistics import NormalDist

    z = NormalDist().inv_cdf(1 - alpha / 2)
    p = k / n
    d = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / d
    half = z * math.sqrt(max(p * (1 - p) / n + z * z / (4 * n * n), 0.0)) / d
    # Wilson contains p; enforce it against rounding (p = 1 gave 0.99999999999 as the upper end)
    return max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half))


def clopper_pearson_ci(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact binomial (Clopper–Pearson) interval for ``k`` successes in ``n`` trials; (nan, nan)
    when ``n`` is 0."""
    if n <= 0:
        return float("nan"), float("nan")
    from scipy.stats import beta

    lo = 0.0 if k <= 0 else float(beta.ppf(alpha / 2, k, n - k + 1))
    hi = 1.0 if k >= n else float(beta.ppf(1 - alpha / 2, k + 1, n - k))
    return lo, hi


def proportion_with_ci(k: float, n: int, method: str = "wilson") -> tuple[float, float, float]:
    """(k/n, low, high) with a Wilson (default) or Clopper–Pearson ('exact') 95 % interval."""
    point = k / n if n else float("nan")
    lo, hi = clopper_pearson_ci(int(round(k)), n) if method == "exact" else wilson_ci(k, n)
    return point, lo, hi


def _report_entry(folder: Path) -> dict[str, str] | None:
    """Title and time of the report in ``folder`` (from ``report.json``; for reports written
    before it existed, the HTML title and file time); None when the report vanished meanwhile."""
    meta_path, html_path = folder / REPORT_META, folder / "report.html"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # absent, or being written by another process right now
        meta = {}
    try:
        title = meta.get("title")
        if not title:
            found = re.search(r"<title>(.*?)</title>", html_path.read_text(encoding="utf-8", errors="replace"), re.S)
            title = html.unescape(found.group(1)) if found else folder.name
        created = meta.get("created_at") or dt.datetime.fromtimestamp(
            html_path.stat().st_mtime, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    except OSError:
        return None
    return {"folder": folder.name, "title": title, "created_at": created}


def write_report_index(root: Path) -> Path:
    """(Re)write ``root/index.html`` listing every ``root/*/report.html`` with its title and the
    time it was written, newest first. Written to a temporary file and renamed, so a reader (or a
    concurrent writer) never sees half a page."""
    root.mkdir(parents=True, exist_ok=True)
    entries = [e for d in sorted(root.iterdir()) if (d / "report.html").is_file() and (e := _report_entry(d))]
    entries.sort(key=lambda e: (e["created_at"], e["folder"]), reverse=True)
    rows = "".join(
        f'<tr><td><a href="{html.escape(e["folder"])}/report.html">{html.escape(e["title"])}</a></td>'
        f"<td>{html.escape(e['folder'])}</td><td>{html.escape(e['created_at'])}</td></tr>"
        for e in entries)
    page = ("<!doctype html><html><head><meta charset='utf-8'><title>trainyard reports</title>"
            "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
            "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}</style></head><body>"
            f"<h1>trainyard reports</h1><p>{len(entries)} reports, newest first.</p>"
            f"<table><tr><th>report</th><th>folder</th><th>written</th></tr>{rows}</table></body></html>")
    path = root / INDEX_NAME
    tmp = root / f".{INDEX_NAME}.{os.getpid()}.tmp"
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)
    return path


def report_index_path() -> Path:
    """The report index of this trainyard home (``$TRAINYARD_HOME/artifacts/reports/index.html``),
    regenerated so it lists every report there now."""
    from warehouse.paths import artifact_dir

    return write_report_index(artifact_dir("reports"))


def bootstrap_ci(
    values: Sequence[float],
    stat: Callable[[Any], float] | None = None,
    n_boot: int = 1000,
    alpha: float = 0.05,
    seed: int = 0,
) -> tuple[float, float, float]:
    """(point, low, high) percentile-bootstrap interval of ``stat`` (default: mean)."""
    import numpy as np

    arr = np.asarray(values, dtype=float)
    if arr.size == 0:
        return float("nan"), float("nan"), float("nan")
    fn = stat or (lambda a: float(np.mean(a)))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, arr.shape[0], size=(n_boot, arr.shape[0]))
    boots = np.array([fn(arr[i]) for i in idx])
    lo, hi = np.quantile(boots, [alpha / 2, 1 - alpha / 2])
    return float(fn(arr)), float(lo), float(hi)
