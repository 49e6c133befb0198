"""The operator page, for the hype squad and community ops on their phones: the prompts firing now
(what to push, why, into which groups, how urgent), the message with a copy button, "I've pushed it"
(recorded under whoever clicks: the staff member whose link it is, or the signed-in lead), and
silencing prompts for a few minutes, under the next flash sale's countdown."""

import time
import zlib

import streamlit as st

from warroom import access
from warroom.i18n import fmt_yuan, t
from warroom.schedule import next_flash_sale
from warroom.web import auth, errors, frame, language, session, text
from warroom.web.views import operator as operator_view

SILENCE_MINUTES = (5, 10, 15, 30)

lang = language.language()
live = session.open_event(lang)
viewer = auth.require_viewer(lang, (access.LEAD, access.BOSS, access.STAFF))
frame.boss_styles()
config = live.config
staff = config.staff_by_id()
group_names = {group.id: group.name for group in config.groups}
if viewer.role == access.STAFF and (viewer.staff_id not in staff or staff[viewer.staff_id].role not in access.OPERATOR_ROLES):
    st.warning(t("op_not_for_role", lang))
    st.stop()

st.title(t("op_title", lang))

pushers = operator_view.pusher_options(viewer, config, lang)
if viewer.role == access.STAFF:
    me = next(iter(pushers), None)
    st.caption(t("op_me", lang, name=text.plain(pushers.get(me, ""))))
else:
    # A lead pushes as themself unless they pick the member who pushed without the page.
    me = st.selectbox(t("op_who", lang), list(pushers), format_func=lambda key: text.plain(pushers[key]), key="op_pusher")


def push(prompt, groups: list[str]) -> None:
    """Record that `me` pushed the prompt's message into `groups`."""
    st.session_state["op_flash"] = (*operator_view.record_push(live, prompt, me, groups, session.event_now(live), group_names, lang), time.monotonic())


def hush(minutes: int, rule: str | None, title: str) -> None:
    """Silence one rule's prompts, or all of them, for some minutes."""
    st.session_state["op_flash"] = (*operator_view.record_silence(live, minutes, me or viewer.role, session.event_now(live), rule, title, lang), time.monotonic())


# One fragment, every second: the flash sale's countdown, the status line and the prompts. A second fragment
# for the countdown queued behind this one's run in the same session, and the list's own period was its lag.
@st.fragment(run_every=operator_view.OPERATOR_REFRESH_SECONDS)
@errors.guarded("prompt_list")
def prompt_list() -> None:
    now = session.event_now(live)
    st.html(operator_view.operator_sale_html(next_flash_sale(config, now), now, config, lang))
    flash = operator_view.flash_to_show(st.session_state.get("op_flash"), time.monotonic())
    if flash:
        (st.success if flash[0] == "success" else st.warning)(flash[1])
    prompts = session.live_prompts(live, now)
    held = operator_view.current_silences(live, now)
    active = [prompt for prompt in prompts if prompt.active]
    others = [prompt for prompt in prompts if not prompt.active]
    snapshot = session.take_snapshot(live, lang)
    revenue = fmt_yuan(snapshot.revenue_fen) if snapshot else "—"
    st.html(operator_view.operator_status_html(t("op_status", lang, time=text.event_time(now, config).strftime("%H:%M:%S"), count=len(active), revenue=revenue)))
    if not active:
        st.info(t("op_nothing", lang), icon=":material/check_circle:")
    for prompt in [*active, *others]:
        with st.container(border=True):
            st.html(operator_view.operator_prompt_html(prompt, group_names, now, lang, config, held))
            if not prompt.active:
                continue
            st.code(prompt.message, language=None, wrap_lines=True)
            if len(prompt.messages) > 1:
                with st.expander(t("op_other_messages", lang, count=len(prompt.messages) - 1)):
                    for index, message in enumerate(prompt.messages):
                        if index != prompt.template:
                            st.code(message, language=None, wrap_lines=True)
            # Keyed on the groups too: after a partial push the remaining groups are a new set of toggles.
            chosen = st.pills(
                t("op_groups", lang), options=list(prompt.groups), default=list(prompt.groups), selection_mode="multi",
                format_func=lambda g: text.plain(group_names.get(g, g)), key=f"op_groups_{prompt.key}_{zlib.crc32('|'.join(prompt.groups).encode())}",
            ) if prompt.groups else []
            done, hold = st.columns([3, 2])
            with done:
                st.button(t("op_push", lang), key=f"op_push_{prompt.key}", type="primary", icon=":material/done_all:", width="stretch",
                          on_click=push, args=(prompt, chosen), disabled=me is None or (bool(prompt.groups) and not chosen))
            with hold, st.popover(t("op_silence", lang), icon=":material/notifications_off:", width="stretch"):
                minutes = st.segmented_control(t("op_silence_for", lang), SILENCE_MINUTES, default=10, format_func=lambda m: t("op_minutes", lang, minutes=m),
                                               key=f"op_minutes_{prompt.key}") or 10
                st.button(t("op_silence_rule", lang), key=f"op_hush_{prompt.key}", on_click=hush, args=(minutes, prompt.rule, prompt.title), width="stretch")
                st.button(t("op_silence_all", lang), key=f"op_hush_all_{prompt.key}", on_click=hush, args=(minutes, None, prompt.title), width="stretch")

    if held:
        st.subheader(t("op_silences", lang))
        for item in held:
            left, right = st.columns([3, 1], vertical_alignment="center")
            left.caption(operator_view.silence_line(item, config, lang))
            right.button(t("op_unsilence", lang), key=f"op_end_{item.id}", on_click=operator_view.end_silence, args=(live, item.id, now))


prompt_list()
