"""The leaderboards: every role's board with its rank moves, the team totals, and a race of the top
order-takers over time. Commission shows only to leads and bosses; staff see their own row marked."""


import streamlit as st

from warroom import access
from warroom.i18n import fmt_int, fmt_yuan, role_label, t
from warroom.leaderboards import ranked_roles
from warroom.payouts import earned_by_staff
from warroom.web import auth, errors, frame, language, session, text
from warroom.web.charts import race_figure
from warroom.web.views import personal as personal_view
from warroom.web.views.leaderboards import board_html, headline_html, teams_html

lang = language.language()
live = session.open_event(lang)
viewer = auth.require_viewer(lang, (access.LEAD, access.BOSS, access.STAFF))
frame.page_style()
member = live.config.staff_by_id().get(viewer.staff_id or "")


@st.fragment(run_every=personal_view.BOARDS_REFRESH_SECONDS)
@errors.guarded("boards")
def boards() -> None:
    snapshot = session.take_snapshot(live, lang)
    if snapshot is None:
        return
    updated = text.event_time(snapshot.as_of, live.config).strftime("%H:%M:%S")
    total = t("boards_total", lang, amount=fmt_yuan(snapshot.revenue_fen), orders=t("orders_count", lang, count=fmt_int(snapshot.paid_orders)))
    headline, switch = st.columns([5, 1], vertical_alignment="center")
    headline.html(headline_html(t("boards_title", lang), total, t("updated_short", lang, time=updated)))
    with switch:
        language.language_switch(lang)
    # Everyone's commission is for leads and bosses only: what each member earned, team-pool share included, as their own page says.
    commission = earned_by_staff(snapshot) if viewer.sees_commission else None
    roles = [role for role in ranked_roles(live.config) if role in snapshot.leaderboards]
    if roles:
        labels = [role_label(role, lang) for role in roles]
        mine = role_label(member.role, lang) if member is not None and member.role in roles else labels[0]
        for tab, role in zip(st.tabs(labels, default=mine, key="boards_role"), roles, strict=True):
            with tab:
                st.html(board_html(snapshot.leaderboards[role], lang, me=viewer.staff_id, commission_fen=commission))
        st.caption(t("boards_move_note", lang, minutes=snapshot.rank_window_minutes))

    st.markdown(f"#### {t('boards_teams', lang)}")
    st.html(teams_html(snapshot.teams, lang, earned_fen=commission, my_team=member.team if member else None))
    if snapshot.leaderboards.get("order_taker"):
        st.plotly_chart(race_figure(live.config, snapshot, lang), key="race", config={"displayModeBar": False, "responsive": True}, theme=None)


boards()
