"""Commission, for leads and bosses: each person's commission by price band, the team pool and its shares,
pending vs final, what was paid and what is owed or clawed back, and the payout sheet as XLSX."""

import streamlit as st

from warroom.i18n import t
from warroom.payouts import payout_sheet, payout_totals
from warroom.web import charts, frame, language, text
from warroom.web.exports import XLSX_MIME, payout_table, payout_workbook
from warroom.web.views import boss as boss_view
from warroom.web.views import commission as commission_view

lang = language.language()
live, snapshot = frame.open_boss_page(lang)
config = live.config
rows = payout_sheet(snapshot, config)
as_of = text.event_time(snapshot.data_as_of, config).strftime("%Y-%m-%d %H:%M:%S")

head, refresh = st.columns([5, 1], vertical_alignment="bottom")
with head:
    st.title(t("cm_title", lang))
    st.caption(t("cm_caption", lang, event=text.plain(config.event.name), time=as_of))
with refresh:
    st.button(t("cm_refresh", lang), icon=":material/refresh:", width="stretch")

st.html(commission_view.status_html(snapshot.commission_status, snapshot.refund_deadline or config.event.refund_deadline, config, lang))

totals = payout_totals(rows)
pool = snapshot.team_pool
st.html(commission_view.commission_kpis_html(snapshot, totals, lang))

chart, side = st.columns([3, 2], gap="large")
with chart:
    st.subheader(t("cm_by_band", lang))
    if totals.earners:
        st.plotly_chart(charts.commission_figure(rows, config, lang), config={"displayModeBar": False}, key="commission_by_band")
    else:
        st.info(t("cm_nothing_yet", lang))
with side:
    st.subheader(t("cm_pool", lang))
    st.html(commission_view.pool_html(snapshot, config, lang))
    if pool.unlocked and pool.split == "by_revenue" and pool.shares_fen:
        names = {member.id: member.name for member in config.staff}
        st.dataframe(
            {t("ex_name", lang): [names.get(sid, sid) for sid in pool.shares_fen], t("cm_pool_share", lang): [float(fen) / 100 for fen in pool.shares_fen.values()]},
            hide_index=True, column_config={t("cm_pool_share", lang): st.column_config.NumberColumn(format="¥%,.2f")},
        )

st.subheader(t("cm_people", lang))
table = payout_table(snapshot, config, lang)
st.caption(t("cm_people_note", lang))
boss_view.show_table(table, key="payout_table")

date = text.event_time(snapshot.as_of, config).strftime("%Y%m%d-%H%M")
st.download_button(
    t("cm_download", lang), data=payout_workbook(snapshot, config, lang), file_name=boss_view.safe_file_name(t("ex_payout_sheet", lang), config.event.name, date, suffix="xlsx"),
    mime=XLSX_MIME, on_click="ignore", type="primary", icon=":material/download:",
)
