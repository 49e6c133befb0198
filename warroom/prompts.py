"""Flash-sale prompts: tell the team when to push which message into which groups.

Rules are data (`[[prompts]]` in the event file, else `DEFAULT_RULES`), on the model of
Prometheus alerting rules; the rules, the signals they read and their conditions are
`warroom.prompt_rules`, and this module is their lifecycle and routing. Schedule rules follow `[[flash_sales]]` (a poster at each countdown
node, "it's live now" at the start, 晒单 order screenshots after); signal rules watch the
per-minute figures (an order-rate drop while viewers hold up, a viewer surge, a projected finish
below the base goal, a quiet group, a milestone crossed).

`evaluate(book, signals, now, previous)` is a pure function: each rule yields the instances
whose condition holds now (one per label set: a flash sale's countdown node, a group, a
milestone), and each instance walks inactive → pending (`for_minutes`) → firing → resolved, with
`keep_firing_for_minutes` against flapping. What happens to a firing prompt after that is
Alertmanager's part, done by `route()` at read time so that a fresh silence or push shows at
once: silences, inhibition (stored by the evaluation), per-group cooldown after any push, and
the pushes (acknowledgements) that close it. `replay()` runs the evaluation over whole minutes,
which is how `warroom prompts --at` and the tests see any moment.

Message text is Chinese (the team copies it into WeChat groups); code and keys are English. A
prompt's title and reason are i18n strings (`pt_*` in `warroom.i18n`): the content keeps them in
Chinese, and their keys and values so that `title_and_reason` can show them in the screen's language.
The I/O side (the store's tables, the evaluator the ingest loop calls, pushes, silences, lift)
is `warroom.prompt_state`.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from warroom.clock import at_minute, minute_of
from warroom.config import INHIBIT_FLASH_SALE, URGENCIES
from warroom.i18n import STRINGS, t
from warroom.prompt_rules import Content, MinuteSeries, Rule, RuleBook, Signals, conditions, signals_at

__all__ = [
    "FIRING", "PENDING", "RESOLVED", "Instance", "Prompt", "PromptState", "Push", "Silence", "evaluate", "prompt_json", "prompts_of",
    "replay", "route", "suggested_template", "title_and_reason",
]

PENDING, FIRING, RESOLVED = "pending", "firing", "resolved"
# A resolved prompt stays in the state this long, so screens can show it as just ended.
RESOLVED_RETENTION = timedelta(minutes=15)
# How far back `replay` starts when not told: longer than any rule's for + keep_firing_for + window.
REPLAY_HORIZON = timedelta(hours=3)
MINUTE = timedelta(minutes=1)
_URGENCY_RANK = {urgency: rank for rank, urgency in enumerate(URGENCIES)}

# -- state ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Instance:
    """One rule's alert for one label set (a sale's node, a group, a milestone) and where it is in its lifecycle."""

    key: str
    rule: str
    kind: str
    state: str  # pending, firing or resolved
    active_since: datetime
    last_true_at: datetime
    content: Content
    fired_at: datetime | None = None
    resolved_at: datetime | None = None
    inhibited_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class Silence:
    """A lead's silence: no prompt matching it is shown between starts_at and ends_at."""

    id: str
    starts_at: datetime
    ends_at: datetime
    created_by: str
    rule: str | None = None  # None matches every rule
    kind: str | None = None
    group: str | None = None  # set: only that group is taken out of prompts, the rest still show
    comment: str = ""

    def active(self, now: datetime) -> bool:
        """Return whether the silence holds at `now`."""
        return self.starts_at <= now < self.ends_at

    def matches(self, instance: Instance) -> bool:
        """Return whether the silence's rule and kind matchers match an instance."""
        return (self.rule is None or self.rule == instance.rule) and (self.kind is None or self.kind == instance.kind)


@dataclass(frozen=True)
class Push:
    """An acknowledgement: who pushed a prompt's message, when, and into which groups."""

    id: str
    prompt_key: str
    rule: str
    kind: str
    groups: tuple[str, ...]
    staff_id: str
    pushed_at: datetime
    template: int = 0  # which of the rule's messages was pushed
    message: str = ""

    @property
    def template_key(self) -> str:
        """Return the template's key, e.g. poster#1."""
        return f"{self.rule}#{self.template}"


@dataclass(frozen=True)
class PromptState:
    """Everything the evaluation carries from one moment to the next."""

    instances: Mapping[str, Instance] = field(default_factory=dict)
    silences: tuple[Silence, ...] = ()
    pushes: tuple[Push, ...] = ()
    evaluated_at: datetime | None = None


# -- rendering for a screen ----------------------------------------------------------------------


def title_and_reason(prompt: Prompt | Content, lang: str) -> tuple[str, str]:
    """Return a prompt's title and reason in `lang`; without keys (stored by an older version), its Chinese ones."""
    if prompt.title_key not in STRINGS or prompt.reason_key not in STRINGS:
        return prompt.title, prompt.reason
    try:
        return t(prompt.title_key, lang, **prompt.text_values), t(prompt.reason_key, lang, **prompt.text_values)
    except (KeyError, ValueError):  # values stored by another version, which its strings no longer match
        return prompt.title, prompt.reason


# -- evaluation ----------------------------------------------------------------------------------


def _inhibitors(rule: Rule, book: RuleBook, now: datetime, firing_rules: set[str]) -> tuple[str, ...]:
    """Return what holds a rule's prompts back at `now`."""
    found = []
    for source in rule.inhibited_by:
        if source == INHIBIT_FLASH_SALE:
            # A sale running now, or inside the minutes the condition compares, makes it meaningless.
            since = now - timedelta(minutes=rule.lookback_minutes)
            if any(sale.at <= now and sale.end > since for sale in book.sales):
                found.append(source)
        elif source in firing_rules:
            found.append(source)
    return tuple(found)


def evaluate(book: RuleBook, signals: Signals, now: datetime, previous: PromptState) -> PromptState:
    """Return the prompt state at `now`: every rule evaluated against the signals, starting from `previous` (pure)."""
    instances: dict[str, Instance] = {}
    for rule in book.rules:
        holding = conditions(rule, book, signals, now)
        for key, content in holding.items():
            before = previous.instances.get(key)
            if before is None or before.state == RESOLVED:
                fires = rule.for_minutes == 0
                instances[key] = Instance(
                    key=key, rule=rule.name, kind=rule.kind, state=FIRING if fires else PENDING,
                    active_since=now, last_true_at=now, content=content, fired_at=now if fires else None,
                )
            elif before.state == PENDING:
                fires = now - before.active_since >= timedelta(minutes=rule.for_minutes)
                instances[key] = replace(before, state=FIRING if fires else PENDING, fired_at=now if fires else None, last_true_at=now, content=content)
            else:
                instances[key] = replace(before, last_true_at=now, content=content)
        for key, before in previous.instances.items():
            if before.rule != rule.name or key in holding:
                continue
            if before.state == FIRING:
                if now - before.last_true_at < timedelta(minutes=rule.keep_firing_for_minutes):
                    instances[key] = before
                else:
                    instances[key] = replace(before, state=RESOLVED, resolved_at=now, inhibited_by=())
            elif before.state == RESOLVED and before.resolved_at is not None and now - before.resolved_at < RESOLVED_RETENTION:
                instances[key] = before
            # a pending instance whose condition cleared goes back to inactive: it is dropped
    firing_rules = {instance.rule for instance in instances.values() if instance.state == FIRING}
    rules = {rule.name: rule for rule in book.rules}
    for key, instance in instances.items():
        if instance.state != RESOLVED:
            instances[key] = replace(instance, inhibited_by=_inhibitors(rules[instance.rule], book, now, firing_rules))
    return PromptState(instances=instances, silences=previous.silences, pushes=previous.pushes, evaluated_at=now)


def replay(book: RuleBook, series: MinuteSeries, until: datetime, *, start: datetime | None = None,
           state: PromptState | None = None, step: timedelta = MINUTE) -> PromptState:
    """Return the state at `until` after evaluating at every step from `start` (default: REPLAY_HORIZON before)."""
    state = state or PromptState()
    moment = start if start is not None else until - REPLAY_HORIZON
    moment = at_minute(minute_of(moment)) if step == MINUTE else moment
    while moment < until:
        state = evaluate(book, signals_at(book, series, moment), moment, state)
        moment += step
    return evaluate(book, signals_at(book, series, until), until, state)


# -- routing: what each screen shows ---------------------------------------------------------------


@dataclass(frozen=True)
class Prompt:
    """A prompt as the screens show it: the instance, its message, and what silences, cooldowns and pushes leave of it."""

    key: str
    rule: str
    kind: str
    state: str
    urgency: str
    title: str  # in Chinese; `title_and_reason` gives it in the screen's language
    reason: str
    message: str  # the suggested template, filled in
    messages: tuple[str, ...]  # every template of the rule, filled in
    template: int  # the index of `message` in `messages`
    link: str
    groups: tuple[str, ...]  # still to push into
    target_groups: tuple[str, ...]  # every group the prompt is for
    pushed_groups: tuple[str, ...]
    cooling_groups: tuple[str, ...]
    silenced_groups: tuple[str, ...]
    suppressed_by: tuple[str, ...]  # inhibited:<source>, silenced:<id>, cooldown
    done: bool  # pushed into every target group
    kept_firing: bool  # its condition has cleared, keep_firing_for holds it
    figures: Mapping[str, int | float | str | None]
    active_since: datetime
    fired_at: datetime | None
    resolved_at: datetime | None
    deadline: datetime | None
    expires_at: datetime | None
    pushes: tuple[Push, ...]
    # What `title_and_reason` shows `title` and `reason` from, in any language (as in Content).
    title_key: str = ""
    reason_key: str = ""
    text_values: Mapping[str, int | str | None] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        """Return whether the prompt should be pushed now: firing, not suppressed, not done."""
        return self.state == FIRING and not self.suppressed_by and not self.done


def suggested_template(key: str, templates: int) -> int:
    """Return which of a rule's templates a prompt suggests: fixed per instance, spread over instances so lift can compare them."""
    return zlib.crc32(key.encode()) % templates if templates else 0


def route(book: RuleBook, instance: Instance, state: PromptState, now: datetime) -> Prompt:
    """Return an instance as a prompt at `now`, after silences, inhibition, cooldowns and pushes."""
    rule = book.rule(instance.rule)
    content = instance.content
    targets = content.groups
    suppressed = [f"inhibited:{source}" for source in instance.inhibited_by]
    silenced: dict[str, str] = {}
    for silence in state.silences:
        if not silence.active(now) or not silence.matches(instance):
            continue
        if silence.group is None:
            suppressed.append(f"silenced:{silence.id}")
        elif silence.group in targets:
            silenced.setdefault(silence.group, silence.id)
    own = tuple(push for push in state.pushes if push.prompt_key == instance.key and instance.active_since <= push.pushed_at <= now)
    pushed = {group for push in own for group in push.groups}
    cooldown = timedelta(minutes=rule.cooldown_minutes if rule else 0)
    cooling = {
        group for push in state.pushes
        if push not in own and push.pushed_at <= now < push.pushed_at + cooldown
        for group in push.groups
    }
    remaining = tuple(g for g in targets if g not in pushed and g not in cooling and g not in silenced)
    done = bool(own) and all(g in pushed for g in targets)
    if targets and not remaining and not done:
        if any(g in cooling for g in targets if g not in pushed):
            suppressed.append("cooldown")
        else:
            suppressed.extend(f"silenced:{sid}" for sid in dict.fromkeys(silenced[g] for g in targets if g in silenced))
    index = suggested_template(instance.key, len(content.messages))
    return Prompt(
        key=instance.key, rule=instance.rule, kind=instance.kind, state=instance.state,
        urgency=rule.urgency if rule else "normal", title=content.title, reason=content.reason,
        message=content.messages[index] if content.messages else "", messages=content.messages, template=index, link=content.link,
        groups=remaining, target_groups=targets, pushed_groups=tuple(g for g in targets if g in pushed),
        cooling_groups=tuple(g for g in targets if g in cooling and g not in pushed), silenced_groups=tuple(g for g in targets if g in silenced),
        suppressed_by=tuple(dict.fromkeys(suppressed)), done=done,
        kept_firing=instance.state == FIRING and state.evaluated_at is not None and instance.last_true_at < state.evaluated_at,
        figures=content.figures, active_since=instance.active_since, fired_at=instance.fired_at, resolved_at=instance.resolved_at,
        deadline=content.deadline, expires_at=content.expires_at, pushes=own,
        title_key=content.title_key, reason_key=content.reason_key, text_values=content.text_values,
    )


def prompts_of(book: RuleBook, state: PromptState, now: datetime, states: Iterable[str] = (FIRING,)) -> list[Prompt]:
    """Return the prompts in the given lifecycle states at `now`: active first, then by urgency, the nearest flash sale, the oldest."""
    wanted = set(states)
    chosen = [
        route(book, instance, state, now) for instance in state.instances.values()
        # an instance of a rule since taken out of the event file waits for the next tick to be dropped
        if instance.state in wanted and book.rule(instance.rule) is not None
        and (instance.content.expires_at is None or instance.state == RESOLVED or now < instance.content.expires_at)
    ]
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(chosen, key=lambda p: (not p.active, _URGENCY_RANK.get(p.urgency, 9), p.deadline or far, p.fired_at or p.active_since, p.key))


_UTC_ZONE = ZoneInfo("UTC")


def _iso(moment: datetime | None, tz: ZoneInfo) -> str | None:
    return moment.astimezone(tz).isoformat() if moment else None


def prompt_json(prompt: Prompt, tz: ZoneInfo = _UTC_ZONE) -> dict:
    """Return a prompt as JSON-ready data, times in `tz` (what `warroom prompts --json` prints)."""
    return {
        "key": prompt.key, "rule": prompt.rule, "kind": prompt.kind, "state": prompt.state, "urgency": prompt.urgency,
        "title": prompt.title, "reason": prompt.reason, "message": prompt.message, "template": prompt.template, "link": prompt.link,
        "groups": list(prompt.groups), "target_groups": list(prompt.target_groups), "pushed_groups": list(prompt.pushed_groups),
        "cooling_groups": list(prompt.cooling_groups), "silenced_groups": list(prompt.silenced_groups),
        "suppressed_by": list(prompt.suppressed_by), "done": prompt.done, "active": prompt.active, "kept_firing": prompt.kept_firing,
        "figures": dict(prompt.figures), "since": _iso(prompt.fired_at or prompt.active_since, tz),
        "deadline": _iso(prompt.deadline, tz), "expires_at": _iso(prompt.expires_at, tz),
        "pushes": [{"staff_id": p.staff_id, "groups": list(p.groups), "pushed_at": _iso(p.pushed_at, tz), "template": p.template} for p in prompt.pushes],
    }

