"""Static charts for PDFs, drawn offline with matplotlib (Agg) as PNG data URIs.

Colours match the web palette; every chart is paired with a table or an alt text in the
template, so the PDF stays readable without the picture.
"""

import base64
import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
from matplotlib import pyplot as plt
from matplotlib.figure import Figure

BRAND = "#0b5d4b"
ACCENT = "#8a3b00"
MUTED = "#4a5560"
SOFT = "#9fe0c9"
PALETTE = [BRAND, ACCENT, "#1a57d6", "#6b2c8f", "#7a8791", "#1e6b32"]

plt.rcParams.update(
    {
        "font.family": "DejaVu Sans",
        "font.size": 9,
        "svg.fonttype": "none",  # text stays text: smaller files, 3x faster in WeasyPrint
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.edgecolor": MUTED,
        "axes.labelcolor": "#1b1f23",
        "xtick.color": MUTED,
        "ytick.color": MUTED,
    }
)


def _data_uri(fig: Figure) -> str:
    """PNG at 200 dpi: sharp in print, and WeasyPrint keeps its aspect ratio in every layout
    (matplotlib's SVG lost its proportions inside inline-blocks)."""
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=200, bbox_inches="tight", facecolor="white")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def hbar(
    labels: Sequence[str], values: Sequence[float], *, width: float = 6.0, color: str = BRAND
) -> str:
    """Horizontal bars with the value at the end of each bar (e.g. the funnel, per-unit totals)."""
    height = 0.24 * max(len(labels), 1) + 0.4
    fig, ax = plt.subplots(figsize=(width, height))
    positions = list(range(len(labels)))[::-1]
    ax.barh(positions, values, color=color, height=0.6)
    ax.set_yticks(positions, labels=list(labels))
    top = max(values, default=0) or 1
    for y, v in zip(positions, values, strict=True):
        ax.text(v + top * 0.01, y, f"{v:g}", va="center", fontsize=8, color="#1b1f23")
    ax.set_xlim(0, top * 1.12)
    ax.xaxis.set_visible(False)
    ax.spines["bottom"].set_visible(False)
    return _data_uri(fig)


def progress_line(
    months: Sequence[str],
    values: Sequence[float],
    *,
    target: float | None = None,
    label: str = "",
    width: float = 6.0,
) -> str:
    """Cumulative value month by month, with the target as a dashed line."""
    fig, ax = plt.subplots(figsize=(width, 2.3))
    ax.plot(list(months), list(values), marker="o", color=BRAND, linewidth=2, label=label)
    if target:
        ax.axhline(target, color=ACCENT, linestyle="--", linewidth=1.5)
        ax.text(0, target, " " + f"{target:g}", va="bottom", color=ACCENT, fontsize=8)
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", color="#d3d9de", linewidth=0.6)
    return _data_uri(fig)
