"""The comparison's figures and column names as the review page and its exports show them (no streamlit: the XLSX writer uses them too)."""

from __future__ import annotations

from warroom.compare import Comparison
from warroom.i18n import fmt_int, fmt_pct, fmt_yuan, t

MONEY_FIGURES = ("revenue", "aov", "gpm", "refunds")


def figure_text(key: str, value) -> str:
    """Return one key figure of warroom.compare as shown: money in yuan, conversion as a percentage, ROI as a ratio, counts."""
    if value is None:
        return "—"
    if key in MONEY_FIGURES:
        return fmt_yuan(value)
    if key == "conversion":
        return fmt_pct(value)
    if key == "roi":
        return f"{value:.2f}"
    return fmt_int(value)


def column_names(comparison: Comparison, lang: str) -> tuple[str, str]:
    """Return the two events' column headers, distinct whatever the events are called (two events may share a name)."""
    return f"{t('cmp_this', lang)} · {comparison.this.label}", f"{t('cmp_earlier', lang)} · {comparison.earlier.label}"
