"""What may be shown of a secret: a store URL, or a message that quotes its password, with the password as `***` (SPEC §5)."""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


def safe_url(url: str) -> str:
    """Return a store URL fit to print, log or show: its password replaced by `***`, or a placeholder when it does not parse."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        # A URL SQLAlchemy cannot read may still hold a password: show only its scheme.
        scheme = url.split(":", 1)[0] if ":" in url else ""
        return f"{scheme}://***" if scheme.isidentifier() else "***"


def hide_password(text: str, url: str) -> str:
    """Return a driver's message with the URL's password, should it quote it, replaced by ***."""
    try:
        password = make_url(url).password
    except (ArgumentError, ValueError):  # an unreadable URL was refused before; hide nothing more then
        password = None
    return text.replace(str(password), "***") if password else text
