"""Firing prompts sent to group robots (warroom.notify), end to end on SQLite and PostgreSQL: local WeCom-, DingTalk-, Feishu-style
robots and a signed webhook check every request's format and signature; each prompt reaches each robot once, across restarts."""

from __future__ import annotations

import logging
import threading

import pytest

from tests.notify_robots import SECRETS, WECOM_KEY, Wall, local_robots
from tests.test_prompts import at, config
from warroom.config import ServerSettings
from warroom.notify import Dispatcher, prompts_page_url, transport
from warroom.notify.base import Request
from warroom.prompt_state import PromptEvaluator
from warroom.store import Store
from warroom.web.views.notify_status import status_html, status_rows

POSTER = {"kind": "poster"}
FIRST = "poster:0:T-30"  # fires at 20:00, half an hour before the 20:30 flash sale


@pytest.fixture
def wall():
    return Wall()


@pytest.fixture
def robots(wall):
    with local_robots(wall) as running:
        yield running


def evaluator_and_dispatcher(store: Store, event, wall: Wall, **options) -> tuple[PromptEvaluator, Dispatcher]:
    """Return an evaluator that hands its prompts to a dispatcher (a fresh pair: what a restart makes)."""
    dispatcher = Dispatcher(store, event, wall=wall, **options)
    return PromptEvaluator(store, event, on_firing=dispatcher.offer), dispatcher


def states(store: Store) -> dict[tuple[str, str], str]:
    return {(row["prompt_key"], row["target"]): row["state"] for row in store.notifications()}


def test_a_firing_prompt_reaches_every_robot_with_a_valid_signature(store, robots, wall):
    evaluator, dispatcher = evaluator_and_dispatcher(store, config(POSTER, notify=robots.targets()), wall)
    evaluator.tick(at("20:00"))
    dispatcher.step()
    assert (robots.counts(), robots.refused) == ({"wecom": 1, "dingtalk": 1, "feishu": 1, "webhook": 1}, []), "each robot took one message"


def test_a_prompt_reaches_each_robot_exactly_once_across_a_restart(store_url, robots, wall):
    event = config(POSTER, notify=robots.targets())
    first = Store(store_url)
    evaluator, dispatcher = evaluator_and_dispatcher(first, event, wall)
    evaluator.tick(at("20:00"))
    dispatcher.step()
    first.close()
    again = Store(store_url)
    try:
        for minute in ("20:01", "20:02"):
            evaluator, dispatcher = evaluator_and_dispatcher(again, event, wall)
            evaluator.tick(at(minute))
            wall.advance(60)
            dispatcher.step()
        assert robots.counts() == {"wecom": 1, "dingtalk": 1, "feishu": 1, "webhook": 1}, "the restarted evaluator sent the prompt again"
        evaluator.tick(at("20:20"))  # the 10-minute node fires: a new prompt, sent once more
        dispatcher.step()
        assert (robots.counts(), robots.refused) == ({"wecom": 2, "dingtalk": 2, "feishu": 2, "webhook": 2}, [])
    finally:
        again.close()


def test_the_message_says_title_reason_message_groups_and_the_prompts_page(store, robots, wall):
    event = config(POSTER, notify=robots.targets())
    evaluator, dispatcher = evaluator_and_dispatcher(store, event, wall)
    (prompt,) = evaluator.tick(at("20:00"))
    dispatcher.step()
    text = robots.received["wecom"][0]
    for part in (prompt.title, prompt.reason, prompt.message, "宠粉 1 群、宠粉 2 群", prompts_page_url(event)):
        assert part in text, f"the message lacks {part!r}"


def test_the_webhook_gets_each_prompt_with_an_id_to_drop_repeats(store, robots, wall):
    evaluator, dispatcher = evaluator_and_dispatcher(store, config(POSTER, notify=robots.targets()), wall)
    evaluator.tick(at("20:00"))
    dispatcher.step()
    (prompt,) = robots.bodies["webhook"][0]["prompts"]
    assert (prompt["key"], prompt["id"], prompt["groups"]) == (FIRST, f"{FIRST}@{int(at('20:00').timestamp())}", ["宠粉 1 群", "宠粉 2 群"])


@pytest.mark.parametrize(("public_url", "lan", "expected"), [
    (None, None, "http://127.0.0.1:8501/prompts"),
    (None, "192.168.1.20", "http://192.168.1.20:8501/prompts"),
    ("https://war.example.com", "192.168.1.20", "https://war.example.com/prompts"),
])
def test_the_prompts_page_link_is_built_where_every_link_is(public_url, lan, expected, monkeypatch):
    monkeypatch.delenv("WARROOM_PUBLIC_URL", raising=False)
    event = config(POSTER).model_copy(update={"server": ServerSettings(public_url=public_url)})
    assert prompts_page_url(event, find_lan=lambda: lan) == expected


@pytest.mark.parametrize(("kinds", "urgencies", "sent"), [
    ((), (), True),
    (("poster",), (), True),
    (("milestone",), (), False),
    ((), ("high",), True),  # the poster rule's default urgency
    ((), ("critical", "low"), False),
])
def test_a_target_gets_only_the_prompts_its_filters_name(store, robots, wall, kinds, urgencies, sent):
    target = robots.targets()[0] | {"prompts": list(kinds), "urgency": list(urgencies)}
    evaluator, dispatcher = evaluator_and_dispatcher(store, config(POSTER, notify=[target]), wall)
    evaluator.tick(at("20:00"))
    dispatcher.step()
    assert robots.counts()["wecom"] == (1 if sent else 0), f"prompts={kinds} urgency={urgencies}"


def test_a_suppressed_prompt_is_not_sent(store, robots, wall):
    from warroom.prompt_state import silence

    event = config(POSTER, notify=robots.targets())
    silence(store, minutes=60, created_by="S01", at=at("19:59"))
    evaluator, dispatcher = evaluator_and_dispatcher(store, event, wall)
    evaluator.tick(at("20:00"))
    dispatcher.step()
    assert robots.counts() == {"wecom": 0, "dingtalk": 0, "feishu": 0, "webhook": 0}, "a silenced prompt went to the robots"


def test_a_request_cut_off_mid_way_is_never_sent_again(store, robots, wall):
    """At most once: a row left `sending` (the process died during the request) is marked unknown by the next dispatcher."""
    event = config(POSTER, notify=robots.targets()[:1])
    evaluator, dispatcher = evaluator_and_dispatcher(store, event, wall, post=lambda request: (_ for _ in ()).throw(SystemExit))
    evaluator.tick(at("20:00"))
    with pytest.raises(SystemExit):
        dispatcher.step()
    assert states(store) == {(FIRST, "wecom"): "sending"}, "the intent was not recorded before the request"
    evaluator, dispatcher = evaluator_and_dispatcher(store, event, wall)
    evaluator.tick(at("20:01"))
    dispatcher.step()
    assert (states(store), robots.counts()["wecom"]) == ({(FIRST, "wecom"): "unknown"}, 0)


def test_a_timeout_after_sending_is_not_retried(store, robots, wall):
    def cut_off(request):
        raise transport.Ambiguous("TimeoutError: timed out")

    evaluator, dispatcher = evaluator_and_dispatcher(store, config(POSTER, notify=robots.targets()[:1]), wall, post=cut_off)
    evaluator.tick(at("20:00"))
    dispatcher.step()
    wall.advance(600)
    dispatcher.step()
    assert states(store) == {(FIRST, "wecom"): "unknown"}, "an ambiguous request was tried again"


def test_a_refused_message_is_retried_with_backoff(store, robots, wall):
    robots.canned["wecom"] = [(200, b'{"errcode":45009,"errmsg":"api freq out of limit"}')] * 2
    evaluator, dispatcher = evaluator_and_dispatcher(store, config(POSTER, notify=robots.targets()[:1]), wall)
    evaluator.tick(at("20:00"))
    attempts = []
    for seconds in (0, 4, 1, 9, 1):  # refused at 0 (next at +5), refused at 5 (next at +10), taken at 15
        wall.advance(seconds)
        attempts.append(dispatcher.step())
    assert attempts == [1, 0, 1, 0, 1], "requests per round"
    (row,) = store.notifications()
    assert (row["state"], row["attempts"], robots.counts()["wecom"]) == ("sent", 3, 1)


def test_a_target_that_keeps_failing_shows_on_the_setup_page_with_its_key_masked(store, robots, wall):
    robots.canned["wecom"] = [(200, f'{{"errcode":93000,"errmsg":"invalid webhook url, key {WECOM_KEY}"}}'.encode())] * 3
    event = config(POSTER, notify=robots.targets()[:1])
    evaluator, dispatcher = evaluator_and_dispatcher(store, event, wall)
    for node in ("20:00", "20:20", "20:27"):  # the poster's three countdown nodes: three prompts, each refused for good
        evaluator.tick(at(node))
        dispatcher.step()
    (row,) = status_rows(store, event, "en")
    assert (row["state"], row["failed"]) == ("Failed 3 times in a row", "3"), row
    assert row["url"].endswith("/cgi-bin/webhook/send?key=***") and WECOM_KEY not in status_html(store, event, "en")


def test_a_robot_s_error_is_logged_without_its_key(store, robots, wall, caplog):
    # Each robot's answer quotes its own URL, key and secret.
    secrets = {target["kind"]: target.get("secret", "") for target in robots.targets()}
    robots.canned = {kind: [(500, f"bad request to {robots.url(kind)} secret {secrets[kind]}".encode())] for kind in robots.received}
    evaluator, dispatcher = evaluator_and_dispatcher(store, config(POSTER, notify=robots.targets()), wall)
    evaluator.tick(at("20:00"))
    with caplog.at_level(logging.WARNING, logger="warroom.notify"):
        dispatcher.step()
    stored = " ".join(row["detail"] for row in store.notifications())
    logged = caplog.text
    assert "HTTP 500" in logged and "HTTP 500" in stored, "the error was not noted"
    for secret in SECRETS:
        assert secret not in logged and secret not in stored, f"{secret} was shown"


def test_sending_never_blocks_the_evaluator(store, robots, wall):
    release = threading.Event()
    entered = threading.Event()

    def hangs(request):
        entered.set()
        release.wait()
        raise transport.Ambiguous("TimeoutError: timed out")

    evaluator, dispatcher = evaluator_and_dispatcher(store, config(POSTER, notify=robots.targets()[:1]), wall, post=hangs)
    dispatcher.start()
    try:
        evaluator.tick(at("20:00"))
        assert entered.wait(30), "the dispatcher's thread never sent"
        # The request hangs on the dispatcher's thread; the evaluator goes on ticking.
        assert [prompt.key for prompt in evaluator.tick(at("20:01"))] == [FIRST]
    finally:
        release.set()
        dispatcher.stop()


def test_the_evaluator_beside_the_ingest_sends_to_the_event_s_robots(store):
    """run_evaluator (what `warroom ingest` and the demo start) wires the dispatcher: a prompt reaches the robot on the real clock."""
    import time

    from warroom.clock import FixedClock
    from warroom.prompt_state import run_evaluator

    with local_robots(time.time) as robots:
        event = config(POSTER, notify=robots.targets()[2:3])  # the signed Feishu bot: its timestamp must be the real time
        stop = threading.Event()
        runner = threading.Thread(target=run_evaluator, args=(store, event, stop), kwargs={"clock": FixedClock(at("20:00")), "every": 0.05})
        runner.start()
        try:
            assert robots.took_one.wait(30), f"nothing reached the robot: {robots.refused}"
        finally:
            stop.set()
            runner.join()
        assert (robots.counts()["feishu"], robots.refused) == (1, [])


def test_a_robot_that_cannot_be_reached_got_nothing():
    """Over a real socket: a refused connection sent nothing, so the dispatcher may try again."""
    import socket

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens on this port now
    with pytest.raises(transport.NotSent):
        transport.post(Request(url=f"http://127.0.0.1:{port}/hook", body=b"{}"))


def test_a_robot_that_hangs_up_after_reading_may_have_the_message():
    """Over a real socket: a robot that closes the connection after reading the request may have it, so it is not sent again."""
    import socket

    with socket.create_server(("127.0.0.1", 0)) as server:
        url = f"http://127.0.0.1:{server.getsockname()[1]}/hook"

        def hang_up():
            connection, _address = server.accept()
            connection.recv(65536)
            connection.close()

        listener = threading.Thread(target=hang_up)
        listener.start()
        with pytest.raises(transport.Ambiguous):
            transport.post(Request(url=url, body=b"{}"))
        listener.join()
