"""Access: bcrypt passwords, personal-link and kiosk tokens, where the secrets come from, and each role's pages."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as hs

from tests.conftest import SAMPLE
from tests.events import small_event
from warroom import access
from warroom.access import BOSS, KIOSK, LEAD, STAFF, Viewer
from warroom.config import ConfigError, load_event
from warroom.i18n import mask_phone

SECRET = "a-test-link-secret-of-some-length"
# Four rounds keep the tests fast; the app's own hashes use BCRYPT_ROUNDS.
LEAD_HASH = access.hash_password("lead-pw", rounds=4)
BOSS_HASH = access.hash_password("boss-pw", rounds=4)


def event_with(tmp_path, access_section: str = "", staff_token: str | None = None):
    """Return the small event with an [access] section (and a fixed token for S02) appended."""
    path = tmp_path / "event.toml"
    path.write_text(small_event("\n[access]\n" + access_section, staff_token=staff_token or None), encoding="utf-8")
    return load_event(path)


@pytest.fixture
def config(tmp_path):
    return event_with(tmp_path, f'lead_password_hash = "{LEAD_HASH}"\nboss_password_hash = "{BOSS_HASH}"\nlink_secret = "{SECRET}"\n')


@pytest.fixture
def settings(config):
    return access.access_settings(config)


# -- passwords --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "hashed", "ok"),
    [
        ("lead-pw", LEAD_HASH, True),
        ("lead-pw ", LEAD_HASH, False),
        ("LEAD-PW", LEAD_HASH, False),
        ("", LEAD_HASH, False),
        ("lead-pw", None, False),
        ("lead-pw", "not a hash", False),
        ("x" * 100, LEAD_HASH, False),  # over bcrypt's 72 bytes: refused, not an exception
        ("密码", access.hash_password("密码", rounds=4), True),
    ],
    ids=["right", "trailing-space", "case", "empty", "no-hash", "malformed-hash", "too-long", "chinese"],
)
def test_verify_password(password, hashed, ok):
    assert access.verify_password(password, hashed) is ok


def test_a_hash_is_salted():
    assert access.hash_password("same", rounds=4) != access.hash_password("same", rounds=4)


@pytest.mark.parametrize(
    ("role", "password", "signed_in"),
    [(LEAD, "lead-pw", LEAD), (BOSS, "boss-pw", BOSS), (LEAD, "boss-pw", None), (BOSS, "lead-pw", None), (STAFF, "lead-pw", None), (KIOSK, "lead-pw", None)],
)
def test_sign_in_checks_the_role_s_own_password(settings, role, password, signed_in):
    viewer = access.sign_in(settings, role, password)
    assert (viewer.role if viewer else None) == signed_in


def test_the_sample_event_signs_in_with_the_demo_passwords():
    settings = access.access_settings(load_event(SAMPLE / "event.toml"))
    outcomes = [access.sign_in(settings, role, password) is not None for role, password in ((LEAD, "lead520"), (BOSS, "boss520"), (LEAD, "boss520"))]
    assert outcomes == [True, True, False]
    assert settings.demo_hint


def test_secrets_take_precedence_over_the_event_file(config):
    other = access.hash_password("from-secrets", rounds=4)
    settings = access.access_settings(config, {"warroom": {"passwords": {"lead": other}, "link_secret": "another-secret-entirely"}})
    assert access.sign_in(settings, LEAD, "from-secrets") is not None
    assert access.sign_in(settings, LEAD, "lead-pw") is None
    assert access.sign_in(settings, BOSS, "boss-pw") is not None
    assert settings.link_secret == "another-secret-entirely"


def test_the_demo_hint_is_dropped_once_the_secrets_hold_the_passwords(tmp_path):
    config = event_with(tmp_path, f'lead_password_hash = "{LEAD_HASH}"\ndemo_hint = true\n')
    with_secrets = access.access_settings(config, {"warroom": {"passwords": {"lead": BOSS_HASH}}})
    assert access.access_settings(config).demo_hint
    assert not with_secrets.demo_hint


def test_an_oidc_e_mail_maps_to_its_role(config):
    settings = access.access_settings(config, {"auth": {"client_id": "x"}, "warroom": {"oidc_roles": {"boss": ["Boss@Example.com"]}}})
    assert settings.oidc
    assert access.viewer_from_email(settings, "boss@example.com").role == BOSS
    assert access.viewer_from_email(settings, "someone@else.com") is None


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ('lead_password_hash = "lead520"\n', "access.lead_password_hash"),
        ('boss_password_hash = "$2b$12$short"\n', "access.boss_password_hash"),
        ('link_secret = "short"\n', "access.link_secret"),
        ('lead_password = "x"\n', "access.lead_password"),
    ],
    ids=["plain-password", "truncated-hash", "short-secret", "misspelt"],
)
def test_a_bad_access_section_names_the_key(tmp_path, section, key):
    with pytest.raises(ConfigError, match=f"'{key}'"):
        event_with(tmp_path, section)


# -- personal links and the kiosk link -----------------------------------------------------------------


def test_a_staff_token_is_the_truncated_hmac_of_the_staff_id():
    token = access.staff_token(SECRET, "S01")
    assert len(token) == access.TOKEN_LENGTH
    assert token == access.staff_token(SECRET, "S01")
    assert token != access.staff_token(SECRET, "S02")
    assert token != access.staff_token(SECRET + "x", "S01")


def test_a_personal_link_opens_its_owner(settings, config):
    viewer = access.viewer_from_token(settings, config, access.staff_token(SECRET, "S02"))
    assert viewer == Viewer(role=STAFF, staff_id="S02", name="小周", via="link")


@pytest.mark.parametrize(
    "forged",
    [
        lambda: access.staff_token("some-other-secret-value", "S01"),  # signed with another secret
        lambda: access.staff_token(SECRET, "S99"),  # someone not in the event
        lambda: access.staff_token(SECRET, "S01")[:-1],  # truncated
        lambda: access.staff_token(SECRET, "S01")[:-1] + ("A" if access.staff_token(SECRET, "S01")[-1] != "A" else "B"),  # one character changed
        lambda: access.kiosk_token(SECRET),  # the kiosk's token is nobody's personal token
        lambda: "",
        lambda: "  ",
        lambda: "令牌",  # not ASCII: refused, not an exception
        lambda: None,
    ],
    ids=["other-secret", "unknown-staff", "truncated", "one-char", "kiosk-token", "empty", "blank", "non-ascii", "none"],
)
def test_a_forged_personal_link_opens_nothing(settings, config, forged):
    assert access.viewer_from_token(settings, config, forged()) is None


def test_a_fixed_token_from_the_event_file_replaces_the_signed_one(tmp_path):
    config = event_with(tmp_path, f'link_secret = "{SECRET}"\n', staff_token="my-own-token-123")
    settings = access.access_settings(config)
    fixed = access.viewer_from_token(settings, config, "my-own-token-123")
    signed = access.viewer_from_token(settings, config, access.staff_token(SECRET, "S02"))
    assert (fixed.staff_id, signed, access.token_for(settings, "S02")) == ("S02", None, "my-own-token-123")


def test_without_a_link_secret_there_are_no_links(tmp_path):
    config = event_with(tmp_path)
    settings = access.access_settings(config)
    assert not settings.has_links
    assert access.token_for(settings, "S01") is None
    assert access.viewer_from_kiosk(settings, access.kiosk_token(SECRET)) is None


@pytest.mark.parametrize(
    ("token", "opens"),
    [
        (access.kiosk_token(SECRET), True),
        (access.kiosk_token("some-other-secret-value"), False),
        (access.staff_token(SECRET, "S01"), False),
        (access.staff_token(SECRET, "kiosk"), False),  # a staff member whose id is "kiosk" gets no kiosk
        ("", False),
        (None, False),
    ],
    ids=["right", "other-secret", "staff-token", "staff-named-kiosk", "empty", "none"],
)
def test_the_kiosk_link(settings, token, opens):
    assert access.viewer_from_kiosk(settings, token) == (Viewer(role=KIOSK, via="kiosk") if opens else None)


def test_a_link_is_absolute_with_its_query():
    assert (access.link("http://host:8501/", token="abc"), access.link("http://host", "en", kiosk="k")) == (
        "http://host:8501/?token=abc", "http://host/?kiosk=k&lang=en")


# -- throttling wrong passwords -----------------------------------------------------------------------------


def throttle_after(failures: int, at: float = 0.0) -> access.LoginThrottle:
    throttle = access.LoginThrottle()
    for _ in range(failures):
        throttle.failed(LEAD, "c1", at)
    return throttle


@pytest.mark.parametrize(
    ("failures", "later", "wait"),
    [
        (4, 0, 0),  # four free failures
        (5, 0, 30),  # the fifth: wait 30 s
        (5, 29, 1),
        (5, 30, 0),
        (6, 0, 60),  # then twice as long after each further failure
        (7, 0, 120),
        (9, 100, 380),
        (20, 0, 900),  # at most 15 minutes
    ],
)
def test_wrong_passwords_wait_longer_and_longer(failures, later, wait):
    assert throttle_after(failures).wait_seconds(LEAD, "c1", later) == wait


def test_failures_are_forgotten_after_an_hour_of_quiet():
    assert (throttle_after(4).failures_left(LEAD, "c1", 3599), throttle_after(4).failures_left(LEAD, "c1", 3600)) == (1, 5)


def test_a_right_password_forgets_the_failures(settings):
    throttle = access.LoginThrottle()
    for _ in range(4):
        access.attempt_sign_in(settings, throttle, LEAD, "wrong", client="c1", now=0)
    access.attempt_sign_in(settings, throttle, LEAD, "lead-pw", client="c1", now=1)
    assert throttle.failures_left(LEAD, "c1", 2) == 5


def test_while_waiting_even_the_right_password_is_refused_unchecked(settings):
    throttle = access.LoginThrottle()
    attempts = [access.attempt_sign_in(settings, throttle, LEAD, "wrong", client="c1", now=second) for second in range(5)]
    refused = access.attempt_sign_in(settings, throttle, LEAD, "lead-pw", client="c1", now=10)
    later = access.attempt_sign_in(settings, throttle, LEAD, "lead-pw", client="c1", now=34)
    assert ([attempt.failures_left for attempt in attempts], refused, later.viewer) == (
        [4, 3, 2, 1, 0], access.SignInAttempt(viewer=None, wait_seconds=24, failures_left=0), Viewer(role=LEAD))


@pytest.mark.parametrize(
    ("role", "client", "waits"),
    [
        (LEAD, "c1", True),  # the client that failed, as that role: it waits
        (LEAD, "c2", False),  # a lead on another client gets in at once: nobody can lock the leads out
        (BOSS, "c1", False),  # the same client as another role: its own count
    ],
)
def test_throttled_per_client_and_role(settings, role, client, waits):
    throttle = access.LoginThrottle()
    for second in range(5):
        access.attempt_sign_in(settings, throttle, LEAD, "wrong", client="c1", now=second)
    password = "lead-pw" if role == LEAD else "boss-pw"
    attempt = access.attempt_sign_in(settings, throttle, role, password, client=client, now=5)
    assert (attempt.viewer is None, attempt.wait_seconds > 0) == (waits, waits)


def test_a_client_is_its_address_and_its_browser_session():
    assert (access.client_key("203.0.113.5", "s1"), access.client_key(None, "s1")) == ("203.0.113.5|s1", "local|s1")


def spent_budget(settings, clients: int = access.GLOBAL_FREE_FAILURES) -> access.LoginThrottle:
    """Return a throttle after one wrong lead password from each of `clients` clients, at time 0: the role's budget is spent."""
    throttle = access.LoginThrottle()
    for number in range(clients):
        throttle.failed(LEAD, f"bot{number}", 0.0)
    return throttle


def test_with_the_budget_spent_a_client_that_failed_waits_for_it(settings):
    attempt = access.attempt_sign_in(settings, spent_budget(settings), LEAD, "lead-pw", client="bot0", now=0)
    assert (attempt.viewer, attempt.wait_seconds) == (None, access.GLOBAL_REFILL_SECONDS)


def test_with_the_budget_spent_a_fresh_client_s_right_password_is_taken(settings):
    assert access.attempt_sign_in(settings, spent_budget(settings), LEAD, "lead-pw", client="the-lead", now=0).viewer == Viewer(role=LEAD)


def test_with_the_budget_spent_a_fresh_client_s_first_wrong_password_makes_it_wait(settings):
    attempt = access.attempt_sign_in(settings, spent_budget(settings), LEAD, "wrong", client="bot-new", now=0)
    # The budget now owes one more: the wait until it is back in credit.
    assert (attempt.wait_seconds, attempt.failures_left) == (2 * access.GLOBAL_REFILL_SECONDS, 0)


def test_past_the_budget_the_wait_grows_slowly_up_to_the_longest(settings):
    throttle = spent_budget(settings, access.GLOBAL_FREE_FAILURES + 1_000)
    assert (throttle.wait_seconds(LEAD, "bot0", 0), spent_budget(settings, access.GLOBAL_FREE_FAILURES + 3).wait_seconds(LEAD, "bot0", 0)) == (
        access.MAX_WAIT_SECONDS, 4 * access.GLOBAL_REFILL_SECONDS)


def test_the_budget_grows_back_one_wrong_password_at_a_time(settings):
    throttle = spent_budget(settings)
    waits = [throttle.wait_seconds(LEAD, "bot0", now) for now in (0, access.GLOBAL_REFILL_SECONDS / 2, access.GLOBAL_REFILL_SECONDS)]
    assert waits == [access.GLOBAL_REFILL_SECONDS, access.GLOBAL_REFILL_SECONDS / 2, 0]


def test_the_budget_is_per_role(settings):
    assert access.attempt_sign_in(settings, spent_budget(settings), BOSS, "boss-pw", client="bot0", now=0).viewer == Viewer(role=BOSS)


def test_the_throttle_remembers_at_most_max_clients():
    throttle = access.LoginThrottle(max_clients=50)
    for number in range(200):
        throttle.failed(LEAD, f"bot{number}", float(number))
    assert len(throttle) == 50


# -- staying signed in -------------------------------------------------------------------------------------

NOW = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("role", [LEAD, BOSS])
def test_a_session_token_signs_its_role_back_in(settings, role):
    token = access.session_token(settings, Viewer(role=role), NOW)
    assert access.viewer_from_session_token(settings, token, NOW + timedelta(hours=11)) == Viewer(role=role, via="password")


def test_a_session_token_expires(settings):
    token = access.session_token(settings, Viewer(role=LEAD), NOW)
    assert access.viewer_from_session_token(settings, token, NOW + timedelta(hours=access.SESSION_HOURS)) is None


def test_two_sign_ins_get_different_tokens(settings):
    assert access.session_token(settings, Viewer(role=LEAD), NOW) != access.session_token(settings, Viewer(role=LEAD), NOW)


def edited(token: str, part: int, value: str) -> str:
    parts = token.split(".")
    parts[part] = value
    return ".".join(parts)


@pytest.mark.parametrize(
    "forge",
    [
        lambda token: edited(token, 0, LEAD),  # a boss's token made a lead's
        lambda token: edited(token, 1, str(int(token.split(".")[1]) + 86_400)),  # a day longer
        lambda token: edited(token, 2, "another-nonce"),
        lambda token: edited(token, 3, "A" * 22),
        lambda token: token + ".x",
        lambda token: "",
        lambda token: "lead",
    ],
    ids=["role", "expiry", "nonce", "signature", "extra-part", "empty", "bare-role"],
)
def test_a_forged_session_token_signs_nobody_in(settings, forge):
    token = access.session_token(settings, Viewer(role=BOSS), NOW)
    assert access.viewer_from_session_token(settings, forge(token), NOW) is None


@pytest.mark.parametrize(
    "change",
    [{"link_secret": "a-new-link-secret"}, {"password_hashes": {LEAD: access.hash_password("new-pw", rounds=4), BOSS: BOSS_HASH}}],
    ids=["new-link-secret", "new-password"],
)
def test_new_secrets_sign_the_old_sessions_out(settings, change):
    token = access.session_token(settings, Viewer(role=LEAD), NOW)
    assert access.viewer_from_session_token(dataclasses.replace(settings, **change), token, NOW) is None


@pytest.mark.parametrize(
    "viewer",
    [Viewer(role=STAFF, staff_id="S01", via="link"), Viewer(role=KIOSK, via="kiosk"), Viewer(role=LEAD, name="a@example.com", via="oidc")],
    ids=["staff", "kiosk", "oidc"],
)
def test_only_password_sign_ins_get_a_session_token(settings, viewer):
    assert access.session_token(settings, viewer, NOW) is None


# -- pages by role ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "pages"),
    [
        (LEAD, ("big_screen", "leaderboards", "prompts", "commission", "review", "setup")),
        (BOSS, ("review", "commission")),
        (STAFF, ("my_ranking", "leaderboards")),
        (KIOSK, ("big_screen",)),
        (None, ("login",)),
        ("intruder", ("login",)),
    ],
)
def test_each_role_s_pages(role, pages):
    assert access.pages_for(role) == pages


def test_staff_never_get_another_role_s_pages():
    assert not set(access.pages_for(STAFF)) & {"review", "commission", "setup", "big_screen", "prompts"}


@pytest.mark.parametrize(("staff_role", "operator"), [("hype", True), ("community", True), ("order_taker", False), ("host", False)])
def test_hype_and_community_staff_also_get_the_operator_page(staff_role, operator):
    assert ("prompts" in access.pages_for(STAFF, staff_role)) is operator


@pytest.mark.parametrize(("role", "sees"), [(LEAD, True), (BOSS, True), (STAFF, False), (KIOSK, False)])
def test_who_sees_everyone_s_commission(role, sees):
    assert Viewer(role=role).sees_commission is sees


# -- masking ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("13812345678", "138****5678"),
        ("C-13812345678", "C-138****5678"),
        ("手机 15900001111 和 18612340000", "手机 159****1111 和 186****0000"),
        ("12345678901", "12345678901"),  # not a mobile number
        ("138123456789", "138123456789"),  # twelve digits: not a phone number
        ("C0001", "C0001"),
        (None, ""),
    ],
)
def test_mask_phone(text, masked):
    assert mask_phone(text) == masked


@pytest.mark.parametrize(("role", "staff_role", "wanted", "resumed"), [
    (LEAD, None, "prompts", "prompts"),
    (LEAD, None, "my_ranking", None),
    (STAFF, "order_taker", "review", None),
    (STAFF, "order_taker", "prompts", None),
    (STAFF, "hype", "prompts", "prompts"),
    (KIOSK, None, "setup", None),
    (None, None, "big_screen", None),
])
def test_a_reconnecting_browser_resumes_only_a_page_of_its_own(role, staff_role, wanted, resumed):
    assert access.page_to_resume(wanted, access.pages_for(role, staff_role)) == resumed


@given(hs.one_of(hs.none(), hs.text(), hs.integers(), hs.lists(hs.text())))
def test_any_wr_page_value_resumes_nothing_outside_the_viewers_pages(wanted):
    pages = access.pages_for(STAFF, "order_taker")
    resumed = access.page_to_resume(wanted, pages)
    assert resumed is None or resumed in pages
