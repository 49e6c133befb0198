"""The one palette and the one font stack: the CSS, the charts, the XLSX and the poster all take their colours from here.

`.streamlit/config.toml` repeats a few of them for Streamlit's own widgets (a TOML file cannot import);
tests/test_architecture.py checks that the copies agree.
"""

from __future__ import annotations

GOLD = "#ffd666"
ORANGE = "#ffa940"
RED = "#ff4d4f"
BLUE = "#69b1ff"
GREEN = "#73d13d"
MUTED = "#8c95a8"
PURPLE = "#b37feb"
CYAN = "#5cdbd3"
PINK = "#ff85c0"
CORAL = "#ff7875"
LIGHT_GOLD = "#ffecb3"  # the poster's second gold
BACKGROUND = "#0b1020"
PANEL = "#10172a"  # a card's and a chart's ground
CARD = "#141b2d"  # the top of a card's gradient
BORDER = "#222c44"
TRACK = "#1f2940"  # an empty bar, a table's rule, the XLSX header
LINE = "#2f3a52"  # an axis, a header rule
DIVIDER = "#3a4458"
TEXT = "#f2f4f8"
SOFT_TEXT = "#c9d1e0"
LABEL = "#aab2c3"

# Every named colour, as the CSS templates know them ({{ gold }}, {{ panel }} …).
PALETTE = {
    "gold": GOLD, "orange": ORANGE, "red": RED, "blue": BLUE, "green": GREEN, "muted": MUTED, "purple": PURPLE, "cyan": CYAN, "pink": PINK,
    "coral": CORAL, "light_gold": LIGHT_GOLD, "background": BACKGROUND, "panel": PANEL, "card": CARD, "border": BORDER, "track": TRACK, "line": LINE, "divider": DIVIDER,
    "text": TEXT, "soft_text": SOFT_TEXT, "label": LABEL,
}

# The series of a chart with many lines or bars, in order.
SERIES = (GOLD, CORAL, BLUE, GREEN, PURPLE, ORANGE, CYAN, PINK)

FONT_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", "Source Han Sans SC")
FONT_STACK = ", ".join(f"'{family}'" for family in FONT_FAMILIES) + ", sans-serif"

CHART_HEIGHT = 420  # px on a 1920 px screen, scaled with it; the chart stretches to the leaderboard card beside it, this tall

URGENCY_COLORS = {"critical": RED, "high": ORANGE, "normal": BLUE, "low": MUTED}


def rgb(color: str) -> tuple[int, int, int]:
    """Return a "#rrggbb" colour as an (r, g, b) tuple, for Pillow."""
    return tuple(int(color[index:index + 2], 16) for index in (1, 3, 5))


def xlsx(color: str) -> str:
    """Return a "#rrggbb" colour as openpyxl writes it: "RRGGBB"."""
    return color[1:].upper()
