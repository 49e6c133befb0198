"""My ranking, for a staff member's phone: my rank, the gap to the place above, the rows around me,
my closest rival, my commission so far (mine only, never anyone else's), and what one more order would
do for a role that earns per order, or the team's way to the pool for a role paid from it."""


import streamlit as st

from warroom import access
from warroom.i18n import t
from warroom.leaderboards import MONEY_METRICS
from warroom.money import to_fen
from warroom.payouts import earns_per_order
from warroom.standings import personal_view, what_if
from warroom.web import auth, errors, frame, language, session, text
from warroom.web.views.personal import (
    PERSONAL_REFRESH_SECONDS,
    around_me_html,
    my_commission_html,
    my_rank_html,
    product_label,
    rival_html,
    suggested_product,
    team_goal_html,
    what_if_html,
)

lang = language.language()
live = session.open_event(lang)
viewer = auth.require_viewer(lang, (access.STAFF,))
frame.page_style()
products = {product.sku: product for product in live.config.products}


@st.fragment(run_every=PERSONAL_REFRESH_SECONDS)
@errors.guarded("my_page")
def my_page() -> None:
    snapshot = session.take_snapshot(live, lang)
    if snapshot is None:
        return
    try:
        view = personal_view(snapshot, live.config, viewer.staff_id or "")
    except KeyError:
        # The member left the event file since this session opened their link.
        st.error(t("login_bad_link", lang))
        return
    updated = t("updated_short", lang, time=text.event_time(snapshot.as_of, live.config).strftime("%H:%M:%S"))
    per_order = earns_per_order(snapshot, live.config, view.staff_id)
    # One element for the four cards: each element a run sends wakes the server's event loop once, and a phone
    # refreshes every second. A card with nothing to show (no rival for someone alone in their role) is empty.
    frame.show_html("".join((my_rank_html(view, lang, snapshot.rank_window_minutes, updated), around_me_html(view, lang), rival_html(view, lang),
                             my_commission_html(view, snapshot, live.config, lang, per_order=per_order))))

    if per_order:
        what_if_panel(snapshot, view)
    else:
        # A poster designer or a props hand is paid from the team pool: one more order of theirs means nothing.
        frame.show_html(team_goal_html(snapshot, lang))
    st.caption(t("my_only_mine", lang))


def what_if_panel(snapshot, view) -> None:
    """Show the what-if: a product and a quantity, and what one more such order would earn me and where it would put me."""
    with st.container(border=True):
        st.markdown(f"**{t('whatif_title', lang)}**")
        if not products:
            st.caption(t("whatif_no_products", lang))
            return
        if "whatif_sku" not in st.session_state:
            # Start with the product that would take this member up a place, when one exists.
            money_gap = view.gap_to_above if view.standing is not None and view.standing.metric in MONEY_METRICS else None
            st.session_state["whatif_sku"] = suggested_product(list(products.values()), money_gap).sku
        product_column, qty_column = st.columns([3, 1])
        sku = product_column.selectbox(
            t("whatif_product", lang), list(products), key="whatif_sku",
            format_func=lambda key: product_label(products[key]),
        )
        qty = qty_column.number_input(t("whatif_qty", lang), min_value=1, max_value=99, value=1, step=1, key="whatif_qty")
        result = what_if(snapshot, live.config, view.staff_id, to_fen(products[sku].price), int(qty))
        st.html(what_if_html(result, lang))

my_page()
language.language_switch(lang)
