"""Who is looking in this session: the viewer it signed in as (kept by warroom.web.auth), and what that lets them see."""

from __future__ import annotations

import streamlit as st

from warroom import access


def is_lead() -> bool:
    """Return whether this session's viewer is a signed-in team lead (the only viewer shown any error detail)."""
    viewer = signed_in()
    return viewer is not None and viewer.role == access.LEAD


def signed_in() -> access.Viewer | None:
    """Return the viewer this session signed in as, or None."""
    return st.session_state.get(access.SESSION_KEY)


def keeps_navigation() -> bool:
    """Return whether this session's viewer navigates between pages (a lead, a boss, staff), unlike the TV's kiosk link."""
    viewer = signed_in()
    return viewer is not None and viewer.role != access.KIOSK

