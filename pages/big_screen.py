"""The big screen: revenue, goals, pace, the revenue line and the top order-takers, for a TV across the room.

The rail on the right: a clock, the countdown to the next flash sale, the prompts, a ticker of big
orders, and a celebration when a milestone or a goal is crossed. The board and the rail re-run together
as one fragment every second (see `screen`), so that nothing flickers.
"""

import time

import streamlit as st

from warroom import access
from warroom.schedule import flash_sales, milestone_kind, newly_reached, next_flash_sale
from warroom.ticker import big_order_fen
from warroom.web import auth, charts, errors, frame, language, session
from warroom.web.views import big_screen as big_screen_view
from warroom.web.views import compare as compare_view
from warroom.web.views import rail as rail_view

lang = language.language()
frame.kiosk_mode()
live = session.open_event(lang)
# app.py routes only leads and the TV's kiosk link here; the page checks again, as every page does.
auth.require_viewer(lang, (access.LEAD, access.KIOSK))
frame.rail_styles()
# A kiosk link's &rotate=N turns the board every N seconds (or the event file's [big_screen] rotate_seconds).
rotate_period = big_screen_view.rotate_seconds(st.query_params.get("rotate"), live.config)


# Each panel is a boundary (errors.panel): one that fails says so in its place, and the others keep running.


@errors.guarded("live_board")
def live_board() -> None:
    snapshot = session.take_snapshot(live, lang)
    if snapshot is None:
        return
    with errors.panel("header", lang):
        st.html(big_screen_view.header_html(live.config, snapshot, lang))
    history = compare_view.tv_history(live, snapshot.as_of)  # the [[history]] event at the same live minute, or None
    revenue, tiles = st.columns([11, 9], gap="medium")
    with revenue, errors.panel("revenue", lang):
        st.html(big_screen_view.revenue_html(live.config, snapshot, lang, history))
    with tiles, errors.panel("kpi_tiles", lang):
        # After the last session, the show's result takes the pace tiles' place: there is no pace left to judge.
        st.html(big_screen_view.summary_html(live.config, snapshot, lang) if snapshot.pace.finished else big_screen_view.kpi_tiles_html(snapshot, lang))
    room = big_screen_view.live_room_html(snapshot, lang)
    if room:
        with errors.panel("live_room", lang):
            st.html(room)
    chart, board = st.columns([11, 9], gap="medium")
    with chart, errors.panel("revenue_line", lang):
        # As tall as the leaderboard card beside it, which scales with the screen.
        st.plotly_chart(charts.live_revenue_figure(live, snapshot, lang, history), config=charts.STATIC_CHART, theme=None, key="revenue_line", height="stretch")
    with board, errors.panel("leaderboard", lang):
        st.html(big_screen_view.board_html(snapshot, lang, rotate_period, time.time()))


# -- the rail --------------------------------------------------------------------------------------
# The clock and the countdown tick in the browser, from the time the server sends with each run.


def clock_and_countdown() -> None:
    now = session.event_now(live)
    with errors.panel("clock", lang):
        # The one element that runs a script: ours, from a template, with no text from the event or the feeds in it.
        st.html(rail_view.clock_html(now, live.config, lang, rate=session.event_clock_rate(live)), unsafe_allow_javascript=True)
    with errors.panel("countdown", lang):
        st.html(rail_view.countdown_html(next_flash_sale(live.config, now), now, live.config, lang))


@errors.guarded("prompts")
def prompts_panel() -> None:
    now = session.event_now(live)
    st.html(rail_view.prompts_panel_html(session.live_prompts(live, now), flash_sales(live.config), now, live.config, lang))


def big_orders_and_celebration() -> None:
    now = session.event_now(live)
    orders = None
    with errors.panel("ticker", lang):
        orders = session.big_orders(live, now)
        st.html(rail_view.ticker_html(orders, now, live.config, lang, big_order_fen(live.config)))
    if orders is not None:
        with errors.panel("callout", lang):
            callout(orders)
    with errors.panel("celebration", lang):
        celebration()


def callout(orders: list) -> None:
    """A big order's callout, once per order per screen, for the orders that arrive while the screen is up."""
    order, seen = rail_view.newly_called_out(orders, st.session_state.get("orders_seen"), rail_view.callout_fen(live.config))
    st.session_state["orders_seen"] = seen
    if order is not None:
        st.session_state["calling_out"] = (order, time.monotonic())
    showing = st.session_state.get("calling_out")
    if showing and time.monotonic() - showing[1] < rail_view.CALLOUT_SECONDS:
        st.html(rail_view.callout_html(showing[0], live.config, lang))


def celebration() -> None:
    """Balloons once per milestone per session, for the milestones crossed while the screen is up."""
    seen = st.session_state.setdefault("milestones_seen", None)
    snapshot = session.take_snapshot(live, lang)
    if snapshot is None:
        return
    crossed = newly_reached(live.config, snapshot.revenue_fen, seen)
    if seen is None:
        st.session_state["milestones_seen"] = set(crossed)
    elif crossed:
        seen.update(crossed)
        st.session_state["celebrating"] = (max(crossed), time.monotonic())
        st.balloons()
    showing = st.session_state.get("celebrating")
    if showing and time.monotonic() - showing[1] < rail_view.CELEBRATION_SECONDS:
        st.html(rail_view.celebration_html(showing[0], milestone_kind(live.config, showing[0]), lang))


# One fragment for the whole screen, every second. Thirty TVs with a fragment per panel asked the server
# for about seventy runs a second; a run starts a script thread, hands its messages to the event loop and
# queues any other fragment of its session behind it, so on a busy machine each run waited 0.4 s (p50)
# to 2 s (p95), and a TV's clock skipped every other second (bench/viewers.py; the README's numbers).
# One run a second per TV is fewer runs and no queue within a session, and every panel reads the
# figures, the prompts and the big orders that all sessions share (warroom.web.session).
SCREEN_SECONDS = 1


@st.fragment(run_every=SCREEN_SECONDS)
def screen() -> None:
    board, rail = st.columns([15, 5], gap="medium")
    with board:
        live_board()
    with rail:
        clock_and_countdown()
        prompts_panel()
        big_orders_and_celebration()


screen()
# The store file was deleted or replaced under the app, and opened again: the TV says so at its foot.
notice = session.store_notice(live, lang)
if notice:
    st.html(big_screen_view.footer_notice_html(notice))
