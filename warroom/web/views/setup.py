"""The setup page: the event at a glance, and the tables of sessions, flash sales, staff and feeds."""

from __future__ import annotations

from datetime import timedelta

from warroom.config import EventConfig, Staff
from warroom.health import IngestHealth
from warroom.i18n import fmt_duration, fmt_int, fmt_list, fmt_yuan, role_label, t
from warroom.links import LAN, LOCAL_ONLY, BaseUrl
from warroom.money import to_fen, yuan_text
from warroom.schedule import live_sessions
from warroom.web.templating import render

SETUP_REFRESH_SECONDS = 10


# -- setup ------------------------------------------------------------------------------------------


def staff_by_role(config: EventConfig) -> dict[str, list[Staff]]:
    """Return the staff grouped by role, in the event file's order of roles first met."""
    grouped: dict[str, list[Staff]] = {}
    for member in config.staff:
        grouped.setdefault(member.role, []).append(member)
    return grouped


def lag_text(lag: timedelta | None, lang: str) -> str:
    """Return a lag as a short duration, or a dash when nothing was read yet."""
    return fmt_duration(lag.total_seconds(), lang) if lag is not None else t("setup_never", lang)


def glance_html(config: EventConfig, lang: str) -> str:
    """Return the event at a glance: dates, goals, buyers goal, sessions, flash sales, staff, products and groups, as tiles."""
    tz = config.event.tz
    start, end = config.event.start.astimezone(tz), config.event.end.astimezone(tz)
    tiles = [
        # "05-18 – 21" within a month: short enough for the tile not to break the date in two.
        (t("setup_dates", lang), f"{start:%m-%d} – {end:%d}" if (start.year, start.month) == (end.year, end.month) else f"{start:%m-%d} – {end:%m-%d}",
         f"{start:%H:%M} – {end:%H:%M}"),
        (t("base_goal", lang), fmt_yuan(to_fen(config.goals.base)), ""),
        (t("stretch_goal", lang), fmt_yuan(to_fen(config.goals.stretch)), ""),
        (t("setup_buyers_goal", lang), fmt_int(config.goals.paying_customers) if config.goals.paying_customers else "—", ""),
        (t("setup_sessions", lang), fmt_int(len(config.sessions) or 1), ""),
        (t("setup_flash_sales", lang), fmt_int(len(config.flash_sales)), ""),
        (t("setup_staff", lang), fmt_int(len(config.staff)), ""),
        (t("setup_products_groups", lang), f"{fmt_int(len(config.products))} / {fmt_int(len(config.groups))}", ""),
    ]
    return render("setup/glance.html", tiles=[{"label": label, "value": value, "sub": sub} for label, value, sub in tiles])


def qr_label_html(name: str, staff_id: str) -> str:
    """Return the name and id under a staff member's QR code."""
    return render("setup/qr_label.html", name=name, id=staff_id)


def lan_warning_html(base: BaseUrl, lang: str) -> str:
    """Return the warning that phones off this network cannot open the links (on the LAN or this machine only), or "" on a public URL."""
    if base.reach not in (LAN, LOCAL_ONLY):
        return ""
    key = "setup_lan_warning" if base.reach == LAN else "setup_local_warning"
    return render("setup/lan_warning.html", text=t(key, lang, url=base.url), how=t("setup_public_url_how", lang))


def session_rows(config: EventConfig, lang: str) -> list[dict[str, str]]:
    """Return one row per live session: its name, start, end and hosts in slot order."""
    tz, names = config.event.tz, {member.id: member.name for member in config.staff}
    return [
        {
            t("setup_session_name", lang): session.name,
            t("setup_start", lang): f"{session.start.astimezone(tz):%m-%d %H:%M}",
            t("setup_end", lang): f"{session.end.astimezone(tz):%m-%d %H:%M}",
            t("setup_hosts", lang): " → ".join(names.get(slot.host, slot.host) for slot in session.slots),
        }
        for session in live_sessions(config)
    ]


def flash_sale_rows(config: EventConfig, lang: str) -> list[dict[str, str]]:
    """Return one row per flash sale: when, the product, the price, how long and which groups."""
    tz = config.event.tz
    products = {product.sku: product.name for product in config.products}
    groups = {group.id: group.name for group in config.groups}
    return [
        {
            t("setup_start", lang): f"{sale.at.astimezone(tz):%m-%d %H:%M}",
            t("setup_sale_product", lang): products.get(sale.sku, sale.sku),
            t("setup_sale_price", lang): yuan_text(to_fen(sale.price)),
            t("setup_sale_minutes", lang): str(sale.minutes),
            t("setup_sale_groups", lang): fmt_list((groups.get(group, group) for group in sale.groups), lang) or t("setup_all_groups", lang),
        }
        for sale in sorted(config.flash_sales, key=lambda sale: sale.at)
    ]


def staff_rows(config: EventConfig, lang: str) -> list[dict[str, str]]:
    """Return one row per role: how many staff and who."""
    return [
        {t("setup_role", lang): role_label(role, lang), t("setup_count", lang): str(len(members)), t("setup_staff", lang): fmt_list((m.name for m in members), lang)}
        for role, members in staff_by_role(config).items()
    ]


def feed_rows(health: IngestHealth, config: EventConfig, lang: str) -> list[dict[str, str]]:
    """Return one row per feed: files, bytes read and unread, the last row seen (event time), its lag and the quarantined rows."""
    tz = config.event.tz
    return [
        {
            t("setup_feed", lang): feed.label,
            t("setup_kind", lang): t(f"setup_kind_{feed.kind}", lang),
            t("setup_files", lang): str(feed.files),
            t("setup_read", lang): _bytes(feed.bytes_read),
            t("setup_unread", lang): _bytes(feed.bytes_unread),
            t("setup_last_row", lang): f"{feed.last_row_at.astimezone(tz):%m-%d %H:%M:%S}" if feed.last_row_at else t("setup_never", lang),
            t("setup_lag", lang): lag_text(feed.lag, lang),
            t("setup_quarantined", lang): str(feed.quarantined),
        }
        for feed in health.feeds
    ]


def _bytes(count: int) -> str:
    if count < 1024:
        return f"{count} B"
    if count < 1024 * 1024:
        return f"{count / 1024:,.1f} KB"
    return f"{count / 1024 / 1024:,.1f} MB"
