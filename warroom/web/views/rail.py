"""The big screen's right-hand rail: the clock, the flash-sale countdown, the prompts, the big-order ticker and the celebration banner."""

from __future__ import annotations

import html
from datetime import datetime

from warroom.config import EventConfig
from warroom.i18n import fmt_axis_money, fmt_duration, fmt_yuan, t
from warroom.prompts import title_and_reason
from warroom.web.text import FAR_SALE_SECONDS, coming_time, countdown_text, event_time
from warroom.web.theme import BLUE, URGENCY_COLORS

RAIL_CLOCK_SECONDS = 1
RAIL_PROMPTS_SECONDS = 3
CELEBRATION_SECONDS = 12  # how long the banner stays up after a milestone


def clock_html(now: datetime, config: EventConfig, lang: str) -> str:
    """Return the clock: the event's wall time to the second, and the date."""
    local = event_time(now, config)
    weekday = t(f"bs_weekday_{local.weekday()}", lang)
    return (
        f'<div class="wr wr-rail wr-clock"><div class="wr-clock-time">{local:%H:%M:%S}</div>'
        f'<div class="wr-clock-date">{html.escape(t("bs_date", lang, month=local.month, day=local.day, weekday=weekday))}</div></div>'
    )



def countdown_html(sale, now: datetime, config: EventConfig, lang: str) -> str:
    """Return the countdown to the next flash sale (or the time left in the one running), with its product and price."""
    if sale is None:
        return (f'<div class="wr wr-rail wr-countdown"><div class="wr-rail-title">{html.escape(t("bs_next_sale", lang))}</div>'
                f'<div class="wr-rail-empty">{html.escape(t("bs_no_more_sales", lang))}</div><div></div></div>')
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
    price = t("bs_sale_price", lang, price=fmt_yuan(sale.price_fen))
    listed = f' · {html.escape(t("bs_list_price", lang, price=fmt_yuan(sale.list_price_fen)))}' if sale.list_price_fen else ""
    return (
        f'<div class="wr wr-rail wr-countdown {state}"><div class="wr-rail-title">{html.escape(title)}<small>{html.escape(when)}</small></div>'
        f'<div class="wr-countdown-time">{big}</div>'
        f'<div><div class="wr-countdown-product">{html.escape(sale.product)}</div>'
        f'<div class="wr-countdown-price"><b>{html.escape(price)}</b>{listed}</div></div></div>'
    )


def _group_count(groups: tuple[str, ...], lang: str) -> str:
    if not groups:
        return t("bs_all_groups", lang)
    return t("bs_group_one", lang) if len(groups) == 1 else t("bs_groups", lang, count=len(groups))


def prompts_panel_html(prompts: list, sales: list, now: datetime, config: EventConfig, lang: str, top: int = 3) -> str:
    """Return the prompts panel: the active prompts (urgent first), else the coming flash sales."""
    title = f'<div class="wr-rail-title">{html.escape(t("bs_prompts", lang))}'
    active = [prompt for prompt in prompts if prompt.active]
    if active:
        cards = []
        for prompt in active[:top]:
            color = URGENCY_COLORS.get(prompt.urgency, BLUE)
            meta = [_group_count(prompt.groups, lang)]
            if prompt.deadline and prompt.deadline > now:
                meta.append(t("bs_in", lang, time=countdown_text((prompt.deadline - now).total_seconds())))
            what, why = title_and_reason(prompt, lang)
            cards.append(
                f'<div class="wr-prompt" style="border-left-color:{color}">'
                f'<div class="wr-prompt-title"><span class="wr-prompt-tag" style="background:{color}">{html.escape(t(f"op_urgency_{prompt.urgency}", lang))}</span>'
                f'{html.escape(what)}</div>'
                f'<div class="wr-prompt-meta">{html.escape(" · ".join(meta))} · {html.escape(why)}</div></div>'
            )
        more = f'<div class="wr-prompt-more">{html.escape(t("bs_more_prompts", lang, count=len(active) - top))}</div>' if len(active) > top else ""
        return f'<div class="wr wr-rail wr-prompts">{title}<small>{len(active)}</small></div>{"".join(cards)}{more}</div>'
    coming = [sale for sale in sales if sale.end > now][:4]
    held = sum(1 for prompt in prompts if prompt.suppressed_by and not prompt.done)
    note = t("bs_held_prompts", lang, count=held) if held else t("bs_no_prompts", lang)
    rows = "".join(
        f'<div class="wr-sale-row"><span>{coming_time(sale.at, now, config)} {html.escape(sale.product)}</span>'
        f'<span class="wr-muted">{html.escape(fmt_yuan(sale.price_fen))}</span></div>'
        for sale in coming
    )
    if coming:
        body = f'<div class="wr-prompt-more">{html.escape(note)}</div><div class="wr-rail-title" style="margin-top:0.7rem">{html.escape(t("bs_coming_sales", lang))}</div>{rows}'
    else:
        body = f'<div class="wr-rail-empty">{html.escape(note)}</div>'
    return f'<div class="wr wr-rail wr-prompts">{title}<small></small></div>{body}</div>'


def ticker_html(orders: list, now: datetime, config: EventConfig, lang: str, threshold_fen: int) -> str:
    """Return the big-order ticker: time, amount, who took it and what it was (names escaped, phones masked)."""
    title = (f'<div class="wr-rail-title">{html.escape(t("bs_big_orders", lang))}'
             f'<small>{html.escape(t("bs_big_orders_from", lang, amount=fmt_yuan(threshold_fen)))}</small></div>')
    if not orders:
        return f'<div class="wr wr-rail wr-ticker">{title}<div class="wr-rail-empty">{html.escape(t("bs_no_big_orders", lang))}</div></div>'
    rows = []
    for order in orders:
        who = " · ".join(part for part in (order.staff, order.product) if part) or order.customer
        fresh = " fresh" if (now - order.ts).total_seconds() < 120 else ""
        rows.append(
            f'<div class="wr-tick{fresh}"><span class="t">{event_time(order.ts, config):%H:%M}</span>'
            f'<span class="a">{fmt_yuan(order.amount_fen)}</span><span class="w">{html.escape(who)}</span></div>'
        )
    return f'<div class="wr wr-rail wr-ticker">{title}{"".join(rows)}</div>'


def celebration_html(milestone_fen: int, kind: str, lang: str) -> str:
    """Return the celebration banner for a milestone or a goal crossed."""
    headline = t("bs_milestone", lang, amount=fmt_axis_money(milestone_fen, lang))
    sub = t(f"bs_goal_{kind}", lang) if kind in ("base", "stretch") else t("bs_keep_going", lang)
    # No emoji: a TV browser without an emoji font would show a box.
    return f'<div class="wr-celebrate"><b>{html.escape(headline)}</b><span>{html.escape(sub)}</span></div>'


