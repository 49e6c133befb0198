"""The prompts (operator) page: the flash-sale card, each prompt's head, and the push and silence forms' writes."""

from __future__ import annotations

import math
import re
from datetime import datetime

from warroom.config import EventConfig
from warroom.i18n import fmt_int, fmt_list, fmt_yuan, t
from warroom.prompt_state import acknowledge, silence
from warroom.prompts import title_and_reason
from warroom.web.templating import render
from warroom.web.text import countdown_text, event_time, plain
from warroom.web.theme import BLUE, URGENCY_COLORS

OPERATOR_REFRESH_SECONDS = 10


def operator_sale_html(sale, now: datetime, config: EventConfig, lang: str) -> str:
    """Return the operator page's flash-sale card: what, when, at what price, and the countdown."""
    if sale is None:
        return render("operator/sale.html", sale=None, empty=t("bs_no_more_sales", lang))
    running = sale.running(now)
    seconds = (sale.end - now).total_seconds() if running else (sale.at - now).total_seconds()
    label = t("bs_sale_running", lang) if running else t("op_next_sale_at", lang, time=event_time(sale.at, config).strftime("%m-%d %H:%M"))
    return render("operator/sale.html", sale=sale, running=running, label=label, price=t("bs_sale_price", lang, price=fmt_yuan(sale.price_fen)),
                  countdown=countdown_text(seconds))


# SPEC §5: text keeps any Unicode but NUL and the other C0 controls, tab aside; a lone surrogate cannot be stored at all.
_CONTROLS = re.compile(r"[\x00-\x08\x0a-\x1f]")
_SURROGATES = re.compile(r"[\ud800-\udfff]")
TEXT_LIMIT = 500  # characters of a viewer's text kept in the store
SILENCE_LIMIT_MINUTES = 24 * 60


def clean_text(text: object, limit: int = TEXT_LIMIT) -> str:
    """Return text fit to store from a form: C0 controls (but tab) removed, lone surrogates as U+FFFD, at most `limit` characters."""
    return _CONTROLS.sub("", _SURROGATES.sub("\ufffd", str(text)))[:limit]


def record_push(store, prompt, staff_id: str | None, groups: list[str], at: datetime, group_names: dict[str, str], lang: str) -> tuple[str, str]:
    """Record the operator page's "I pushed it" and return its (kind, message) flash; a bad value gets a warning, never an exception."""
    # Only the prompt's own groups, once each, in its order: a form cannot record a push into anything else.
    chosen = [group for group in prompt.groups if group in set(groups)]
    if not staff_id:
        return ("warning", t("op_ack_not_stored", lang))
    try:
        acknowledge(store, prompt.key, clean_text(staff_id), at=at, groups=chosen, template=prompt.template)
    except (KeyError, ValueError):
        return ("warning", t("op_ack_not_stored", lang))
    names = fmt_list((plain(group_names.get(group, group)) for group in chosen), lang) or t("op_all_groups", lang)
    return ("success", t("op_acked", lang, title=plain(title_and_reason(prompt, lang)[0]), groups=names))


def record_silence(store, minutes: object, created_by: str, at: datetime, rule: str | None, title: str, lang: str) -> tuple[str, str]:
    """Record a silence from the operator page and return its (kind, message) flash; minutes outside 1 minute to a day are refused."""
    if isinstance(minutes, bool) or not isinstance(minutes, int | float) or not math.isfinite(minutes) or not 1 <= minutes <= SILENCE_LIMIT_MINUTES:
        return ("warning", t("op_silence_refused", lang, limit=SILENCE_LIMIT_MINUTES))
    silence(store, minutes=minutes, created_by=clean_text(created_by), at=at, rule=None if rule is None else clean_text(rule), comment=clean_text(title))
    return ("success", t("op_silenced", lang, minutes=fmt_int(minutes)))


def operator_status_html(line: str) -> str:
    """Return the operator page's status line (the time, how many prompts, revenue), escaped."""
    return render("operator/status.html", line=line)


def operator_prompt_html(prompt, group_names: dict[str, str], now: datetime, lang: str) -> str:
    """Return one prompt's head on the operator page: urgency, what to push, why, and its groups (to push, pushed, held back)."""
    # The groups still to push are the page's toggles (when the prompt is active); here, what is done or held back.
    chips = [] if prompt.active else [{"css": "", "name": group_names.get(g, g)} for g in prompt.groups]
    chips += [{"css": "done", "name": group_names.get(g, g)} for g in prompt.pushed_groups]
    chips += [{"css": "held", "name": group_names.get(g, g)} for g in (*prompt.cooling_groups, *prompt.silenced_groups)]
    state = ""
    if prompt.done:
        state = t("op_done", lang)
    elif prompt.suppressed_by:
        state = t("op_held", lang, why=", ".join(t(f"op_held_{reason.split(':')[0]}", lang) for reason in prompt.suppressed_by))
    elif prompt.deadline and prompt.deadline > now:
        state = t("bs_in", lang, time=countdown_text((prompt.deadline - now).total_seconds()))
    what, why = title_and_reason(prompt, lang)
    return render("operator/prompt.html", color=URGENCY_COLORS.get(prompt.urgency, BLUE), urgency=t(f"op_urgency_{prompt.urgency}", lang), what=what,
                  state=state, why_label=t("op_why", lang), why=why, chips=chips, no_groups="" if prompt.target_groups else t("op_no_groups", lang))
