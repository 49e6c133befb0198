"""Files to take away: the payout sheet and the review workbook (XLSX), and the data poster (数据海报, PNG).

Safety, for every cell and every line of text these files hold:
- **Formula injection.** A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
  return gets a leading apostrophe and is written as text, so a spreadsheet never runs it
  (OWASP "CSV injection"). Numbers stay numbers: a real negative balance is written as a number.
- **Phone numbers** (Chinese mobiles, with or without +86 and separators) are masked to
  `138****1234` in any text, before it is written.
- Characters a workbook cannot hold (control characters) are dropped.

openpyxl and Pillow, no streamlit; the colours are the theme's (warroom.web.theme).
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from warroom.commission import band_labels
from warroom.compare import Comparison
from warroom.config import EventConfig
from warroom.figures import Snapshot
from warroom.i18n import fmt_axis_money, fmt_compact, fmt_int, fmt_pct, fmt_yuan, mask_phone, role_label, t
from warroom.money import to_yuan
from warroom.payouts import payout_sheet
from warroom.review import Review, live_x
from warroom.review_tables import Table, Typed, review_tables
from warroom.web import theme
from warroom.web.campaign_text import column_names, figure_text
from warroom.web.theme import rgb, xlsx

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PNG_MIME = "image/png"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# A Chinese mobile number: 1[3-9] and nine more digits, optionally after +86 / 86 and with
# spaces or dashes in the usual 3-4-4 places, not inside a longer run of digits.


# -- safety ---------------------------------------------------------------------------------------


def guard_formula(value: object) -> object:
    """Return a text value that a spreadsheet would run as a formula with a leading apostrophe; any other value as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_cell(value: object) -> object:
    """Return a value ready for a cell: text with phones masked, control characters dropped and formulas defused; numbers as numbers."""
    if isinstance(value, str):
        return guard_formula(ILLEGAL_CHARACTERS_RE.sub("", mask_phone(value)))
    if isinstance(value, Decimal):
        return float(value)
    return value


# -- workbooks --------------------------------------------------------------------------------------

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor=xlsx(theme.TRACK))
TOTAL_FONT = Font(bold=True)
NUMBER_FORMATS = {
    "money": '"¥"#,##0.00',
    "count": "#,##0",
    "percent": "0.0%",
    "time": "yyyy-mm-dd hh:mm",
    "number": "#,##0.00",
}
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


def _cell_value(value: object, kind: str) -> object:
    if value is None:
        return None
    if kind == "money":
        return to_yuan(value)
    if kind in ("percent", "number") and isinstance(value, Decimal | int | float):
        return float(value)
    return safe_cell(value)


def _display_width(value: object) -> int:
    text = value if isinstance(value, str) else f"{value:,.2f}" if isinstance(value, float) else str(value)
    # CJK characters take two columns.
    return sum(2 if ord(char) > 0x2E80 else 1 for char in text)


def _sheet_name(title: str, taken: set[str]) -> str:
    name = _SHEET_NAME_BAD.sub(" ", title).strip("'")[:31] or "Sheet"
    candidate, number = name, 2
    while candidate in taken:
        suffix = f" {number}"
        candidate, number = name[:31 - len(suffix)] + suffix, number + 1
    taken.add(candidate)
    return candidate


def write_table(sheet: Worksheet, headers: Sequence[str], kinds: Sequence[str], rows: Iterable[Sequence], total: Sequence | None = None) -> None:
    """Write a header row, the rows (and a bold total row) into a sheet, with number formats, widths, a filter and a frozen header."""
    widths = [_display_width(header) for header in headers]
    sheet.append([safe_cell(header) for header in headers])
    for cell in sheet[1]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(vertical="center")
    count = 0
    for row in [*rows, *([total] if total is not None else [])]:
        # A Typed cell (a rate among the summary's numbers) is written and formatted as its own kind.
        row_kinds = [value.kind if isinstance(value, Typed) else kind for value, kind in zip(row, kinds, strict=True)]
        values = [_cell_value(value.value if isinstance(value, Typed) else value, kind) for value, kind in zip(row, row_kinds, strict=True)]
        sheet.append(values)
        count += 1
        for column, (value, kind) in enumerate(zip(values, row_kinds, strict=True), start=1):
            cell = sheet.cell(row=count + 1, column=column)
            if isinstance(value, str):
                # Written as text whatever it looks like (openpyxl would take "=…" as a formula).
                cell.data_type = "s"
            elif kind in NUMBER_FORMATS and value is not None:
                cell.number_format = NUMBER_FORMATS[kind]
            if value is not None:
                widths[column - 1] = max(widths[column - 1], _display_width(value if not isinstance(value, datetime) else "2026-05-20 21:00"))
    if total is not None:
        for cell in sheet[count + 1]:
            cell.font = TOTAL_FONT
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 8), 60)
    sheet.freeze_panes = "A2"
    if count:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1 - (1 if total is not None else 0)}"


def _workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def payout_table(snapshot: Snapshot, config: EventConfig, lang: str = "zh") -> Table:
    """Return the payout sheet as a table: one row per staff member from warroom.commission's payout rows, and a total row."""
    labels = band_labels(config)
    bands = len(labels)
    headers = (
        t("ex_staff_id", lang), t("ex_name", lang), t("ex_role", lang), t("ex_team", lang),
        t("ex_revenue", lang), t("ex_commission", lang), t("ex_pool_share", lang), t("ex_total", lang),
        t("ex_paid", lang), t("ex_balance", lang), t("ex_clawback", lang), t("ex_status", lang),
        *(t("ex_band_revenue", lang, band=label) for label in labels),
        *(t("ex_band_commission", lang, band=label) for label in labels),
    )
    kinds = ("text",) * 4 + ("money",) * 7 + ("text",) + ("money",) * (2 * bands)
    rows = [
        (row.staff_id, row.name, role_label(row.role, lang), row.team or "", row.revenue_fen, row.commission_fen, row.pool_share_fen,
         row.total_fen, row.paid_fen, row.balance_fen, max(-row.balance_fen, Decimal(0)), t(f"cm_status_{row.status}", lang),
         *row.band_revenue_fen, *row.band_commission_fen)
        for row in payout_sheet(snapshot, config)
    ]
    money = [index for index, kind in enumerate(kinds) if kind == "money"]
    total = tuple(
        t("ex_total_row", lang) if index == 0 else sum((row[index] for row in rows), Decimal(0)) if index in money else ""
        for index in range(len(kinds))
    )
    return Table(key="ex_payout_sheet", title=t("ex_payout_sheet", lang), headers=headers, kinds=kinds, rows=rows, total=total)


def payout_workbook(snapshot: Snapshot, config: EventConfig, lang: str = "zh") -> bytes:
    """Return the payout sheet as XLSX: one row per staff member, a total row, and a sheet of notes (status, refund deadline, pool, bands)."""
    table = payout_table(snapshot, config, lang)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _sheet_name(table.title, set())
    write_table(sheet, table.headers, table.kinds, table.rows, table.total)
    pool = snapshot.team_pool
    deadline = snapshot.refund_deadline or config.event.refund_deadline
    notes = workbook.create_sheet(_sheet_name(t("ex_notes", lang), {sheet.title}))
    write_table(notes, [t("rv_col_item", lang), t("rv_col_value", lang)], ["text", "text"], [
        (t("rv_col_event", lang), config.event.name),
        (t("rv_col_as_of", lang), snapshot.data_as_of.astimezone(config.event.tz).strftime("%Y-%m-%d %H:%M")),
        (t("ex_status", lang), t(f"cm_status_{snapshot.commission_status}", lang)),
        (t("ex_refund_deadline", lang), deadline.astimezone(config.event.tz).strftime("%Y-%m-%d %H:%M")),
        (t("rv_col_revenue", lang), fmt_yuan(snapshot.revenue_fen)),
        (t("ex_pool", lang), t(f"cm_pool_{pool.state}", lang)),
        (t("ex_pool_amount", lang), fmt_yuan(pool.amount_fen)),
        (t("ex_pool_split", lang), t(f"cm_split_{pool.split}", lang)),
        *((t("ex_band", lang), label) for label in band_labels(config)),
    ])
    return _workbook_bytes(workbook)


def tables_workbook(tables: Sequence[Table]) -> bytes:
    """Return tables as XLSX, one sheet each, named after their titles."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    taken: set[str] = set()
    for table in tables:
        write_table(workbook.create_sheet(_sheet_name(table.title, taken)), table.headers, table.kinds, table.rows, table.total)
    return _workbook_bytes(workbook)


def review_workbook(review: Review, lang: str = "zh", comparison: Comparison | None = None) -> bytes:
    """Return the review as XLSX: the summary, then one sheet per breakdown, and the comparison with an earlier event when given."""
    return tables_workbook([*review_tables(review, lang), *comparison_tables(comparison, lang)])


def comparison_tables(comparison: Comparison | None, lang: str = "zh") -> list[Table]:
    """Return the comparison with an earlier event as two sheets: the key figures side by side with their change, and the staff in both."""
    if comparison is None:
        return []
    this, earlier = column_names(comparison, lang)
    figures = Table(
        key="cmp_sheet", title=t("cmp_sheet", lang),
        headers=(t("cmp_sheet_event", lang), this, earlier, t("cmp_change", lang)), kinds=("text", "text", "text", "percent"),
        rows=[(t(f"cmp_fig_{row.key}", lang), figure_text(row.key, row.this), figure_text(row.key, row.earlier), row.change) for row in comparison.figures],
    )
    trends = {"grew": t("cmp_grew", lang), "fell": t("cmp_fell", lang), "same": t("cmp_same", lang)}
    staff = Table(
        key="cmp_staff_sheet", title=t("cmp_staff_sheet", lang),
        headers=(t("cmp_col_name", lang), t("cmp_col_role", lang), this, earlier, t("cmp_change", lang), t("cmp_col_trend", lang)),
        kinds=("text", "text", "money", "money", "money", "text"),
        rows=[(row.name, role_label(row.role, lang), row.this_fen, row.earlier_fen, row.change_fen, trends[row.trend]) for row in comparison.staff],
    )
    return [figures, staff]


# -- the data poster ---------------------------------------------------------------------------------

POSTER_SIZE = (1080, 1920)  # a phone screen, portrait
FONT_ENV = "WARROOM_POSTER_FONT"
_FONT_FOLDERS = ("/usr/share/fonts", "/usr/local/share/fonts", str(Path.home() / ".fonts"), "/System/Library/Fonts", "/Library/Fonts")
_FONT_NAMES = {
    "bold": ("NotoSansCJK-Bold.ttc", "NotoSansCJKsc-Bold.otf", "NotoSansSC-Bold.otf", "SourceHanSansSC-Bold.otf", "PingFang.ttc", "msyhbd.ttc"),
    "regular": ("NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf", "NotoSansSC-Regular.otf", "SourceHanSansSC-Regular.otf", "PingFang.ttc", "msyh.ttc"),
}
# The theme's colours, as Pillow takes them (the poster's "muted" is the screens' label grey).
GOLD, LIGHT_GOLD, WHITE, MUTED, RED, CARD = rgb(theme.GOLD), rgb(theme.LIGHT_GOLD), rgb(theme.TEXT), rgb(theme.LABEL), rgb(theme.RED), (255, 255, 255, 18)


@lru_cache(maxsize=4)
def _font_file(weight: str) -> tuple[str, int] | None:
    """Return (path, face index) of a CJK font, the Simplified Chinese face of a collection when it has one; None when none is installed."""
    chosen = os.environ.get(FONT_ENV)
    candidates = [Path(chosen)] if chosen else []
    for folder in _FONT_FOLDERS:
        root = Path(folder)
        if root.is_dir():
            for name in _FONT_NAMES[weight]:
                candidates.extend(sorted(root.rglob(name)))
    fallback = None
    for path in candidates:
        for index in range(8):
            try:
                family = ImageFont.truetype(str(path), 12, index=index).getname()[0] or ""
            except OSError:
                break
            fallback = fallback or (str(path), index)
            if any(mark in family for mark in (" SC", "PingFang", "YaHei")):
                return str(path), index
    return fallback


@lru_cache(maxsize=64)
def _font(size: int, bold: bool = True):
    found = _font_file("bold" if bold else "regular") or _font_file("regular" if bold else "bold")
    if found is None:
        # No CJK font: Chinese shows as boxes, but the poster is still made.
        return ImageFont.load_default(size)
    return ImageFont.truetype(found[0], size, index=found[1])


def _fit(draw, text: str, size: int, max_width: int, bold: bool = True):
    """Return the largest font up to `size` in which the text fits `max_width`."""
    while size > 12:
        font = _font(size, bold)
        if draw.textlength(text, font=font) <= max_width:
            return font
        size -= 4
    return _font(size, bold)


def _gradient(size: tuple[int, int], top: tuple[int, int, int], bottom: tuple[int, int, int]):
    width, height = size
    column = Image.new("RGB", (1, height))
    for y in range(height):
        share = y / (height - 1)
        column.putpixel((0, y), tuple(round(a + (b - a) * share) for a, b in zip(top, bottom, strict=True)))
    return column.resize(size)


def poster_comparison_line(comparison: Comparison | None, lang: str = "zh") -> str:
    """Return the poster's line on the earlier event ("比三八节：成交额 +187.4%"), or "" without a comparison or an earlier revenue."""
    change = comparison.figures[0].change if comparison is not None else None
    if change is None:
        return ""
    return t("cmp_poster_line", lang, earlier=comparison.earlier.label, change=("+" if change > 0 else "") + fmt_pct(change))


def data_poster(review: Review, config: EventConfig, lang: str = "zh", comparison: Comparison | None = None) -> bytes:
    """Return the data poster as a 1080×1920 PNG: the event, revenue, orders, buyers, goals reached, the top three order-takers and the revenue curve;
    with a comparison, a line on the earlier event under the dates."""
    width, height = POSTER_SIZE
    margin = 72
    inner = width - 2 * margin
    image = _gradient(POSTER_SIZE, (74, 8, 28), rgb(theme.BACKGROUND)).convert("RGBA")

    # A soft gold glow behind the revenue, blurred at a quarter of the size (the same look, far faster).
    glow = Image.new("RGBA", (width // 4, height // 4), (0, 0, 0, 0))
    ImageDraw.Draw(glow).ellipse((35, 95, 235, 205), fill=(255, 190, 70, 70))
    image.alpha_composite(glow.filter(ImageFilter.GaussianBlur(28)).resize(POSTER_SIZE, Image.Resampling.BICUBIC))
    overlay = Image.new("RGBA", POSTER_SIZE, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)

    def text(xy, value: str, font, fill=WHITE, anchor="la") -> None:
        draw.text(xy, mask_phone(value), font=font, fill=fill, anchor=anchor)

    def card(box, radius: int = 32) -> None:
        draw.rounded_rectangle(box, radius=radius, fill=CARD, outline=(255, 255, 255, 40), width=2)

    tz = config.event.tz
    # Header.
    text((margin, 96), t("ps_kicker", lang), _font(40), GOLD)
    draw.line((margin, 160, margin + 120, 160), fill=GOLD, width=6)
    text((margin, 190), review.event, _fit(draw, review.event, 84, inner))
    span = f"{config.event.start.astimezone(tz):%Y.%m.%d} – {config.event.end.astimezone(tz):%m.%d}"
    text((margin, 308), span, _font(36, bold=False), MUTED)
    line = poster_comparison_line(comparison, lang)
    if line:
        text((width - margin, 312), line, _fit(draw, line, 34, inner // 2), GOLD, anchor="ra")

    # Revenue.
    text((width // 2, 440), t("ps_revenue", lang), _font(46, bold=False), LIGHT_GOLD, anchor="mm")
    revenue = fmt_yuan(review.revenue_fen)
    text((width // 2, 580), revenue, _fit(draw, revenue, 168, inner), GOLD, anchor="mm")
    text((width // 2, 745), fmt_compact(review.revenue_fen, lang), _font(64), LIGHT_GOLD, anchor="mm")

    # Goals.
    y = 835
    for label, goal in ((t("ps_base", lang), review.base_fen), (t("ps_stretch", lang), review.stretch_fen)):
        progress = review.progress(goal)
        reached = goal > 0 and review.revenue_fen >= goal
        text((margin, y), f"{label} {fmt_axis_money(goal, lang)}", _font(38, bold=False), WHITE)
        text((width - margin, y), fmt_pct(progress) + (" ✓" if reached else ""), _font(44), GOLD if reached else WHITE, anchor="ra")
        bar_top = y + 66
        draw.rounded_rectangle((margin, bar_top, width - margin, bar_top + 26), radius=13, fill=(255, 255, 255, 36))
        fill = min(max(float(progress), 0.0), 1.0)
        if fill > 0:
            draw.rounded_rectangle((margin, bar_top, margin + max(int(inner * fill), 26), bar_top + 26), radius=13, fill=GOLD if reached else rgb(theme.ORANGE))
        y += 130

    # Three figures.
    y = 1105
    gap = 24
    tile = (inner - 2 * gap) // 3
    aov = review.revenue_fen / review.paid_orders if review.paid_orders else 0
    for index, (label, value) in enumerate(((t("ps_orders", lang), fmt_int(review.paid_orders)), (t("ps_buyers", lang), fmt_int(review.buyers)),
                                            (t("ps_aov", lang), fmt_yuan(aov)))):
        left = margin + index * (tile + gap)
        card((left, y, left + tile, y + 170))
        text((left + tile // 2, y + 52), label, _font(32, bold=False), MUTED, anchor="mm")
        text((left + tile // 2, y + 116), value, _fit(draw, value, 56, tile - 30), WHITE, anchor="mm")

    # The revenue curve, over live time (the hours between sessions cut out).
    y = 1310
    card((margin, y, width - margin, y + 300))
    text((margin + 36, y + 30), t("ps_curve", lang), _font(34, bold=False), MUTED)
    if len(review.curve) >= 2:
        xs = live_x(config, [moment for moment, _ in review.curve])
        low_x, high_x = min(xs), max(xs) or 1
        top_value = max(max(value for _, value in review.curve), review.stretch_fen, 1)
        left, right, top, bottom = margin + 40, width - margin - 40, y + 96, y + 270
        points = [
            (left + (x - low_x) / ((high_x - low_x) or 1) * (right - left), bottom - value / top_value * (bottom - top))
            for x, (_, value) in zip(xs, review.curve, strict=True)
        ]
        for goal, color, label in ((review.base_fen, (255, 169, 64, 170), t("ps_base", lang)), (review.stretch_fen, (255, 77, 79, 170), t("ps_stretch", lang))):
            if 0 < goal <= top_value:
                goal_y = bottom - goal / top_value * (bottom - top)
                for dash in range(left, right, 24):
                    draw.line((dash, goal_y, min(dash + 12, right), goal_y), fill=color, width=3)
                # Under the line at the left, where the curve is still low: above the top line it would run into the card's title.
                text((left, goal_y + 6), label, _font(24, bold=False), color, anchor="lt")
        draw.polygon([(points[0][0], bottom), *points, (points[-1][0], bottom)], fill=(255, 214, 102, 48))
        draw.line(points, fill=GOLD, width=6, joint="curve")
        draw.ellipse((points[-1][0] - 10, points[-1][1] - 10, points[-1][0] + 10, points[-1][1] + 10), fill=GOLD)
    else:
        text((width // 2, y + 170), t("ps_no_curve", lang), _font(32, bold=False), MUTED, anchor="mm")

    # The top three order-takers.
    y = 1665
    text((margin, y), t("ps_top3", lang), _font(40), GOLD)
    medals = ((255, 214, 102), (217, 222, 232), (212, 136, 6))
    row_y = y + 70
    if not review.top_order_takers:
        text((margin, row_y), t("ps_no_sales", lang), _font(34, bold=False), MUTED)
    column = inner // 3
    for index, standing in enumerate(review.top_order_takers[:3]):
        left = margin + index * column
        draw.ellipse((left, row_y, left + 56, row_y + 56), fill=medals[index])
        text((left + 28, row_y + 28), str(standing.rank), _font(32), (26, 19, 0), anchor="mm")
        text((left + 72, row_y + 2), standing.name, _fit(draw, standing.name, 38, column - 84), WHITE)
        value = fmt_yuan(standing.value) if standing.metric == "revenue" else fmt_int(standing.value)
        text((left + 72, row_y + 52), value, _font(30, bold=False), LIGHT_GOLD)

    # Footer.
    # The time the data ends, not the wall clock: a poster made the morning after still says when the show's figures stopped.
    stamp = review.data_time.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    text((width // 2, height - 50), t("ps_footer", lang, time=stamp), _font(26, bold=False), MUTED, anchor="mm")

    image.alpha_composite(overlay)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG")
    return buffer.getvalue()
