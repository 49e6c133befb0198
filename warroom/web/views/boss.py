"""What the commission and review pages share: the row of KPI cards, a review table, and download file names."""

from __future__ import annotations

import re
from decimal import Decimal

import pandas as pd
import streamlit as st

from warroom.i18n import mask_phone
from warroom.web.templating import render
from warroom.web.text import fit_ems, text_ems


def kpis_html(tiles: list[tuple[str, str, str, str]]) -> str:
    """Return a row of KPI cards from (label, value, sub-line, css class) tuples; every text escaped."""
    cards = [{"label": label, "value": value, "sub": sub, "css": css, "fit": fit_ems(text_ems(value))} for label, value, sub, css in tiles]
    return render("boss/kpis.html", cards=cards)


def show_table(table, *, height: int | str = "auto", key: str | None = None) -> None:
    """Show a review table: money in yuan, counts and shares formatted, times in event time."""
    columns: dict[str, list] = {header: [] for header in table.headers}
    config: dict = {}
    for header, kind in zip(table.headers, table.kinds, strict=True):
        if kind == "money":
            config[header] = st.column_config.NumberColumn(header, format="¥%,.2f")
        elif kind == "count":
            config[header] = st.column_config.NumberColumn(header, format="%,d")
        elif kind == "percent":
            config[header] = st.column_config.NumberColumn(header, format="%.1f%%")
        elif kind == "number":
            config[header] = st.column_config.NumberColumn(header, format="%,.2f")
        elif kind == "time":
            config[header] = st.column_config.DatetimeColumn(header, format="MM-DD HH:mm")
    for row in table.rows:
        for header, kind, value in zip(table.headers, table.kinds, row, strict=True):
            if value is None:
                columns[header].append(None)
            elif kind == "money":
                columns[header].append(float(Decimal(value) / 100))
            elif kind == "percent":
                columns[header].append(float(Decimal(value) * 100))
            elif kind == "number":
                columns[header].append(float(value))
            elif kind == "text":
                columns[header].append(mask_phone(str(value)))
            else:
                columns[header].append(value)
    st.dataframe(pd.DataFrame(columns), hide_index=True, column_config=config, height=height, key=key, placeholder="—")


def safe_file_name(*parts: str, suffix: str) -> str:
    """Return a download file name from parts, without characters a file system or a header refuses."""
    name = "_".join(re.sub(r'[\\/:*?"<>|\s]+', "-", part).strip("-") for part in parts if part)
    return f"{name or 'warroom'}.{suffix}"

