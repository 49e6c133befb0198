"""Text as the screens show it: plain names (no Markdown, no plotly HTML), event times, countdowns, labels and units, and how wide a figure is set."""

from __future__ import annotations

import html
import re
from datetime import datetime
from decimal import Decimal

from warroom.config import EventConfig
from warroom.i18n import fmt_int, fmt_pct, fmt_yuan, t
from warroom.leaderboards import MONEY_METRICS, Standing
from warroom.pace import Pace

# How many em a character takes (Noto Sans CJK, tabular figures): used to fit a figure to its panel.
_EM_WIDTHS = {**dict.fromkeys("0123456789", 0.56), ",": 0.28, ".": 0.28, ":": 0.28, "¥": 0.62, "%": 0.9, "/": 0.42, " ": 0.25, "–": 0.55, "-": 0.36}


def text_ems(text: str) -> float:
    """Return about how many em wide a line of text is set (CJK characters one em, Latin letters about 0.6)."""
    return sum(_EM_WIDTHS.get(char, 1.0 if ord(char) > 0x2E80 else 0.6) for char in text)


def fit_ems(ems: float) -> str:
    """Return the `--wr-ems` value that tells the CSS how many em wide a figure is, so that `100cqi / --wr-ems` fits it to its panel."""
    # A little room for the font's side bearings and the glow.
    return f"{ems * 1.06 + 0.1:.2f}"


def fit_style(ems: float) -> str:
    """Return the inline style attribute (with its leading space) that sets `--wr-ems` for a figure `ems` wide."""
    return f' style="--wr-ems:{fit_ems(ems)}"'


# Any ASCII punctuation may be backslash-escaped in Markdown; Streamlit's own `:red[…]`, `:material/…:`
# and `$…$` (LaTeX) are made of it too.
_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def plain(text: object) -> str:
    """Return text (a name from the event file or a feed) that Markdown shows as written: no bold, link, image, math or colour."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", " ".join(str(text).split()))


def plot_text(text: object) -> str:
    """Return text that plotly shows as written in a label, tick or hover (it reads <a>, <b>, <br> and entities as HTML)."""
    return html.escape(str(text), quote=False)


def event_time(moment: datetime, config: EventConfig) -> datetime:
    """Return a moment as wall time in the event's timezone."""
    return moment.astimezone(config.event.tz)


def trend(pace: Pace) -> str:
    """Return "up", "down" or "flat": the last 10 minutes' run-rate against the 10 before."""
    if pace.rate_last_fen > pace.rate_before_fen:
        return "up"
    if pace.rate_last_fen < pace.rate_before_fen:
        return "down"
    return "flat"


def fmt_standing(standing: Standing, lang: str) -> str:
    """Return a leaderboard value in its metric's unit: money, orders, a count or a ratio."""
    if standing.metric == "conversion" and not isinstance(standing.value, Decimal):
        return fmt_int(standing.value)
    return metric_text(standing.metric, standing.value, lang)


def countdown_text(seconds: float) -> str:
    """Return a countdown as "05:09", or "1:05:09" from an hour up; never below zero."""
    seconds = max(int(seconds), 0)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


FAR_SALE_SECONDS = 3 * 3600  # further away than this, the next flash sale shows its start time, not a countdown


def coming_time(moment: datetime, now: datetime, config: EventConfig) -> str:
    """Return a coming moment as "19:45" on the same event-local day as `now`, else "05-21 19:45"."""
    local = event_time(moment, config)
    return f"{local:%H:%M}" if local.date() == event_time(now, config).date() else f"{local:%m-%d %H:%M}"


def metric_label(metric: str, lang: str) -> str:
    """Return a leaderboard metric's name: 成交额, 订单数 …"""
    return t(f"metric_{metric}", lang)


def metric_text(metric: str, value: int | Decimal, lang: str) -> str:
    """Return a metric value in its unit: ¥ for money, a count, or a percentage."""
    if metric in MONEY_METRICS:
        return fmt_yuan(value)
    if metric == "orders":
        return t("orders_count", lang, count=fmt_int(value))
    if metric == "conversion":
        return fmt_pct(value)
    return fmt_int(value)

