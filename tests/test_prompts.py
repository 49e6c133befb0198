"""Prompt rules in the style of promtool tests: synthetic per-minute series, evaluation times, and the prompts expected at each.

Each table row is (evaluation time, the prompts shown then). A prompt reads
`key groups` (groups still to push into, `-` for none), with `~pending` after the key while its
`for` runs, `[…]` for what suppresses it and `done` once pushed everywhere. Each row replays the
rules minute by minute from 19:30, as `warroom prompts --at` does; no test sleeps.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from warroom.clock import minute_of
from warroom.config import EventConfig
from warroom.prompt_rules import MinuteSeries, RuleBook, signals_at
from warroom.prompts import FIRING, PENDING, PromptState, Push, Silence, evaluate, prompt_json, prompts_of, replay, title_and_reason

TZ = ZoneInfo("Asia/Shanghai")
DAY = "2026-05-20"
START = datetime.fromisoformat(f"{DAY}T19:30:00+08:00")

EVENT = {
    "event": {"name": "小测试", "start": f"{DAY}T19:00:00+08:00", "end": f"{DAY}T23:00:00+08:00"},
    "goals": {"base": 10000, "stretch": 15000},
    "staff": [
        {"id": "S01", "name": "小林", "role": "order_taker"},
        {"id": "S20", "name": "阿青", "role": "community"},
        {"id": "S23", "name": "阿豪", "role": "hype"},
    ],
    "products": [{"sku": "P01", "name": "焕颜精华套装", "price": 1299}, {"sku": "P02", "name": "丝绒哑光口红", "price": 199}],
    "groups": [{"id": g, "name": f"宠粉 {g[-1]} 群", "owner": "S20"} for g in ("G01", "G02", "G03")],
    "sessions": [{"name": "第一晚", "start": f"{DAY}T20:00:00+08:00", "end": f"{DAY}T22:00:00+08:00"}],
    "flash_sales": [
        {"at": f"{DAY}T20:30:00+08:00", "sku": "P01", "price": 520, "minutes": 10, "groups": ["G01", "G02"]},
        {"at": f"{DAY}T21:30:00+08:00", "sku": "P02", "price": 99, "minutes": 10},
    ],
}


def config(*rules: dict, **changes) -> EventConfig:
    """Return the test event with these [[prompts]] rules (validated as the event file would be)."""
    return EventConfig.model_validate({**EVENT, **changes, "prompts": list(rules)})


def book(*rules: dict, **changes) -> RuleBook:
    return RuleBook.from_config(config(*rules, **changes))


def at(hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{DAY}T{hhmm}:00+08:00")


def minute(hhmm: str) -> int:
    return minute_of(at(hhmm))


def values(start: str, spec: str) -> dict[int, int]:
    """Return a per-minute series from `start` written like promtool's: "4x10 1x5" is ten minutes of 4 then five of 1; _ skips a minute."""
    series, first = {}, minute(start)
    for part in spec.split():
        value, _, times = part.partition("x")
        for _ in range(int(times or 1)):
            if value != "_":
                series[first] = int(value)
            first += 1
    return series


def label(prompt) -> str:
    text = prompt.key + ("~pending" if prompt.state == PENDING else "") + " " + (",".join(prompt.groups) or "-")
    if prompt.suppressed_by:
        text += f" [{','.join(prompt.suppressed_by)}]"
    return text + (" done" if prompt.done else "")


def shown(rule_book: RuleBook, series: MinuteSeries, when: str, silences=(), pushes=()) -> list[str]:
    """Return the labels of the pending and firing prompts at `when`, after replaying from 19:30."""
    state = replay(rule_book, series, at(when), start=START, state=PromptState(silences=tuple(silences), pushes=tuple(pushes)))
    return sorted(label(p) for p in prompts_of(rule_book, state, at(when), (PENDING, FIRING)))


def check(rule_book: RuleBook, series: MinuteSeries, table, **routing) -> None:
    got = [(when, shown(rule_book, series, when, **routing)) for when, _ in table]
    assert got == [(when, sorted(expected)) for when, expected in table]


# -- schedule rules ----------------------------------------------------------------------------

POSTER = [
    ("19:59", []),
    ("20:00", ["poster:0:T-30 G01,G02"]),
    ("20:19", ["poster:0:T-30 G01,G02"]),
    ("20:20", ["poster:0:T-10 G01,G02"]),
    ("20:27", ["poster:0:T-3 G01,G02"]),
    ("20:30", []),
    ("21:05", ["poster:1:T-30 G01,G02,G03"]),
]


def test_poster_at_each_countdown_node():
    check(book({"kind": "poster"}), MinuteSeries(), POSTER)


LIVE_NOW = [
    ("20:29", []),
    ("20:30", ["live_now:0 G01,G02"]),
    ("20:39", ["live_now:0 G01,G02"]),
    ("20:40", []),
]


def test_live_now_for_the_sale():
    check(book({"kind": "live_now"}), MinuteSeries(), LIVE_NOW)


def test_live_now_hold_minutes_shortens_it():
    check(book({"kind": "live_now", "hold_minutes": 3}), MinuteSeries(), [("20:32", ["live_now:0 G01,G02"]), ("20:33", [])])


SCREENSHOTS = [
    ("20:39", []),
    ("20:40", ["order_screenshots:0 G01,G02"]),
    ("20:49", ["order_screenshots:0 G01,G02"]),
    ("20:50", []),
    ("21:41", []),  # the second sale sold nothing: no screenshots to show
]


def test_order_screenshots_after_a_sale_that_sold():
    series = MinuteSeries(sku_orders={"P01": values("20:30", "2x10")})
    check(book({"kind": "order_screenshots"}), series, SCREENSHOTS)


# -- signal rules ------------------------------------------------------------------------------

# Four orders a minute until 21:10, then one, back to four at 21:20; 500 viewers throughout.
MOMENTUM_ORDERS = "4x70 1x10 4x20"
MOMENTUM = [
    ("21:11", []),
    ("21:12", ["momentum_drop~pending G01,G02,G03"]),  # 2.8 against 4 a minute: down 30 %
    ("21:13", ["momentum_drop~pending G01,G02,G03"]),
    ("21:14", ["momentum_drop G01,G02,G03"]),  # for 2 minutes
    ("21:19", ["momentum_drop G01,G02,G03"]),  # 1 a minute against 1.6
    ("21:20", ["momentum_drop G01,G02,G03"]),  # 1 against 1: cleared, kept firing for 2 minutes
    ("21:21", []),
]


def test_momentum_drop_while_viewers_hold():
    series = MinuteSeries(orders=values("20:00", MOMENTUM_ORDERS), viewers=values("20:00", "500x100"))
    check(book({"kind": "momentum_drop"}), series, MOMENTUM)


def test_no_momentum_prompt_when_viewers_leave_too():
    series = MinuteSeries(orders=values("20:00", MOMENTUM_ORDERS), viewers=values("20:00", "500x70 200x30"))
    check(book({"kind": "momentum_drop"}), series, [("21:14", []), ("21:18", [])])


def test_momentum_needs_a_busy_window_before():
    series = MinuteSeries(orders=values("20:00", "1x70 0x30"))
    check(book({"kind": "momentum_drop", "min_orders_per_minute": 2}), series, [("21:16", [])])


# 300 viewers, 600 from 20:40.
SURGE = [
    ("20:40", []),
    ("20:41", ["viewer_surge G01,G02,G03"]),
    ("20:47", ["viewer_surge G01,G02,G03"]),  # 600 against a mean of 420
    ("20:49", ["viewer_surge G01,G02,G03"]),  # cleared at 20:48, kept firing for 3 minutes
    ("20:50", []),
]


def test_viewer_surge():
    check(book({"kind": "viewer_surge"}), MinuteSeries(viewers=values("20:00", "300x40 600x20")), SURGE)


def test_a_surge_below_min_viewers_is_ignored():
    check(book({"kind": "viewer_surge", "min_viewers": 1000}), MinuteSeries(viewers=values("20:00", "300x40 600x20")), [("20:41", [])])


# 50 yuan a minute over a 120-minute session heads for 6,000 against a base of 10,000.
BEHIND = [
    ("20:20", []),  # the projection leans on the plan (warroom.pace) until the live average pulls it under the base at 20:21
    ("20:21", ["behind_pace~pending G01,G02,G03"]),
    ("20:25", ["behind_pace~pending G01,G02,G03"]),
    ("20:26", ["behind_pace G01,G02,G03"]),  # for 5 minutes
    ("20:35", ["behind_pace G01,G02,G03 [inhibited:flash_sale]"]),
    ("20:45", ["behind_pace G01,G02,G03"]),
]


def test_behind_pace():
    series = MinuteSeries(revenue_fen=values("20:00", "5000x120"), sku_revenue_fen={"P01": values("20:00", "5000x120")})
    check(book({"kind": "behind_pace"}), series, BEHIND)


def test_on_pace_no_prompt():
    series = MinuteSeries(revenue_fen=values("20:00", "10000x120"))
    check(book({"kind": "behind_pace"}), series, [("20:30", []), ("21:00", [])])


def test_behind_pace_says_the_run_rate_needed_and_suggests_a_product():
    series = MinuteSeries(revenue_fen=values("20:00", "5000x120"), sku_revenue_fen={"P01": values("20:00", "5000x120")})
    rules = book({"kind": "behind_pace"})
    state = replay(rules, series, at("20:26"), start=START)
    (prompt,) = prompts_of(rules, state, at("20:26"))
    # 1,300 yuan so far, 8,700 to go in 94 minutes.
    assert "需 ¥93/分钟" in prompt.reason
    assert "焕颜精华套装" in prompt.reason
    assert prompt.figures["needed_fen_per_minute"] == 9255


QUIET = [
    ("19:45", []),  # off air
    ("20:25", []),  # G02 quiet since 20:11: 14 minutes
    ("20:26", ["quiet_group:G02 G02"]),  # G03 is as quiet, but has 10 members
    ("20:40", ["quiet_group:G02 G02"]),
    ("20:46", []),  # G02 woke up at 20:45
]


def quiet_series() -> MinuteSeries:
    return MinuteSeries(
        group_joins={"G01": values("19:00", "100"), "G02": values("19:00", "100"), "G03": values("19:00", "10")},
        group_active={"G01": tuple(range(minute("19:00"), minute("22:00"))), "G02": (*range(minute("19:00"), minute("20:11")), minute("20:45"))},
    )


def test_quiet_group():
    check(book({"kind": "quiet_group"}), quiet_series(), QUIET)


# 100 yuan a minute from 20:00: 2,500 yuan (a quarter of the base) is reached in the minute 20:24.
MILESTONE = [
    ("20:24", []),
    ("20:25", ["milestone:2500 G01,G02,G03"]),
    ("20:34", ["milestone:2500 G01,G02,G03"]),
    ("20:35", []),
    ("20:50", ["milestone:5000 G01,G02,G03"]),
]


def test_milestone():
    check(book({"kind": "milestone"}), MinuteSeries(revenue_fen=values("20:00", "10000x120")), MILESTONE)


def test_milestones_from_the_event_file():
    rules = book({"kind": "milestone", "milestones": [3000]})
    check(rules, MinuteSeries(revenue_fen=values("20:00", "10000x120")), [("20:25", []), ("20:30", ["milestone:3000 G01,G02,G03"])])


# -- the lifecycle and routing -------------------------------------------------------------------

# Ten orders a minute during the 20:30 sale, three otherwise: the drop after it is the sale ending.
INHIBITION = [
    ("20:35", []),
    ("20:43", ["momentum_drop~pending G01,G02,G03 [inhibited:flash_sale]"]),
    ("20:45", ["momentum_drop G01,G02,G03 [inhibited:flash_sale]"]),
    ("20:50", ["momentum_drop G01,G02,G03 [inhibited:flash_sale]"]),  # kept firing, still held back
    ("20:51", []),
]


def test_no_momentum_prompt_while_a_flash_sale_runs():
    series = MinuteSeries(orders=values("20:00", "3x30 10x10 3x60"))
    check(book({"kind": "momentum_drop"}), series, INHIBITION)


def test_without_inhibition_the_same_drop_prompts():
    series = MinuteSeries(orders=values("20:00", "3x30 10x10 3x60"))
    check(book({"kind": "momentum_drop", "inhibited_by": []}), series, [("20:45", ["momentum_drop G01,G02,G03"])])


RULE_INHIBITION = [
    ("20:29", ["quiet_group:G02 G02"]),
    ("20:30", ["live_now:0 G01,G02", "quiet_group:G02 G02 [inhibited:live_now]"]),
    ("20:40", ["quiet_group:G02 G02"]),
]


def test_a_rule_inhibits_another_while_it_fires():
    check(book({"kind": "live_now"}, {"kind": "quiet_group", "inhibited_by": ["live_now"]}), quiet_series(), RULE_INHIBITION)


def push(key: str, groups: str, when: str, rule: str | None = None, staff: str = "S23") -> Push:
    rule = rule or key.split(":")[0]
    return Push(id=f"{key}@{when}", prompt_key=key, rule=rule, kind=rule, groups=tuple(groups.split(",")), staff_id=staff, pushed_at=at(when))


# viewer_surge fires 20:41–20:49 (as above). Pushes: a poster into G01 at 20:38, and the
# surge prompt itself into G02 and G03 at 20:42.
COOLDOWN_PUSHES = [push("poster:0:T-3", "G01", "20:28"), push("other", "G01", "20:38"), push("viewer_surge", "G02,G03", "20:42")]
COOLDOWN = [
    ("20:27", []),
    ("20:41", ["viewer_surge G02,G03"]),  # G01 had a push 3 minutes ago
    ("20:43", ["viewer_surge - [cooldown]"]),  # pushed into G02, G03; G01 still cooling
    ("20:48", ["viewer_surge G01"]),  # G01's 10 minutes are over
]


def test_cooldown_per_group():
    check(book({"kind": "viewer_surge"}), MinuteSeries(viewers=values("20:00", "300x40 600x20")), COOLDOWN, pushes=COOLDOWN_PUSHES)


def test_schedule_rules_have_no_cooldown():
    check(book({"kind": "poster"}), MinuteSeries(), [("20:27", ["poster:0:T-3 G01,G02"])], pushes=[push("other", "G01,G02", "20:26")])


PUSHED = [
    ("20:21", ["poster:0:T-10 G02"]),
    ("20:23", ["poster:0:T-10 - done"]),
    ("20:27", ["poster:0:T-3 G01,G02"]),  # a new node is a new prompt
]


def test_a_push_closes_the_prompt_group_by_group():
    pushes = [push("poster:0:T-10", "G01", "20:20"), push("poster:0:T-10", "G02", "20:22")]
    check(book({"kind": "poster"}), MinuteSeries(), PUSHED, pushes=pushes)


def silence(sid: str, start: str, end: str, **matchers) -> Silence:
    return Silence(id=sid, starts_at=at(start), ends_at=at(end), created_by="S01", **matchers)


SILENCES = [silence("all", "20:20", "20:25"), silence("g2", "20:27", "20:40", rule="poster", group="G02"), silence("g1", "20:28", "20:29", group="G01")]
SILENCED = [
    ("20:21", ["poster:0:T-10 G01,G02 [silenced:all]"]),
    ("20:25", ["poster:0:T-10 G01,G02"]),
    ("20:27", ["poster:0:T-3 G01"]),
    ("20:28", ["poster:0:T-3 - [silenced:g1,silenced:g2]"]),
    ("20:29", ["poster:0:T-3 G01"]),
]


def test_silences():
    check(book({"kind": "poster"}), MinuteSeries(), SILENCED, silences=SILENCES)


def test_a_silence_for_another_kind_does_not_match():
    check(book({"kind": "poster"}), MinuteSeries(), [("20:21", ["poster:0:T-10 G01,G02"])], silences=[silence("s", "20:20", "20:25", kind="viewer_surge")])


KEEP_FIRING = [
    (0, "20:48", []),
    (0, "20:47", ["viewer_surge G01,G02,G03"]),
    (3, "20:48", ["viewer_surge G01,G02,G03"]),
    (3, "20:50", []),
]


@pytest.mark.parametrize(("keep", "when", "expected"), KEEP_FIRING)
def test_keep_firing_for(keep, when, expected):
    rules = book({"kind": "viewer_surge", "keep_firing_for_minutes": keep})
    assert shown(rules, MinuteSeries(viewers=values("20:00", "300x40 600x20")), when) == expected


def test_a_pending_prompt_whose_condition_clears_goes_back_to_inactive():
    rules = book({"kind": "viewer_surge", "for_minutes": 10})
    series = MinuteSeries(viewers=values("20:00", "300x40 600x20"))
    assert (shown(rules, series, "20:47"), shown(rules, series, "20:48")) == (["viewer_surge~pending G01,G02,G03"], [])


def test_a_resolved_prompt_that_fires_again_is_a_new_activation():
    rules = book({"kind": "quiet_group", "window_minutes": 5})
    series = MinuteSeries(group_joins={"G01": values("19:00", "100")}, group_active={"G01": (minute("20:10"),)})
    first = replay(rules, series, at("20:20"), start=START)
    woke = replay(rules, MinuteSeries(group_joins=series.group_joins, group_active={"G01": (minute("20:10"), minute("20:20"))}), at("20:22"), start=at("20:21"), state=first)
    again = replay(rules, MinuteSeries(group_joins=series.group_joins, group_active={"G01": (minute("20:10"), minute("20:20"))}), at("20:26"), start=at("20:23"), state=woke)
    states = [s.instances["quiet_group:G01"].state for s in (first, woke, again)]
    assert (states, again.instances["quiet_group:G01"].active_since) == (["firing", "resolved", "firing"], at("20:26"))


def test_evaluate_is_pure():
    rules = book({"kind": "poster"}, {"kind": "viewer_surge"})
    series = MinuteSeries(viewers=values("20:00", "300x40 600x20"))
    signals = signals_at(rules, series, at("20:41"))
    previous = PromptState()
    assert evaluate(rules, signals, at("20:41"), previous) == evaluate(rules, signals, at("20:41"), previous) and previous == PromptState()


# -- what a prompt says --------------------------------------------------------------------------


def test_the_poster_message_is_filled_in():
    rules = book({"kind": "poster", "link": "https://shop.example.com/item/{sku}", "messages": ["{product} 秒杀 {price} 元（原价 {list_price}），{time} 开抢，还有 {countdown} 分钟 {link}"]})
    state = replay(rules, MinuteSeries(), at("20:21"), start=at("20:20"))
    (prompt,) = prompts_of(rules, state, at("20:21"))
    assert prompt.message == "焕颜精华套装 秒杀 520 元（原价 1299），20:30 开抢，还有 9 分钟 https://shop.example.com/item/P01"


def test_default_rules_when_none_are_given():
    rules = RuleBook.from_config(config())
    assert [rule.name for rule in rules.rules] == [
        "poster", "live_now", "order_screenshots", "momentum_drop", "viewer_surge", "behind_pace", "quiet_group", "milestone",
    ]


def test_prompts_sort_active_then_most_urgent_then_nearest_sale():
    rules = book({"kind": "poster", "countdown_minutes": [60]}, {"kind": "live_now"}, {"kind": "milestone", "urgency": "low"})
    state = replay(rules, MinuteSeries(revenue_fen=values("20:00", "10000x30")), at("20:31"), start=START)
    state = PromptState(instances=state.instances, silences=(silence("s", "20:30", "20:40", kind="live_now"),), evaluated_at=state.evaluated_at)
    assert [label(p) for p in prompts_of(rules, state, at("20:31"))] == [
        "poster:1:T-60 G01,G02,G03", "milestone:2500 G01,G02,G03", "live_now:0 G01,G02 [silenced:s]",
    ]


def test_a_template_key_names_its_text():
    rules = book({"kind": "poster"})
    assert rules.template("poster#1").startswith("【还剩 {countdown} 分钟】")


def test_series_helpers_read_only_whole_minutes_before_now():
    series = MinuteSeries(orders=values("20:00", "1x10"), viewers=values("20:00", "100 200 300"))
    signals = signals_at(book(), series, at("20:02") + timedelta(seconds=30))
    assert (signals.orders(0, 1 << 40), signals.viewers_last()) == (2, 200)


# -- titles and reasons in the screen's language -----------------------------------------------------

# One case per kind of prompt (and per variant of its text): the rule, the series, when it shows, its Chinese title and reason.
TEXTS = [
    pytest.param({"kind": "poster"}, MinuteSeries, "20:27",
                 "推送秒杀海报：焕颜精华套装（开抢前 3 分钟档）", "20:30 焕颜精华套装 520 元秒杀，还有 3 分钟", id="poster"),
    pytest.param({"kind": "live_now"}, MinuteSeries, "20:30", "推送「秒杀开始」：焕颜精华套装", "焕颜精华套装 520 元秒杀 20:30 开始，限时 10 分钟", id="live_now"),
    pytest.param({"kind": "order_screenshots"}, lambda: MinuteSeries(sku_orders={"P01": values("20:30", "2x10")}), "20:40",
                 "推送晒单：焕颜精华套装", "20:30 焕颜精华套装 秒杀已结束，20 单", id="order_screenshots"),
    pytest.param({"kind": "momentum_drop"}, lambda: MinuteSeries(orders=values("20:00", MOMENTUM_ORDERS), viewers=values("20:00", "500x100")), "21:14",
                 "订单放缓：转发直播间高光，拉群友回直播间", "近 5 分钟 1.6 单/分钟，前 5 分钟 4.0 单/分钟（下降 60%），在线 500 人", id="momentum_drop"),
    pytest.param({"kind": "momentum_drop"}, lambda: MinuteSeries(orders=values("20:00", MOMENTUM_ORDERS)), "21:14",
                 "订单放缓：转发直播间高光，拉群友回直播间", "近 5 分钟 1.6 单/分钟，前 5 分钟 4.0 单/分钟（下降 60%）", id="momentum_drop-no-viewers"),
    pytest.param({"kind": "viewer_surge"}, lambda: MinuteSeries(viewers=values("20:00", "300x40 600x20")), "20:41",
                 "人气上涨：拉群友进直播间", "在线 600 人，比前 5 分钟平均 300 人上涨 100%", id="viewer_surge"),
    pytest.param({"kind": "behind_pace"}, lambda: MinuteSeries(revenue_fen=values("20:00", "5000x120"), sku_revenue_fen={"P01": values("20:00", "5000x120")}), "20:26",
                 "进度落后：建议加一场秒杀", "预计收官 ¥9,552，低于保底 ¥10,000；剩余 94 分钟需 ¥93/分钟，目前 ¥50/分钟，建议加场秒杀：焕颜精华套装", id="behind_pace"),
    pytest.param({"kind": "behind_pace"}, lambda: MinuteSeries(revenue_fen=values("20:00", "5000x120")), "20:26",
                 "进度落后：建议加一场秒杀", "预计收官 ¥9,552，低于保底 ¥10,000；剩余 94 分钟需 ¥93/分钟，目前 ¥50/分钟，建议加场秒杀", id="behind_pace-no-product"),
    pytest.param({"kind": "quiet_group"}, quiet_series, "20:26", "宠粉 2 群 冷场：发条消息暖群", "宠粉 2 群 100 人，已 15 分钟没有下单或互动", id="quiet_group"),
    pytest.param({"kind": "milestone"}, lambda: MinuteSeries(revenue_fen=values("20:00", "10000x120")), "20:25",
                 "推送数据海报：突破 2,500 元", "销售额 ¥2,500，20:24 突破 ¥2,500", id="milestone"),
    pytest.param({"kind": "milestone", "milestones": [1_000_000]}, lambda: MinuteSeries(revenue_fen=values("20:00", "5000000x120")), "20:21",
                 "推送数据海报：突破 100 万元", "销售额 ¥1,050,000，20:19 突破 ¥1,000,000", id="milestone-wan"),
]
# The event's own names (products, groups) are data, shown as written: the English case names them in English.
ENGLISH_NAMES = {
    "products": [{"sku": "P01", "name": "Rose serum set", "price": 1299}, {"sku": "P02", "name": "Velvet lipstick", "price": 199}],
    "groups": [{"id": g, "name": f"Fans {g[-1]}", "owner": "S20"} for g in ("G01", "G02", "G03")],
}
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")


def the_prompt(rules: RuleBook, series: MinuteSeries, when: str):
    (prompt,) = prompts_of(rules, replay(rules, series, at(when), start=START), at(when), (PENDING, FIRING))
    return prompt


@pytest.mark.parametrize(("rule", "series", "when", "title", "reason"), TEXTS)
def test_chinese_title_and_reason_are_as_before(rule, series, when, title, reason):
    prompt = the_prompt(book(rule), series(), when)
    assert (prompt.title, prompt.reason, title_and_reason(prompt, "zh")) == (title, reason, (title, reason))


@pytest.mark.parametrize(("rule", "series", "when", "title", "reason"), TEXTS)
def test_english_title_and_reason_have_no_chinese(rule, series, when, title, reason):
    english = title_and_reason(the_prompt(book(rule, **ENGLISH_NAMES), series(), when), "en")
    assert all(text and not CJK.search(text) for text in english), english


def test_english_sums_are_written_the_english_way():
    prompt = the_prompt(book({"kind": "milestone", "milestones": [1_000_000]}), MinuteSeries(revenue_fen=values("20:00", "5000000x120")), "20:21")
    assert title_and_reason(prompt, "en") == ("Push the data poster: past ¥1M", "Revenue ¥1,050,000: past ¥1,000,000 at 20:19")


def test_the_json_keeps_the_chinese_title_and_reason():
    prompt = the_prompt(book({"kind": "poster"}), MinuteSeries(), "20:27")
    assert {key: prompt_json(prompt)[key] for key in ("title", "reason")} == {"title": prompt.title, "reason": prompt.reason}


def test_content_without_text_keys_shows_its_stored_text():
    prompt = the_prompt(book({"kind": "poster"}), MinuteSeries(), "20:27")
    older = replace(prompt, title_key="", reason_key="", text_values={})
    assert title_and_reason(older, "en") == ("推送秒杀海报：焕颜精华套装（开抢前 3 分钟档）", "20:30 焕颜精华套装 520 元秒杀，还有 3 分钟")


def test_text_values_that_no_longer_fit_show_the_stored_text():
    prompt = the_prompt(book({"kind": "poster"}), MinuteSeries(), "20:27")
    assert title_and_reason(replace(prompt, text_values={"product": "x"}), "en") == (prompt.title, prompt.reason)


def test_the_event_file_rewrites_a_kinds_default_copy():
    rules = RuleBook.from_config(config(prompt_messages={"milestone": ["破 {milestone} 啦 {link}"]}))
    assert (rules.rule("milestone").messages, rules.rule("poster").messages[0][:6]) == (("破 {milestone} 啦 {link}",), "⏰ 秒杀预告")


def test_the_default_copy_uses_only_its_kinds_placeholders():
    with pytest.raises(ValueError, match="got {product}"):
        config(prompt_messages={"quiet_group": ["{product} 在等你"]})
