"""The panel and page error boundary: a short message for the viewer, one redacted line for a lead, the detail in the server log."""

from __future__ import annotations

import functools
import logging
import re
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from warroom.i18n import t
from warroom.redact import safe_url
from warroom.web.current import is_lead
from warroom.web.language import language
from warroom.web.text import plain

log = logging.getLogger("warroom.web")


_URL_WORD = re.compile(r"^[A-Za-z][\w+.-]*://")
_WORD_EDGES = "'\"()[]{},;:<>`"


def redact_secrets(text: str) -> str:
    """Return text with every URL in it shown by redact.safe_url (its password as ***), for the server log."""
    return " ".join(_redact_word(word, keep_paths=True) for word in text.split(" "))


def error_detail(error: BaseException) -> str:
    """Return one line a lead may see about an error: its type and first line, URLs without passwords, paths cut to file names."""
    lines = str(error).strip().splitlines()
    text = f"{error.__class__.__name__}: {lines[0] if lines else ''}"
    return " ".join(_redact_word(word, keep_paths=False) for word in text.split(" "))[:300]


def _redact_word(word: str, *, keep_paths: bool) -> str:
    core = word.strip(_WORD_EDGES)
    if not core:
        return word
    if _URL_WORD.match(core):
        shown = safe_url(core)
        if not keep_paths and make_url_backend(core) == "sqlite":
            shown = "sqlite:///" + re.split(r"[\\/]", core.rstrip("/\\"))[-1]
        return word.replace(core, shown)
    if not keep_paths and (core.startswith(("/", "~", "\\")) or re.match(r"[A-Za-z]:[\\/]", core)):
        return word.replace(core, re.split(r"[\\/]", core.rstrip("/\\"))[-1] or "…")
    return word


def make_url_backend(url: str) -> str:
    """Return a store URL's backend name ("sqlite", "postgresql"), or "" when it does not parse."""
    try:
        return make_url(url).get_backend_name()
    except (ArgumentError, ValueError):
        return ""


def show_detail(error: BaseException, lang: str) -> None:
    """Show a signed-in lead one redacted line about an error, as plain text; nobody else sees anything of it."""
    if is_lead():
        st.caption(plain(t("error_detail", lang, detail=error_detail(error))))


def log_failure(what: str, error: BaseException) -> None:
    """Log a failure with its traceback on the server, with any store URL's password hidden."""
    log.error("%s failed:\n%s", what, redact_secrets("".join(traceback.format_exception(error))).rstrip())


@contextmanager
def panel(name: str, lang: str) -> Iterator[None]:
    """Run one panel; when it fails, put a short message where it was, log the detail, and let the rest of the page go on."""
    slot = st.empty()
    try:
        with slot.container():
            yield
    except Exception as error:  # a panel is a boundary: whatever it raises, the others keep running
        log_failure(f"panel {name}", error)
        with slot.container():
            st.error(t("panel_failed", lang), icon=":material/error:")
            show_detail(error, lang)


def guarded(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Return a decorator that runs a panel function (a fragment's body) inside `panel`, in the page's language."""
    def wrap(function: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(function)
        def run(*args, **kwargs) -> None:
            with panel(name, language()):
                function(*args, **kwargs)
        return run
    return wrap


@contextmanager
def page_boundary() -> Iterator[None]:
    """Run a page; when it fails, show the short message (in the page's language) under what it drew and log the detail (st.stop and st.rerun pass)."""
    try:
        yield
    except Exception as error:  # the last boundary of a run: nothing of the exception reaches the viewer
        page_failed(error)


def page_failed(error: Exception) -> bool:
    """Show the short message for a page (or a button's callback) that failed, and log it; the app-wide on_script_error hook."""
    log_failure("page", error)
    lang = language()
    st.error(t("page_failed", lang), icon=":material/error:")
    show_detail(error, lang)
    return True  # Streamlit shows nothing of the exception itself


def one_line(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    return f"{error.__class__.__name__}: {lines[0] if lines else ''}"


