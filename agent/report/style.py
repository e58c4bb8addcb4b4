"""One look for every figure: colours, fonts, sizes, and PNG embedding.

Colours follow the paper's convention (training data blue, out-of-distribution orange)
and the Okabe-Ito colour-blind-safe palette; reference activations are greys, always
drawn the same way, so a reader learns the legend once.
"""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")  # before pyplot: headless, no display needed

import matplotlib.pyplot as plt  # noqa: E402

TRAIN = "#0072B2"  # in-distribution (training) data
TEST = "#E69F00"  # out-of-distribution (test) data
BEST = "#D55E00"  # the best function, wherever it appears
TRUTH = "#222222"
GRID = "#E6E6E6"
MUTED = "#999999"
# Ranked functions: the best first, then distinct hues.
RANKED = (BEST, "#009E73", "#CC79A7", "#56B4E9", "#8C6D31", "#6A3D9A")
PROPOSERS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8C6D31",
             "#6A3D9A")
# Reference activations: (label, colour, line style).
REFERENCES = {
    "ReLU": ("#7A7A7A", (0, (1, 0))),
    "GELU": ("#7A7A7A", (0, (5, 2))),
    "GELU-Sinc-Perturbation": ("#333333", (0, (1, 1.5))),
}

DPI = 96
WIDTH = 10.0  # inches: one full-width figure on the page at DPI

RC = {
    "font.family": "DejaVu Sans",
    "font.size": 9.5,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.labelsize": 9.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#555555",
    "axes.grid": True,
    "grid.color": GRID,
    "grid.linewidth": 0.8,
    "axes.axisbelow": True,
    "legend.fontsize": 8.5,
    "legend.frameon": False,
    "lines.linewidth": 1.6,
    "xtick.color": "#444444",
    "ytick.color": "#444444",
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
}


def active():
    """Context manager: every figure made and saved inside it gets this style."""
    return plt.rc_context(RC)


def figure(rows: int = 1, cols: int = 1, height: float = 3.2, width: float = WIDTH, **kw):
    return plt.subplots(rows, cols, figsize=(width, height), squeeze=False, **kw)


def proposer_colours(names) -> dict[str, str]:
    return {name: PROPOSERS[i % len(PROPOSERS)] for i, name in enumerate(sorted(set(names)))}


def to_png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", pad_inches=0.08,
                metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
