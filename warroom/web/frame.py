"""The page frame: the browser title and layout, each page's CSS, and the small shared widgets (an HTML panel, a QR code, the app's address)."""

from __future__ import annotations

import io

import qrcode
import streamlit as st

from warroom import access
from warroom.figures import Snapshot
from warroom.i18n import t
from warroom.web.auth import require_viewer
from warroom.web.current import keeps_navigation
from warroom.web.session import LiveEvent, open_event, take_snapshot
from warroom.web.templating import render, style_tag

DEFAULT_BASE_URL = "http://localhost:8501"
# Below this width Streamlit draws the page menu over the page (the » button); a phone is 360-430 px wide.
PHONE_MEDIA = "(max-width: 767.98px)"


def configure_app(lang: str) -> None:
    """Set the browser title and the wide layout, and load the shared CSS; call once, first, in app.py."""
    st.set_page_config(page_title=t("app_title", lang), page_icon=":material/monitoring:", layout="wide", initial_sidebar_state="collapsed")
    st.html(style_tag("base.css", "phone_menu.css"))
    # Our own template, with no viewer's text in it: the script that closes the page menu after a choice on a phone.
    st.html(render("frame/phone_menu.html", media=PHONE_MEDIA), unsafe_allow_javascript=True)


def kiosk_mode() -> None:
    """Hide Streamlit's header, toolbar, menu and footer, and keep refreshed panels from fading."""
    # A signed-in lead keeps the top navigation (signed_in_screen.css); the TV's kiosk link shows nothing else.
    st.html(style_tag("kiosk.css", "big_screen.css", *(["signed_in_screen.css"] if keeps_navigation() else [])))


def show_html(body: str) -> None:
    """Show an HTML panel, or nothing when it is empty (st.html refuses an empty body)."""
    if body:
        st.html(body)


def page_style() -> None:
    """Load the CSS of the personal, leaderboard and setup pages."""
    st.html(style_tag("page.css"))


def on_phone() -> bool:
    """Return whether the browser says it is a phone (its User-Agent has "Mobile"): for charts too crowded to label in full there."""
    try:
        agent = st.context.headers.get("User-Agent") or ""
    except (AttributeError, RuntimeError, KeyError):
        return False
    return isinstance(agent, str) and "Mobile" in agent


def app_base_url(page_path: str) -> str:
    """Return the app's address as the browser sees it (without the page's path), else http://localhost:8501."""
    try:
        url = st.context.url or ""
    except (AttributeError, RuntimeError):
        url = ""
    url = url.split("?")[0].split("#")[0].rstrip("/")
    if page_path and url.endswith("/" + page_path):
        url = url[: -len(page_path) - 1]
    return url or DEFAULT_BASE_URL


@st.cache_data(show_spinner=False, max_entries=512)
def qr_png(text: str) -> bytes:
    """Return a QR code of `text` as PNG bytes."""
    code = qrcode.QRCode(border=2, box_size=8, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()


def rail_styles() -> None:
    """Load the CSS of the big screen's rail (clock, countdown, prompts, ticker, celebration)."""
    st.html(style_tag("rail.css"))


def boss_styles() -> None:
    """Load the CSS of the commission, review and operator pages."""
    st.html(style_tag("boss.css"))


def open_boss_page(lang: str) -> tuple[LiveEvent, Snapshot]:
    """Open the event for the commission or review page: check the viewer may see it, load the CSS, take the figures (else stop)."""
    live = open_event(lang)
    require_viewer(lang, access.COMMISSION_ROLES)
    boss_styles()
    snapshot = take_snapshot(live, lang)
    if snapshot is None:
        st.stop()
    return live, snapshot

