"""The event file's network sections: `[server]` (the address links are built on) and `[intake]` (the HTTP intake's secret)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from warroom.config.base import _Strict

PUBLIC_URL_ENV = "WARROOM_PUBLIC_URL"
PUBLIC_URL_EXPECTED = "an http:// or https:// address with a host and no query or fragment, such as https://warroom.example.com"
# An intake secret signs every pushed body (HMAC-SHA256): a short one can be guessed.
MIN_INTAKE_SECRET_LENGTH = 16


def got_url(value: str) -> str:
    """Return ", got '…'" to end an error about a public URL, or "" when the text may hold a user's password (an @)."""
    return "" if "@" in value else f", got {value[:200]!r}"


def public_url_problem(value: str) -> str | None:
    """Return what is wrong with a public URL (as the expected-value part of an error), or None when links can be built on it."""
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError for a port that is not a number or out of range
    except ValueError:
        return PUBLIC_URL_EXPECTED
    del port
    bad_text = any(char.isspace() or ord(char) < 32 or char in "\\<>\"'" for char in value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment or "?" in value or "#" in value or bad_text:
        return PUBLIC_URL_EXPECTED
    if parts.username is not None or parts.password is not None:
        return f"{PUBLIC_URL_EXPECTED}, without a user or password"
    return None


class ServerSettings(_Strict):
    """`[server]`: where phones and TVs reach the app. Every staff link, the kiosk link and their QR codes are built on `public_url`."""

    public_url: str | None = Field(
        None,
        description=(
            f"The address phones open, e.g. https://warroom.example.com or http://192.168.1.20:8501; {PUBLIC_URL_ENV} overrides it. "
            "Unset: this machine's LAN address and the app's port, which phones off this network cannot open."
        ),
    )

    @field_validator("public_url")
    @classmethod
    def _usable(cls, value: str | None) -> str | None:
        if value is None:
            return None
        problem = public_url_problem(value)
        if problem:
            raise ValueError(f"{problem}{got_url(value)}")
        return value.rstrip("/")


class IntakeSettings(_Strict):
    """`[intake]`: the HTTP intake (SPEC §6). Without this section the intake answers 404."""

    secret: str = Field(
        description=f"The HMAC-SHA256 key of the X-Warroom-Signature header, at least {MIN_INTAKE_SECRET_LENGTH} characters (python -m warroom.access secret makes one)."
    )

    @field_validator("secret", mode="before")
    @classmethod
    def _long_enough(cls, value: Any) -> str:
        # Checked before pydantic's own checks, whose messages would quote the value: it is a secret (SPEC §5).
        if not isinstance(value, str) or len(value.strip()) < MIN_INTAKE_SECRET_LENGTH:
            raise ValueError(f"a text secret of at least {MIN_INTAKE_SECRET_LENGTH} characters (python -m warroom.access secret makes one)")
        return value
