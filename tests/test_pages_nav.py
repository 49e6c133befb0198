"""The pages by role, driven through app.py on a real SQLite store: each role's navigation, signing in,
personal and kiosk links, and what each viewer may see (an order-taker never sees others' commission)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.events import access as access_section
from tests.events import product, small_event
from tests.test_app import rendered, routed_page, sell
from warroom import access
from warroom.access import SESSION_KEY, Viewer
from warroom.config import load_event
from warroom.web import auth, text

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
SECRET = "a-test-link-secret-of-some-length"
# S01 sells ¥12,345 and S02 ¥1,000, all in the 15 % band; revenue ¥13,345 unlocks the 3 % team pool
# (¥400.35), shared equally by the three staff (¥133.45 each).
S01_EARNED, S02_EARNED, S02_COMMISSION, S01_COMMISSION = "¥1,985.20", "¥283.45", "¥150", "¥1,851.75"
POOL_SHARE = "¥133.45"  # S20, the community member, sells nothing and earns only this share
EVERY_PAGE = ("big_screen", "leaderboards", "prompts", "commission", "review", "setup", "my_ranking", "login")


@pytest.fixture
def event(event_dir, monkeypatch, read_afresh):
    """Return the small event with passwords, a link secret, two products and two orders, named by WARROOM_EVENT."""
    source = event_dir / "event.toml"
    lead, boss = access.hash_password("lead-pw", rounds=4), access.hash_password("boss-pw", rounds=4)
    source.write_text(
        small_event(product("P1", "玫瑰精油", 1299), product("P2", "金套装", 19999), access_section(lead_password_hash=lead, boss_password_hash=boss, link_secret=SECRET)),
        encoding="utf-8",
    )
    for name in ("WARROOM_DB_URL", "WARROOM_REPLAY_CLOCK"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WARROOM_EVENT", str(source))
    config = load_event(source)
    sell(config, ("A1", 12_345, "S01"), ("A2", 1_000, "S02"))
    return config


def open_app(*, viewer: Viewer | None = None, lang: str | None = None, **query: str) -> AppTest:
    """Return app.py after one run, with this query string and, when given, a viewer already signed in."""
    app = AppTest.from_file(str(APP), default_timeout=30)
    app.query_params.update(query)
    if lang:
        app.query_params["lang"] = lang
    if viewer is not None:
        app.session_state[SESSION_KEY] = viewer
    return app.run()


def link_for(staff_id: str) -> str:
    return access.staff_token(SECRET, staff_id)


def reachable(app: AppTest) -> set[str]:
    """Return the pages the session's navigation registered: switch_page refuses any other."""
    found = set()
    for page in EVERY_PAGE:
        try:
            app.switch_page(f"pages/{page}.py")
        except ValueError:
            continue
        found.add(page)
    return found


def on_page(app: AppTest, page: str) -> AppTest:
    app.switch_page(f"pages/{page}.py")
    return app.run()


# -- navigation by role -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "pages"),
    [
        ("anonymous", {"login"}),
        ("lead", {"big_screen", "leaderboards", "prompts", "commission", "review", "setup"}),
        ("boss", {"review", "commission"}),
        ("order_taker", {"my_ranking", "leaderboards"}),
        ("kiosk", {"big_screen"}),
    ],
)
def test_each_role_s_navigation(event, who, pages):
    query = {"token": link_for("S01")} if who == "order_taker" else {"kiosk": access.kiosk_token(SECRET)} if who == "kiosk" else {}
    viewer = Viewer(role=who) if who in ("lead", "boss") else None
    app = open_app(viewer=viewer, **query)
    assert not app.exception
    assert reachable(app) == pages


def test_an_order_taker_cannot_reach_review_commission_or_setup(event):
    app = open_app(token=link_for("S01"))
    assert not reachable(app) & {"review", "commission", "setup", "big_screen", "prompts"}


def test_anonymous_visitors_get_the_sign_in_page_only(event):
    body = rendered(open_app())
    assert "登录作战室" in body
    assert "¥13,345" not in body


# -- signing in ---------------------------------------------------------------------------------------------


def sign_in(app: AppTest, password: str, role: str | None = None) -> AppTest:
    if role:
        app.segmented_control(key="sign_in_role").set_value(role)
    app.text_input(key="sign_in_password").input(password)
    app.form_submit_button[0].click()
    return app.run()


def test_a_lead_signs_in_and_gets_the_big_screen(event):
    app = sign_in(open_app(), "lead-pw")
    # (A browser lands on the big screen by itself; AppTest keeps rerunning the file page it was on, so switch.)
    app = on_page(app, "big_screen")
    assert not app.exception
    assert app.session_state[SESSION_KEY].role == "lead"
    assert "¥13,345" in rendered(app)


def test_a_boss_signs_in(event):
    app = sign_in(open_app(), "boss-pw", role="boss")
    assert not app.exception
    assert app.session_state[SESSION_KEY].role == "boss"


@pytest.mark.parametrize(("role", "password"), [("lead", "wrong"), ("lead", "boss-pw"), ("boss", "lead-pw")])
def test_a_wrong_password_is_refused(event, role, password):
    app = sign_in(open_app(), password, role=role)
    assert [error.value for error in app.error] == ["密码不正确，请重试。"]
    assert SESSION_KEY not in app.session_state
    assert "¥13,345" not in rendered(app)


def test_an_empty_password_is_asked_for(event):
    app = sign_in(open_app(), "")
    assert [error.value for error in app.error] == ["请输入密码。"]


def test_signing_out_forgets_the_viewer(event):
    app = routed_page(ROOT / "pages" / "login.py")
    app.session_state[SESSION_KEY] = Viewer(role="lead")
    app.run()
    app.button[-1].click().run()
    assert SESSION_KEY not in app.session_state


# -- staying signed in across a reload, and wrong passwords ---------------------------------------------------


@pytest.fixture(autouse=True)
def fresh_throttle():
    """Each test starts with no wrong passwords counted (the throttle lives in process memory)."""
    auth.login_throttle.clear()
    yield
    auth.login_throttle.clear()


def reload_with(monkeypatch, cookie: str | None, **query: str) -> AppTest:
    """Return a new session (a reload of the page) whose browser sends this sign-in cookie."""
    monkeypatch.setattr(auth, "request_cookie", lambda name: cookie if name == access.SESSION_COOKIE else None)
    return open_app(**query)


def test_a_lead_stays_signed_in_across_a_reload(event, monkeypatch):
    signed = sign_in(open_app(), "lead-pw")
    token = signed.session_state["warroom_session_token"]
    assert reachable(reload_with(monkeypatch, token)) == {"big_screen", "leaderboards", "prompts", "commission", "review", "setup"}


def test_signing_in_asks_the_browser_to_keep_the_token(event):
    app = sign_in(open_app(), "boss-pw", role="boss")
    assert app.session_state["warroom_cookie_wanted"] == app.session_state["warroom_session_token"]


def test_the_app_sends_the_browser_to_the_cookie_route_with_a_code_for_the_wanted_cookie(event):
    # (AppTest reruns only the page after the first run, so the app's next run is a fresh one with the wanted token.)
    import re
    import time

    app = AppTest.from_file(str(APP), default_timeout=30)
    app.session_state["warroom_cookie_wanted"] = "boss.1.nonce.signature"
    bodies = "".join(element.proto.body for element in app.run().get("html"))
    code = re.search(r'location\.replace\("/_warroom/session\?" \+ new URLSearchParams\(\{"code": "([\w-]+)", "next": "/"\}', bodies).group(1)
    assert auth.redeem_cookie_code(code, time.monotonic()) == "boss.1.nonce.signature"
    assert "boss.1.nonce.signature" not in bodies


def test_after_signing_out_a_reload_is_signed_out(event, monkeypatch):
    token = sign_in(open_app(), "lead-pw").session_state["warroom_session_token"]
    app = routed_page(ROOT / "pages" / "login.py")
    app.session_state[SESSION_KEY] = Viewer(role="lead")
    app.session_state["warroom_session_token"] = token
    app.run().button[-1].click().run()
    assert (app.session_state["warroom_cookie_wanted"], reachable(reload_with(monkeypatch, token))) == ("", {"login"})


@pytest.mark.parametrize("cookie", ["lead.9999999999.nonce.AAAAAAAAAAAAAAAAAAAAAA", "boss", ""])
def test_a_forged_cookie_signs_nobody_in(event, monkeypatch, cookie):
    assert reachable(reload_with(monkeypatch, cookie)) == {"login"}


def test_an_expired_cookie_signs_nobody_in(event, monkeypatch):
    from datetime import UTC, datetime, timedelta

    settings = access.access_settings(event)
    token = access.session_token(settings, Viewer(role="lead"), datetime.now(UTC) - timedelta(hours=access.SESSION_HOURS, seconds=1))
    assert reachable(reload_with(monkeypatch, token)) == {"login"}


def test_a_personal_link_wins_over_a_lead_s_cookie(event, monkeypatch):
    # A lead's phone opening an order-taker's link is that order-taker: the link cannot reach a lead's pages.
    signed = sign_in(open_app(), "lead-pw")
    app = reload_with(monkeypatch, signed.session_state["warroom_session_token"], token=link_for("S01"))
    assert reachable(app) == {"my_ranking", "leaderboards"}


def test_five_wrong_passwords_make_sign_in_wait(event):
    app = open_app()
    for _ in range(5):
        app = sign_in(app, "wrong")
    app = sign_in(app, "lead-pw")
    assert [error.value for error in app.error] == ["密码错误次数过多，请在 30 秒后再试。"]
    assert SESSION_KEY not in app.session_state


def test_the_last_tries_are_counted_down(event):
    app = open_app()
    for _ in range(3):
        app = sign_in(app, "wrong", role="boss")
    assert [caption.value for caption in app.caption if "再错" in caption.value] == ["再错 2 次需要等待一段时间才能重试。"]


def test_a_forged_link_lands_on_the_sign_in_page_with_a_reason(event):
    app = open_app(token=link_for("S01")[:-2] + "xx")
    assert reachable(app) == {"login"}
    assert "这个链接无效或已失效" in app.error[0].value
    assert "第 1 名" not in rendered(app)


def test_the_kiosk_link_opens_the_big_screen_without_a_password(event):
    app = open_app(kiosk=access.kiosk_token(SECRET))
    assert not app.exception
    assert "¥13,345" in rendered(app)


# -- my ranking ---------------------------------------------------------------------------------------------


def test_an_order_taker_s_link_shows_their_own_page(event):
    body = rendered(open_app(token=link_for("S01")))
    assert "小林" in body
    assert "第 1 名" in body
    assert "你是第一名！领先第 2 名 ¥11,345" in body
    assert S01_EARNED in body


def test_an_order_taker_sees_only_their_own_commission(event):
    body = rendered(open_app(token=link_for("S01")))
    assert [amount for amount in (S02_EARNED, S02_COMMISSION) if amount in body] == []


def test_the_gap_the_rival_and_the_what_if(event):
    app = open_app(token=link_for("S02"))
    body = rendered(app)
    # The what-if starts with the cheapest product that would take 小周 up a place.
    assert "距第 1 名 小林 还差 ¥11,345" in body
    assert "小林 领先你 ¥11,345" in body
    assert "再出一单 ¥19,999：+¥2,999.85，升至第 1 名" in body
    app.selectbox(key="whatif_sku").set_value("P1").run()
    assert "再出一单 ¥1,299：+¥194.85，仍是第 2 名" in rendered(app)


def test_my_ranking_in_english(event):
    body = rendered(open_app(token=link_for("S01"), lang="en"))
    assert "No. 1" in body
    assert "My commission" in body


def test_my_ranking_escapes_names(event_dir, monkeypatch, event):
    source = event_dir / "event.toml"
    source.write_text(source.read_text(encoding="utf-8").replace('name = "小周"', 'name = "<img src=x onerror=alert(1)>"'), encoding="utf-8")
    body = rendered(open_app(token=link_for("S01")))
    assert "<img src=x" not in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body


def test_my_ranking_refuses_a_lead(event):
    app = routed_page(ROOT / "pages" / "my_ranking.py")
    app.session_state[SESSION_KEY] = Viewer(role="lead")
    app.run()
    assert not app.exception
    assert len(app.warning) == 1
    assert "第 1 名" not in rendered(app)


# -- leaderboards -------------------------------------------------------------------------------------------


def test_an_order_taker_s_leaderboards_carry_no_commission(event):
    app = on_page(open_app(token=link_for("S01")), "leaderboards")
    body = rendered(app)
    assert not app.exception
    assert "¥12,345" in body
    assert "提成" not in body
    assert S01_COMMISSION not in body
    assert S02_COMMISSION not in body


def test_a_lead_s_leaderboards_show_commission_and_the_race(event):
    app = on_page(open_app(viewer=Viewer(role="lead")), "leaderboards")
    body = rendered(app)
    assert not app.exception
    assert "提成（含奖池）" in body
    assert len(app.get("plotly_chart")) == 1


@pytest.mark.parametrize("staff_id", ["S01", "S02", "S20"])
def test_a_lead_s_leaderboards_show_what_each_member_s_own_page_shows(event, staff_id):
    # The community member 阿青 sells nothing: their page shows their team-pool share, and so must the board, not ¥0.
    own = rendered(open_app(token=link_for(staff_id)))
    earned = {"S01": S01_EARNED, "S02": S02_EARNED, "S20": POOL_SHARE}[staff_id]
    assert earned in own, f"{staff_id}'s own page does not show {earned}"
    board = rendered(on_page(open_app(viewer=Viewer(role="lead")), "leaderboards"))
    assert earned in board, f"the lead's leaderboards do not show {staff_id}'s {earned}"


# -- setup --------------------------------------------------------------------------------------------------


def test_setup_prints_everyone_s_link_and_the_feeds(event, monkeypatch):
    # The links are built on the public URL (warroom.links), never on the address the lead's browser uses.
    monkeypatch.setenv("WARROOM_PUBLIC_URL", "https://warroom.example.com")
    app = on_page(open_app(viewer=Viewer(role="lead")), "setup")
    links = [element.value for element in app.code]
    assert not app.exception
    assert len(app.image) >= 3
    assert f"https://warroom.example.com/?token={link_for('S01')}" in links
    assert any("kiosk=" in link for link in links)
    assert len(app.dataframe) >= 4


@pytest.mark.parametrize(("public_url", "warned"), [("", True), ("https://warroom.example.com", False)])
def test_setup_warns_only_when_phones_off_this_network_cannot_open_the_links(event, monkeypatch, public_url, warned):
    monkeypatch.setenv("WARROOM_PUBLIC_URL", public_url)
    app = on_page(open_app(viewer=Viewer(role="lead")), "setup")
    shown = any("public_url" in element.value for element in app.get("html"))
    assert (not app.exception, shown) == (True, warned), f"public URL {public_url!r}: LAN warning shown {shown}"


def test_setup_lists_the_intake_spool_among_the_feeds(event):
    source = event.source
    source.write_text(source.read_text(encoding="utf-8") + '\n[intake]\nsecret = "intake-secret-0123456789"\n', encoding="utf-8")
    app = on_page(open_app(viewer=Viewer(role="lead")), "setup")
    labels = {str(label) for frame_ in app.dataframe if len(frame_.value.columns) for label in frame_.value.iloc[:, 0]}
    assert (not app.exception, {"intake:orders", "intake:checkins"} <= labels) == (True, True), labels


def test_setup_refuses_staff(event):
    app = routed_page(ROOT / "pages" / "setup.py")
    app.session_state[SESSION_KEY] = Viewer(role="staff", staff_id="S01")
    app.run()
    assert not app.exception
    assert len(app.code) == 0
    assert len(app.warning) == 1


# -- OIDC (st.login) --------------------------------------------------------------------------------------


def test_an_oidc_sign_in_listed_as_boss_gets_the_boss_pages(event):
    app = AppTest.from_file(str(APP), default_timeout=30)
    app.secrets["auth"] = {"client_id": "x", "client_secret": "y", "server_metadata_url": "https://id.example.com/.well-known/openid-configuration",
                           "redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "z"}
    app.secrets["warroom"] = {"oidc_roles": {"boss": ["boss@example.com"]}}
    app.user = {"is_logged_in": True, "email": "Boss@Example.com"}
    app.run()
    assert not app.exception
    assert app.session_state[SESSION_KEY].role == "boss"
    assert reachable(app) == {"review", "commission"}


def test_an_oidc_account_not_listed_gets_nothing(event):
    app = AppTest.from_file(str(APP), default_timeout=30)
    app.secrets["auth"] = {"client_id": "x"}
    app.user = {"is_logged_in": True, "email": "someone@example.com"}
    app.run()
    # (The address is Markdown-escaped, as every name is: text.plain; it reads the same.)
    assert reachable(app) == {"login"}
    assert text.plain("someone@example.com") in app.error[0].value
