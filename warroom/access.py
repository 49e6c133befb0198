"""Who may open what: the viewer roles, each role's pages, passwords and personal links.

Plain Python, no streamlit. `app.py` (through `warroom.ui`) works out the viewer of a session
once and keeps it in the session; `pages_for(role)` lists the pages that role's navigation
registers. `st.navigation` only serves the pages it is given, so a page missing from a role's
list cannot be opened by editing the URL.

The four viewers:
- **lead** (团队长) and **boss** (老板) sign in with a password, kept only as a bcrypt hash;
- **staff**: each staff member opens a personal link `?token=T`, with T the first 22 characters
  of base64url(HMAC-SHA256(link_secret, "staff:" + id)), or the member's fixed `token` from the
  event file; they see their own ranking and money and the leaderboards, never others' commission;
- **kiosk**: `?kiosk=K`, K the same HMAC of "kiosk", opens the big screen alone, with no click
  and no password, for the TV.

Where the secrets live; the first place that has a value wins:
1. `.streamlit/secrets.toml`:

       [warroom]
       link_secret = "…"            # python -m warroom.access secret
       [warroom.passwords]
       lead = "$2b$12$…"            # python -m warroom.access hash
       boss = "$2b$12$…"

2. the event file's `[access]`: `lead_password_hash`, `boss_password_hash`, `link_secret`.

Changing `link_secret` revokes every link at once. Where an OIDC provider is set up for
`st.login` (an `[auth]` section in the secrets), leads and bosses may sign in with it instead;
`[warroom.oidc_roles]` maps their e-mail addresses to a role (`lead = ["a@example.com"]`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as random_secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import bcrypt

from warroom.config import EventConfig

LEAD, BOSS, STAFF, KIOSK = "lead", "boss", "staff", "kiosk"
PASSWORD_ROLES = (LEAD, BOSS)
SESSION_KEY = "warroom_viewer"  # where a session keeps its Viewer
TOKEN_LENGTH = 22  # base64url characters: 132 bits of the HMAC
BCRYPT_ROUNDS = 12

# Each role's pages, in menu order; the first is where the role lands.
ROLE_PAGES: dict[str | None, tuple[str, ...]] = {
    LEAD: ("big_screen", "leaderboards", "prompts", "commission", "review", "setup"),
    BOSS: ("review", "commission"),
    STAFF: ("my_ranking", "leaderboards"),
    KIOSK: ("big_screen",),
    None: ("login",),
}
# Staff who push the flash-sale messages into the groups also get the operator page.
OPERATOR_ROLES = ("hype", "community")
# Who sees everyone's commission; staff see only their own, on their own page.
COMMISSION_ROLES = (LEAD, BOSS)


@dataclass(frozen=True)
class Viewer:
    """Who is looking: a role, and for staff which member."""

    role: str
    staff_id: str | None = None
    name: str = ""
    via: str = "password"  # password, link, kiosk or oidc

    @property
    def sees_commission(self) -> bool:
        """Return whether this viewer may see everyone's commission."""
        return self.role in COMMISSION_ROLES


@dataclass(frozen=True)
class AccessSettings:
    """The event's access secrets, merged from the Streamlit secrets and the event file."""

    password_hashes: Mapping[str, str] = field(default_factory=dict)  # role -> bcrypt hash
    link_secret: str | None = None
    fixed_tokens: Mapping[str, str] = field(default_factory=dict)  # staff id -> token
    demo_hint: bool = False  # show the demo passwords on the login page
    oidc: bool = False  # an [auth] section is configured for st.login
    oidc_roles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # role -> e-mail addresses

    @property
    def has_passwords(self) -> bool:
        """Return whether anyone can sign in with a password."""
        return bool(self.password_hashes)

    @property
    def has_links(self) -> bool:
        """Return whether personal links can be made (a link secret, or fixed tokens)."""
        return bool(self.link_secret or self.fixed_tokens)


def access_settings(config: EventConfig, secrets: Mapping[str, Any] | None = None) -> AccessSettings:
    """Return the access settings: the secrets' `[warroom]` section over the event file's `[access]`."""
    secrets = secrets or {}
    section = secrets.get("warroom") or {}
    from_secrets = {role: str(value) for role, value in (section.get("passwords") or {}).items() if role in PASSWORD_ROLES and value}
    from_event = {LEAD: config.access.lead_password_hash, BOSS: config.access.boss_password_hash}
    hashes = {role: from_secrets.get(role) or from_event[role] for role in PASSWORD_ROLES}
    oidc_roles = {role: tuple(str(email).strip().lower() for email in emails) for role, emails in (section.get("oidc_roles") or {}).items() if role in PASSWORD_ROLES}
    return AccessSettings(
        password_hashes={role: value for role, value in hashes.items() if value},
        link_secret=str(section.get("link_secret") or "") or config.access.link_secret,
        fixed_tokens={member.id: member.token for member in config.staff if member.token},
        # The hint names the event file's demo passwords: it would mislead once the secrets replace them.
        demo_hint=config.access.demo_hint and not from_secrets,
        oidc=bool(secrets.get("auth")),
        oidc_roles=oidc_roles,
    )


# -- passwords ------------------------------------------------------------------------------------


def hash_password(password: str, rounds: int = BCRYPT_ROUNDS) -> str:
    """Return the bcrypt hash of a password, for the secrets or the event file."""
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds)).decode("ascii")


def verify_password(password: str, hashed: str | None) -> bool:
    """Return whether a password matches a bcrypt hash; False for no hash or a malformed one."""
    if not hashed or not password:
        return False
    try:
        return bcrypt.checkpw(password.encode("utf-8"), hashed.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        # bcrypt refuses passwords over 72 bytes and hashes it cannot parse: neither is a match.
        return False


def sign_in(settings: AccessSettings, role: str, password: str) -> Viewer | None:
    """Return the viewer a lead's or a boss's password signs in, or None when it is wrong."""
    if role not in PASSWORD_ROLES or not verify_password(password, settings.password_hashes.get(role)):
        return None
    return Viewer(role=role, via="password")


def viewer_from_email(settings: AccessSettings, email: str | None) -> Viewer | None:
    """Return the lead or boss an OIDC sign-in's e-mail address is listed as, else None."""
    address = (email or "").strip().lower()
    for role in PASSWORD_ROLES:
        if address and address in settings.oidc_roles.get(role, ()):
            return Viewer(role=role, name=address, via="oidc")
    return None


# -- links ----------------------------------------------------------------------------------------


def _sign(secret: str, message: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")[:TOKEN_LENGTH]


def staff_token(secret: str, staff_id: str) -> str:
    """Return the token of a staff member's personal link: HMAC-SHA256(secret, "staff:" + id), base64url, truncated."""
    return _sign(secret, f"staff:{staff_id}")


def kiosk_token(secret: str) -> str:
    """Return the token of the kiosk link: HMAC-SHA256(secret, "kiosk"), base64url, truncated."""
    return _sign(secret, "kiosk")


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def token_for(settings: AccessSettings, staff_id: str) -> str | None:
    """Return the token that opens a member's personal link: their fixed token, else the signed one; None without either."""
    if staff_id in settings.fixed_tokens:
        return settings.fixed_tokens[staff_id]
    return staff_token(settings.link_secret, staff_id) if settings.link_secret else None


def viewer_from_token(settings: AccessSettings, config: EventConfig, token: str | None) -> Viewer | None:
    """Return the staff member whose personal-link token this is, or None for a wrong or missing token."""
    token = (token or "").strip()
    if not token:
        return None
    found = None
    # Every member is compared, so the time taken says nothing about which one (or none) matched.
    for member in config.staff:
        expected = token_for(settings, member.id)
        if expected and _same(expected, token) and found is None:
            found = Viewer(role=STAFF, staff_id=member.id, name=member.name, via="link")
    return found


def viewer_from_kiosk(settings: AccessSettings, token: str | None) -> Viewer | None:
    """Return the kiosk viewer for the right kiosk token, else None."""
    token = (token or "").strip()
    if not token or not settings.link_secret:
        return None
    return Viewer(role=KIOSK, via="kiosk") if _same(kiosk_token(settings.link_secret), token) else None


def link(base_url: str, lang: str = "zh", **params: str) -> str:
    """Return an absolute link to the app's front page with these query parameters (and `lang=en` in English)."""
    query = dict(params) | ({"lang": "en"} if lang == "en" else {})
    return f"{base_url.rstrip('/')}/?{urlencode(query)}"


# -- navigation -----------------------------------------------------------------------------------


def pages_for(role: str | None, staff_role: str | None = None) -> tuple[str, ...]:
    """Return the pages a role's navigation lists; hype and community staff also get the operator page."""
    pages = ROLE_PAGES.get(role, ROLE_PAGES[None])
    if role == STAFF and staff_role in OPERATOR_ROLES:
        return (*pages, "prompts")
    return pages


# -- python -m warroom.access hash | secret --------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Print a bcrypt hash of a password typed at the prompt (`hash`), or a fresh link secret (`secret`)."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["hash"]:
        import getpass

        password = getpass.getpass("password: ")
        if not password or password != getpass.getpass("again: "):
            print("the two passwords differ (or are empty)", file=sys.stderr)
            return 1
        print(hash_password(password))
        return 0
    if args[:1] == ["secret"]:
        print(random_secrets.token_urlsafe(32))
        return 0
    print("usage: python -m warroom.access hash | secret", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
