"""Every user-visible string, in Chinese (the default) and English, and the number formats.

Pure Python: no streamlit here. `warroom/web/language.py` reads the language from the page's query
string and passes it in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

DEFAULT_LANG = "zh"
# The placeholders an English (one, other) pair is chosen by.
COUNTED = ("count", "orders")
LANGS = ("zh", "en")

# key -> (Chinese, English). Placeholders use str.format names. Where an English string counts
# something, it is a pair (one, other): the first when the value it counts (COUNTED) is 1.
STRINGS: dict[str, tuple[str, str | tuple[str, str]]] = {
    # the app frame
    "app_title": ("作战室", "War room"),
    "section_live": ("现场", "Live"),
    "page_big_screen": ("作战大屏", "Big screen"),
    "switch_language": ("English", "中文"),
    # errors
    "no_event": (
        "未指定活动文件：请用 `warroom serve -c EVENT.toml` 或 `warroom demo` 启动（环境变量 WARROOM_EVENT）。",
        "No event file: start the app with `warroom serve -c EVENT.toml` or `warroom demo` (environment variable WARROOM_EVENT).",
    ),
    "event_invalid": ("活动文件有误：{error}", "The event file has a problem: {error}"),
    "store_unavailable": ("无法打开数据库：{error}", "Cannot open the store: {error}"),
    "refresh_failed": ("暂时读不到最新数据，正在自动重试。", "Could not read the latest figures; retrying."),
    # what a viewer sees when something fails: never the exception, a path or a secret (SPEC §5)
    "app_unavailable": ("作战室暂时打不开，请告诉团队长。", "The war room cannot open right now. Please tell the team lead."),
    "panel_failed": ("这一块暂时显示不了，其他部分照常更新。", "This panel cannot be shown right now; the rest keeps updating."),
    "page_failed": ("这个页面暂时显示不了，请稍后刷新。", "This page cannot be shown right now. Please reload in a moment."),
    "error_detail": ("详情（仅团队长可见，完整记录在服务器日志）：{detail}", "Detail (team leads only; the full record is in the server log): {detail}"),
    "store_replaced": ("数据库文件在 {time} 被替换，已重新打开。", "The store file was replaced at {time} and has been reopened."),
    "store_deleted": ("数据库文件在 {time} 被删除，已新建一个空的数据库。", "The store file was deleted at {time}; a new, empty store was started."),
    # the big screen
    "revenue": ("累计成交额", "Revenue"),
    "updated_at": ("更新于 {time}", "Updated {time}"),
    "on_air": ("直播中", "On air"),
    "off_air": ("未在直播", "Off air"),
    "next_live": ("下一场 {name} {time}", "next: {name} {time}"),
    "live_minutes_left": ("剩余直播 {minutes} 分钟", "{minutes} live min left"),
    "base_goal": ("保底目标", "Base goal"),
    "stretch_goal": ("冲刺目标", "Stretch goal"),
    "goal_reached": ("已达成", "Reached"),
    "to_go": ("还差 {amount}", "{amount} to go"),
    "paid_orders": ("支付订单", "Paid orders"),
    "buyers": ("付款人数", "Buyers"),
    "buyers_goal": ("目标 {needed}", "goal {needed}"),
    "aov": ("客单价 {amount}", "AOV {amount}"),
    "run_rate": ("当前节奏", "Run rate"),
    "per_minute": ("/分钟", "/min"),
    "vs_previous": ("较前 10 分钟", "vs previous 10 min"),
    "no_previous": ("近 10 分钟", "last 10 min"),
    "projected": ("预计收官", "Projected finish"),
    "projected_band": ("区间 {low} – {high}", "range {low} – {high}"),
    "needed_base": ("保底需每分钟", "Base needs per min"),
    "needed_stretch": ("冲刺需每分钟", "Stretch needs per min"),
    "no_time_left": ("直播已结束", "No live time left"),
    "revenue_over_time": ("成交额走势", "Revenue over time"),
    "chart_base": ("保底 {amount}", "Base {amount}"),
    "chart_stretch": ("冲刺 {amount}", "Stretch {amount}"),
    "top_order_takers": ("接单王 TOP {n}", "Top {n} order-takers"),
    "no_sales_yet": ("暂无成交", "No sales yet"),
    "orders_count": ("{count} 单", ("{count} order", "{count} orders")),
}

# == access, navigation, my ranking, leaderboards, setup (app.py, pages/login.py, my_ranking.py,
# leaderboards.py, setup.py) ===================================================================
STRINGS.update({
    # navigation
    "nav_leaderboards": ("排行榜", "Leaderboards"),
    "nav_prompts": ("推送提醒", "Prompts"),
    "nav_commission": ("提成", "Commission"),
    "nav_review": ("复盘", "Review"),
    "nav_setup": ("设置", "Setup"),
    "nav_my_ranking": ("我的排名", "My ranking"),
    "nav_login": ("登录", "Sign in"),
    "nav_account": ("账户", "Account"),
    "nav_sign_out": ("退出登录", "Sign out"),
    # viewers and roles
    "viewer_lead": ("团队长", "Team lead"),
    "viewer_boss": ("老板", "Boss"),
    "role_order_taker": ("接单员", "Order-taker"),
    "role_community": ("社群运营", "Community"),
    "role_host": ("主播", "Host"),
    "role_hype": ("气氛组", "Hype"),
    "role_stats": ("数据", "Stats"),
    "role_copy": ("文案", "Copy"),
    "role_poster": ("海报", "Posters"),
    "role_video": ("视频", "Video"),
    "role_props": ("道具", "Props"),
    "metric_revenue": ("成交额", "Revenue"),
    "metric_orders": ("订单数", "Orders"),
    "metric_invites": ("邀请人数", "Invites"),
    "metric_conversion": ("邀请转化率", "Conversion"),
    "metric_joins": ("进群人数", "Joins"),
    "metric_gpm": ("千次观看成交", "GPM"),
    "metric_activity": ("互动次数", "Activity"),
    "metric_shares": ("分享次数", "Shares"),
    "metric_check_ins": ("打卡次数", "Check-ins"),
    "metric_pushes": ("推送次数", "Pushes"),
    # sign-in
    "login_title": ("登录作战室", "Sign in to the war room"),
    "login_as": ("身份", "I am"),
    "login_password": ("密码", "Password"),
    "login_submit": ("登录", "Sign in"),
    "login_wrong_password": ("密码不正确，请重试。", "Wrong password. Please try again."),
    "login_empty_password": ("请输入密码。", "Please enter the password."),
    "login_throttled": ("密码错误次数过多，请在 {wait}后再试。", "Too many wrong passwords. Try again in {wait}."),
    "login_tries_left": ("再错 {count} 次需要等待一段时间才能重试。", ("{count} more wrong try and sign-in will wait a while.", "{count} more wrong tries and sign-in will wait a while.")),
    "login_bad_link": (
        "这个链接无效或已失效，请向团队长要一个新的链接。",
        "This link is not valid (any more). Ask your team lead for a new one.",
    ),
    "login_staff_hint": ("接单员和团队成员：请直接打开团队长发给你的个人链接（或扫码）。", "Staff: open the personal link (or QR code) your team lead gave you."),
    "login_demo_hint": ("演示密码：团队长 `lead520`，老板 `boss520`", "Demo passwords: team lead `lead520`, boss `boss520`"),
    # Seen by visitors who are not signed in: no file names or paths (SPEC §5); the README says where the hashes go.
    "login_no_passwords": (
        "还没有设置登录密码。请团队长按 README「Who sees what」一节的说明，用 `python -m warroom.access hash` 生成密码哈希并配置。",
        "No password is set yet. The team lead makes a hash with `python -m warroom.access hash` and sets it up as the README's \"Who sees what\" says.",
    ),
    "login_oidc": ("使用单位账号登录", "Sign in with your company account"),
    "login_oidc_refused": ("账号 {email} 没有作战室的权限。", "The account {email} has no access to the war room."),
    "login_signed_in": ("已登录：{who}", "Signed in: {who}"),
    "access_denied": ("这个页面需要先登录或打开个人链接。", "Sign in or open your personal link to see this page."),
    "access_staff_only": ("这是员工个人页面：请打开个人链接查看。", "This is a staff member's own page: open a personal link to see it."),
    # my ranking
    "my_board": ("{role}榜 · 按{metric}", "{role} board · by {metric}"),
    "my_rank": ("第 {rank} 名", "No. {rank}"),
    "my_of": ("/ 共 {count} 人", "of {count}"),
    "my_moved_up": ("▲ {places} 名（{minutes} 分钟内）", "▲ {places} in {minutes} min"),
    "my_moved_down": ("▼ {places} 名（{minutes} 分钟内）", "▼ {places} in {minutes} min"),
    "my_gap_above": ("距第 {rank} 名 {name} 还差 {gap}", "{gap} behind No. {rank}, {name}"),
    "my_level_above": ("与第 {rank} 名 {name} 持平", "Level with No. {rank}, {name}"),
    "my_first": ("你是第一名！领先第 {rank} 名 {gap}", "You are first! {gap} ahead of No. {rank}"),
    "my_first_alone": ("你是第一名！", "You are first!"),
    "my_no_board": ("你的岗位没有排行榜。", "Your role has no leaderboard."),
    "my_around": ("我身边", "Around me"),
    "my_me": ("（我）", " (me)"),
    "my_rival": ("最接近的对手", "Closest rival"),
    "my_rival_ahead": ("{name} 领先你 {gap}", "{name} is {gap} ahead of you"),
    "my_rival_behind": ("{name} 落后你 {gap}", "{name} is {gap} behind you"),
    "my_rival_level": ("{name} 与你持平", "{name} is level with you"),
    "my_commission": ("我的提成", "My commission"),
    "my_commission_pending": ("待结算 · 退款期 {date} 结束后确定", "pending · final after the refund window ends on {date}"),
    "my_commission_final": ("已确定", "final"),
    "my_commission_orders": ("提成 {amount}", "commission {amount}"),
    "my_pool_share": ("团队奖金池 {amount}", "team pool {amount}"),
    "my_pool_locked": ("团队奖金池未解锁（还差 {amount}）", "team pool locked ({amount} to go)"),
    "my_paid": ("已发 {paid} · 待发 {balance}", "paid {paid} · owed {balance}"),
    "my_clawback": ("已发 {paid} · 需退回 {amount}", "paid {paid} · to pay back {amount}"),
    "my_only_mine": ("只显示你自己的提成。", "Only your own commission is shown."),
    "whatif_title": ("再出一单会怎样？", "What if I sell one more?"),
    "whatif_product": ("商品", "Product"),
    "whatif_qty": ("件数", "Quantity"),
    "whatif_one": ("再出一单 {price}：+{earned}", "One more {price} order: +{earned}"),
    "whatif_many": ("再出一单 {qty} × {price}：+{earned}", "One more order of {qty} × {price}: +{earned}"),
    "whatif_up": ("，升至第 {rank} 名", ", up to No. {rank}"),
    "whatif_stay": ("，仍是第 {rank} 名", ", still No. {rank}"),
    "whatif_pool": ("，并解锁团队奖金池（分得 +{amount}）", ", and it unlocks the team pool (+{amount} share)"),
    "whatif_no_products": ("活动文件里没有商品。", "The event file lists no products."),
    "updated_short": ("{time} 更新", "updated {time}"),
    # leaderboards
    "boards_title": ("排行榜", "Leaderboards"),
    "boards_rank": ("名次", "Rank"),
    "boards_move": ("变化", "Move"),
    "boards_name": ("姓名", "Name"),
    "boards_team": ("团队", "Team"),
    "boards_commission": ("提成", "Commission"),
    "boards_move_note": ("变化：与 {minutes} 分钟前的名次相比", "Move: against the ranking {minutes} min ago"),
    "boards_teams": ("团队合计", "Teams"),
    "boards_members": ("人数", "Members"),
    "boards_no_teams": ("员工没有分组（活动文件里 staff 的 team）。", "No teams: staff have no `team` in the event file."),
    "boards_race": ("接单员成交走势（前 {n} 名）", "Order-takers' revenue over time (top {n})"),
    "boards_empty": ("暂无排行", "No standings yet"),
    "boards_total": ("累计成交额 {amount} · {orders}", "Revenue {amount} · {orders}"),
    # setup
    "setup_title": ("活动设置", "Setup"),
    "setup_event": ("活动概览", "The event"),
    "setup_dates": ("活动时间", "Dates"),
    "setup_goals": ("目标", "Goals"),
    "setup_goals_value": ("保底 {base} · 冲刺 {stretch}", "base {base} · stretch {stretch}"),
    "setup_buyers_goal": ("目标付款人数", "Buyers goal"),
    "setup_sessions": ("直播场次", "Live sessions"),
    "setup_flash_sales": ("秒杀", "Flash sales"),
    "setup_staff": ("员工", "Staff"),
    "setup_products_groups": ("商品 / 社群", "Products / groups"),
    "setup_session_name": ("场次", "Session"),
    "setup_start": ("开始", "Start"),
    "setup_end": ("结束", "End"),
    "setup_hosts": ("主播", "Hosts"),
    "setup_sale_product": ("商品", "Product"),
    "setup_sale_price": ("秒杀价", "Price"),
    "setup_sale_minutes": ("时长（分钟）", "Minutes"),
    "setup_sale_groups": ("推送社群", "Groups"),
    "setup_all_groups": ("全部社群", "every group"),
    "setup_role": ("岗位", "Role"),
    "setup_count": ("人数", "People"),
    "setup_feeds": ("数据源状态", "Feed health"),
    "setup_feed": ("数据源", "Feed"),
    "setup_kind": ("类型", "Kind"),
    "setup_kind_orders": ("订单", "Orders"),
    "setup_kind_checkins": ("互动（进群、进直播间、打卡）", "Check-ins"),
    "setup_files": ("文件", "Files"),
    "setup_read": ("已读", "Read"),
    "setup_unread": ("未读", "Unread"),
    "setup_last_row": ("最新一行", "Last row"),
    "setup_lag": ("延迟", "Lag"),
    "setup_quarantined": ("隔离行", "Quarantined"),
    "setup_ingest_running": ("采集运行中（{ago}前心跳）", "Ingest running (heartbeat {ago} ago)"),
    "setup_ingest_stopped": ("采集未运行：请启动 `warroom ingest -c 活动文件`", "Ingest not running: start `warroom ingest -c EVENT.toml`"),
    "setup_quarantine_note": ("有 {count} 行数据被隔离：用 `warroom quarantine -c 活动文件` 查看原因。", ("{count} row is quarantined: see why with `warroom quarantine -c EVENT.toml`.", "{count} rows are quarantined: see why with `warroom quarantine -c EVENT.toml`.")),
    "setup_links": ("个人链接", "Personal links"),
    "setup_links_note": (
        "每人一个二维码：扫码即打开自己的排名和提成，无需密码。链接等同于钥匙，请只发给本人；更换 link_secret 会让所有链接失效。",
        "One QR code each: scanning it opens that person's own ranking and commission, no password. A link is a key: give it only to its owner; changing link_secret revokes every link.",
    ),
    "setup_links_role": ("岗位", "Role"),
    "setup_no_links": (
        "没有 link_secret，无法生成个人链接：在 `.streamlit/secrets.toml` 的 `[warroom]` 或活动文件的 `[access]` 中设置（生成：`python -m warroom.access secret`）。",
        "No link_secret, so no personal links: set one under `[warroom]` in `.streamlit/secrets.toml` or `[access]` in the event file (make one with `python -m warroom.access secret`).",
    ),
    "setup_kiosk": ("大屏链接（电视用，免登录）", "Kiosk link (for the TV, no sign-in)"),
    "setup_kiosk_note": ("在电视浏览器打开，直接显示作战大屏。", "Open it in the TV's browser: it shows the big screen, nothing else."),
    "setup_demo_warning": (
        "本活动使用公开的演示密码（lead520 / boss520）和演示 link_secret：正式直播前请换成自己的。",
        "This event uses the public demo passwords (lead520 / boss520) and the demo link_secret: replace them before a real show.",
    ),
    "setup_never": ("—", "—"),
})

# == the flash-sale prompts' titles and reasons (warroom/prompts.py builds them, every screen shows them) ==
# A prompt stores its keys and values, so that each screen can show it in its own language. The
# values are names, counts, HH:MM times, preformatted rates and `*_fen` sums.
STRINGS.update({
    "pt_poster_title": ("推送秒杀海报：{product}（开抢前 {node} 分钟档）", "Push the flash-sale poster: {product} ({node} min before the sale)"),
    "pt_poster_reason": ("{time} {product} {price_fen:price} 元秒杀，还有 {countdown} 分钟", "{product} at ¥{price_fen:price} goes on sale at {time}, in {countdown} min"),
    "pt_live_now_title": ("推送「秒杀开始」：{product}", "Push “the flash sale is on”: {product}"),
    "pt_live_now_reason": ("{product} {price_fen:price} 元秒杀 {time} 开始，限时 {minutes} 分钟", "{product} at ¥{price_fen:price} went on sale at {time}, for {minutes} min"),
    "pt_order_screenshots_title": ("推送晒单：{product}", "Push order screenshots: {product}"),
    "pt_order_screenshots_reason": ("{time} {product} 秒杀已结束，{orders} 单", ("The {time} flash sale of {product} is over: {orders} order", "The {time} flash sale of {product} is over: {orders} orders")),
    "pt_momentum_drop_title": ("订单放缓：转发直播间高光，拉群友回直播间", "Orders slowing: share a live highlight, bring the groups back to the live room"),
    "pt_momentum_drop_reason": (
        "近 {window} 分钟 {orders_last} 单/分钟，前 {window} 分钟 {orders_before} 单/分钟（下降 {drop_percent}%）",
        "{orders_last} orders/min in the last {window} min, {orders_before}/min in the {window} min before (down {drop_percent}%)",
    ),
    "pt_momentum_drop_reason_viewers": (
        "近 {window} 分钟 {orders_last} 单/分钟，前 {window} 分钟 {orders_before} 单/分钟（下降 {drop_percent}%），在线 {viewers} 人",
        "{orders_last} orders/min in the last {window} min, {orders_before}/min in the {window} min before (down {drop_percent}%), {viewers} watching",
    ),
    "pt_viewer_surge_title": ("人气上涨：拉群友进直播间", "Viewers rising: bring the groups into the live room"),
    "pt_viewer_surge_reason": (
        "在线 {viewers} 人，比前 {window} 分钟平均 {viewers_before} 人上涨 {surge_percent}%",
        "{viewers} watching, up {surge_percent}% on the average of {viewers_before} over the {window} min before",
    ),
    "pt_behind_pace_title": ("进度落后：建议加一场秒杀", "Behind pace: add a flash sale"),
    "pt_behind_pace_reason": (
        "预计收官 {projected_fen:yuan}，低于保底 {base_fen:yuan}；剩余 {minutes_left} 分钟需 {needed_fen:yuan}/分钟，目前 {rate_fen:yuan}/分钟，建议加场秒杀",
        "Projected finish {projected_fen:yuan}, below the base goal of {base_fen:yuan}; the {minutes_left} min left need {needed_fen:yuan}/min, "
        "now {rate_fen:yuan}/min: add a flash sale",
    ),
    "pt_behind_pace_reason_product": (
        "预计收官 {projected_fen:yuan}，低于保底 {base_fen:yuan}；剩余 {minutes_left} 分钟需 {needed_fen:yuan}/分钟，目前 {rate_fen:yuan}/分钟，建议加场秒杀：{product}",
        "Projected finish {projected_fen:yuan}, below the base goal of {base_fen:yuan}; the {minutes_left} min left need {needed_fen:yuan}/min, "
        "now {rate_fen:yuan}/min: add a flash sale of {product}",
    ),
    "pt_quiet_group_title": ("{group} 冷场：发条消息暖群", "{group} has gone quiet: post a message to warm it up"),
    "pt_quiet_group_reason": ("{group} {members} 人，已 {quiet_minutes} 分钟没有下单或互动", "{group}, {members} members: no orders or activity for {quiet_minutes} min"),
    "pt_milestone_title": ("推送数据海报：突破 {milestone_fen:wan}", "Push the data poster: past {milestone_fen:short}"),
    "pt_milestone_reason": ("销售额 {revenue_fen:yuan}，{time} 突破 {milestone_fen:yuan}", "Revenue {revenue_fen:yuan}: past {milestone_fen:yuan} at {time}"),
})


def normalize_lang(value: str | None) -> str:
    """Return "en" when asked for English, else the default Chinese."""
    return "en" if (value or "").strip().lower().startswith("en") else DEFAULT_LANG


def t(key: str, lang: str = DEFAULT_LANG, **values: object) -> str:
    """Return the string for `key` in `lang`, with `values` filled in (a `*_fen` value by its money format, `{price_fen:price}`)."""
    zh, en = STRINGS[key]
    text = en if lang == "en" else zh
    if isinstance(text, tuple):
        one, other = text
        text = one if next((str(values[name]) for name in COUNTED if name in values), None) == "1" else other
    if not values:
        return text
    return text.format(**{name: Fen(value) if name.endswith("_fen") and isinstance(value, int) else value for name, value in values.items()})


# -- numbers ----------------------------------------------------------------------------------


def _round(value: Decimal, places: str = "1") -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def role_label(role: str, lang: str = DEFAULT_LANG) -> str:
    """Return a staff role's name in `lang` (接单员, 主播 …): "" is unattributed, "unknown" an id not in the event file, any other unknown role as written."""
    key = {"": "rv_role_none", "unknown": "rv_role_unknown"}.get(role, f"role_{role}")
    return t(key, lang) if key in STRINGS else role


def fmt_list(items: Iterable[str], lang: str) -> str:
    """Return names joined the way the language lists them: "1群、2群" in zh, "G1, G2" in en."""
    return ("、" if normalize_lang(lang) == "zh" else ", ").join(items)


def fmt_int(count: int | Decimal) -> str:
    """Return a whole number with thousands separators: 1001 -> "1,001"."""
    return f"{int(_round(Decimal(count))):,}"


def fmt_yuan(fen: int | Decimal) -> str:
    """Return fen as whole yuan with a ¥ sign and thousands separators: 176000000 -> "¥1,760,000"."""
    yuan = _round(Decimal(fen) / 100)
    sign = "-" if yuan < 0 else ""
    return f"{sign}¥{abs(int(yuan)):,}"


def fmt_wan(fen: int | Decimal) -> str:
    """Return fen in units of 10,000 yuan, one decimal: 176000000 -> "176.0万"."""
    return f"{_round(Decimal(fen) / 1_000_000, '0.1')}万"


def fmt_compact(fen: int | Decimal, lang: str = DEFAULT_LANG) -> str:
    """Return a short money figure: "176.0万" / "1.2亿" in Chinese, "¥1.76M" in English; small sums in full."""
    amount = Decimal(fen) / 100
    if abs(amount) < 10_000:
        return fmt_yuan(fen)
    if lang == "en":
        if abs(amount) >= 1_000_000:
            return f"¥{_round(amount / 1_000_000, '0.01')}M"
        return f"¥{_round(amount / 1_000, '0.1')}K"
    if abs(amount) >= 100_000_000:
        return f"{_round(amount / 100_000_000, '0.01')}亿"
    return fmt_wan(fen)


def fmt_axis_money(fen: int, lang: str = DEFAULT_LANG) -> str:
    """Return a money tick label without decimals that carry nothing: "50万", "150万", "¥1.5M"."""
    amount = Decimal(fen) / 100
    if amount == 0:
        return "0"
    if lang == "en":
        if abs(amount) >= 1_000_000:
            return f"¥{(amount / 1_000_000).normalize():f}M"
        return f"¥{(amount / 1_000).normalize():f}K"
    if abs(amount) >= 10_000:
        return f"{(amount / 10_000).normalize():f}万"
    return f"{amount.normalize():f}"


def fmt_pct(fraction: Decimal | float) -> str:
    """Return a fraction as a percentage with one decimal: 0.7634 -> "76.3%"."""
    return f"{_round(Decimal(str(fraction)) * 100, '0.1')}%"


def _decimals(value: Decimal) -> str:
    """Return a value with at most two decimals and none that carry nothing: 12.50 -> "12.5", 25.00 -> "25"."""
    return f"{_round(value, '0.01'):f}".rstrip("0").rstrip(".")


def fmt_price(fen: int | None) -> str:
    """Return yuan as a customer reads a price, without a sign: 99900 -> "999", 9990 -> "99.9"; None -> "-"."""
    return "-" if fen is None else _decimals(Decimal(fen) / 100)


def fmt_wan_yuan(fen: int) -> str:
    """Return a sum as a Chinese data poster writes it: "25 万元", "12.5 万元"; under ten thousand yuan, "8,000 元"."""
    amount = Decimal(fen) / 100
    return f"{_decimals(amount / 10_000)} 万元" if amount >= 10_000 else f"{int(amount):,} 元"


def fmt_short_yuan(fen: int) -> str:
    """Return a sum as an English poster writes it: "¥250K", "¥1.25M"; under ten thousand yuan, "¥8,000"."""
    amount = Decimal(fen) / 100
    if amount >= 1_000_000:
        return f"¥{_decimals(amount / 1_000_000)}M"
    return f"¥{_decimals(amount / 1_000)}K" if amount >= 10_000 else f"¥{int(amount):,}"


# The money formats a `*_fen` placeholder can name: "{price_fen:price} 元", "{milestone_fen:wan}".
MONEY_FORMATS = {"yuan": fmt_yuan, "price": fmt_price, "wan": fmt_wan_yuan, "short": fmt_short_yuan}


class Fen(int):
    """An amount in fen that formats itself by the name of a money format: f"{Fen(52000):price}" -> "520"."""

    def __format__(self, spec: str) -> str:
        money = MONEY_FORMATS.get(spec)
        return money(int(self)) if money else super().__format__(spec)


# == durations and masking (the setup page, and anywhere a customer id is shown) ==================


def fmt_duration(seconds: float, lang: str = DEFAULT_LANG) -> str:
    """Return a short duration: "45 秒", "12 分钟", "3 小时" / "45 s", "12 min", "3 h"."""
    seconds = max(int(seconds), 0)
    if seconds < 60:
        return f"{seconds} 秒" if lang != "en" else f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} 分钟" if lang != "en" else f"{seconds // 60} min"
    if seconds < 86_400 * 2:
        return f"{seconds // 3600} 小时" if lang != "en" else f"{seconds // 3600} h"
    return f"{seconds // 86_400} 天" if lang != "en" else f"{seconds // 86_400} d"


# A mainland mobile number (11 digits from 1[3-9]), not inside a longer run of digits.
# A mainland mobile number, optionally with +86 and spaces or dashes between its groups.
_PHONE = re.compile(r"(?<!\d)((?:\+?86)[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")


def mask_phone(text: str | None) -> str:
    """Return text with every mobile number masked to its first 3 and last 4 digits: 13812345678 -> 138****5678."""
    return _PHONE.sub(lambda match: f"{match[1] or ''}{match[2]}****{match[4]}", text or "")


# == commission, review, exports and the data poster, the operator page, the big screen's rail =====
# (pages/commission.py, review.py, prompts.py, the rail of big_screen.py, warroom/review.py, exports.py)
# Keys start with cm_, rv_, ex_, ps_, op_ or bs_.
BOSS_STRINGS: dict[str, tuple[str, str | tuple[str, str]]] = {
    # the big screen's rail
    "bs_date": ("{month}月{day}日 {weekday}", "{weekday}, {month}/{day}"),
    "bs_weekday_0": ("周一", "Mon"), "bs_weekday_1": ("周二", "Tue"), "bs_weekday_2": ("周三", "Wed"), "bs_weekday_3": ("周四", "Thu"),
    "bs_weekday_4": ("周五", "Fri"), "bs_weekday_5": ("周六", "Sat"), "bs_weekday_6": ("周日", "Sun"),
    "bs_next_sale": ("下一场秒杀", "Next flash sale"),
    "bs_sale_running": ("秒杀进行中 · 剩余", "Flash sale on · ends in"),
    "bs_sale_ends": ("抢完即止", "while stocks last"),
    "bs_sale_price": ("秒杀价 {price}", "flash price {price}"),
    "bs_list_price": ("原价 {price}", "list {price}"),
    "bs_no_more_sales": ("今天的秒杀都结束了", "No more flash sales"),
    "bs_prompts": ("推送提醒", "Push now"),
    "bs_groups": ("{count} 个群", "{count} groups"),
    "bs_group_one": ("1 个群", "1 group"),
    "bs_all_groups": ("全部社群", "every group"),
    "bs_in": ("还有 {time}", "in {time}"),
    "bs_more_prompts": ("还有 {count} 条提醒，见推送页", "{count} more on the prompts page"),
    "bs_no_prompts": ("暂无需要推送的提醒", "Nothing to push right now"),
    "bs_held_prompts": ("{count} 条提醒已静音或暂停", ("{count} prompt silenced or held back", "{count} prompts silenced or held back")),
    "bs_coming_sales": ("接下来的秒杀", "Coming flash sales"),
    "bs_big_orders": ("大单播报", "Big orders"),
    "bs_big_orders_from": ("{amount} 起", "from {amount}"),
    "bs_no_big_orders": ("还没有大单", "No big orders yet"),
    "bs_milestone": ("突破 {amount}！", "{amount} reached!"),
    "bs_goal_base": ("保底目标达成！", "Base goal reached!"),
    "bs_goal_stretch": ("冲刺目标达成！", "Stretch goal reached!"),
    "bs_keep_going": ("冲冲冲，下一个里程碑见！", "On to the next milestone!"),
    # commission
    "cm_title": ("提成", "Commission"),
    "cm_caption": ("{event} · 数据截至 {time}", "{event} · figures as of {time}"),
    "cm_refresh": ("刷新", "Refresh"),
    "cm_status_pending": ("待定", "Pending"),
    "cm_status_final": ("最终", "Final"),
    "cm_status_note_pending": ("退款期 {date} 结束后转为最终；在此之前的退款会减少提成。", "Becomes final when the refund window ends on {date}; refunds until then reduce commission."),
    "cm_status_note_final": ("退款期已于 {date} 结束，金额已确定。", "The refund window ended on {date}: the amounts are final."),
    "cm_orders": ("{orders} 单", ("{orders} order", "{orders} orders")),
    "cm_commission_total": ("提成合计", "Commission"),
    "cm_earners": ("{count} 人有提成", ("{count} person earning", "{count} people earning")),
    "cm_pool": ("团队奖金池", "Team pool"),
    "cm_pool_locked": ("未解锁", "Locked"),
    "cm_pool_unlocked": ("已解锁", "Unlocked"),
    "cm_pool_locked_again": ("已重新锁定", "Locked again"),
    "cm_goal_base": ("保底目标", "base goal"),
    "cm_goal_stretch": ("冲刺目标", "stretch goal"),
    "cm_pool_rule": ("成交额达到{goal} {amount} 后，按成交额的 {rate} 计入", "{rate} of revenue once it reaches the {goal} ({amount})"),
    "cm_pool_may_lock": ("注意：如果退款让成交额回落到{goal} {amount} 以下，奖金池会重新锁定。", "Note: if refunds take revenue back under the {goal} ({amount}), the pool locks again."),
    "cm_pool_relocked": ("成交额曾达到 {peak}，退款使它回落到{goal}以下，奖金池已重新锁定：还差 {short}。", "Revenue reached {peak}, then refunds took it back under the {goal}: the pool is locked again, {short} short."),
    "cm_pool_to_go": ("还差 {short} 解锁", "{short} to go to unlock it"),
    "cm_split_equal": ("全员平分", "Shared equally"),
    "cm_split_by_revenue": ("按个人成交额分配", "Shared by revenue"),
    "cm_split_none": ("不分配给个人", "Not shared out"),
    "cm_each": ("{count} 人，每人 {amount}", ("{count} person: {amount}", "{count} people, {amount} each")),
    "cm_pool_share": ("奖金池分成", "Pool share"),
    "cm_paid_total": ("已发放", "Paid out"),
    "cm_owed": ("待发放", "Owed"),
    "cm_clawbacks": ("需追回", "Clawbacks"),
    "cm_clawback_people": ("{count} 人多发", "{count} overpaid"),
    "cm_by_band": ("每人提成（按价格档）", "Commission per person, by price band"),
    "cm_band_commission": ("{band}", "{band}"),
    "cm_nothing_yet": ("还没有人有提成。", "Nobody has earned commission yet."),
    "cm_people": ("提成明细", "Everyone's commission"),
    "cm_people_note": ("余额 = 提成 + 奖金池分成 − 已发；为负数表示多发，需要追回。", "Balance = commission + pool share − paid; a negative balance was overpaid and is clawed back."),
    "cm_download": ("下载提成发放表（XLSX）", "Download the payout sheet (XLSX)"),
    # payout sheet
    "ex_payout_sheet": ("提成发放表", "Payout sheet"),
    "ex_notes": ("说明", "Notes"),
    "ex_staff_id": ("工号", "Staff id"),
    "ex_name": ("姓名", "Name"),
    "ex_role": ("岗位", "Role"),
    "ex_team": ("小组", "Team"),
    "ex_band_revenue": ("成交额 {band}", "Revenue {band}"),
    "ex_band_commission": ("提成 {band}", "Commission {band}"),
    "ex_revenue": ("成交额", "Revenue"),
    "ex_commission": ("提成", "Commission"),
    "ex_pool_share": ("奖金池分成", "Pool share"),
    "ex_total": ("应发合计", "Total earned"),
    "ex_paid": ("已发", "Paid"),
    "ex_balance": ("余额", "Balance"),
    "ex_clawback": ("需追回", "Clawback"),
    "ex_status": ("状态", "Status"),
    "ex_total_row": ("合计", "Total"),
    "ex_refund_deadline": ("退款期截止", "Refund window ends"),
    "ex_pool": ("团队奖金池", "Team pool"),
    "ex_pool_amount": ("奖金池金额", "Pool amount"),
    "ex_pool_split": ("分配方式", "Split"),
    "ex_band": ("价格档", "Price band"),
    # review
    "rv_title": ("复盘", "Review"),
    "rv_caption": ("{event} · 数据截至 {time}", "{event} · figures as of {time}"),
    "rv_still_live": ("活动还在进行：这是目前为止的复盘。", "The event is still on: this is the review so far."),
    "rv_refunds": ("退款 {orders} 单 · {amount}", "refunds {orders} · {amount}"),
    "rv_budget_of": ("预算 {amount}", "budget {amount}"),
    "rv_no_budget": ("未设置预算", "no budget set"),
    "rv_over_time": ("成交额走势与目标", "Revenue against the goals"),
    "rv_over_time_note": ("红色阴影为秒杀时段，菱形标出每场秒杀的商品；直播之间的空档已折叠。", "Red bands are the flash sales, each marked with its product; the time between live sessions is cut out."),
    "rv_curve": ("累计成交额", "Revenue"),
    "rv_flash_sales": ("秒杀", "Flash sales"),
    "rv_unknown_product": ("（未知商品）", "(unknown product)"),
    "rv_no_group": ("（无社群）", "(no group)"),
    "rv_role_none": ("（未归属）", "(unattributed)"),
    "rv_role_unknown": ("（不在名单）", "(not on the staff list)"),
    "rv_tier_high_value": ("高价值买家", "High value"),
    "rv_tier_repeat": ("复购买家", "Repeat"),
    "rv_tier_new": ("新买家", "New"),
    "rv_tier_unknown": ("（无买家信息）", "(no customer id)"),
    "rv_tiers_note": (
        "高价值：本次活动消费满 {amount} 或位列消费前 {share}；复购：2 单及以上；新买家：本次活动的第一单（仅 1 单）。每位买家只计入一个分层，按此顺序。",
        "High value: spent {amount} or more in the event, or in the top {share} by spend; repeat: 2 or more orders; new: their first order of the event (one order). Each buyer is in one tier, in that order.",
    ),
    "rv_funnel_joined": ("进群", "Joined a group"),
    "rv_funnel_entered_live": ("进直播间", "Entered the live room"),
    "rv_funnel_paid": ("付款", "Paid"),
    "rv_funnel_text": ("%{value:,} 人<br>占首步 %{percentInitial:.1%}<br>占上一步 %{percentPrevious:.1%}", "%{value:,}<br>%{percentInitial:.1%} of the first<br>%{percentPrevious:.1%} of the step before"),
    "rv_roi_note": ("投产比 = 成交额 ÷ 预算", "ROI = revenue ÷ budget"),
    "rv_cost_ratio_note": ("费比 = （预算 + 提成 + 奖金池）÷ 成交额", "cost ratio = (budget + commission + pool) ÷ revenue"),
    "rv_cost_note": ("预算 + 提成 + 奖金池", "budget + commission + pool"),
    "rv_no_budget_hint": ("活动文件里没有预算（[event] budget），无法计算投产比。", "The event file has no budget ([event] budget), so there is no ROI."),
    "rv_no_flash_sales": ("活动文件里没有秒杀。", "The event file lists no flash sales."),
    "rv_no_pushes": ("还没有确认过的推送：在推送页点「已推送」后，这里会显示每次推送带来的订单变化。", "No pushes acknowledged yet: once the team taps “pushed” on the prompts page, each push's lift shows here."),
    "rv_lift_note": ("额外订单 = 推送后 10 分钟比推送前 10 分钟多出的订单，再减去未推送社群同期的变化。", "Extra orders = orders in the 10 minutes after a push minus the 10 before, less the change in the groups not pushed into."),
    "rv_exports": ("导出", "Exports"),
    "rv_build": ("生成复盘表格和数据海报", "Build the workbook and the data poster"),
    "rv_building": ("正在生成…", "Building…"),
    "rv_build_tables": ("整理各项数据，写入表格…", "Writing the breakdowns into the workbook…"),
    "rv_build_poster": ("绘制数据海报…", "Drawing the data poster…"),
    "rv_built": ("已生成", "Ready"),
    "rv_exports_stale": ("数据在生成后有更新，可以重新生成。", "The figures changed since these were built: build them again for the latest."),
    "rv_download_xlsx": ("下载复盘表格（XLSX）", "Download the review workbook (XLSX)"),
    "rv_download_poster": ("下载数据海报（PNG）", "Download the data poster (PNG)"),
    "rv_poster": ("数据海报", "Data poster"),
    "rv_yes": ("是", "yes"),
    "rv_no": ("否（未满时长）", "no (window not over)"),
    "rv_by_rule": ("按规则", "by rule"),
    "rv_by_template": ("按文案", "by message"),
    "rv_sheet_summary": ("概览", "Summary"),
    "rv_sheet_hours": ("按小时", "By hour"),
    "rv_sheet_products": ("按商品", "By product"),
    "rv_sheet_groups": ("按社群", "By group"),
    "rv_sheet_roles": ("按岗位", "By role"),
    "rv_sheet_tiers": ("买家分层", "Buyer tiers"),
    "rv_sheet_funnel": ("转化漏斗", "Funnel"),
    "rv_sheet_roi": ("投产比", "ROI"),
    "rv_sheet_flash_sales": ("秒杀", "Flash sales"),
    "rv_sheet_pushes": ("推送效果", "Push lift"),
    "rv_sheet_lift_totals": ("推送效果汇总", "Lift totals"),
    "rv_col_item": ("项目", "Item"),
    "rv_col_value": ("数值", "Value"),
    "rv_col_number": ("数字", "Number"),
    "rv_col_event": ("活动", "Event"),
    "rv_col_as_of": ("数据截至", "As of"),
    "rv_col_revenue": ("成交额", "Revenue"),
    "rv_col_orders": ("订单数", "Orders"),
    "rv_col_buyers": ("买家数", "Buyers"),
    "rv_col_aov": ("客单价", "AOV"),
    "rv_col_refunds": ("退款", "Refunds"),
    "rv_col_refunded_orders": ("退款单数", "Refunded orders"),
    "rv_col_base_goal": ("保底目标", "Base goal"),
    "rv_col_stretch_goal": ("冲刺目标", "Stretch goal"),
    "rv_col_budget": ("预算", "Budget"),
    "rv_col_roi": ("投产比 ROI", "ROI"),
    "rv_col_hour": ("时段", "Hour"),
    "rv_col_share": ("占比", "Share"),
    "rv_col_product": ("商品", "Product"),
    "rv_col_sku": ("货号", "SKU"),
    "rv_col_group": ("社群", "Group"),
    "rv_col_owner": ("群主", "Owner"),
    "rv_col_joins": ("进群人次", "Joins"),
    "rv_col_role": ("岗位", "Role"),
    "rv_col_sellers": ("出单人数", "People selling"),
    "rv_col_tier": ("分层", "Tier"),
    "rv_col_per_buyer": ("人均消费", "Per buyer"),
    "rv_col_stage": ("环节", "Stage"),
    "rv_col_customers": ("人数", "Customers"),
    "rv_col_of_previous": ("上一步转化", "Of the step before"),
    "rv_col_of_first": ("整体转化", "Of the first step"),
    "rv_col_amount": ("金额", "Amount"),
    "rv_col_of_revenue": ("占成交额", "Of revenue"),
    "rv_col_commission": ("提成", "Commission"),
    "rv_col_pool": ("团队奖金池", "Team pool"),
    "rv_col_cost": ("总成本", "Total cost"),
    "rv_col_cost_ratio": ("费比", "Cost ratio"),
    "rv_col_time": ("时间", "Time"),
    "rv_col_price": ("秒杀价", "Flash price"),
    "rv_col_minutes": ("时长（分钟）", "Minutes"),
    "rv_col_sku_orders": ("秒杀商品订单", "Sale product orders"),
    "rv_col_sku_revenue": ("秒杀商品成交额", "Sale product revenue"),
    "rv_col_window_revenue": ("时段内总成交额", "Revenue in the window"),
    "rv_col_before_revenue": ("前一时段成交额", "Revenue the window before"),
    "rv_col_uplift": ("较前一时段", "Against the window before"),
    "rv_col_rule": ("规则", "Rule"),
    "rv_col_template": ("文案", "Message"),
    "rv_col_staff": ("推送人", "Pushed by"),
    "rv_col_groups": ("推送社群", "Groups"),
    "rv_col_orders_before": ("推送前订单", "Orders before"),
    "rv_col_orders_after": ("推送后订单", "Orders after"),
    "rv_col_others_before": ("其他群推送前", "Other groups before"),
    "rv_col_others_after": ("其他群推送后", "Other groups after"),
    "rv_col_extra_orders": ("额外订单", "Extra orders"),
    "rv_col_extra_checkins": ("额外互动", "Extra check-ins"),
    "rv_col_complete": ("观察期已满", "Window over"),
    "rv_col_by": ("维度", "By"),
    "rv_col_key": ("名称", "Name"),
    "rv_col_pushes": ("推送次数", "Pushes"),
    "rv_col_group_pushes": ("推送群次", "Group pushes"),
    "rv_col_extra_per_group": ("每群额外订单", "Extra orders per group"),
    # the data poster
    "ps_kicker": ("数据战报", "DATA REPORT"),
    "ps_revenue": ("累计成交额", "Revenue"),
    "ps_base": ("保底目标", "Base goal"),
    "ps_stretch": ("冲刺目标", "Stretch goal"),
    "ps_orders": ("支付订单", "Orders"),
    "ps_buyers": ("付款人数", "Buyers"),
    "ps_aov": ("客单价", "AOV"),
    "ps_curve": ("成交额走势", "Revenue over time"),
    "ps_no_curve": ("暂无成交", "No sales yet"),
    "ps_top3": ("接单王 TOP 3", "Top 3 order-takers"),
    "ps_no_sales": ("暂无成交", "No sales yet"),
    "ps_footer": ("作战室 · 数据截至 {time}", "War room · figures as of {time}"),
    # the operator page
    "op_title": ("推送提醒", "Prompts"),
    "op_next_sale_at": ("下一场秒杀 {time}", "Next flash sale {time}"),
    "op_me": ("推送人：{name}", "Pushing as {name}"),
    "op_who": ("我是", "I am"),
    "op_not_for_role": ("推送页是给气氛组和社群运营用的。", "The prompts page is for the hype squad and community ops."),
    "op_status": ("{time} · {count} 条待推送 · 累计成交额 {revenue}", "{time} · {count} to push · revenue {revenue}"),
    "op_nothing": ("暂无需要推送的提醒，保持关注。", "Nothing to push right now."),
    "op_why": ("原因：", "Why: "),
    "op_no_groups": ("（没有指定社群）", "(no groups)"),
    "op_done": ("已全部推送 ✓", "Pushed everywhere ✓"),
    "op_held": ("暂停中：{why}", "Held back: {why}"),
    "op_held_inhibited": ("秒杀进行中", "a flash sale is on"),
    "op_held_silenced": ("已静音", "silenced"),
    "op_held_cooldown": ("冷却中", "cooling down"),
    "op_urgency_critical": ("紧急", "Urgent"),
    "op_urgency_high": ("重要", "High"),
    "op_urgency_normal": ("一般", "Normal"),
    "op_urgency_low": ("可选", "Low"),
    "op_other_messages": ("其他文案（{count}）", "Other messages ({count})"),
    "op_groups": ("推送到哪些群", "Pushed into"),
    "op_push": ("已推送", "Pushed"),
    "op_acked": ("已记录：{title} → {groups}", "Recorded: {title} → {groups}"),
    "op_ack_not_stored": ("这条提醒还没有被提醒服务保存（提醒评估没有在运行？），暂时无法记录推送。", "This prompt has not been stored by the evaluator yet (is it running?), so the push cannot be recorded."),
    "op_all_groups": ("全部社群", "every group"),
    "op_silence": ("静音", "Silence"),
    "op_silence_for": ("静音多久", "For how long"),
    "op_minutes": ("{minutes} 分钟", "{minutes} min"),
    "op_silence_rule": ("静音这一类提醒", "Silence prompts like this"),
    "op_silence_all": ("静音全部提醒", "Silence every prompt"),
    "op_silenced": ("已静音 {minutes} 分钟", "Silenced for {minutes} min"),
    "op_silence_refused": ("静音时长须在 1 到 {limit} 分钟之间，没有静音。", "A silence lasts 1 to {limit} minutes; nothing was silenced."),
    "op_silences": ("静音中", "Silences"),
    "op_all_prompts": ("全部提醒", "every prompt"),
    "op_silence_line": ("{scope} 静音到 {until}（{who}）", "{scope} silenced until {until} ({who})"),
    "op_unsilence": ("结束", "End"),
}
STRINGS.update(BOSS_STRINGS)
