"""Setup, for the team lead: the event at a glance, the health of the feeds, and everyone's personal
link as a QR code (plus the kiosk link for the TV)."""

import streamlit as st

from warroom import access, links
from warroom.i18n import fmt_duration, fmt_int, role_label, t
from warroom.web import auth, errors, frame, language, session, text
from warroom.web.views import notify_status
from warroom.web.views import plan as plan_view
from warroom.web.views import setup as setup_view
from warroom.web.views.setup import feed_rows, flash_sale_rows, glance_html, session_rows, staff_by_role, staff_rows

lang = language.language()
live = session.open_event(lang)
auth.require_viewer(lang, (access.LEAD,))
settings = auth.access_settings(live)
config = live.config
frame.page_style()

title, switch = st.columns([4, 1], vertical_alignment="center")
title.markdown(f"## {t('setup_title', lang)} · {text.plain(config.event.name)}")
with switch:
    language.language_switch(lang)
if config.access.demo_hint:
    st.warning(t("setup_demo_warning", lang), icon=":material/warning:")
# The SQLite store file was deleted or replaced while the app served, and was opened again.
store_notice = session.store_notice(live, lang)
if store_notice:
    st.warning(store_notice, icon=":material/database:")

st.markdown(f"#### {t('setup_event', lang)}")
st.html(glance_html(config, lang))
sessions, sales, people = st.tabs([t("setup_sessions", lang), t("setup_flash_sales", lang), t("setup_staff", lang)])
sessions.dataframe(session_rows(config, lang), hide_index=True)
sales.dataframe(flash_sale_rows(config, lang), hide_index=True)
people.dataframe(staff_rows(config, lang), hide_index=True)


@st.fragment(run_every=setup_view.SETUP_REFRESH_SECONDS)
@errors.guarded("feeds")
def feeds() -> None:
    st.markdown(f"#### {t('setup_feeds', lang)}")
    health = session.feeds_health(live)
    if health.ingest_running and health.ingest_heartbeat is not None:
        ago = fmt_duration((health.wall_as_of - health.ingest_heartbeat).total_seconds(), lang)
        st.success(t("setup_ingest_running", lang, ago=ago), icon=":material/sync:")
    else:
        st.warning(t("setup_ingest_stopped", lang), icon=":material/sync_problem:")
    st.dataframe(feed_rows(health, config, lang), hide_index=True)
    if health.quarantined:
        st.warning(t("setup_quarantine_note", lang, count=fmt_int(health.quarantined)))


feeds()
notify_status.panel(live, lang)
plan_view.show_plan(live, lang)

st.markdown(f"#### {t('setup_links', lang)}")
st.caption(t("setup_links_note", lang))
# Built on [server] public_url, else this machine's LAN address: never the address this browser happens to use (localhost).
link_base = links.base_url(config, int(st.get_option("server.port")))
base_url = link_base.url
frame.show_html(setup_view.lan_warning_html(link_base, lang))
if settings.link_secret:
    kiosk_url = access.link(base_url, lang, kiosk=access.kiosk_token(settings.link_secret))
    with st.container(border=True):
        code, words = st.columns([1, 4], vertical_alignment="center")
        code.image(frame.qr_png(kiosk_url), width=160)
        words.markdown(f"**{t('setup_kiosk', lang)}**")
        words.caption(t("setup_kiosk_note", lang))
        words.code(kiosk_url, language=None, wrap_lines=True)
if not settings.has_links:
    st.warning(t("setup_no_links", lang))
else:
    grouped = staff_by_role(config)
    roles = list(grouped)
    role = st.segmented_control(
        t("setup_links_role", lang), roles, default="order_taker" if "order_taker" in grouped else roles[0], required=True,
        format_func=lambda key: f"{role_label(key, lang)} ({len(grouped[key])})", key="links_role",
    )
    members = grouped.get(role or roles[0], [])
    per_row = 4
    for start in range(0, len(members), per_row):
        for column, member in zip(st.columns(per_row), members[start:start + per_row], strict=False):
            token = access.token_for(settings, member.id)
            if token is None:
                continue
            url = access.link(base_url, token=token)
            with column.container(border=True):
                st.image(frame.qr_png(url), width=170)
                st.html(setup_view.qr_label_html(member.name, member.id))
                st.code(url, language=None, wrap_lines=True)
