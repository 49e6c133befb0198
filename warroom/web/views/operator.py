"""The prompts (operator) page: the flash-sale card, who a push is recorded under, each prompt's head, and the push and silence forms' writes.

The page hands these functions the live event; they write through the store's public methods
(warroom.prompt_state), so that no page reaches into `live.figures.store`.
"""

from __future__ import annotations

import math
import re
from datetime import datetime

from warroom import access
from warroom.config import EventConfig
from warroom.i18n import fmt_int, fmt_list, fmt_yuan, role_label, t
from warroom.prompt_rules import RuleBook
from warroom.prompt_state import acknowledge, expire_silence, silence
from warroom.prompt_text import hold_reasons, pusher_id, pusher_label, rule_title
from warroom.prompts import Silence, title_and_reason
from warroom.web.session import LiveEvent, shared_silences
from warroom.web.templating import render
from warroom.web.text import countdown_text, event_time, plain
from warroom.web.theme import BLUE, URGENCY_COLORS

OPERATOR_REFRESH_SECONDS = 1  # a prompt shows within a second of firing; the flash sale's countdown ticks
FLASH_SECONDS = 6  # how long a push's or a silence's confirmation stays on the page


def flash_to_show(flash: tuple[str, str, float] | None, now: float) -> tuple[str, str] | None:
    """Return a push's or a silence's confirmation (kind, text) while it is younger than FLASH_SECONDS at monotonic `now`, else None.

    The list reruns every second: a confirmation shown by one run only would be gone before it is read.
    """
    if not flash or now - flash[2] >= FLASH_SECONDS:
        return None
    return flash[0], flash[1]


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


def pusher_options(viewer: access.Viewer, config: EventConfig, lang: str) -> dict[str, str]:
    """Return whom a push may be recorded under, id → label, the one who clicks first.

    A staff member's link records their own pushes only. A signed-in lead (or boss) pushes as
    themself by default ("me, the lead"), or notes a push the hype squad made without the page.
    """
    staff = config.staff_by_id()
    if viewer.role == access.STAFF:
        member = staff.get(viewer.staff_id or "")
        return {member.id: member.name} if member is not None else {}
    me = pusher_id(viewer.role, viewer.name)
    role = t(f"viewer_{viewer.role}", lang)
    options = {me: t("op_me_lead_named", lang, role=role, name=viewer.name) if viewer.name else t("op_me_lead", lang, role=role)}
    for staff_id in sorted((sid for sid, member in staff.items() if member.role in access.OPERATOR_ROLES),
                           key=lambda sid: (access.operator_rank(staff[sid].role), sid)):
        options[staff_id] = f"{staff[staff_id].name} · {role_label(staff[staff_id].role, lang)}"
    return options


def record_push(live: LiveEvent, prompt, staff_id: str | None, groups: list[str], at: datetime, group_names: dict[str, str], lang: str) -> tuple[str, str]:
    """Record the operator page's "I've pushed it" under `staff_id` and return its (kind, message) flash; a bad value gets a warning, never an exception."""
    store = live.figures.store
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


def record_silence(live: LiveEvent, minutes: object, created_by: str, at: datetime, rule: str | None, title: str, lang: str) -> tuple[str, str]:
    """Record a silence from the operator page and return its (kind, message) flash; minutes outside 1 minute to a day are refused."""
    store = live.figures.store
    if isinstance(minutes, bool) or not isinstance(minutes, int | float) or not math.isfinite(minutes) or not 1 <= minutes <= SILENCE_LIMIT_MINUTES:
        return ("warning", t("op_silence_refused", lang, limit=SILENCE_LIMIT_MINUTES))
    silence(store, minutes=minutes, created_by=clean_text(created_by), at=at, rule=None if rule is None else clean_text(rule), comment=clean_text(title))
    return ("success", t("op_silenced", lang, minutes=fmt_int(minutes)))


def current_silences(live: LiveEvent, at: datetime) -> list[Silence]:
    """Return the silences holding at `at` or set to start later (shared by every session for a moment; one just set shows by the next run)."""
    return shared_silences(live, at)


def end_silence(live: LiveEvent, silence_id: str, at: datetime) -> bool:
    """End a silence now (the page's "End" button); return whether it was still running."""
    return expire_silence(live.figures.store, silence_id, at=at)


def silence_line(item: Silence, config: EventConfig, lang: str) -> str:
    """Return one silence as the page lists it: what it holds (a prompt's title, not its rule id), until when, and who set it."""
    book = rule_book(config)
    rule = book.rule(item.rule) if item.rule else None
    scope = rule_title(rule.name, rule.kind, lang) if rule else item.rule or item.kind or t("op_all_prompts", lang)
    who = pusher_label(item.created_by, {member.id: member.name for member in config.staff}, lang)
    return t("op_silence_line", lang, scope=plain(scope), until=event_time(item.ends_at, config).strftime("%H:%M"), who=plain(who))


_last_book: list[tuple[EventConfig, RuleBook]] = []  # the process serves one event: its rule book, kept while its config is the same object


def rule_book(config: EventConfig) -> RuleBook:
    """Return the event's rule book, built once per config object (the page renders every few seconds)."""
    if not _last_book or _last_book[0][0] is not config:
        _last_book[:] = [(config, RuleBook.from_config(config))]
    return _last_book[0][1]


def hold_text(prompt, config: EventConfig, now: datetime, lang: str, silences: list[Silence] = ()) -> str:
    """Return why a prompt is held back at `now`, as it is true then ("暂停中：…"), or "" when nothing holds it."""
    reasons = hold_reasons(prompt, rule_book(config), now, silences)
    if not reasons:
        return ""
    parts = []
    for reason in reasons:
        values = {name: event_time(value, config).strftime("%H:%M") if isinstance(value, datetime) else value for name, value in reason.values.items()}
        if reason.key == "op_held_rule":
            values["rule"] = rule_title(values["rule"], values.pop("kind"), lang)
        parts.append(t(reason.key, lang, **values))
    return t("op_held", lang, why=fmt_list(parts, lang))


def operator_status_html(line: str) -> str:
    """Return the operator page's status line (the time, how many prompts, revenue), escaped."""
    return render("operator/status.html", line=line)


def operator_prompt_html(prompt, group_names: dict[str, str], now: datetime, lang: str, config: EventConfig, silences: list[Silence] = ()) -> str:
    """Return one prompt's head on the operator page: urgency, what to push, why, and its groups (to push, pushed, held back)."""
    # The groups still to push are the page's toggles (when the prompt is active); here, what is done or held back.
    chips = [] if prompt.active else [{"css": "", "name": group_names.get(g, g)} for g in prompt.groups]
    chips += [{"css": "done", "name": group_names.get(g, g)} for g in prompt.pushed_groups]
    chips += [{"css": "held", "name": group_names.get(g, g)} for g in (*prompt.cooling_groups, *prompt.silenced_groups)]
    state = ""
    if prompt.done:
        state = t("op_done", lang)
    elif prompt.suppressed_by:
        state = hold_text(prompt, config, now, lang, silences)
    elif prompt.deadline and prompt.deadline > now:
        state = t("bs_in", lang, time=countdown_text((prompt.deadline - now).total_seconds()))
    what, why = title_and_reason(prompt, lang)
    return render("operator/prompt.html", color=URGENCY_COLORS.get(prompt.urgency, BLUE), urgency=t(f"op_urgency_{prompt.urgency}", lang), what=what,
                  state=state, why_label=t("op_why", lang), why=why, chips=chips, no_groups="" if prompt.target_groups else t("op_no_groups", lang))
