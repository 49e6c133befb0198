"""The links that are handed out (SPEC §7): each staff member's personal link and the TV's kiosk link, on the address phones open.

The address is, first found: `WARROOM_PUBLIC_URL`, the event file's `[server] public_url`, else
`http://<this machine's LAN address>:<port>`. The LAN address is the source address the system
would use to reach the internet (a UDP socket "connected" to a public address: no packet is
sent); a machine with no route out gets 127.0.0.1, which only it can open. Both fallbacks come
with a warning, as phones off this network (on mobile data, say) cannot open them.

The tokens are those of warroom.access; the secrets are read as the app reads them: the Streamlit
secrets files over the event file's `[access]`.
"""

from __future__ import annotations

import os
import socket
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warroom import access
from warroom.config import PUBLIC_URL_ENV, ConfigError, EventConfig, public_url_problem
from warroom.config.network import got_url

LOOPBACK = "127.0.0.1"
# The app's port when none is given (Streamlit's own default): `warroom serve`, `demo` and `links` use it, and the prompts sent to robots link to it.
DEFAULT_PORT = 8501
# Any address outside this network will do: connect() on a UDP socket only picks the route and the
# source address, and sends nothing. AliDNS, as reachable from a Chinese network as any.
ROUTE_PROBE = ("223.5.5.5", 53)
APP_ROOT = Path(__file__).resolve().parent.parent  # where app.py is: Streamlit reads its .streamlit/secrets.toml too

PUBLIC, LAN, LOCAL_ONLY = "public", "lan", "local_only"


def lan_address() -> str | None:
    """Return this machine's address on its network (the source address of its default route), or None when it has none."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(ROUTE_PROBE)
            address = probe.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


@dataclass(frozen=True)
class BaseUrl:
    """The address links are built on, and how far it reaches: PUBLIC (set by the user), LAN or LOCAL_ONLY (this machine)."""

    url: str
    reach: str

    @property
    def warning(self) -> str | None:
        """Return the one line that says who cannot open these links, or None for a public URL."""
        if self.reach == LAN:
            return (f"links use this machine's LAN address {self.url}: phones off this network (on mobile data, say) cannot open them; "
                    f"set [server] public_url in the event file (or {PUBLIC_URL_ENV}) to an address they can reach")
        if self.reach == LOCAL_ONLY:
            return (f"this machine has no network address, so links use {self.url}, which only this machine can open; "
                    f"connect it to the network, or set [server] public_url (or {PUBLIC_URL_ENV})")
        return None


def base_url(config: EventConfig, port: int, *, environ: Mapping[str, str] | None = None,
             find_lan: Callable[[], str | None] = lan_address) -> BaseUrl:
    """Return the address links are built on: WARROOM_PUBLIC_URL, else [server] public_url, else this machine's LAN address and `port`.

    Raises ConfigError when WARROOM_PUBLIC_URL is not a usable address.
    """
    environ = os.environ if environ is None else environ
    from_env = (environ.get(PUBLIC_URL_ENV) or "").strip()
    if from_env:
        problem = public_url_problem(from_env)
        if problem:
            raise ConfigError(f"{PUBLIC_URL_ENV}: expected {problem}{got_url(from_env)}")
        return BaseUrl(from_env.rstrip("/"), PUBLIC)
    if config.server.public_url:
        return BaseUrl(config.server.public_url, PUBLIC)
    address = find_lan()
    return BaseUrl(f"http://{address or LOOPBACK}:{port}", LAN if address else LOCAL_ONLY)


@dataclass(frozen=True)
class StaffLink:
    """One staff member's personal link (None when no link can be made: no link secret and no fixed token)."""

    staff_id: str
    name: str
    url: str | None


@dataclass(frozen=True)
class EventLinks:
    """Every link of an event: the kiosk link (None without a link secret) and each member's personal link."""

    base: BaseUrl
    kiosk: str | None
    staff: tuple[StaffLink, ...]

    def as_json(self) -> dict[str, Any]:
        """Return SPEC §7's JSON: {"kiosk": URL, "staff": [{"staff_id", "name", "url"}]}."""
        return {"kiosk": self.kiosk, "staff": [{"staff_id": link.staff_id, "name": link.name, "url": link.url} for link in self.staff]}


def event_links(config: EventConfig, settings: access.AccessSettings, base: BaseUrl, lang: str = "zh") -> EventLinks:
    """Return the kiosk link and every staff member's personal link, on `base`."""
    kiosk = access.link(base.url, lang, kiosk=access.kiosk_token(settings.link_secret)) if settings.link_secret else None
    staff = []
    for member in config.staff:
        token = access.token_for(settings, member.id)
        staff.append(StaffLink(member.id, member.name, access.link(base.url, lang, token=token) if token else None))
    return EventLinks(base=base, kiosk=kiosk, staff=tuple(staff))


def secrets_files(cwd: Path | None = None) -> list[Path]:
    """Return the Streamlit secrets files the app reads, in the order it merges them (later ones win)."""
    cwd = Path.cwd() if cwd is None else cwd
    found: list[Path] = []
    for path in (Path.home() / ".streamlit" / "secrets.toml", cwd / ".streamlit" / "secrets.toml", APP_ROOT / ".streamlit" / "secrets.toml"):
        if path not in found:
            found.append(path)
    return found


def app_secrets(cwd: Path | None = None) -> dict[str, Any]:
    """Return the Streamlit secrets as the app served from `cwd` sees them (top-level keys of later files win); {} without any."""
    merged: dict[str, Any] = {}
    for path in secrets_files(cwd):
        try:
            with path.open("rb") as handle:
                merged.update(tomllib.load(handle))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
            continue  # missing, or not readable: the app goes without it too
    return merged
