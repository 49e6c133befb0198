"""How prompts are named where people read them: a rule by its title, a message variant as 「文案 A」, who pushed, and why a prompt is held back.

The screens and sheets never show a rule id (`order_screenshots#0`) or a stored pusher id (`@lead`);
the lifecycle and routing these describe are `warroom.prompts`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from warroom.config import INHIBIT_FLASH_SALE
from warroom.i18n import STRINGS, t
from warroom.prompt_rules import RuleBook
from warroom.prompts import Prompt, Silence


def rule_title(rule: str, kind: str, lang: str) -> str:
    """Return how a rule is named on a screen or a sheet: its kind's title ("推送晒单"), or the name the event file gave it."""
    return t(f"pk_{kind}", lang) if rule == kind and f"pk_{kind}" in STRINGS else rule


def template_label(template: int, lang: str) -> str:
    """Return a message variant as people say it: 「文案 A」, 「文案 B」…"""
    letter = chr(ord("A") + template) if 0 <= template < 26 else str(template + 1)
    return t("pk_template", lang, letter=letter)


# A push made by a signed-in viewer who is not a staff member (a lead, a boss) is stored under
# "@<role>" or "@<role>:<name>": no staff id of the event file starts with "@" by accident, and the
# review can name them instead of crediting a member of the hype squad.
VIEWER_PUSHER_PREFIX = "@"


def pusher_id(role: str, name: str = "") -> str:
    """Return the id a push by a signed-in lead or boss is stored under: "@lead", or "@lead:张三" when their name is known."""
    return f"{VIEWER_PUSHER_PREFIX}{role}" + (f":{name}" if name else "")


def pusher_label(stored: str, staff_names: Mapping[str, str], lang: str) -> str:
    """Return who pushed, as a screen shows it: the staff member's name, or "团队长" / "团队长 张三" for a lead's own push."""
    if stored in staff_names:
        return staff_names[stored]
    if stored.startswith(VIEWER_PUSHER_PREFIX):
        role, _, name = stored[len(VIEWER_PUSHER_PREFIX):].partition(":")
        key = f"viewer_{role}"
        if key in STRINGS:
            return f"{t(key, lang)} {name}" if name else t(key, lang)
    return stored


@dataclass(frozen=True)
class HoldReason:
    """Why a prompt is held back at a moment: an i18n key (`op_held_*`) and its values (times are datetimes, for the screen to show in event time)."""

    key: str
    values: Mapping[str, object] = field(default_factory=dict)


def hold_reasons(prompt: Prompt, book: RuleBook, now: datetime, silences: Iterable[Silence] = ()) -> list[HoldReason]:
    """Return what holds a prompt back at `now`, each reason as it is true then.

    A flash sale inhibits a rule while it runs, and also for as long as the rule's condition still
    compares minutes that the sale lifted: then the reason is the sale that just ended and when the
    comparison is clean again, never "a sale is on".
    """
    rule = book.rule(prompt.rule)
    lookback = timedelta(minutes=rule.lookback_minutes if rule else 0)
    ends = {silence.id: silence.ends_at for silence in silences}
    reasons: list[HoldReason] = []
    for reason in prompt.suppressed_by:
        kind, _, detail = reason.partition(":")
        if kind == "inhibited" and detail == INHIBIT_FLASH_SALE:
            running = next((sale for sale in book.sales if sale.running(now)), None)
            if running is not None:
                reasons.append(HoldReason("op_held_sale_on", {"product": running.product, "until": running.end}))
                continue
            ended = [sale for sale in book.sales if sale.end <= now < sale.end + lookback]
            if ended:
                last = max(ended, key=lambda sale: sale.end)
                reasons.append(HoldReason("op_held_sale_after", {"product": last.product, "ended": last.end, "clear": last.end + lookback}))
                continue
            reasons.append(HoldReason("op_held_sale_recent"))
        elif kind == "inhibited":
            other = book.rule(detail)
            reasons.append(HoldReason("op_held_rule", {"rule": other.name if other else detail, "kind": other.kind if other else detail}))
        elif kind == "silenced":
            until = ends.get(detail)
            reasons.append(HoldReason("op_held_silenced_until", {"until": until}) if until else HoldReason("op_held_silenced"))
        else:
            reasons.append(HoldReason("op_held_cooldown"))
    return reasons
