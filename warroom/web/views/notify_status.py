"""The setup page's panel of `[[notify]]` group robots: each target's URL (its key masked), what was sent, waits, was dropped or failed.

A target that failed FAILING_AFTER times in a row shows as failing, with its last error (free of its key).
"""

from __future__ import annotations

import streamlit as st

from warroom.config import EventConfig
from warroom.i18n import fmt_int, t
from warroom.store import Store
from warroom.web import errors
from warroom.web.session import LiveEvent
from warroom.web.templating import render

FAILING_AFTER = 3
REFRESH_SECONDS = 10


def status_rows(store: Store, config: EventConfig, lang: str) -> list[dict[str, str]]:
    """Return one row per target of the event file: name, platform, masked URL, state, counts and the last error."""
    health = {row["target"]: row for row in store.notify_health()}
    rows = []
    for target in config.notify:
        known = health.get(target.target_id, {})
        counts = known.get("counts", {})
        failures = known.get("failures_in_a_row", 0)
        if failures >= FAILING_AFTER:
            state, state_class = t("notify_failing", lang, count=failures), "bad"
        elif known.get("last_sent_at"):
            state, state_class = t("notify_ok", lang), "ok"
        else:
            state, state_class = t("notify_never", lang), ""
        rows.append({
            "target": target.target_id, "kind": t(f"notify_kind_{target.kind}", lang), "url": target.masked_url,
            "state": state, "state_class": state_class,
            "sent": fmt_int(counts.get("sent", 0) + counts.get("merged", 0)),
            "waiting": fmt_int(sum(counts.get(name, 0) for name in ("queued", "retry", "sending"))),
            "dropped": fmt_int(counts.get("dropped", 0)),
            "failed": fmt_int(counts.get("failed", 0) + counts.get("unknown", 0)),
            "last_error": known.get("last_error", "") if failures else "",
        })
    return rows


def status_html(store: Store, config: EventConfig, lang: str) -> str:
    """Return the table of the event's group robots, or an empty string when the event file has no [[notify]]."""
    if not config.notify:
        return ""
    head = {key: t(f"notify_{key}", lang) for key in ("target", "kind", "url", "state", "sent", "waiting", "dropped", "failed", "last_error")}
    return render("setup/notify_status.html", head=head, rows=status_rows(store, config, lang))


def panel(live: LiveEvent, lang: str) -> None:
    """Draw the group robots' panel on the setup page (nothing without [[notify]]), refreshed every REFRESH_SECONDS."""
    if live.config.notify:
        _live_panel(live.figures.store, live.config, lang)


@st.fragment(run_every=REFRESH_SECONDS)
@errors.guarded("notify")
def _live_panel(store: Store, config: EventConfig, lang: str) -> None:
    st.markdown(f"#### {t('notify_title', lang)}")
    st.caption(t("notify_note", lang))
    st.html(status_html(store, config, lang))
