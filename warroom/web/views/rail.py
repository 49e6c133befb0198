"""The big screen's right-hand rail: the clock, the flash-sale countdown, the prompts, the big-order ticker and the celebration banner."""

from __future__ import annotations

from datetime import datetime

from warroom.config import EventConfig
from warroom.i18n import fmt_axis_money, fmt_duration, fmt_yuan, t
from warroom.money import to_fen
from warroom.prompts import title_and_reason
from warroom.web.templating import render
from warroom.web.text import FAR_SALE_SECONDS, coming_time, countdown_text, event_time
from warroom.web.theme import BLUE, URGENCY_COLORS

RAIL_CLOCK_SECONDS = 1
# The big screen's clock and countdown tick in the browser (templates/rail/clock_ticker.html), from the event
# time and its rate the server sends with each run, so that a run that comes late does not stop the clock.
# A page that hears nothing from the server for CLOCK_HOLD_SECONDS stops its clock, as a stopped replay does.
CLOCK_HOLD_SECONDS = 5
RAIL_PROMPTS_SECONDS = 3
CELEBRATION_SECONDS = 12  # how long the banner stays up after a milestone


def clock_html(now: datetime, config: EventConfig, lang: str, rate: float | None = None) -> str:
    """Return the clock: the event's wall time to the second, and the date; given the clock's rate, ticking on in the browser from `now`."""
    local = event_time(now, config)
    weekday = t(f"bs_weekday_{local.weekday()}", lang)
    ticking = None
    if rate is not None:
        offset = local.utcoffset()
        ticking = {"event_ms": int(now.timestamp() * 1000), "rate": f"{max(rate, 0.0):g}", "hold_ms": CLOCK_HOLD_SECONDS * 1000,
                   "utc_offset_ms": int(offset.total_seconds() * 1000) if offset else 0}
    return render("rail/clock.html", time=f"{local:%H:%M:%S}", date=t("bs_date", lang, month=local.month, day=local.day, weekday=weekday),
                  ticking=ticking)


def countdown_html(sale, now: datetime, config: EventConfig, lang: str) -> str:
    """Return the countdown to the next flash sale (or the time left in the one running), with its product and price."""
    if sale is None:
        return render("rail/countdown.html", sale=None, title=t("bs_next_sale", lang), empty=t("bs_no_more_sales", lang))
    running = sale.running(now)
    seconds = (sale.end - now).total_seconds() if running else (sale.at - now).total_seconds()
    far = not running and seconds >= FAR_SALE_SECONDS
    state = "running" if running else "soon" if seconds <= 300 else "far" if far else ""
    title = t("bs_sale_running", lang) if running else t("bs_next_sale", lang)
    starts = event_time(sale.at, config)
    when = t("bs_sale_ends", lang) if running else coming_time(sale.at, now, config)
    # Hours away (tomorrow's show), a countdown like 20:35:06 reads as a time of day: say when it starts, and in how long.
    big = f"{starts:%H:%M}" if far else countdown_text(seconds)
    if far:
        when = t("bs_in", lang, time=fmt_duration(seconds, lang)) if starts.date() == event_time(now, config).date() else f"{starts:%m-%d}"
    listed = t("bs_list_price", lang, price=fmt_yuan(sale.list_price_fen)) if sale.list_price_fen else ""
    # A countdown (not a start time) ticks on in the browser, beside the clock, towards this moment.
    target_ms = None if far else int((sale.end if running else sale.at).timestamp() * 1000)
    return render("rail/countdown.html", sale=sale, state=state, title=title, when=when, big=big, target_ms=target_ms,
                  price=t("bs_sale_price", lang, price=fmt_yuan(sale.price_fen)), listed=listed)


def _group_count(groups: tuple[str, ...], lang: str) -> str:
    if not groups:
        return t("bs_all_groups", lang)
    return t("bs_group_one", lang) if len(groups) == 1 else t("bs_groups", lang, count=len(groups))


def prompts_panel_html(prompts: list, sales: list, now: datetime, config: EventConfig, lang: str, top: int = 2) -> str:
    """Return the prompts panel: the active prompts (urgent first), each whole, else the coming flash sales.

    Two at most: a prompt's text wraps rather than being cut, so that it can be read from across the room.
    """
    active = [prompt for prompt in prompts if prompt.active]
    cards = []
    for prompt in active:
        meta = [_group_count(prompt.groups, lang)]
        if prompt.deadline and prompt.deadline > now:
            meta.append(t("bs_in", lang, time=countdown_text((prompt.deadline - now).total_seconds())))
        what, why = title_and_reason(prompt, lang)
        cards.append({"color": URGENCY_COLORS.get(prompt.urgency, BLUE), "urgency": t(f"op_urgency_{prompt.urgency}", lang), "what": what,
                      "meta": " · ".join(meta), "why": why})
    coming = [{"when": coming_time(sale.at, now, config), "product": sale.product, "price": fmt_yuan(sale.price_fen)}
              for sale in [sale for sale in sales if sale.end > now][:4]] if not active else []
    held = sum(1 for prompt in prompts if prompt.suppressed_by and not prompt.done)
    return render(
        "rail/prompts.html", title=t("bs_prompts", lang), cards=cards, top=top, sales=coming, coming_title=t("bs_coming_sales", lang),
        more=t("bs_more_prompts", lang, count=len(active) - top) if len(active) > top else "",
        note=t("bs_held_prompts", lang, count=held) if held else t("bs_no_prompts", lang),
    )


def ticker_html(orders: list, now: datetime, config: EventConfig, lang: str, threshold_fen: int, rows: int = 3) -> str:
    """Return the big-order ticker: time, amount, who took it and, under it, the whole product name (names escaped, phones masked)."""
    rows = [
        {"time": f"{event_time(order.ts, config):%H:%M}", "amount": fmt_yuan(order.amount_fen), "fresh": (now - order.ts).total_seconds() < 120,
         "who": order.staff or order.customer, "product": order.product}
        for order in orders[:rows]
    ]
    return render("rail/ticker.html", title=t("bs_big_orders", lang), threshold=t("bs_big_orders_from", lang, amount=fmt_yuan(threshold_fen)),
                  rows=rows, empty=t("bs_no_big_orders", lang))


def celebration_html(milestone_fen: int, kind: str, lang: str) -> str:
    """Return the celebration banner for a milestone or a goal crossed."""
    headline = t("bs_milestone", lang, amount=fmt_axis_money(milestone_fen, lang))
    sub = t(f"bs_goal_{kind}", lang) if kind in ("base", "stretch") else t("bs_keep_going", lang)
    return render("rail/celebration.html", headline=headline, sub=sub)


def callout_html(order, config: EventConfig, lang: str) -> str:
    """Return the callout of one big order: who took it, how much, and what (Spinify's "moment" for a person's big sale)."""
    who = order.staff or t("bs_callout_someone", lang)
    return render("rail/callout.html", headline=t("bs_callout", lang, name=who), amount=fmt_yuan(order.amount_fen), product=order.product,
                  at=f"{event_time(order.ts, config):%H:%M}")


CALLOUT_SECONDS = 8


def callout_fen(config: EventConfig) -> int:
    """Return the callout threshold in fen (`[big_screen] callout`)."""
    return to_fen(config.big_screen.callout)


def newly_called_out(orders: list, seen: set[str] | None, threshold_fen: int) -> tuple[object | None, set[str]]:
    """Return the biggest order at or above the threshold that this screen has not seen, and the orders seen now.

    A screen's first look sees every order already there, so that opening the TV does not replay the evening's callouts.
    """
    ids = {order.order_id for order in orders}
    if seen is None:
        return None, ids
    fresh = [order for order in orders if order.order_id not in seen and order.amount_fen >= threshold_fen]
    return max(fresh, key=lambda order: (order.amount_fen, order.ts), default=None), seen | ids
