"""Who may open what: the viewer roles, each role's pages, passwords and personal links.

Plain Python, no streamlit. `app.py` (through `warroom.web.auth`) works out the viewer of a session
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

Staying signed in. A lead's or a boss's sign-in is kept in the browser as a cookie,
`warroom_session` = "role.expires.nonce.signature", the signature the same truncated HMAC-SHA256
keyed with the link secret and the role's password hash; it expires after `SESSION_HOURS`, and
signing out revokes it in this process (and deletes it). So a reload keeps a lead signed in, a
changed password or link secret signs everyone out, and nobody can forge one without the secrets.
The app's own HTTP route writes it (warroom.web.auth.SESSION_ROUTE): HttpOnly, so no script in a page can
read it, SameSite=Lax, and Secure when the app is served over https.

Wrong passwords are throttled (`LoginThrottle`) per client (its address and browser session) and
role: after `FREE_FAILURES` failures, that client's sign-in as that role is refused without checking
the password for 30 s, then twice as long after each further failure, up to 15 minutes. Failures
from one client never hold back another, so nobody can lock the leads out. What bounds guessing
from many clients at once is a budget per role: `GLOBAL_FREE_FAILURES` wrong passwords, growing by
one every `GLOBAL_REFILL_SECONDS`; while it is spent, a client that already failed waits for it,
and a client's first wrong password makes it wait at once. A client that has not failed is always
checked, so a lead on their own device gets in during an attack. The counts live in process
memory, at most `MAX_CLIENTS` of them.

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
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import bcrypt

from warroom.config import EventConfig

LEAD, BOSS, STAFF, KIOSK = "lead", "boss", "staff", "kiosk"
PASSWORD_ROLES = (LEAD, BOSS)
SESSION_KEY = "warroom_viewer"  # where a session keeps its Viewer
TOKEN_LENGTH = 22  # base64url characters: 132 bits of the HMAC
BCRYPT_ROUNDS = 12
SESSION_COOKIE = "warroom_session"  # the cookie that keeps a lead or a boss signed in across reloads
SESSION_HOURS = 12  # a show evening, with the set-up before it
FREE_FAILURES = 5  # wrong passwords allowed before sign-in waits
FIRST_WAIT_SECONDS = 30.0  # the wait after the last free failure; it doubles after each further one
MAX_WAIT_SECONDS = 15 * 60.0
FORGET_FAILURES_SECONDS = 3600.0  # failures this old, with none since, are forgotten
GLOBAL_FREE_FAILURES = 100  # wrong passwords per role, from all clients together, before the budget holds them back
GLOBAL_REFILL_SECONDS = 30.0  # the budget grows by one wrong password this often (120 an hour, sustained)
MAX_CLIENTS = 10_000  # clients whose failures are remembered; the oldest are forgotten first

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


def operator_rank(role: str) -> int:
    """Return where a staff role comes in the operator page's list of who pushed: the operator roles first, in OPERATOR_ROLES order."""
    return OPERATOR_ROLES.index(role) if role in OPERATOR_ROLES else len(OPERATOR_ROLES)


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


# -- throttling wrong passwords ------------------------------------------------------------------------


class LoginThrottle:
    """Failed sign-ins per (client, role) and a budget of failures per role: kept in process memory, time passed in."""

    def __init__(self, free_failures: int = FREE_FAILURES, first_wait: float = FIRST_WAIT_SECONDS, max_wait: float = MAX_WAIT_SECONDS,
                 forget_after: float = FORGET_FAILURES_SECONDS, global_free: int = GLOBAL_FREE_FAILURES,
                 global_refill: float = GLOBAL_REFILL_SECONDS, max_clients: int = MAX_CLIENTS):
        self.free_failures, self.first_wait, self.max_wait, self.forget_after = free_failures, first_wait, max_wait, forget_after
        self.global_free, self.global_refill, self.max_clients = global_free, global_refill, max_clients
        self._failures: OrderedDict[tuple[str, str], tuple[int, float]] = OrderedDict()  # (role, client) -> (failures, last), oldest first
        self._budget: dict[str, tuple[float, float]] = {}  # role -> (failures it may still take, when that was counted)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._failures)

    def _count(self, key: tuple[str, str], now: float) -> tuple[int, float]:
        failures, last = self._failures.get(key, (0, 0.0))
        if failures and now - last >= max(self.forget_after, self._wait_after(failures)):
            self._failures.pop(key, None)
            return 0, 0.0
        return failures, last

    def _wait_after(self, failures: int) -> float:
        if failures < self.free_failures:
            return 0.0
        return min(self.first_wait * 2 ** (failures - self.free_failures), self.max_wait)

    def _left(self, role: str, now: float) -> float:
        left, counted = self._budget.get(role, (float(self.global_free), now))
        return min(left + max(now - counted, 0.0) / self.global_refill, float(self.global_free))

    def wait_seconds(self, role: str, client: str, now: float) -> float:
        """Return how many seconds this client must still wait before its password for `role` is checked; 0 when it may try now."""
        with self._lock:
            failures, last = self._count((role, client), now)
            wait = last + self._wait_after(failures) - now
            if failures:
                # Only a client that failed before waits for the role's budget: a fresh one is always checked.
                # Each wrong password past the budget puts it further behind, up to the longest wait.
                wait = max(wait, min((1 - self._left(role, now)) * self.global_refill, self.max_wait))
        return max(wait, 0.0)

    def failures_left(self, role: str, client: str, now: float) -> int:
        """Return how many more wrong passwords this client may give as `role` before it must wait."""
        with self._lock:
            free = self.free_failures if self._left(role, now) >= 1 else 0
            return max(free - self._count((role, client), now)[0], 0)

    def failed(self, role: str, client: str, now: float) -> None:
        """Count a wrong password from this client as `role`, against the client and the role's budget."""
        with self._lock:
            left = self._left(role, now)
            self._budget[role] = (left - 1, now)
            failures, _last = self._count((role, client), now)
            # With the budget spent, a client's first wrong password already makes it wait.
            failures = failures + 1 if left >= 1 else max(failures + 1, self.free_failures)
            self._failures.pop((role, client), None)
            self._failures[(role, client)] = (failures, now)
            while len(self._failures) > self.max_clients:
                self._failures.popitem(last=False)

    def succeeded(self, role: str, client: str) -> None:
        """Forget this client's failures as `role` after a right password."""
        with self._lock:
            self._failures.pop((role, client), None)


@dataclass(frozen=True)
class SignInAttempt:
    """What one sign-in attempt gave: the viewer, or a refusal and how long to wait before the next try."""

    viewer: Viewer | None
    wait_seconds: float = 0.0  # > 0: too many failures; the password was not even checked (or now must wait)
    failures_left: int = FREE_FAILURES


def client_key(address: str | None, session: str) -> str:
    """Return the client a sign-in is throttled by: its network address and its browser session."""
    return f"{address or 'local'}|{session}"


def attempt_sign_in(settings: AccessSettings, throttle: LoginThrottle, role: str, password: str, *, client: str, now: float) -> SignInAttempt:
    """Return the viewer a password signs in, unless this client failed too often lately as this role (then wait, unchecked)."""
    wait = throttle.wait_seconds(role, client, now)
    if wait > 0:
        return SignInAttempt(viewer=None, wait_seconds=wait, failures_left=0)
    viewer = sign_in(settings, role, password)
    if viewer is None:
        throttle.failed(role, client, now)
        return SignInAttempt(viewer=None, wait_seconds=throttle.wait_seconds(role, client, now), failures_left=throttle.failures_left(role, client, now))
    throttle.succeeded(role, client)
    return SignInAttempt(viewer=viewer)


# -- staying signed in ----------------------------------------------------------------------------------


def _session_key(settings: AccessSettings, role: str) -> str | None:
    hashed = settings.password_hashes.get(role)
    # The password hash is in the key, so a new password signs the old sessions out; the link secret too.
    return f"{settings.link_secret or ''}\n{hashed}" if hashed else None


def session_token(settings: AccessSettings, viewer: Viewer, now: datetime, hours: float = SESSION_HOURS) -> str | None:
    """Return the signed token that keeps a password sign-in across reloads until it expires; None for other viewers."""
    key = _session_key(settings, viewer.role)
    if key is None or viewer.via != "password" or viewer.role not in PASSWORD_ROLES:
        return None
    expires = int(now.timestamp() + hours * 3600)
    nonce = random_secrets.token_urlsafe(9)
    return f"{viewer.role}.{expires}.{nonce}.{_sign(key, f'session:{viewer.role}:{expires}:{nonce}')}"


def viewer_from_session_token(settings: AccessSettings, token: str | None, now: datetime) -> Viewer | None:
    """Return the lead or boss a session token signs in, or None when it is forged, expired, or its role has no password now."""
    parts = (token or "").strip().split(".")
    if len(parts) != 4:
        return None
    role, expires, nonce, signature = parts
    key = _session_key(settings, role) if role in PASSWORD_ROLES else None
    if key is None or not expires.isdigit() or not _same(_sign(key, f"session:{role}:{expires}:{nonce}"), signature):
        return None
    return Viewer(role=role, via="password") if now.timestamp() < int(expires) else None


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


def page_to_resume(wanted: object, pages: tuple[str, ...]) -> str | None:
    """Return the page a reconnecting browser asked for (the address's `wr_page`), when it is one of `pages`; else None.

    The value comes from the address bar: anything but one of the viewer's own page keys opens nothing.
    """
    return wanted if isinstance(wanted, str) and wanted in pages else None


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
