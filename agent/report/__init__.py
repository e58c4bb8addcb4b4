"""The HTML report of a run: leaderboard, functions, per-task fits, lineage, admission, spend.

``build_report(run_dir, out)`` writes one self-contained HTML file (inline CSS, images as
base64 PNG, no scripts, no network). See ``actmine report --help``.
"""

from .build import ReportResult, build_report

__all__ = ["ReportResult", "build_report"]
