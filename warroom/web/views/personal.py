"""My ranking, on a staff member's phone: my rank and the gap above, the rows around me, my rival, my commission and the what-if."""

from __future__ import annotations

import html
from decimal import Decimal

from warroom.commission import yuan_text
from warroom.config import EventConfig, Product
from warroom.figures import Snapshot
from warroom.i18n import t
from warroom.rules import to_fen
from warroom.standings import PersonalView, WhatIf
from warroom.web.text import metric_label, metric_text, role_label

PERSONAL_REFRESH_SECONDS = 5  # phones: fresh between two orders, light on data and battery


def _e(text: object) -> str:
    return html.escape(str(text))


# -- my ranking -------------------------------------------------------------------------------------


def my_rank_html(view: PersonalView, lang: str, window_minutes: int, updated: str) -> str:
    """Return the top card of my page: who I am, my rank (large), my value, and the gap to the place above."""
    team = f" · {_e(view.team)}" if view.team else ""
    who = f'<div class="wp-who"><span><b>{_e(view.name)}</b> · {_e(role_label(view.role, lang))}{team}</span><span class="wp-muted">{_e(updated)}</span></div>'
    mine = view.standing
    if mine is None:
        return f'<div class="wp wp-card">{who}<div class="wp-sub">{_e(t("my_no_board", lang))}</div></div>'
    board = _e(t("my_board", lang, role=role_label(view.role, lang), metric=metric_label(mine.metric, lang)))
    moved = ""
    if mine.movement:
        key = "my_moved_up" if mine.movement > 0 else "my_moved_down"
        moved = f'<span class="{"wp-up" if mine.movement > 0 else "wp-down"}">{_e(t(key, lang, places=abs(mine.movement), minutes=window_minutes))}</span>'
    rank = f'<div class="wp-rank">{_e(t("my_rank", lang, rank=mine.rank))}<small>{_e(t("my_of", lang, count=view.board_size))}</small></div>'
    value = f'<div class="wp-value">{_e(metric_text(mine.metric, mine.value, lang))} {moved}</div>'
    if view.place_above is not None and view.gap_to_above is not None:
        above = view.place_above
        if view.gap_to_above > 0:
            gap_text = t("my_gap_above", lang, rank=above.rank, name=above.name, gap=metric_text(mine.metric, view.gap_to_above, lang))
        else:
            gap_text = t("my_level_above", lang, rank=above.rank, name=above.name)
        gap = f'<div class="wp-gap">{_e(gap_text)}</div>'
    else:
        runner_up = view.below[0] if view.below else None
        if runner_up is not None:
            lead = metric_text(mine.metric, mine.value - runner_up.value, lang)
            gap = f'<div class="wp-gap first">{_e(t("my_first", lang, rank=runner_up.rank, gap=lead))}</div>'
        else:
            gap = f'<div class="wp-gap first">{_e(t("my_first_alone", lang))}</div>'
    return f'<div class="wp wp-card">{who}<div class="wp-sub">{board}</div>{rank}{value}{gap}</div>'


def around_me_html(view: PersonalView, lang: str) -> str:
    """Return the rows around me: up to two above, me (highlighted), up to two below, each with its distance from me."""
    mine = view.standing
    if mine is None:
        return ""
    rows = []
    for row in [*view.above, mine, *view.below]:
        is_me = row.staff_id == view.staff_id
        name = f'{_e(row.name)} <span class="wp-muted">{_e(t("my_me", lang))}</span>' if is_me else _e(row.name)
        distance = ""
        if not is_me:
            difference = row.value - mine.value
            sign = "+" if difference > 0 else "−" if difference < 0 else "±"
            distance = f'<span class="d">{sign}{_e(metric_text(row.metric, abs(difference), lang))}</span>'
        rows.append(
            f'<div class="wp-row{" me" if is_me else ""}"><span class="wp-pos">{row.rank}</span><span class="n">{name}</span>'
            f'<span class="v">{_e(metric_text(row.metric, row.value, lang))}{distance}</span></div>'
        )
    return f'<div class="wp wp-card"><div class="wp-label">{_e(t("my_around", lang))}</div>{"".join(rows)}</div>'


def rival_html(view: PersonalView, lang: str) -> str:
    """Return my closest rival and how far ahead or behind they are."""
    if view.rival is None or view.rival_gap is None or view.standing is None:
        return ""
    gap = metric_text(view.standing.metric, abs(view.rival_gap), lang)
    key = "my_rival_ahead" if view.rival_gap > 0 else "my_rival_behind" if view.rival_gap < 0 else "my_rival_level"
    css = "wp-up" if view.rival_gap > 0 else "wp-down" if view.rival_gap < 0 else ""
    text = _e(t(key, lang, name=view.rival.name, gap=gap))
    return (
        f'<div class="wp wp-card"><div class="wp-label">{_e(t("my_rival", lang))}</div>'
        f'<div class="wp-value"><span class="wp-pos">{view.rival.rank}</span> <span class="{css}">{text}</span></div></div>'
    )


def my_commission_html(view: PersonalView, snapshot: Snapshot, config: EventConfig, lang: str) -> str:
    """Return my commission so far (mine only): the total, its parts, paid and owed, and whether it is final."""
    mine = view.account
    if mine.status == "final":
        status = t("my_commission_final", lang)
    else:
        status = t("my_commission_pending", lang, date=config.event.refund_deadline.astimezone(config.event.tz).strftime("%m-%d"))
    lines = [t("my_commission_orders", lang, amount=yuan_text(mine.commission_fen))]
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
    details = "".join(f"<div>{_e(line)}</div>" for line in lines)
    return (
        f'<div class="wp wp-card"><div class="wp-label">{_e(t("my_commission", lang))} · <span class="wp-muted">{_e(status)}</span></div>'
        f'<div class="wp-money">{_e(yuan_text(mine.earned_fen))}</div><div class="wp-lines">{details}</div></div>'
    )


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


