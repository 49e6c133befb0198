"""The setup page's plan (倒推): the new event's goal worked back from the earlier event in `[[history]]`, and the groups as they fill.

For a lead preparing the next campaign: the payers, group members and live entrants needed (SPEC
§7), what that means for each order-taker a day, and, refreshed every few seconds, the group
membership so far against the need, with each order-taker's invites.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import streamlit as st

from warroom.i18n import fmt_int, fmt_pct, fmt_yuan, t
from warroom.plan import Plan, membership, plan_from
from warroom.web import errors
from warroom.web.errors import show_detail
from warroom.web.session import LiveEvent, take_snapshot
from warroom.web.templating import render, style_tag
from warroom.web.views.compare import earlier_of

PLAN_REFRESH_SECONDS = 10


def _ratio(value) -> str:
    return "—" if value is None else fmt_pct(Decimal(value.numerator) / value.denominator)


def tiles_html(plan: Plan, lang: str) -> str:
    """Return the plan as tiles: the goal, then each need with the earlier ratio it comes from; every text escaped."""
    figures = plan.figures
    aov = Decimal(figures.aov.numerator) / figures.aov.denominator if figures.aov is not None else None
    needed = lambda value: fmt_int(value) if value is not None else "—"  # noqa: E731 - a one-line formatter
    tiles = [
        (t("plan_base", lang), fmt_yuan(figures.base_fen), t("plan_from", lang, earlier=plan.earlier), "gold"),
        (t("plan_payers", lang), needed(figures.payers_needed), t("plan_at_aov", lang, aov=fmt_yuan(aov) if aov is not None else "—"), ""),
        (t("plan_members", lang), needed(figures.members_needed), t("plan_at_payer_rate", lang, rate=_ratio(figures.payer_rate)), ""),
        (t("plan_entrants", lang), needed(figures.entrants_needed), t("plan_at_conversion", lang, rate=_ratio(figures.conversion)), ""),
    ]
    return render("plan/tiles.html", tiles=[{"label": label, "value": value, "sub": sub, "css": css} for label, value, sub, css in tiles])


def takers_html(plan: Plan, lang: str) -> str:
    """Return what the plan means for each order-taker: invites each, and a day over `[plan] invite_days`."""
    if plan.invites_each is None:
        return ""
    return render("plan/takers.html", text=t("plan_per_taker", lang, count=plan.order_takers, days=plan.invite_days),
                  each=fmt_int(plan.invites_each), a_day=fmt_int(plan.invites_each_a_day), each_label=t("plan_each", lang), a_day_label=t("plan_a_day", lang))


def show_plan(live: LiveEvent, lang: str) -> None:
    """Show the plan worked back from the first `[[history]]` event, and the groups filling against it, live."""
    st.html(style_tag("campaigns.css"))
    st.markdown(f"#### {t('plan_title', lang)}")
    if not live.config.history:
        st.info(t("plan_no_history", lang), icon=":material/history:")
        return
    earlier, error = earlier_of(live)
    if earlier is None:
        st.warning(t("cmp_unavailable", lang), icon=":material/history:")
        show_detail(error, lang)
        return
    plan = plan_from(live.config, earlier)
    st.caption(t("plan_caption", lang, earlier=earlier.label))
    st.html(tiles_html(plan, lang))
    for problem in plan.figures.problems:
        st.warning(t(problem, lang), icon=":material/info:")
    body = takers_html(plan, lang)
    if body:
        st.html(body)

    @st.fragment(run_every=PLAN_REFRESH_SECONDS)
    @errors.guarded("plan")
    def filling() -> None:
        snapshot = take_snapshot(live, lang)
        if snapshot is None:
            return
        members = membership(plan, live.config, snapshot.funnel.get("joined", 0), live.figures.store.checkins_by_staff("invite"))
        if members.needed:
            st.progress(float(members.share), text=t("plan_joined", lang, joined=fmt_int(members.joined), needed=fmt_int(members.needed), share=fmt_pct(members.share)))
        else:
            st.caption(t("plan_joined_only", lang, joined=fmt_int(members.joined)))
        if members.takers and plan.invites_each:
            frame = pd.DataFrame({
                t("plan_col_taker", lang): [row.name for row in members.takers],
                t("plan_col_invited", lang): [row.invited for row in members.takers],
                t("plan_col_needed", lang): [row.needed for row in members.takers],
                t("plan_col_progress", lang): [min(row.invited / row.needed, 1.0) if row.needed else 0.0 for row in members.takers],
            })
            st.dataframe(frame, hide_index=True, key="plan_takers", column_config={
                t("plan_col_progress", lang): st.column_config.ProgressColumn(format="percent", min_value=0.0, max_value=1.0),
            })

    filling()
