"""My ranking, on a staff member's phone: my rank and the gap above, the rows around me, my rival, my commission and the what-if."""

from __future__ import annotations

from decimal import Decimal

from warroom.config import EventConfig, Product
from warroom.figures import Snapshot
from warroom.i18n import fmt_pct, role_label, t
from warroom.money import to_fen, yuan_text
from warroom.standings import PersonalView, WhatIf
from warroom.web.templating import render
from warroom.web.text import metric_label, metric_text

# Phones: an order shows on its taker's page within a second or two. A rerun resends only what changed in
# size (Streamlit sends a hash for a large element the phone already has), so a quiet second costs little.
PERSONAL_REFRESH_SECONDS = 1
BOARDS_REFRESH_SECONDS = 2  # the leaderboards page redraws every role's board and the race chart


def my_rank_html(view: PersonalView, lang: str, window_minutes: int, updated: str) -> str:
    """Return the top card of my page: who I am, my rank (large), my value, and the gap to the place above."""
    who = {"name": view.name, "role": role_label(view.role, lang), "team": view.team, "updated": updated}
    mine = view.standing
    if mine is None:
        return render("personal/my_rank.html", **who, board="", no_board=t("my_no_board", lang))
    moved = moved_class = ""
    if mine.movement:
        key = "my_moved_up" if mine.movement > 0 else "my_moved_down"
        moved, moved_class = t(key, lang, places=abs(mine.movement), minutes=window_minutes), "wp-up" if mine.movement > 0 else "wp-down"
    first = view.place_above is None or view.gap_to_above is None
    if not first:
        above = view.place_above
        if view.gap_to_above > 0:
            gap = t("my_gap_above", lang, rank=above.rank, name=above.name, gap=metric_text(mine.metric, view.gap_to_above, lang))
        else:
            gap = t("my_level_above", lang, rank=above.rank, name=above.name)
    elif view.below:
        runner_up = view.below[0]
        gap = t("my_first", lang, rank=runner_up.rank, gap=metric_text(mine.metric, mine.value - runner_up.value, lang))
    else:
        gap = t("my_first_alone", lang)
    return render(
        "personal/my_rank.html", **who, board=t("my_board", lang, role=role_label(view.role, lang), metric=metric_label(mine.metric, lang)),
        rank=t("my_rank", lang, rank=mine.rank), of=t("my_of", lang, count=view.board_size), value=metric_text(mine.metric, mine.value, lang),
        moved=moved, moved_class=moved_class, gap=gap, first=first,
    )


def around_me_html(view: PersonalView, lang: str) -> str:
    """Return the rows around me: up to two above, me (highlighted), up to two below, each with its distance from me."""
    mine = view.standing
    if mine is None:
        return ""
    rows = []
    for row in [*view.above, mine, *view.below]:
        is_me = row.staff_id == view.staff_id
        distance = ""
        if not is_me:
            difference = row.value - mine.value
            sign = "+" if difference > 0 else "−" if difference < 0 else "±"
            distance = sign + metric_text(row.metric, abs(difference), lang)
        rows.append({"rank": row.rank, "name": row.name, "me": is_me, "value": metric_text(row.metric, row.value, lang), "distance": distance})
    return render("personal/around_me.html", title=t("my_around", lang), rows=rows, me_label=t("my_me", lang))


def rival_html(view: PersonalView, lang: str) -> str:
    """Return my closest rival and how far ahead or behind they are."""
    if view.rival is None or view.rival_gap is None or view.standing is None:
        return ""
    gap = metric_text(view.standing.metric, abs(view.rival_gap), lang)
    key = "my_rival_ahead" if view.rival_gap > 0 else "my_rival_behind" if view.rival_gap < 0 else "my_rival_level"
    css = "wp-up" if view.rival_gap > 0 else "wp-down" if view.rival_gap < 0 else ""
    return render("personal/rival.html", title=t("my_rival", lang), rank=view.rival.rank, css=css, text=t(key, lang, name=view.rival.name, gap=gap))


def my_commission_html(view: PersonalView, snapshot: Snapshot, config: EventConfig, lang: str, *, per_order: bool = True) -> str:
    """Return my commission so far (mine only): the total, its parts, paid and owed, and whether it is final.

    `per_order` is False for a role paid from the team pool only: its page leaves out a line of "commission on orders ¥0".
    """
    mine = view.account
    if mine.status == "final":
        status = t("my_commission_final", lang)
    else:
        status = t("my_commission_pending", lang, date=config.event.refund_deadline.astimezone(config.event.tz).strftime("%m-%d"))
    lines = [t("my_commission_orders", lang, amount=yuan_text(mine.commission_fen))] if per_order or mine.commission_fen else []
    pool = snapshot.team_pool
    if mine.pool_share_fen:
        lines.append(t("my_pool_share", lang, amount=yuan_text(mine.pool_share_fen)))
    elif not pool.unlocked and config.commission.team_pool_split != "none" and pool.short_fen > 0:
        lines.append(t("my_pool_locked", lang, amount=yuan_text(pool.short_fen)))
    if mine.paid_fen:
        if mine.clawback_fen:
            lines.append(t("my_clawback", lang, paid=yuan_text(mine.paid_fen), amount=yuan_text(mine.clawback_fen)))
        else:
            lines.append(t("my_paid", lang, paid=yuan_text(mine.paid_fen), balance=yuan_text(mine.balance_fen)))
    return render("personal/my_commission.html", title=t("my_commission", lang), status=status, earned=yuan_text(mine.earned_fen), lines=lines)


def team_goal_html(snapshot: Snapshot, lang: str) -> str:
    """Return, for a member paid from the team pool only, how far the team's revenue is from unlocking the pool (or that it is unlocked)."""
    pool = snapshot.team_pool
    if pool.split == "none" or not pool.goal_fen:
        return ""
    share = min(Decimal(snapshot.revenue_fen) / pool.goal_fen, Decimal(1)) if snapshot.revenue_fen > 0 else Decimal(0)
    if pool.unlocked:
        line = t("my_team_pool_open", lang, amount=yuan_text(pool.amount_fen))
    else:
        line = t("my_team_pool_short", lang, amount=yuan_text(pool.short_fen), goal=t(f"{pool.goal}_goal", lang))
    return render("personal/team_goal.html", title=t("my_team_goal", lang), percent=fmt_pct(share), width=int(share * 100), line=line)


def what_if_line(result: WhatIf, lang: str) -> str:
    """Return the what-if line: "再出一单 ¥1,299：+¥194.85，升至第 3 名"."""
    price = yuan_text(result.unit_price_fen)
    text = (t("whatif_one", lang, price=price, earned=yuan_text(result.commission_fen)) if result.qty == 1
            else t("whatif_many", lang, qty=result.qty, price=price, earned=yuan_text(result.commission_fen)))
    if result.rank_after is not None:
        text += t("whatif_up" if result.places_up else "whatif_stay", lang, rank=result.rank_after)
    if result.pool_unlocks and result.pool_share_delta_fen:
        text += t("whatif_pool", lang, amount=yuan_text(result.pool_share_delta_fen))
    return text


def what_if_html(result: WhatIf, lang: str) -> str:
    """Return the what-if line as the page shows it, under the picker."""
    return render("personal/what_if.html", line=what_if_line(result, lang))


def product_label(product: Product) -> str:
    """Return a product as the what-if picker lists it: "玫瑰精油身体乳 · ¥99"."""
    return f"{product.name} · {yuan_text(to_fen(product.price))}"


def suggested_product(products: list[Product], gap_fen: int | Decimal | None) -> Product | None:
    """Return the product the what-if starts with: the cheapest that would close a money gap, else the dearest."""
    if not products:
        return None
    by_price = sorted(products, key=lambda product: product.price)
    if gap_fen is not None and gap_fen > 0:
        closing = [product for product in by_price if to_fen(product.price) >= gap_fen]
        if closing:
            return closing[0]
    return by_price[-1]


