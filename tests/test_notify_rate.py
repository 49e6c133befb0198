"""The group robots' rate limits and answers (warroom.notify): token buckets within each platform's published limit, a queue merged into one
message, the least urgent dropped, stale prompts dropped, and a restart that does not spend the platform's minute twice.
Time is injected (tests.notify_robots.Wall); requests go to a counting stand-in for the HTTP post."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.notify_robots import Wall
from tests.test_prompts import at, config
from warroom.notify import Dispatcher
from warroom.notify.dispatcher import PLATFORMS, QUEUE_AT_MOST, STALE_AFTER_SECONDS, TokenBucket
from warroom.prompt_state import PromptEvaluator

WECOM = {"kind": "wecom", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k-0123456789", "name": "团队群"}
# Each platform's published limits: (seconds, requests) that no window of those seconds may exceed.
PUBLISHED = {"wecom": ((60, 20),), "dingtalk": ((60, 20),), "feishu": ((60, 100), (1, 5)), "webhook": ((60, 60),)}


def most_in_any_window(times: list[float], seconds: float) -> int:
    """Return the most requests that fall in any window of `seconds` (half-open)."""
    return max((sum(1 for other in times if start <= other < start + seconds) for start in times), default=0)


@settings(max_examples=80, deadline=None)
@given(kind=st.sampled_from(sorted(PLATFORMS)), gaps=st.lists(st.floats(min_value=0, max_value=10, allow_nan=False), min_size=1, max_size=300))
def test_a_token_bucket_keeps_within_the_platform_s_published_limit(kind, gaps):
    now = 1_790_000_000.0
    bucket = TokenBucket(PLATFORMS[kind].RATE, now)
    taken = []
    for gap in gaps:
        now += gap
        if bucket.take(now):
            taken.append(now)
    for seconds, limit in PUBLISHED[kind]:
        assert most_in_any_window(taken, seconds) <= limit, f"{kind}: more than {limit} requests in {seconds} s"


class Counting:
    """A stand-in for the HTTP post: a WeCom robot that takes everything and notes when (on the injected clock) and how many prompts."""

    def __init__(self, wall: Wall):
        self.wall = wall
        self.sent: list[tuple[float, bytes]] = []

    def __call__(self, request):
        self.sent.append((self.wall(), request.body))
        return 200, b'{"errcode":0,"errmsg":"ok"}'


@pytest.fixture
def wall():
    return Wall()


def burst(store, event, count: int, low: int = 0):
    """Return `count` firing prompts made from the poster's (the last `low` of them of low urgency), and the moment they fire."""
    (prompt,) = PromptEvaluator(store, event).tick(at("20:00"))
    prompts = [replace(prompt, key=f"burst:{index:02d}", urgency="low" if index >= count - low else "high") for index in range(count)]
    return prompts, at("20:00")


def states(store) -> dict[str, str]:
    return {row["prompt_key"]: row["state"] for row in store.notifications()}


def test_a_queue_beyond_the_tokens_goes_out_merged_and_the_least_urgent_are_dropped(store, wall):
    event = config({"kind": "poster"}, notify=[WECOM])
    post = Counting(wall)
    dispatcher = Dispatcher(store, event, wall=wall, post=post)
    prompts, moment = burst(store, event, QUEUE_AT_MOST + 2, low=2)
    dispatcher.offer(prompts, moment)
    assert dispatcher.step() == 5, "a full WeCom bucket holds 5 requests"
    found = states(store)
    assert [found[f"burst:{i:02d}"] for i in range(12)] == ["sent"] * 5 + ["merged"] * 4 + ["queued"] + ["dropped"] * 2
    assert "5 条提醒" in post.sent[-1][1].decode(), "the last token's message does not carry the merged prompts"


def test_a_waiting_prompt_goes_out_when_a_token_comes_back(store, wall):
    event = config({"kind": "poster"}, notify=[WECOM])
    dispatcher = Dispatcher(store, event, wall=wall, post=Counting(wall))
    dispatcher.offer(*burst(store, event, QUEUE_AT_MOST))
    dispatcher.step()
    wall.advance(3)
    assert dispatcher.step() == 0, "a token came back before its time (15 a minute: one each 4 s)"
    wall.advance(1)
    assert (dispatcher.step(), states(store)["burst:09"]) == (1, "sent")


def test_a_prompt_that_waited_too_long_is_dropped_as_stale(store, wall):
    event = config({"kind": "poster"}, notify=[WECOM])
    post = Counting(wall)
    dispatcher = Dispatcher(store, event, wall=wall, post=post)
    dispatcher.offer(*burst(store, event, QUEUE_AT_MOST))
    dispatcher.step()
    wall.advance(STALE_AFTER_SECONDS + 1)
    assert (dispatcher.step(), states(store)["burst:09"]) == (0, "dropped")
    assert "stale" in store.notifications()[-1]["detail"]


def test_restarts_never_push_a_robot_past_its_limit(store, wall):
    """A prompt every 2 s for 5 minutes, the dispatcher restarted every 45 s: no minute holds more than WeCom's 20 requests."""
    event = config({"kind": "poster"}, notify=[WECOM])
    post = Counting(wall)
    (prompt,) = PromptEvaluator(store, event).tick(at("20:00"))
    dispatcher = None
    for second in range(0, 300, 2):
        if second % 45 < 2:
            dispatcher = Dispatcher(store, event, wall=wall, post=post)
        dispatcher.offer([replace(prompt, key=f"steady:{second:03d}")], at("20:00"))
        dispatcher.step()
        wall.advance(2)
    assert most_in_any_window([when for when, _body in post.sent], 60) <= 20
    assert set(states(store).values()) <= {"sent", "merged", "queued", "dropped"}, "a prompt was lost or sent twice"


ANSWERS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
KEY = WECOM["url"].rsplit("=", 1)[1]


@ANSWERS
@example(status=500, body=b"\x00\x1b[31m\xff")
@given(status=st.integers(min_value=100, max_value=599), body=st.binary(max_size=400) | st.text(max_size=200).map(lambda text: text.encode("utf-8", "surrogatepass")))
def test_any_answer_of_a_robot_is_noted_on_both_stores_without_its_key(store, wall, status, body):
    """A robot's answer is a way in: any status and bytes (NUL, broken UTF-8, the key itself) end in a state, with a line free of the key."""
    event = config({"kind": "poster"}, notify=[WECOM])
    (prompt,) = PromptEvaluator(store, event).tick(at("20:00"))
    key = f"answer:{wall():.0f}"
    dispatcher = Dispatcher(store, event, wall=wall, post=lambda request: (status, body + KEY.encode()))
    dispatcher.offer([replace(prompt, key=key)], at("20:00"))
    dispatcher.step()
    wall.advance(3600)  # a fresh bucket for the next example
    (row,) = [row for row in store.notifications() if row["prompt_key"] == key]
    assert row["state"] in {"sent", "retry", "failed"} and KEY not in row["detail"], row
