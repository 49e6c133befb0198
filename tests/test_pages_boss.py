"""AppTests of the commission, review and prompts pages and of the big screen's rail, on a real SQLite store.

The event clock is a replay clock standing still (speed 0) at 20:36 on the show's night: four
minutes before a flash sale, so that its poster prompt is firing.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.events import flash_sale, product, small_event, staff
from tests.test_app import routed_page
from warroom.access import SESSION_KEY, Viewer
from warroom.clock import FixedClock
from warroom.config import load_event
from warroom.i18n import STRINGS
from warroom.records import Batch, OrderLine
from warroom.rules import LedgerRules
from warroom.store import Store

ROOT = Path(__file__).resolve().parent.parent
COMMISSION, REVIEW, PROMPTS, BIG_SCREEN = (ROOT / "pages" / name for name in ("commission.py", "review.py", "prompts.py", "big_screen.py"))
MOMENT = datetime.fromisoformat("2026-05-20T20:36:00+08:00")
LEAD, BOSS = Viewer(role="lead"), Viewer(role="boss")
# How the TV's kiosk link signs the big screen in.
KIOSK = Viewer(role="kiosk", via="kiosk")
EXTRA = (
    staff("S23", "阿豪", "hype"),
    product("P1", "玫瑰精油", 199),
    product("P2", "和田玉手镯", 6000),
    flash_sale("2026-05-20T20:40:00+08:00", "P1", 99, minutes=10),
)


def at(clock: str) -> int:
    return int(datetime.fromisoformat(f"2026-05-20T{clock}+08:00").timestamp())


def sell(config, *lines: OrderLine) -> None:
    store = Store(config.store_url, LedgerRules.from_config(config))
    store.apply(Batch(orders=list(lines)))
    store.close()


@pytest.fixture
def event(event_dir, monkeypatch, read_afresh):
    """Return the small event with a hype member, products, a flash sale and sales, named by WARROOM_EVENT, its clock standing at 20:36."""
    monkeypatch.delenv("WARROOM_DB_URL", raising=False)
    source = event_dir / "event.toml"
    source.write_text(small_event(*EXTRA), encoding="utf-8")
    clock = event_dir / "replay_clock.json"
    clock.write_text(json.dumps({"event_now": MOMENT.isoformat(), "wall": time.time(), "speed": 0.0}))
    monkeypatch.setenv("WARROOM_EVENT", str(source))
    monkeypatch.setenv("WARROOM_REPLAY_CLOCK", str(clock))
    config = load_event(source)
    sell(config,
         OrderLine(order_id="A1", ts=at("20:10:00"), amount_fen=1_299_00, customer_id="C1", staff_id="S01", sku="P1", group_id="G01"),
         OrderLine(order_id="A2", ts=at("20:20:00"), amount_fen=6_000_00, customer_id="13812341234", staff_id="S02", sku="P2", group_id="G01"))
    return config


def run(script: Path, viewer: Viewer | None = LEAD, lang: str | None = None) -> AppTest:
    app = routed_page(script, timeout=60)
    if viewer is not None:
        app.session_state[SESSION_KEY] = viewer
    if lang:
        app.query_params["lang"] = lang
    return app.run()


def rendered(app: AppTest) -> str:
    return "\n".join([element.proto.body for element in app.get("html")] + [element.value for element in app.markdown])


def texts(app: AppTest) -> str:
    """Return every message, caption and code block the run showed, as the viewer reads them (names are Markdown-escaped: text.plain)."""
    import re

    parts = [element.value for kind in ("info", "warning", "success", "error", "caption", "code") for element in getattr(app, kind)]
    return "\n".join([rendered(app), *(re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", str(part)) for part in parts)])


@pytest.mark.parametrize("script", [COMMISSION, REVIEW, PROMPTS], ids=lambda path: path.name)
@pytest.mark.parametrize(("viewer", "lang"), [(LEAD, None), (BOSS, "en")], ids=["lead-zh", "boss-en"])
def test_page_runs(event, script, viewer, lang):
    app = run(script, viewer, lang)
    assert not app.exception and "¥7,299" in texts(app)


@pytest.mark.parametrize("script", [COMMISSION, REVIEW], ids=lambda path: path.name)
def test_an_order_taker_cannot_open_everyones_money(event, script):
    app = run(script, Viewer(role="staff", staff_id="S01", name="小林", via="link"))
    assert app.warning and "¥7,299" not in texts(app)


@pytest.mark.parametrize("script", [COMMISSION, REVIEW, PROMPTS, BIG_SCREEN], ids=lambda path: path.name)
def test_nobody_signed_in_is_refused(event, script):
    assert run(script, viewer=None).warning


# -- commission ------------------------------------------------------------------------------------


def test_commission_offers_the_payout_sheet(event):
    assert [button.label for button in run(COMMISSION).download_button] == ["下载提成发放表（XLSX）"]


def test_commission_shows_the_pool_locked(event):
    assert "还差 ¥2,701 解锁" in rendered(run(COMMISSION))


def test_commission_says_the_pool_can_lock_again(event):
    sell(event, OrderLine(order_id="A3", ts=at("20:30:00"), amount_fen=5_000_00, customer_id="C3", staff_id="S01"))
    assert "奖金池会重新锁定" in rendered(run(COMMISSION))


def test_commission_shows_a_clawback(event):
    store = Store(event.store_url, LedgerRules.from_config(event))
    store.record_payout("S01", 200_00, MOMENT)  # S01 earned ¥194.85 (1,299 × 15 %)
    store.close()
    assert "¥5.15" in rendered(run(COMMISSION))


# -- review ----------------------------------------------------------------------------------------


def test_review_builds_the_workbook_and_the_poster(event):
    app = run(REVIEW, BOSS)
    app.button[0].click().run()
    assert [button.label for button in app.download_button] == ["下载复盘表格（XLSX）", "下载数据海报（PNG）"]


def test_review_export_status_completes(event):
    app = run(REVIEW, BOSS)
    app.button[0].click().run()
    assert (app.status[0].label, app.status[0].state) == ("已生成", "complete")


def test_review_without_pushes_says_so(event):
    assert "还没有确认过的推送" in texts(run(REVIEW, BOSS))


def test_review_shows_the_buyer_tiers_rule(event):
    assert "高价值：本次活动消费满 ¥5,000" in texts(run(REVIEW, BOSS))


# -- the operator page -------------------------------------------------------------------------------


def evaluate(config) -> None:
    """Run the prompts evaluator once at the test's moment, as the ingest loop would."""
    from warroom.prompt_state import PromptEvaluator

    store = Store(config.store_url, LedgerRules.from_config(config))
    PromptEvaluator(store, config, clock=FixedClock(MOMENT)).tick(MOMENT)
    store.close()


def stored_state(config):
    from warroom.prompt_state import active_silences, load_state

    store = Store(config.store_url, LedgerRules.from_config(config))
    state, silences = load_state(store, MOMENT), active_silences(store, at=MOMENT)
    store.close()
    return state, silences


def test_operator_page_shows_the_message_to_copy(event):
    app = run(PROMPTS)
    assert any("玫瑰精油" in block.value for block in app.code)


def test_operator_page_shows_the_flash_sale_countdown(event):
    assert "04:00" in rendered(run(PROMPTS))


def test_a_hype_member_pushes_as_themselves(event):
    evaluate(event)
    app = run(PROMPTS, Viewer(role="staff", staff_id="S23", name="阿豪", via="link"))
    app.button(key=next(b.key for b in app.button if b.key and b.key.startswith("op_push_"))).click().run()
    pushes = stored_state(event)[0].pushes
    assert [(push.staff_id, push.groups) for push in pushes] == [("S23", ("G01",))]


def test_a_lead_s_push_is_the_lead_s_not_a_hype_member_s(event):
    evaluate(event)
    app = run(PROMPTS)
    push = next(b for b in app.button if b.key and b.key.startswith("op_push_"))
    assert push.label == "我已推送", f"the push button reads {push.label!r}: a status, not an action"
    app.button(key=push.key).click().run()
    assert [push.staff_id for push in stored_state(event)[0].pushes] == ["@lead"]


def test_operator_page_shows_prompts_in_english(event):
    assert "Push the flash-sale poster: 玫瑰精油 (10 min before the sale)" in rendered(run(PROMPTS, lang="en"))


def test_a_push_is_confirmed_with_the_prompt_in_english(event):
    evaluate(event)
    app = run(PROMPTS, lang="en")
    app.button(key=next(b.key for b in app.button if b.key and b.key.startswith("op_push_"))).click().run()
    assert "Recorded: Push the flash-sale poster: 玫瑰精油" in texts(app)


def test_an_order_taker_is_not_an_operator(event):
    app = run(PROMPTS, Viewer(role="staff", staff_id="S01", name="小林", via="link"))
    assert "气氛组和社群运营" in app.warning[0].value


def test_a_push_without_the_evaluator_is_refused_politely(event):
    app = run(PROMPTS)
    app.button(key=next(b.key for b in app.button if b.key and b.key.startswith("op_push_"))).click().run()
    assert not app.exception and "还没有被提醒服务保存" in texts(app)


def test_silence_every_prompt(event):
    evaluate(event)
    app = run(PROMPTS)
    app.button(key=next(b.key for b in app.button if b.key and b.key.startswith("op_hush_all_"))).click().run()
    silences = stored_state(event)[1]
    assert [(item.rule, round((item.ends_at - item.starts_at).total_seconds() / 60)) for item in silences] == [(None, 10)]


# -- the big screen's rail -----------------------------------------------------------------------------


def test_rail_shows_clock_countdown_prompts_and_big_orders(event):
    body = rendered(run(BIG_SCREEN, viewer=KIOSK))
    assert all(part in body for part in ("20:36:00", "04:00", "推送秒杀海报", "¥6,000"))


def test_rail_shows_prompts_in_english(event):
    body = rendered(run(BIG_SCREEN, viewer=KIOSK, lang="en"))
    assert "Push the flash-sale poster: 玫瑰精油 (10 min before the sale)" in body
    assert "推送秒杀海报" not in body


def test_rail_never_shows_a_phone_number(event):
    assert "13812341234" not in rendered(run(BIG_SCREEN, viewer=KIOSK))


def test_celebration_only_for_milestones_crossed_on_screen(event):
    app = run(BIG_SCREEN, viewer=KIOSK)
    before = 'class="wr-celebrate"' in rendered(app)
    sell(event, OrderLine(order_id="A3", ts=at("20:35:00"), amount_fen=3_000_00, customer_id="C3", staff_id="S01"))
    app.run()
    assert not before
    assert "突破 1万！" in rendered(app)
    assert len(app.get("balloons")) == 1


def test_every_string_has_chinese_and_english():
    # strings.toml refuses a key written twice (TOML does), so no section can shadow another's string.
    assert [key for key, (chinese, english) in STRINGS.items() if not chinese or not english] == []


def test_a_group_name_is_text_in_the_operator_page_s_pills(event, event_dir):
    source = event_dir / "event.toml"
    source.write_text(source.read_text(encoding="utf-8").replace('name = "宠粉 1 群"', 'name = "**粗体** [链接](https://x) 群"'), encoding="utf-8")
    app = run(PROMPTS)
    labels = [option.content for group in app.get("button_group") for option in group.proto.options]
    assert r"\*\*粗体\*\* \[链接\]\(https\:\/\/x\) 群" in labels
