"""Sign-in: passwords (throttled), personal and kiosk links, OIDC, the HttpOnly cookie and its route, signing out, and which viewer may open a page."""

from __future__ import annotations

import secrets as random_secrets
import threading
import time
from datetime import UTC, datetime
from urllib.parse import urlencode

import streamlit as st
from starlette.responses import RedirectResponse
from starlette.routing import Route

from warroom import access
from warroom.i18n import t
from warroom.web.current import signed_in
from warroom.web.session import LiveEvent
from warroom.web.templating import render


def _secrets() -> dict:
    """Return the Streamlit secrets as a plain dict; empty without a secrets file."""
    try:
        return st.secrets.to_dict()
    except (FileNotFoundError, KeyError):
        # StreamlitSecretNotFoundError (no file, or one that does not parse) is a FileNotFoundError.
        return {}


def access_settings(live: LiveEvent) -> access.AccessSettings:
    """Return the event's passwords and link secret, the secrets file's over the event file's."""
    return access.access_settings(live.config, _secrets())


_SESSION_TOKEN_KEY = "warroom_session_token"  # the token this session's sign-in is kept under
_COOKIE_WANTED_KEY = "warroom_cookie_wanted"  # the cookie the browser should hold: a token, or "" for none
_SIGNED_OUT_KEY = "warroom_signed_out"  # this session signed out: its browser's cookie no longer counts
_COOKIE_SENT_KEY = "warroom_cookie_sent"  # the cookie this session already sent the browser to SESSION_ROUTE for
_SESSION_ID_KEY = "warroom_session_id"  # throttles this session's wrong passwords


@st.cache_resource(show_spinner=False)
def login_throttle() -> access.LoginThrottle:
    """Return the process's count of wrong passwords, per client and role, and each role's budget of them."""
    return access.LoginThrottle()


@st.cache_resource(show_spinner=False)
def _signed_out_tokens() -> set[str]:
    # Tokens signed out before they expired; a restart forgets them, and they still expire.
    return set()


def request_cookie(name: str) -> str | None:
    """Return a cookie the browser sent when this session connected, or None."""
    try:
        value = st.context.cookies.get(name)
    except (AttributeError, RuntimeError, KeyError):
        return None
    return value if isinstance(value, str) else None


def attempt_sign_in(settings: access.AccessSettings, role: str, password: str) -> access.SignInAttempt:
    """Return what a password gives, throttled per client (address and browser session) and role (see warroom.access.LoginThrottle)."""
    session = st.session_state.setdefault(_SESSION_ID_KEY, random_secrets.token_hex(8))
    try:
        address = st.context.ip_address
    except (AttributeError, RuntimeError):
        address = None
    client = access.client_key(address if isinstance(address, str) else None, session)
    return access.attempt_sign_in(settings, login_throttle(), role, password, client=client, now=time.monotonic())


def _viewer_from_cookie(settings: access.AccessSettings) -> access.Viewer | None:
    token = request_cookie(access.SESSION_COOKIE)
    if not token or st.session_state.get(_SIGNED_OUT_KEY) or token in _signed_out_tokens():
        return None
    viewer = access.viewer_from_session_token(settings, token, datetime.now(UTC))
    if viewer is not None:
        st.session_state[_SESSION_TOKEN_KEY] = token
    return viewer


SESSION_ROUTE = "/_warroom/session"  # where the browser is sent to have its sign-in cookie written or removed
_COOKIE_CODE_SECONDS = 60.0  # a code that hands a cookie to that route is good for this long, once
_cookie_codes: dict[str, tuple[str, float]] = {}  # one-use code -> (the cookie's value, "" to remove it; when the code expires)
_cookie_codes_lock = threading.Lock()


def cookie_code(value: str, now: float) -> str:
    """Return a one-use code that SESSION_ROUTE exchanges for writing `value` as the sign-in cookie ("" removes it)."""
    code = random_secrets.token_urlsafe(18)
    with _cookie_codes_lock:
        for old in [key for key, (_, expires) in _cookie_codes.items() if expires <= now]:
            del _cookie_codes[old]
        _cookie_codes[code] = (value, now + _COOKIE_CODE_SECONDS)
    return code


def redeem_cookie_code(code: str, now: float) -> str | None:
    """Return the cookie value a code was made for, once, while it is fresh; None for an unknown, used or expired code."""
    with _cookie_codes_lock:
        value, expires = _cookie_codes.pop(code, ("", 0.0))
    return value if expires > now else None


def write_session_cookie(page_path: str = "") -> None:
    """Have the browser fetch SESSION_ROUTE when its sign-in cookie should change, which writes it HttpOnly; call in app.py.

    A script in the page cannot write an HttpOnly cookie, so the page only sends the browser to the
    route with a one-use code; the route writes (or removes) the cookie and sends the browser back
    to `page_path` (the page the run shows, "" for the front page) with the page's query.
    """
    wanted = st.session_state.get(_COOKIE_WANTED_KEY)
    if wanted is None or wanted == (request_cookie(access.SESSION_COOKIE) or "") or st.session_state.get(_COOKIE_SENT_KEY) == wanted:
        return
    st.session_state[_COOKIE_SENT_KEY] = wanted  # once: the browser comes back from the route in a new session
    query = urlencode(st.query_params.to_dict())
    # Worked out here, not from the browser's address, which may still be the one before the sign-in's rerun.
    target = {"code": cookie_code(wanted, time.monotonic()), "next": f"/{page_path}" + (f"?{query}" if query else "")}
    st.html(render("session_cookie.html", route=f"{SESSION_ROUTE}?", target=target),
            unsafe_allow_javascript=True)


def _safe_next(target: str) -> str:
    # Only a path of this site: never another host (//evil.example, /\\evil.example) to send a signed-in browser to.
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) and "\\" not in target else "/"


async def _session_route(request):
    """Write (or remove) the sign-in cookie a one-use code names, HttpOnly, SameSite=Lax, Secure over https; then go back."""
    value = redeem_cookie_code(request.query_params.get("code", ""), time.monotonic())
    response = RedirectResponse(_safe_next(request.query_params.get("next", "/")), status_code=303)
    response.headers["Cache-Control"] = "no-store"
    if value is not None:
        forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
        secure = request.url.scheme == "https" or forwarded == "https"
        if value:
            response.set_cookie(access.SESSION_COOKIE, value, max_age=int(access.SESSION_HOURS * 3600), path="/",
                                httponly=True, samesite="lax", secure=secure)
        else:
            response.delete_cookie(access.SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure)
    return response


def http_routes() -> list:
    """Return the HTTP routes the app serves beside Streamlit's: the sign-in cookie's."""
    return [Route(SESSION_ROUTE, _session_route, methods=["GET"])]


def current_viewer(live: LiveEvent, settings: access.AccessSettings) -> access.Viewer | None:
    """Return who is looking: a personal or kiosk link in the URL, else this session's sign-in, else an OIDC sign-in."""
    params = st.query_params
    if "kiosk" in params or "token" in params:
        if "kiosk" in params:
            found = access.viewer_from_kiosk(settings, params.get("kiosk"))
        else:
            found = access.viewer_from_token(settings, live.config, params.get("token"))
        if found is None:
            # A wrong link signs the session out: the login page says the link is not valid.
            st.session_state.pop(access.SESSION_KEY, None)
            return None
        st.session_state[access.SESSION_KEY] = found
        return found
    viewer = signed_in()
    if viewer is None:
        # A reload: the sign-in cookie of an earlier session in this browser.
        viewer = _viewer_from_cookie(settings)
        if viewer is not None:
            st.session_state[access.SESSION_KEY] = viewer
    if viewer is None and settings.oidc and st.user.is_logged_in:
        viewer = access.viewer_from_email(settings, st.user.get("email"))
        if viewer is not None:
            st.session_state[access.SESSION_KEY] = viewer
    if viewer is not None and viewer.via == "link" and viewer.staff_id:
        # Moving between pages clears the query string; put the link back so that a reload keeps working.
        token = access.token_for(settings, viewer.staff_id)
        if token:
            st.query_params["token"] = token
    elif viewer is not None and viewer.via == "kiosk" and settings.link_secret:
        st.query_params["kiosk"] = access.kiosk_token(settings.link_secret)
    return viewer


def sign_in(viewer: access.Viewer, settings: access.AccessSettings) -> None:
    """Keep a viewer in this session (and, for a password sign-in, in a cookie for the reloads) and rerun, so that the navigation becomes theirs."""
    st.session_state[access.SESSION_KEY] = viewer
    st.session_state.pop(_SIGNED_OUT_KEY, None)
    token = access.session_token(settings, viewer, datetime.now(UTC))
    if token:
        st.session_state[_SESSION_TOKEN_KEY] = st.session_state[_COOKIE_WANTED_KEY] = token
    # A refused link left in the address would sign the session straight out again.
    for name in ("token", "kiosk"):
        st.query_params.pop(name, None)
    st.rerun()


def sign_out() -> None:
    """Forget this session's viewer (and end an OIDC sign-in), then show the login page: the sign-out menu item."""
    viewer = st.session_state.pop(access.SESSION_KEY, None)
    # The token stops working in this process at once; the browser is told to drop the cookie.
    for token in (st.session_state.pop(_SESSION_TOKEN_KEY, None), request_cookie(access.SESSION_COOKIE)):
        if token:
            _signed_out_tokens().add(token)
    st.session_state[_SIGNED_OUT_KEY] = True
    st.session_state[_COOKIE_WANTED_KEY] = ""
    if viewer is not None and viewer.via == "oidc":
        st.logout()
    st.rerun()


def require_viewer(lang: str, roles: tuple[str, ...]) -> access.Viewer:
    """Return the signed-in viewer when their role may see this page; else say so and stop the page."""
    viewer = signed_in()
    if viewer is None or viewer.role not in roles:
        st.warning(t("access_staff_only" if access.STAFF in roles and viewer is not None else "access_denied", lang))
        st.stop()
    return viewer


