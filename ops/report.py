"""Evaluation report rendering shared by every branch: an HTML file with PNG plots and tables,
plus the markdown summary (plot embedded) that assets attach to their materialisation."""
from __future__ import annotations

import base64
import dataclasses
import html
import io
from pathlib import Path
from typing import Any, Callable, Sequence

PlotFn = Callable[[Any], None]  # draws on a matplotlib Axes


@dataclasses.dataclass
class Plot:
    name: str
    title: str
    draw: PlotFn


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
        fig, ax = plt.subplots(figsize=(6, 3.6), dpi=100)
        plot.draw(ax)
        ax.set_title(plot.title)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
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
        f"<h1>{html.escape(title)}</h1><table>{summary_rows}</table>{plot_html}{table_html}"
        "</body></html>"
    )
    html_path = out_dir / "report.html"
    html_path.write_text(page, encoding="utf-8")

    md = [f"### {title}", ""]
    md += [f"- **{k}**: {_fmt(v)}" for k, v in summary.items()]
    md.append("")
    for data, plot in zip(png_bytes[:2], plots[:2]):
        md.append(f"![{plot.title}](data:image/png;base64,{base64.b64encode(data).decode()})")
    md += ["", *(markdown_table(t) for t in tables[:3]), f"\nFull report: `{html_path}`"]
    return RenderedReport(html_path=html_path, png_paths=pngs, markdown="\n".join(md))


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
