"""The commission page's panels: its KPI cards, the pending/final pill and the team pool's card."""

from __future__ import annotations

from datetime import datetime

from warroom.config import EventConfig
from warroom.figures import Snapshot
from warroom.i18n import fmt_int, fmt_pct, fmt_yuan, t
from warroom.money import yuan_text
from warroom.web.templating import render
from warroom.web.text import event_time
from warroom.web.views.boss import kpis_html


def commission_kpis_html(snapshot: Snapshot, totals, lang: str) -> str:
    """Return the commission page's cards: revenue, commission, the pool, paid out, owed and clawbacks."""
    pool = snapshot.team_pool
    return kpis_html([
        (t("revenue", lang), fmt_yuan(snapshot.revenue_fen), t("cm_orders", lang, orders=fmt_int(snapshot.paid_orders)), "gold"),
        (t("cm_commission_total", lang), yuan_text(totals.commission_fen), t("cm_earners", lang, count=totals.earners), ""),
        (t("cm_pool", lang), yuan_text(pool.amount_fen), t(f"cm_pool_{pool.state}", lang), "ok" if pool.unlocked else "bad" if pool.locked_again else ""),
        (t("cm_paid_total", lang), yuan_text(totals.paid_fen), "", ""),
        (t("cm_owed", lang), yuan_text(totals.owed_fen), t(f"cm_status_{snapshot.commission_status}", lang), "warn" if totals.owed_fen else ""),
        (t("cm_clawbacks", lang), yuan_text(totals.clawback_fen), t("cm_clawback_people", lang, count=totals.overpaid), "bad" if totals.clawback_fen else ""),
    ])


def status_html(status: str, deadline: datetime, config: EventConfig, lang: str) -> str:
    """Return the pending/final pill with the date commission becomes final."""
    local = event_time(deadline, config).strftime("%Y-%m-%d %H:%M")
    note = t(f"cm_status_note_{status}", lang, date=local)
    return render("boss/status.html", status=status, label=t(f"cm_status_{status}", lang), note=note)


def pool_html(snapshot: Snapshot, config: EventConfig, lang: str) -> str:
    """Return the team pool's card: locked or not, why, how much, how it is shared, and the warning that it can lock again."""
    pool = snapshot.team_pool
    goal = t(f"cm_goal_{pool.goal}", lang)
    if pool.state == "unlocked":
        note_class, note = "warn", t("cm_pool_may_lock", lang, goal=goal, amount=fmt_yuan(pool.goal_fen))
    elif pool.state == "locked_again":
        note_class, note = "bad", t("cm_pool_relocked", lang, goal=goal, short=yuan_text(pool.short_fen), peak=fmt_yuan(pool.peak_fen))
    else:
        note_class, note = "", t("cm_pool_to_go", lang, short=yuan_text(pool.short_fen))
    split = t(f"cm_split_{pool.split}", lang)
    if pool.unlocked and pool.split == "equal" and pool.shares_fen:
        share = next(iter(pool.shares_fen.values()))
        split += " · " + t("cm_each", lang, count=len(pool.shares_fen), amount=yuan_text(share))
    return render("boss/pool.html", state=pool.state, label=t(f"cm_pool_{pool.state}", lang),
                  rule=t("cm_pool_rule", lang, rate=fmt_pct(pool.rate), goal=goal, amount=fmt_yuan(pool.goal_fen)),
                  amount=yuan_text(pool.amount_fen), note_class=note_class, note=note, split=split)

