"""The page's language: read from `?lang=`, kept across pages, switched by a button."""

from __future__ import annotations

import streamlit as st

from warroom.i18n import normalize_lang, t

_LANG_KEY = "warroom_lang"


def language() -> str:
    """Return the page's language from `?lang=`: "en" for English, else "zh"."""
    return normalize_lang(st.query_params.get("lang"))


def remember_language() -> None:
    """Keep `?lang=` across pages: moving between pages clears the query string, so put it back from the session."""
    given = st.query_params.get("lang")
    if given is not None:
        st.session_state[_LANG_KEY] = normalize_lang(given)
    elif st.session_state.get(_LANG_KEY) == "en":
        st.query_params["lang"] = "en"


def language_switch(lang: str, key: str = "language_switch") -> None:
    """Show a small button, right-aligned, that switches the language without reloading the page."""
    if st.container(horizontal=True, horizontal_alignment="right").button(t("switch_language", lang), key=key, type="tertiary", icon=":material/translate:"):
        other = "zh" if lang == "en" else "en"
        st.session_state[_LANG_KEY] = other
        st.query_params["lang"] = other
        st.rerun()

