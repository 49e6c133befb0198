"""Sign in: leads and bosses with their password (or the company's OIDC account); staff are pointed to their personal link."""

import math

import streamlit as st

from warroom import access
from warroom.i18n import fmt_duration, t
from warroom.web import auth, current, frame, language, session, text

lang = language.language()
live = session.open_event(lang)
settings = auth.access_settings(live)
frame.page_style()

_, middle, _ = st.columns([1, 2, 1])
with middle, st.container(width=460):
    top, switch = st.columns([3, 1], vertical_alignment="center")
    top.markdown(f"### {t('login_title', lang)}")
    # Names are text: Markdown in them (bold, links) shows as written (text.plain).
    top.caption(text.plain(live.config.event.name))
    with switch:
        language.language_switch(lang)

    viewer = current.signed_in()
    if viewer is not None:
        who = t(f"viewer_{viewer.role}", lang) if viewer.role in access.PASSWORD_ROLES else viewer.name or viewer.role
        st.success(t("login_signed_in", lang, who=text.plain(who)))
        if st.button(t("nav_sign_out", lang), icon=":material/logout:"):
            auth.sign_out()
        st.stop()

    if "token" in st.query_params or "kiosk" in st.query_params:
        # Only a link that did not verify leaves its visitor on this page.
        st.error(t("login_bad_link", lang))

    if settings.oidc:
        if st.user.is_logged_in:
            st.error(t("login_oidc_refused", lang, email=text.plain(st.user.get("email", ""))))
            if st.button(t("nav_sign_out", lang), key="oidc_sign_out"):
                st.logout()
        elif st.button(t("login_oidc", lang), icon=":material/badge:", type="primary", width="stretch"):
            st.login()

    roles = [role for role in access.PASSWORD_ROLES if role in settings.password_hashes]
    if not roles:
        st.warning(t("login_no_passwords", lang))
    else:
        with st.form("sign_in", border=True):
            role = st.segmented_control(
                t("login_as", lang), roles, default=roles[0], required=True, format_func=lambda key: t(f"viewer_{key}", lang), key="sign_in_role",
            )
            password = st.text_input(t("login_password", lang), type="password", key="sign_in_password")
            submitted = st.form_submit_button(t("login_submit", lang), type="primary", width="stretch")
        if submitted:
            if not password:
                st.error(t("login_empty_password", lang))
            else:
                attempt = auth.attempt_sign_in(settings, role or roles[0], password)
                if attempt.viewer is not None:
                    auth.sign_in(attempt.viewer, settings)
                elif attempt.wait_seconds > 0:
                    st.error(t("login_throttled", lang, wait=fmt_duration(math.ceil(attempt.wait_seconds), lang)), icon=":material/timer:")
                else:
                    # The same words for every failure: nothing says whether the role or the password was wrong.
                    st.error(t("login_wrong_password", lang))
                    if attempt.failures_left <= 2:
                        st.caption(t("login_tries_left", lang, count=attempt.failures_left))
        if settings.demo_hint:
            st.info(t("login_demo_hint", lang))
    st.caption(t("login_staff_hint", lang))
