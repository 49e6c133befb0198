"""Money: the event file's yuan to integer fen, and fen back to yuan, rounded half-up to 2 decimals once, at display (SPEC §4)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def to_fen(yuan: Decimal) -> int:
    """Return a yuan amount as integer fen."""
    return int((Decimal(yuan) * 100).to_integral_value())


def rounded_yuan(fen: int | Decimal) -> Decimal:
    """Return fen as yuan, rounded half-up to the fen."""
    return (Decimal(fen) / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def to_yuan(fen: int | Decimal) -> float:
    """Return fen as yuan, rounded half-up to 2 decimals once (SPEC §4)."""
    return float(rounded_yuan(fen))


def yuan_text(fen: int | Decimal, *, sign: bool = True) -> str:
    """Return fen as short yuan text: `¥1,299`, `¥194.85` (rounded half-up)."""
    text = f"{rounded_yuan(fen):,.2f}".removesuffix(".00")
    return f"¥{text}" if sign else text
