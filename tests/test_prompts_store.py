"""Prompts in the store, on SQLite and PostgreSQL: the evaluator, restarts, pushes, silences, lift; the event file; the command line."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.events import SMALL_EVENT
from tests.figures_helpers import recompute
from tests.test_cli import warroom
from tests.test_prompts import EVENT, at, config, minute
from warroom import schema
from warroom.cli import main
from warroom.clock import FixedClock
from warroom.config import ConfigError, load_event
from warroom.figures import LiveFigures
from warroom.prompt_rules import RuleBook
from warroom.prompt_state import (
    PromptEvaluator,
    acknowledge,
    active_silences,
    expire_silence,
    lift,
    lift_summary,
    list_prompts,
    load_series,
    prompts_at,
    prompts_seq,
    run_evaluator,
    silence,
)
from warroom.prompts import PENDING, title_and_reason
from warroom.records import Batch, CheckIn, OrderLine
from warroom.store import Store


def keys(prompts) -> list[str]:
    return [prompt.key for prompt in prompts]


def order(order_id: str, when: str, fen: int, group: str, sku: str = "P01", second: int = 0) -> OrderLine:
    return OrderLine(order_id=order_id, ts=int(at(when).timestamp()) + second, amount_fen=fen, sku=sku, customer_id=f"C{order_id}", group_id=group)


def checkin(checkin_id: str, when: str, kind: str, group: str | None = None, value: int | None = None) -> CheckIn:
    return CheckIn(checkin_id=checkin_id, ts=int(at(when).timestamp()), kind=kind, customer_id=None if kind == "viewers" else f"C{checkin_id}", group_id=group, value=value)


# -- state in the store --------------------------------------------------------------------------


def test_a_restart_loses_no_pending_time(store):
    event = config({"kind": "poster", "for_minutes": 2})
    assert PromptEvaluator(store, event).tick(at("20:00")) == []
    restarted = PromptEvaluator(store, event)
    (prompt,) = restarted.tick(at("20:02"))
    assert (prompt.key, prompt.state, prompt.active_since, prompt.fired_at) == ("poster:0:T-30", "firing", at("20:00"), at("20:02"))


def test_the_evaluator_beside_the_ingest_ticks_and_stops(store):
    event = config({"kind": "poster"})
    stop = threading.Event()
    stop.set()
    run_evaluator(store, event, stop, clock=FixedClock(at("20:00")))
    assert keys(list_prompts(store, event, at=at("20:00"))) == ["poster:0:T-30"]


def test_every_screen_sees_the_same_prompts(store):
    event = config({"kind": "poster"}, {"kind": "live_now"})
    ticked = PromptEvaluator(store, event).tick(at("20:31"))
    other_screen = Store(store.url)
    try:
        assert list_prompts(other_screen, event, at=at("20:31")) == ticked
    finally:
        other_screen.close()


def test_a_push_is_recorded_and_closes_the_prompt(store):
    event = config({"kind": "poster"})
    PromptEvaluator(store, event).tick(at("20:20"))
    first = acknowledge(store, "poster:0:T-10", "S23", at=at("20:21"), groups=["G01"], template=1)
    (partly,) = list_prompts(store, event, at=at("20:21"))
    acknowledge(store, "poster:0:T-10", "S20", at=at("20:22"))
    (done,) = list_prompts(store, event, at=at("20:22"))
    assert first.message.startswith("【还剩 10 分钟】")
    assert partly.groups == ("G02",)
    assert partly.pushed_groups == ("G01",)
    assert done.done
    assert not done.active


def test_a_push_defaults_to_the_suggested_message(store):
    event = config({"kind": "poster"})
    (prompt,) = PromptEvaluator(store, event).tick(at("20:20"))
    pushed = acknowledge(store, prompt.key, "S23", at=at("20:21"))
    assert (pushed.template, pushed.message, pushed.groups) == (prompt.template, prompt.message, ("G01", "G02"))


def test_acknowledging_an_unknown_prompt_fails(store):
    with pytest.raises(KeyError):
        acknowledge(store, "nope", "S23", at=at("20:21"))


def test_a_silence_holds_prompts_back_until_it_ends_or_is_expired(store):
    event = config({"kind": "poster"})
    PromptEvaluator(store, event).tick(at("20:20"))
    held = silence(store, minutes=5, created_by="S01", at=at("20:20"), comment="主播讲解产品")
    silenced = list_prompts(store, event, at=at("20:21"))[0].suppressed_by
    listed = [s.id for s in active_silences(store, at=at("20:21"))]
    expired = expire_silence(store, held.id, at=at("20:22"))
    assert silenced == (f"silenced:{held.id}",)
    assert listed == [held.id]
    assert expired
    assert list_prompts(store, event, at=at("20:22"))[0].active


def test_only_visible_changes_move_the_prompts_seq(store):
    evaluator = PromptEvaluator(store, config({"kind": "poster"}))
    evaluator.tick(at("20:20"))
    first = prompts_seq(store)
    evaluator.tick(at("20:20") + timedelta(seconds=5))  # same countdown, same prompt
    same = prompts_seq(store)
    evaluator.tick(at("20:21"))  # the countdown moved
    assert first > 0
    assert same == first
    assert prompts_seq(store) > same


def test_prompts_seq_moves_on_a_push(store):
    PromptEvaluator(store, config({"kind": "poster"})).tick(at("20:20"))
    before = prompts_seq(store)
    acknowledge(store, "poster:0:T-10", "S23", at=at("20:21"))
    assert prompts_seq(store) == before + 1


def test_a_stored_prompt_shows_in_english(store):
    event = config({"kind": "poster"})
    PromptEvaluator(store, event).tick(at("20:27"))
    (prompt,) = list_prompts(store, event, at=at("20:27"))
    assert title_and_reason(prompt, "en")[0] == "Push the flash-sale poster: 焕颜精华套装 (3 min before the sale)"


def test_a_prompt_stored_before_the_text_keys_shows_its_chinese_text(store):
    event = config({"kind": "poster"})
    PromptEvaluator(store, event).tick(at("20:27"))
    table = schema.prompt_instances
    with store.writer.begin() as conn:  # the row as an older version wrote it: a title and a reason, no keys
        content = json.loads(conn.execute(select(table.c.content)).scalar_one())
        older = {key: value for key, value in content.items() if key not in ("title_key", "reason_key", "text_values")}
        conn.execute(update(table).values(content=json.dumps(older, ensure_ascii=False)))
    (prompt,) = list_prompts(store, event, at=at("20:27"))
    assert title_and_reason(prompt, "en") == ("推送秒杀海报：焕颜精华套装（开抢前 3 分钟档）", "20:30 焕颜精华套装 520 元秒杀，还有 3 分钟")


# -- signals from the store's rollups ------------------------------------------------------------


def test_load_series_reads_the_rollups(store):
    store.apply(Batch(
        orders=[order("1", "20:10", 1000, "G01"), order("2", "20:10", 2000, "G02", second=30), order("3", "20:12", 500, "G01", sku="P02")],
        checkins=[checkin("k1", "19:00", "join_group", "G02"), checkin("k2", "20:05", "check_in", "G03"), checkin("v1", "20:10", "viewers", value=321)],
    ))
    with store.reading() as conn:
        series = load_series(conn, RuleBook.from_config(config()), until_minute=minute("20:12"))
    assert (
        series.orders, series.revenue_fen, series.viewers, series.group_active, series.group_joins, series.sku_orders,
    ) == (
        {minute("20:10"): 2}, {minute("20:10"): 3000}, {minute("20:10"): 321},
        {"G01": (minute("20:10"),), "G02": (minute("19:00"), minute("20:10")), "G03": (minute("20:05"),)},
        {"G02": {minute("19:00"): 1}}, {"P01": {minute("20:10"): 2}},
    )


def test_the_evaluator_reads_signals_from_the_store(store):
    event = config({"kind": "milestone"}, {"kind": "order_screenshots"})
    store.apply(Batch(orders=[order(f"o{i}", "20:31", 52000, "G01") for i in range(5)]))
    assert keys(PromptEvaluator(store, event).tick(at("20:41"))) == ["order_screenshots:0", "milestone:2500"]


def test_a_new_write_is_seen_by_the_next_tick(store):
    evaluator = PromptEvaluator(store, config({"kind": "milestone"}))
    evaluator.tick(at("20:11"))
    store.apply(Batch(orders=[order("big", "20:11", 300000, "G01")]))
    assert keys(evaluator.tick(at("20:12"))) == ["milestone:2500"]


# -- lift ----------------------------------------------------------------------------------------


def lift_store(store):
    """Two orders a group in the ten minutes before a 20:30 push into G01; after it, G01 sells six and G02 three."""
    before = [order(f"b{g}{i}", "20:2" + str(i), 10000, g) for g in ("G01", "G02") for i in range(2)]
    after = [order(f"a1{i}", "20:3" + str(i), 10000, "G01") for i in range(6)] + [order(f"a2{i}", "20:3" + str(i), 10000, "G02") for i in range(3)]
    joins = [checkin(f"j{i}", "20:35", "check_in", "G01") for i in range(4)]
    store.apply(Batch(orders=before + after, checkins=joins))
    PromptEvaluator(store, config({"kind": "poster"})).tick(at("20:27"))
    acknowledge(store, "poster:0:T-3", "S23", at=at("20:30"), groups=["G01"], template=1)
    acknowledge(store, "poster:0:T-3", "S20", at=at("20:45"), groups=["G02"], template=0)


def test_lift_of_a_push_against_the_other_groups(store):
    lift_store(store)
    first, second = lift(store, config(), at=at("20:50"), minutes=10)
    # G01: 2 → 6; the others (G02, G03) went 2 → 3 together, half a group's worth each.
    assert first.complete
    assert first.orders_before == 2
    assert first.orders_after == 6
    assert first.extra_orders == 3.5
    assert first.extra_checkins == 4.0
    assert not second.complete


@pytest.mark.parametrize(("by", "expected"), [("rule", [("poster", 1, 3.5)]), ("template", [("poster#1", 1, 3.5)]), ("staff", [("S23", 1, 3.5)])])
def test_lift_summary(store, by, expected):
    lift_store(store)
    summary = lift_summary(lift(store, config(), at=at("20:50"), minutes=10), by)
    assert [(row.key, row.pushes, row.extra_orders) for row in summary] == expected


# -- the event file ------------------------------------------------------------------------------

PROMPTS_TOML = '\n[[prompts]]\nkind = "{kind}"\n{extra}\n'


@pytest.mark.parametrize(
    ("kind", "extra", "key", "expected"),
    [
        ("poster", "drop_percent = 20", "prompts[0].drop_percent", "only on momentum_drop"),
        ("poster", 'messages = ["{product} {viewers}"]', "prompts[0].messages", "got {viewers}"),
        ("poster", 'messages = ["{price:.2f}"]', "prompts[0].messages", "plain placeholders"),
        ("poster", 'link = "https://x/{product}"', "prompts[0].link", "{sku}"),
        ("quiet_group", 'groups = ["G99"]', "prompts[0].groups", "group ids"),
        ("momentum_drop", 'inhibited_by = ["lunch"]', "prompts[0].inhibited_by", "flash_sale"),
        ("viewer_surge", 'urgency = "now"', "prompts[0].urgency", "critical"),
        ("poster", "countdown_minutes = [10, 0]", "prompts[0].countdown_minutes", "at least 1"),
        ("poster", '[[prompts]]\nkind = "poster"', "prompts[1].name", "unique"),
        ("poster", "fore_minutes = 2", "prompts[0].fore_minutes", "no such key"),
    ],
    ids=["key-of-another-kind", "unknown-placeholder", "format-spec", "link-placeholder", "unknown-group", "unknown-inhibitor", "urgency", "countdown", "duplicate-name", "misspelt"],
)
def test_a_bad_prompt_rule_names_the_key(tmp_path, kind, extra, key, expected):
    path = tmp_path / "event.toml"
    path.write_text(SMALL_EVENT + PROMPTS_TOML.format(kind=kind, extra=extra), encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_event(path)
    assert f"'{key}'" in str(error.value), str(error.value)
    assert expected in str(error.value), str(error.value)


def test_a_good_prompt_rule_loads(tmp_path):
    path = tmp_path / "event.toml"
    extra = 'name = "掉单提醒"\nwindow_minutes = 10\ndrop_percent = 40\nfor_minutes = 1\nmessages = ["{viewers} 人在看 {link}"]\nlink = "https://x/live"'
    path.write_text(SMALL_EVENT + PROMPTS_TOML.format(kind="momentum_drop", extra=extra), encoding="utf-8")
    (rule,) = RuleBook.from_config(load_event(path)).rules
    assert (rule.name, rule.window_minutes, rule.for_minutes, rule.keep_firing_for_minutes, rule.inhibited_by) == ("掉单提醒", 10, 1, 2, ("flash_sale",))


# -- the command line ----------------------------------------------------------------------------


@pytest.fixture
def event_file(tmp_path):
    """Write the test event with a SQLite store next to it."""
    lines = [
        "[event]", f'name = "{EVENT["event"]["name"]}"', f'start = "{EVENT["event"]["start"]}"', f'end = "{EVENT["event"]["end"]}"',
        "[goals]", "base = 10000", "stretch = 15000", "[store]", 'url = "sqlite:///warroom.db"',
        '[[staff]]\nid = "S20"\nname = "阿青"\nrole = "community"',
        '[[products]]\nsku = "P01"\nname = "焕颜精华套装"\nprice = 1299',
        *(f'[[groups]]\nid = "{g}"\nname = "宠粉 {g[-1]} 群"\nowner = "S20"' for g in ("G01", "G02", "G03")),
        '[[flash_sales]]\nat = "2026-05-20T20:30:00+08:00"\nsku = "P01"\nprice = 520\ngroups = ["G01", "G02"]',
    ]
    path = tmp_path / "event.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_cli_prompts_at_a_moment(event_file, capsys, monkeypatch):
    monkeypatch.delenv("WARROOM_DB_URL", raising=False)
    code = main(["prompts", "-c", str(event_file), "--at", "2026-05-20 20:27", "--json"])
    printed = json.loads(capsys.readouterr().out)
    (prompt,) = printed["prompts"]
    assert code == 0
    assert printed["at"] == "2026-05-20T20:27:00+08:00"
    assert prompt["rule"] == "poster"
    assert prompt["kind"] == "poster"
    assert prompt["groups"] == ["G01", "G02"]
    assert "20:30" in prompt["reason"]
    assert "520 元" in prompt["message"]


def test_cli_prompts_includes_pushes_made_by_then(event_file, capsys, monkeypatch):
    monkeypatch.delenv("WARROOM_DB_URL", raising=False)
    event = load_event(event_file)
    store = Store(event.store_url)
    PromptEvaluator(store, event).tick(at("20:27"))
    acknowledge(store, "poster:0:T-3", "S20", at=at("20:28"))
    store.close()
    main(["prompts", "-c", str(event_file), "--at", "2026-05-20T20:28:00+08:00", "--json"])
    before = json.loads(capsys.readouterr().out)["prompts"]
    main(["prompts", "-c", str(event_file), "--at", "2026-05-20T20:28:00+08:00", "--json", "--all"])
    (pushed,) = json.loads(capsys.readouterr().out)["prompts"]
    assert before == []
    assert pushed["done"]
    assert pushed["pushed_groups"] == ["G01", "G02"]


def test_cli_rejects_a_bad_time(event_file, capsys):
    assert main(["prompts", "-c", str(event_file), "--at", "soon"]) == 2
    assert "--at" in capsys.readouterr().err


def test_without_at_a_fresh_evaluation_is_used(store):
    event = config({"kind": "viewer_surge", "for_minutes": 30}, {"kind": "poster"})
    evaluator = PromptEvaluator(store, event)
    evaluator.tick(at("20:20"))
    moment, prompts = prompts_at(store, event, clock=FixedClock(at("20:20") + timedelta(seconds=30)), states=("firing", PENDING))
    assert (moment, keys(prompts)) == (at("20:20") + timedelta(seconds=30), ["poster:0:T-10"])


def test_cli_on_the_sample(sample_dir):
    event = str(sample_dir / "event.toml")
    assert warroom("ingest", "-c", event, "--once").returncode == 0
    result = warroom("prompts", "-c", event, "--at", "2026-05-20T20:12:00+08:00", "--json")
    prompts = {p["key"]: p for p in json.loads(result.stdout)["prompts"]}
    poster = prompts["poster:1:T-3"]
    assert poster["groups"] == ["G01", "G02", "G03", "G04", "G05", "G06"]
    assert "焕颜精华套装" in poster["message"]
    assert "999 元" in poster["message"]


def test_the_hype_squad_can_be_ranked_by_the_pushes_they_made(store):
    staff = [*EVENT["staff"], {"id": "S24", "name": "小七", "role": "hype"}]
    event = config({"kind": "poster"}, staff=staff, leaderboards=[{"role": "hype", "metric": "pushes"}])
    PromptEvaluator(store, event).tick(at("20:20"))
    live = LiveFigures(store, event)
    live.refresh(at("20:20"))  # the live model has read up to here; the pushes must still reach it
    acknowledge(store, "poster:0:T-10", "S24", at=at("20:21"), groups=["G01"])
    acknowledge(store, "poster:0:T-10", "S24", at=at("20:22"), groups=["G02"])
    board = [(row.rank, row.staff_id, row.value) for row in live.refresh(at("20:23")).leaderboards["hype"]]
    assert (board, [(row.rank, row.staff_id, row.value) for row in recompute(store, event, at("20:23")).leaderboards["hype"]]) == (
        [(1, "S24", 2), (2, "S23", 0)], [(1, "S24", 2), (2, "S23", 0)])
