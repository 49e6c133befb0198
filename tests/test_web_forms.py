"""Every form a viewer can submit takes hostile input without raising and stores nothing wrong (issue 15).

Property-based (hypothesis): any Unicode text (NUL, other controls, lone surrogates, huge strings,
Markdown and HTML) and any number (huge, negative, NaN, infinite), into the sign-in password and the
operator page's push and silence, on SQLite and PostgreSQL where the form writes to the store.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_prompts import at, config
from warroom import access
from warroom.figures import LiveFigures
from warroom.prompt_state import PromptEvaluator, active_silences, list_prompts, load_state
from warroom.web.session import LiveEvent
from warroom.web.views import operator as operator_view

FORMS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
# Every code point, surrogates and controls included, and the payloads a viewer would try first.
ANY_CHAR = st.characters(codec=None, categories=None)
HOSTILE_TEXT = st.one_of(
    st.text(ANY_CHAR, max_size=200),
    # A huge text, built by repeating a short one: drawn character by character, it overran hypothesis's entropy budget.
    st.builds(lambda text, times: (text or "长") * times, st.text(ANY_CHAR, max_size=8), st.integers(min_value=5_000, max_value=20_000)),
    st.sampled_from(["\x00", "\ud800", "a\udfffb", "<img src=x onerror=alert(1)>", '<a href="https://evil.example">领红包</a>', "**bold**",
                     "[link](https://x)", "$x$", "\t\n\r", "'; DROP TABLE prompt_silences; --", "lead520\x00"]),
)
ANY_NUMBER = st.one_of(st.integers(min_value=-(10**30), max_value=10**30), st.floats(allow_nan=True, allow_infinity=True),
                       st.sampled_from([0, -1, 1, 10, 1440, 1441, float("nan"), float("inf"), 10**19, True]), HOSTILE_TEXT)


@pytest.fixture(scope="module")
def password_settings():
    """Return access settings whose lead password is "lead520" (a cheap bcrypt hash: the property runs many checks)."""
    return access.AccessSettings(password_hashes={"lead": access.hash_password("lead520", rounds=4)})


@FORMS
@given(password=HOSTILE_TEXT, role=st.one_of(st.sampled_from(["lead", "boss"]), HOSTILE_TEXT))
def test_any_password_is_refused_without_raising(password_settings, password, role):
    attempt = access.attempt_sign_in(password_settings, access.LoginThrottle(), role, password, client="c1", now=0.0)
    assert attempt.viewer is None or (password == "lead520" and role == "lead")


@FORMS
@given(text=HOSTILE_TEXT)
def test_clean_text_is_storable(text):
    cleaned = operator_view.clean_text(text)
    cleaned.encode("utf-8")  # no lone surrogate left: either store would refuse it
    assert len(cleaned) <= operator_view.TEXT_LIMIT and not [char for char in cleaned if ord(char) < 0x20 and char != "\t"]


@pytest.fixture
def prompt_store(store):
    """Return a store (each backend) holding one firing poster prompt of the test event, and that prompt."""
    event = config({"kind": "poster"})
    (prompt,) = PromptEvaluator(store, event).tick(at("20:20"))
    return LiveEvent(config=event, figures=LiveFigures(store, event)), event, prompt


@FORMS
@given(minutes=ANY_NUMBER, who=HOSTILE_TEXT, title=HOSTILE_TEXT)
def test_a_silence_form_stores_only_a_sane_silence(prompt_store, minutes, who, title):
    live, _event, prompt = prompt_store
    store = live.figures.store
    before = {held.id for held in active_silences(store, at=at("20:21"))}
    kind, _message = operator_view.record_silence(live, minutes, who, at("20:21"), prompt.rule, title, "zh")
    added = [held for held in active_silences(store, at=at("20:21")) if held.id not in before]
    good = not isinstance(minutes, bool) and isinstance(minutes, int | float) and math.isfinite(minutes) and 1 <= minutes <= operator_view.SILENCE_LIMIT_MINUTES
    expected = [(operator_view.clean_text(who), operator_view.clean_text(title))] if good else []
    assert (kind, [(held.created_by, held.comment) for held in added]) == ("success" if good else "warning", expected)


@FORMS
@given(who=st.one_of(st.none(), HOSTILE_TEXT), groups=st.lists(st.one_of(st.sampled_from(["G01", "G02"]), HOSTILE_TEXT), max_size=6))
def test_a_push_form_records_only_the_prompt_s_own_groups(prompt_store, who, groups):
    live, event, prompt = prompt_store
    store = live.figures.store
    before = {push.id for push in load_state(store, at("20:21")).pushes}
    kind, _message = operator_view.record_push(live, prompt, who, groups, at("20:21"), {"G01": "1 群"}, "zh")
    added = [push for push in load_state(store, at("20:21")).pushes if push.id not in before]
    (stored,) = list_prompts(store, event, at=at("20:21"))
    expected = [(operator_view.clean_text(who), tuple(group for group in prompt.groups if group in groups))] if who else []
    assert [(push.staff_id, push.groups) for push in added] == expected
    assert (kind == "success") == bool(who)
    assert set(stored.pushed_groups) <= {"G01", "G02"}
