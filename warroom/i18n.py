"""Every user-visible string, in Chinese (the default) and English, and the number formats.

Pure Python: no streamlit here. `warroom/web/language.py` reads the language from the page's query
string and passes it in.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from importlib.resources import files

DEFAULT_LANG = "zh"
# The placeholders an English (one, other) pair is chosen by.
COUNTED = ("count", "orders")
LANGS = ("zh", "en")


# key -> (Chinese, English), from strings.toml beside this file: data, so that a translator edits
# no code. Placeholders use str.format names. Where an English string counts something, it is a
# pair (one, other): the first when the value it counts (COUNTED) is 1.
def _load_strings() -> dict[str, tuple[str, str | tuple[str, str]]]:
    """Return every string of strings.toml as (Chinese, English)."""
    table = tomllib.loads(files("warroom").joinpath("strings.toml").read_text(encoding="utf-8"))
    return {key: (entry["zh"], tuple(entry["en"]) if isinstance(entry["en"], list) else entry["en"]) for key, entry in table.items()}


STRINGS: dict[str, tuple[str, str | tuple[str, str]]] = _load_strings()


def normalize_lang(value: str | None) -> str:
    """Return "en" when asked for English, else the default Chinese."""
    return "en" if (value or "").strip().lower().startswith("en") else DEFAULT_LANG


def t(key: str, lang: str = DEFAULT_LANG, **values: object) -> str:
    """Return the string for `key` in `lang`, with `values` filled in (a `*_fen` value by its money format, `{price_fen:price}`)."""
    zh, en = STRINGS[key]
    text = en if lang == "en" else zh
    if isinstance(text, tuple):
        one, other = text
        text = one if next((str(values[name]) for name in COUNTED if name in values), None) == "1" else other
    if not values:
        return text
    return text.format(**{name: Fen(value) if name.endswith("_fen") and isinstance(value, int) else value for name, value in values.items()})


# -- numbers ----------------------------------------------------------------------------------


def _round(value: Decimal, places: str = "1") -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def role_label(role: str, lang: str = DEFAULT_LANG) -> str:
    """Return a staff role's name in `lang` (接单员, 主播 …): "" is unattributed, "unknown" an id not in the event file, any other unknown role as written."""
    key = {"": "rv_role_none", "unknown": "rv_role_unknown"}.get(role, f"role_{role}")
    return t(key, lang) if key in STRINGS else role


def fmt_list(items: Iterable[str], lang: str) -> str:
    """Return names joined the way the language lists them: "1群、2群" in zh, "G1, G2" in en."""
    return ("、" if normalize_lang(lang) == "zh" else ", ").join(items)


def fmt_int(count: int | Decimal) -> str:
    """Return a whole number with thousands separators: 1001 -> "1,001"."""
    return f"{int(_round(Decimal(count))):,}"


def fmt_yuan(fen: int | Decimal) -> str:
    """Return fen as whole yuan with a ¥ sign and thousands separators: 176000000 -> "¥1,760,000"."""
    yuan = _round(Decimal(fen) / 100)
    sign = "-" if yuan < 0 else ""
    return f"{sign}¥{abs(int(yuan)):,}"


def fmt_wan(fen: int | Decimal) -> str:
    """Return fen in units of 10,000 yuan, one decimal: 176000000 -> "176.0万"."""
    return f"{_round(Decimal(fen) / 1_000_000, '0.1')}万"


def fmt_compact(fen: int | Decimal, lang: str = DEFAULT_LANG) -> str:
    """Return a short money figure: "176.0万" / "1.2亿" in Chinese, "¥1.76M" in English; small sums in full."""
    amount = Decimal(fen) / 100
    if abs(amount) < 10_000:
        return fmt_yuan(fen)
    if lang == "en":
        if abs(amount) >= 1_000_000:
            return f"¥{_round(amount / 1_000_000, '0.01')}M"
        return f"¥{_round(amount / 1_000, '0.1')}K"
    if abs(amount) >= 100_000_000:
        return f"{_round(amount / 100_000_000, '0.01')}亿"
    return fmt_wan(fen)


def fmt_axis_money(fen: int, lang: str = DEFAULT_LANG) -> str:
    """Return a money tick label without decimals that carry nothing: "50万", "150万", "¥1.5M"."""
    amount = Decimal(fen) / 100
    if amount == 0:
        return "0"
    if lang == "en":
        if abs(amount) >= 1_000_000:
            return f"¥{(amount / 1_000_000).normalize():f}M"
        return f"¥{(amount / 1_000).normalize():f}K"
    if abs(amount) >= 10_000:
        return f"{(amount / 10_000).normalize():f}万"
    return f"{amount.normalize():f}"


def fmt_pct(fraction: Decimal | float) -> str:
    """Return a fraction as a percentage with one decimal: 0.7634 -> "76.3%"."""
    return f"{_round(Decimal(str(fraction)) * 100, '0.1')}%"


def _decimals(value: Decimal) -> str:
    """Return a value with at most two decimals and none that carry nothing: 12.50 -> "12.5", 25.00 -> "25"."""
    return f"{_round(value, '0.01'):f}".rstrip("0").rstrip(".")


def fmt_price(fen: int | None) -> str:
    """Return yuan as a customer reads a price, without a sign: 99900 -> "999", 9990 -> "99.9"; None -> "-"."""
    return "-" if fen is None else _decimals(Decimal(fen) / 100)


def fmt_wan_yuan(fen: int) -> str:
    """Return a sum as a Chinese data poster writes it: "25 万元", "12.5 万元"; under ten thousand yuan, "8,000 元"."""
    amount = Decimal(fen) / 100
    return f"{_decimals(amount / 10_000)} 万元" if amount >= 10_000 else f"{int(amount):,} 元"


def fmt_short_yuan(fen: int) -> str:
    """Return a sum as an English poster writes it: "¥250K", "¥1.25M"; under ten thousand yuan, "¥8,000"."""
    amount = Decimal(fen) / 100
    if amount >= 1_000_000:
        return f"¥{_decimals(amount / 1_000_000)}M"
    return f"¥{_decimals(amount / 1_000)}K" if amount >= 10_000 else f"¥{int(amount):,}"


# The money formats a `*_fen` placeholder can name: "{price_fen:price} 元", "{milestone_fen:wan}".
MONEY_FORMATS = {"yuan": fmt_yuan, "price": fmt_price, "wan": fmt_wan_yuan, "short": fmt_short_yuan}


class Fen(int):
    """An amount in fen that formats itself by the name of a money format: f"{Fen(52000):price}" -> "520"."""

    def __format__(self, spec: str) -> str:
        money = MONEY_FORMATS.get(spec)
        return money(int(self)) if money else super().__format__(spec)


# == durations and masking (the setup page, and anywhere a customer id is shown) ==================


def fmt_duration(seconds: float, lang: str = DEFAULT_LANG) -> str:
    """Return a short duration: "45 秒", "12 分钟", "3 小时" / "45 s", "12 min", "3 h"."""
    seconds = max(int(seconds), 0)
    if seconds < 60:
        return f"{seconds} 秒" if lang != "en" else f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} 分钟" if lang != "en" else f"{seconds // 60} min"
    if seconds < 86_400 * 2:
        return f"{seconds // 3600} 小时" if lang != "en" else f"{seconds // 3600} h"
    return f"{seconds // 86_400} 天" if lang != "en" else f"{seconds // 86_400} d"


# A mainland mobile number (11 digits from 1[3-9]), not inside a longer run of digits.
# A mainland mobile number, optionally with +86 and spaces or dashes between its groups.
_PHONE = re.compile(r"(?<!\d)((?:\+?86)[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")


def mask_phone(text: str | None) -> str:
    """Return text with every mobile number masked to its first 3 and last 4 digits: 13812345678 -> 138****5678."""
    return _PHONE.sub(lambda match: f"{match[1] or ''}{match[2]}****{match[4]}", text or "")


