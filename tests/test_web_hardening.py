"""Issue 15, the web layer: no input stops a page and nothing leaks (SPEC §5).

Pages driven with AppTest on real SQLite and PostgreSQL stores: a panel that fails says so in its
place while the others run; a viewer who is not signed in sees no path, no URL and no error detail;
a signed-in lead sees one redacted line at most.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.events import product, small_event
from tests.events import store as store_section
from tests.test_app import routed_page, sell
from warroom.access import SESSION_KEY, Viewer
from warroom.config import load_event
from warroom.i18n import t
from warroom.records import Batch, OrderLine
from warroom.rules import LedgerRules
from warroom.store import Store
from warroom.web import auth, charts, errors, text
from warroom.web.theme import GOLD

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
REVIEW = ROOT / "pages" / "review.py"
LEAD = Viewer(role="lead")
BOSS = Viewer(role="boss")
KIOSK = Viewer(role="kiosk", via="kiosk")
# 0001-01-01 00:01 in Shanghai: a time an older version stored, before the year 1 of UTC.
YEAR_ONE_TS = -62135596800 - 8 * 3600 + 60
# Element kinds whose text reaches the viewer.
SHOWN = ("html", "markdown", "caption", "error", "warning", "info", "success", "exception", "code", "text", "title", "subheader")


def shown_text(app: AppTest) -> str:
    """Return every text the run put on the page, joined."""
    parts = []
    for kind in SHOWN:
        for element in app.get(kind):
            proto = element.proto
            parts.append(getattr(proto, "body", "") or getattr(proto, "message", "") or str(getattr(element, "value", "")))
            parts.extend(getattr(proto, "stack_trace", []))
    return "\n".join(parts)


def open_app(script: Path = APP, viewer: Viewer | None = None, **query: str) -> AppTest:
    """Return a script after one run as app.py routes it, with this viewer signed in and this query string."""
    app = routed_page(script, timeout=60)
    if viewer is not None:
        app.session_state[SESSION_KEY] = viewer
    app.query_params.update(query)
    return app.run()


@pytest.fixture
def served(event_dir, store_url, monkeypatch, read_afresh):
    """Return the small event on each store, with two orders sold, named by WARROOM_EVENT."""
    monkeypatch.delenv("WARROOM_REPLAY_CLOCK", raising=False)
    monkeypatch.setenv("WARROOM_DB_URL", store_url)
    monkeypatch.setenv("WARROOM_EVENT", str(event_dir / "event.toml"))
    config = load_event(event_dir / "event.toml")
    sell(config, ("A1", 12_345, "S01"), ("A2", 1_000, "S02"))
    return config


@pytest.fixture
def year_one_order(served):
    """Return the event once its store also holds a big order of the year 0001, as an older version's ingest wrote it."""
    store = Store(served.store_url, LedgerRules.from_config(served))
    store.apply(Batch(orders=[OrderLine(order_id="OLD", ts=YEAR_ONE_TS, amount_fen=500_000, customer_id="C-OLD", staff_id="S01")]))
    store.close()
    return served


# -- 1. a failing panel -------------------------------------------------------------------------------


def test_a_year_one_order_leaves_the_big_screen_without_an_exception(year_one_order):
    assert not open_app(viewer=KIOSK).exception


def panels(app: AppTest) -> str:
    """Return the HTML panels the run drew (not the style sheets, which name every panel's class)."""
    return "\n".join(body for element in app.get("html") if not (body := element.proto.body).startswith("<style"))


def test_a_year_one_order_leaves_every_panel_of_the_big_screen_up(year_one_order):
    app = open_app(viewer=KIOSK)
    assert ([part for part in ("wr-revenue", "wr-clock-time", "wr-countdown", "wr-board-title") if part in panels(app)], app.error) == (
        ["wr-revenue", "wr-clock-time", "wr-countdown", "wr-board-title"], [])


def test_the_review_of_a_year_one_order_shows_without_an_error(year_one_order):
    app = open_app(viewer=BOSS)
    assert not app.exception
    assert [element.value for element in app.error] == []


@pytest.fixture
def failing_ticker(served, monkeypatch):
    """Return the event once the big-order ticker's read fails, as a panel fails for a reason no one foresaw."""
    from warroom.ticker import BigOrderFeed

    def fail(*_args, **_kwargs):
        raise ValueError("year 0 is out of range")

    monkeypatch.setattr(BigOrderFeed, "poll", fail)
    return served


def test_a_failing_panel_leaves_the_big_screen_s_other_panels_running(failing_ticker):
    body = panels(open_app(viewer=KIOSK))
    assert [part for part in ("wr-revenue", "wr-clock-time", "wr-countdown", "wr-board-title", "wr-ticker") if part in body] == [
        "wr-revenue", "wr-clock-time", "wr-countdown", "wr-board-title"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_failing_panel_is_replaced_by_a_short_message(failing_ticker, lang):
    assert [element.value for element in open_app(viewer=KIOSK, lang=lang).error] == [t("panel_failed", lang)]


@pytest.mark.parametrize("viewer", [KIOSK, BOSS], ids=["kiosk", "boss"])
def test_a_viewer_who_is_not_a_lead_sees_nothing_of_the_error(failing_ticker, viewer):
    body = shown_text(open_app(viewer=viewer))
    assert not [word for word in ("ValueError", "year 0", "Traceback", ".py") if word in body]


def test_a_lead_sees_one_line_of_what_failed(failing_ticker):
    app = open_app(viewer=LEAD)
    assert t("error_detail", detail="ValueError: year 0 is out of range") in [ui_unescaped(c.value) for c in app.caption]


def ui_unescaped(markdown: str) -> str:
    """Return the text a Markdown line escaped by text.plain shows."""
    import re

    return re.sub(r"\\(.)", r"\1", markdown)


def test_the_revenue_line_leaves_out_a_minute_it_cannot_draw(year_one_order):
    from warroom.clock import FixedClock
    from warroom.figures import LiveFigures

    store = Store(year_one_order.store_url, LedgerRules.from_config(year_one_order))
    snapshot = LiveFigures(store, year_one_order, clock=FixedClock(__import__("datetime").datetime.fromisoformat("2026-05-20T21:30:00+08:00"))).refresh()
    store.close()
    figure = charts.revenue_figure(year_one_order, snapshot, "zh")
    curve = next(trace for trace in figure.data if trace.line.color == GOLD)
    # The year-1 order's revenue counts from the axis's start; nothing is drawn off the axis.
    assert min(curve.x) == 0.0
    assert curve.y[-1] == 18_345


def test_the_leaderboards_race_leaves_out_a_minute_it_cannot_draw(year_one_order):
    app = open_app(ROOT / "pages" / "leaderboards.py", viewer=LEAD)
    assert not app.exception
    assert not app.error
    assert len(app.get("plotly_chart")) == 1


# -- 2. an unreachable store: no secret and no path ----------------------------------------------------

BAD_STORE = "postgresql+psycopg://u:PASSWORD@127.0.0.1:1/db"


@pytest.fixture
def unreachable_store(event_dir, monkeypatch):
    """Return the event file of an event whose store is a PostgreSQL server nobody runs, with a password in its URL."""
    source = event_dir / "event.toml"
    source.write_text(small_event(store_section(BAD_STORE)), encoding="utf-8")
    monkeypatch.delenv("WARROOM_DB_URL", raising=False)
    monkeypatch.setenv("WARROOM_EVENT", str(source))
    return source


@pytest.mark.parametrize(("script", "query"), [(APP, {}), (APP, {"kiosk": "x"}), (REVIEW, {}), (APP, {"token": "x"})], ids=["front", "kiosk", "review", "token"])
def test_a_viewer_not_signed_in_sees_neither_the_url_nor_a_path(unreachable_store, script, query):
    body = shown_text(open_app(script, **query))
    assert not [word for word in ("PASSWORD", "postgresql", str(unreachable_store.parent), "event.toml", "OperationalError") if word in body]


def test_a_viewer_not_signed_in_is_told_the_war_room_cannot_open(unreachable_store):
    assert [element.value for element in open_app().error] == [t("app_unavailable")]


def test_a_lead_sees_the_store_url_without_its_password(unreachable_store):
    body = shown_text(open_app(viewer=LEAD))
    assert "u:***@127.0.0.1:1/db" in body
    assert "PASSWORD" not in body
    assert str(unreachable_store.parent) not in body


# -- 7. the sign-in cookie is written by the app's route: HttpOnly, SameSite=Lax, Secure over https ---------


def get(path: str, query: dict[str, str], headers: dict[str, str] | None = None) -> dict[str, str]:
    """Return the response headers of a GET to the app's own routes (the ones app.py gives st.App), served in process."""
    import asyncio
    from urllib.parse import urlencode

    from starlette.applications import Starlette

    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": urlencode(query).encode(), "root_path": "",
             "headers": [(name.encode(), value.encode()) for name, value in (headers or {}).items()], "scheme": "http", "http_version": "1.1",
             "server": ("127.0.0.1", 8501), "client": ("127.0.0.1", 50000)}
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(Starlette(routes=auth.http_routes())(scope, receive, send))
    return {name.decode().lower(): value.decode() for name, value in sent[0]["headers"]}


def code_for(value: str) -> str:
    import time

    return auth.cookie_code(value, time.monotonic())


def test_the_route_writes_the_cookie_http_only_and_lax():
    header = get(auth.SESSION_ROUTE, {"code": code_for("lead.1.n.s"), "next": "/review"})["set-cookie"]
    assert [part.strip().lower() for part in header.split(";")][:1] + sorted(part.strip().lower() for part in header.split(";")[1:]) == [
        "warroom_session=lead.1.n.s", "httponly", "max-age=43200", "path=/", "samesite=lax"]


@pytest.mark.parametrize(("headers", "secure"), [({}, False), ({"x-forwarded-proto": "https"}, True)], ids=["http", "https"])
def test_the_cookie_is_secure_when_served_over_https(headers, secure):
    header = get(auth.SESSION_ROUTE, {"code": code_for("lead.1.n.s")}, headers)["set-cookie"]
    assert ("secure" in header.lower()) is secure


def test_a_code_writes_the_cookie_once():
    code = code_for("lead.1.n.s")
    get(auth.SESSION_ROUTE, {"code": code})
    assert "set-cookie" not in get(auth.SESSION_ROUTE, {"code": code})


def test_an_expired_code_writes_nothing():
    code = auth.cookie_code("lead.1.n.s", now=100.0)
    assert auth.redeem_cookie_code(code, now=100.0 + 61) is None


def test_signing_out_removes_the_cookie():
    header = get(auth.SESSION_ROUTE, {"code": code_for("")})["set-cookie"].lower()
    assert "max-age=0" in header
    assert "httponly" in header


@pytest.mark.parametrize(("target", "location"), [("/review?lang=en", "/review?lang=en"), ("//evil.example/x", "/"), ("https://evil.example", "/"), ("/\\evil.example", "/")])
def test_the_route_sends_the_browser_back_only_within_the_app(target, location):
    assert get(auth.SESSION_ROUTE, {"code": "unknown", "next": target})["location"] == location


# -- 8. nothing of an exception reaches a viewer ---------------------------------------------------------


def test_streamlit_itself_shows_no_error_details():
    import tomllib

    assert tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))["client"]["showErrorDetails"] == "none"


def test_the_served_app_turns_any_uncaught_error_into_the_short_message():
    import ast

    calls = [node for node in ast.walk(ast.parse(APP.read_text(encoding="utf-8"))) if isinstance(node, ast.Call) and ast.unparse(node.func) == "st.App"]
    assert [ast.unparse(keyword.value) for call in calls for keyword in call.keywords if keyword.arg == "on_script_error"] == ["errors.page_failed"]


@pytest.mark.parametrize(("error", "detail"), [
    (ValueError("could not open postgresql+psycopg://u:secret@db.example/x: refused"), "ValueError: could not open postgresql+psycopg://u:***@db.example/x: refused"),
    (OSError("/srv/events/520/event.toml: key 'store.url'"), "OSError: event.toml: key 'store.url'"),
    (ValueError("sqlite:////srv/events/520/warroom.db is locked"), "ValueError: sqlite:///warroom.db is locked"),
    (ValueError("first line\nTraceback: /srv/x.py"), "ValueError: first line"),
], ids=["url", "path", "sqlite", "one-line"])
def test_a_lead_s_detail_line_holds_no_secret_and_no_path(error, detail):
    assert errors.error_detail(error) == detail


def test_the_log_hides_a_store_url_s_password():
    assert errors.redact_secrets("could not open postgresql+psycopg://u:secret@db/x at /srv/e.toml") == "could not open postgresql+psycopg://u:***@db/x at /srv/e.toml"


# -- 4. a staff member alone in a ranked role ------------------------------------------------------------


@pytest.fixture
def lone_community_member(served, event_dir):
    """Return the event with a product for the what-if: S20 is the only member of the community role, a ranked one."""
    source = event_dir / "event.toml"
    source.write_text(small_event(product("P1", "玫瑰精油", 1299)), encoding="utf-8")
    return load_event(source)


def test_a_staff_member_alone_in_a_ranked_role_gets_their_page(lone_community_member):
    app = open_app(ROOT / "pages" / "my_ranking.py", viewer=Viewer(role="staff", staff_id="S20", name="阿青", via="link"))
    body = panels(app)
    assert not app.exception
    assert not app.error
    assert "wp-whatif" in body
    assert "wp-money" in body


# -- 6. the store file deleted or replaced while the app serves ------------------------------------------------


@pytest.fixture
def sqlite_event(event_dir, monkeypatch, read_afresh):
    """Return the small event on its default SQLite store, with two orders sold, named by WARROOM_EVENT."""
    for name in ("WARROOM_DB_URL", "WARROOM_REPLAY_CLOCK"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WARROOM_EVENT", str(event_dir / "event.toml"))
    config = load_event(event_dir / "event.toml")
    sell(config, ("A1", 12_345, "S01"), ("A2", 1_000, "S02"))
    return config


def store_path(config) -> Path:
    return Path(config.store_url.removeprefix("sqlite:///"))


def replace_store(config) -> None:
    """Put another store file in the store's place, holding one ¥500 order, as a copy from elsewhere would."""
    path = store_path(config)
    other = path.with_name("other.db")
    store = Store(f"sqlite:///{other}", LedgerRules.from_config(config))
    store.apply(Batch(orders=[OrderLine(order_id="B1", ts=int(__import__("datetime").datetime.fromisoformat("2026-05-20T21:00:00+08:00").timestamp()),
                                        amount_fen=50_000, customer_id="C-B1", staff_id="S01")]))
    store.close()
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    other.replace(path)


def delete_store(config) -> None:
    """Delete the store's files, as `rm warroom.db*` would."""
    path = store_path(config)
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


@pytest.mark.parametrize(("change", "revenue"), [(replace_store, "¥500"), (delete_store, "¥0")], ids=["replaced", "deleted"])
def test_a_new_session_reads_the_store_now_at_the_path(sqlite_event, change, revenue):
    open_app(viewer=KIOSK)
    change(sqlite_event)
    assert f'>{revenue}</div>' in panels(open_app(viewer=KIOSK))


def test_a_screen_already_up_reads_the_store_now_at_the_path(sqlite_event):
    app = open_app(viewer=KIOSK)
    replace_store(sqlite_event)
    assert '>¥500</div>' in panels(app.run())


@pytest.mark.parametrize("change", [replace_store, delete_store], ids=["replaced", "deleted"])
def test_the_ticker_forgets_the_big_orders_of_the_old_store(sqlite_event, change):
    assert "¥12,345" in panels(open_app(viewer=KIOSK))
    change(sqlite_event)
    ticker = [body for body in panels(open_app(viewer=KIOSK)).splitlines() if "wr-ticker" in body]
    assert len(ticker) == 1 and "¥12,345" not in ticker[0] and t("bs_no_big_orders") in ticker[0]


@pytest.mark.parametrize(("change", "key"), [(replace_store, "store_replaced"), (delete_store, "store_deleted")], ids=["replaced", "deleted"])
def test_the_big_screen_s_footer_says_the_store_was_opened_again(sqlite_event, change, key):
    open_app(viewer=KIOSK)
    change(sqlite_event)
    footer = [body for body in panels(open_app(viewer=KIOSK)).splitlines() if "wr-footer" in body]
    assert len(footer) == 1 and t(key, time="|").split("|")[1] in footer[0]


def test_the_setup_page_says_the_store_was_opened_again(sqlite_event):
    open_app(viewer=LEAD)
    replace_store(sqlite_event)
    app = open_app(ROOT / "pages" / "setup.py", viewer=LEAD)
    assert [element.value for element in app.warning if t("store_replaced", time="|").split("|")[1] in element.value] != []


@pytest.mark.parametrize("change", [replace_store, delete_store], ids=["replaced", "deleted"])
def test_the_app_lets_go_of_the_old_file(sqlite_event, change):
    import os

    open_app(viewer=KIOSK)
    change(sqlite_event)
    open_app(viewer=KIOSK)
    # Linux names a file that is open but no longer in its folder "… (deleted)".
    held = [os.readlink(fd) for fd in Path("/proc/self/fd").iterdir() if fd.is_symlink()]
    assert [name for name in held if name.startswith(str(store_path(sqlite_event))) and name.endswith("(deleted)")] == []


# -- 5. feed text is text everywhere ----------------------------------------------------------------------------

HOSTILE = ['<a href="https://evil.example">领红包</a>', "<img src=x onerror=alert(1)>", "**bold**", "[link](https://x)", "$x$"]


@pytest.mark.parametrize("name", HOSTILE[:2])  # plotly reads HTML; the Markdown ones are the captions' (below)
@pytest.mark.parametrize("chart", ["bar", "bar_horizontal", "donut"])
def test_a_chart_label_shows_feed_text_as_written(name, chart):
    figure = {"bar": lambda: charts.bar_figure([name], [100], "zh"), "bar_horizontal": lambda: charts.bar_figure([name], [100], "zh", horizontal=True),
              "donut": lambda: charts.donut_figure([name], [100], "zh")}[chart]()
    trace = figure.data[0]
    values = [trace.labels] if chart == "donut" else [trace.x, trace.y]
    labels = [value for column in values for value in (column or ()) if isinstance(value, str)]
    # (figure.to_json() writes "<" as \u003c whatever the label is: the labels themselves are what plotly reads as HTML.)
    assert labels and not [label for label in labels if "<" in label or ">" in label]


def test_a_chart_label_is_escaped_once():
    assert list(charts.bar_figure(['<a href="https://evil.example">领红包</a> & co'], [100], "zh").data[0].x) == [
        '&lt;a href="https://evil.example"&gt;领红包&lt;/a&gt; &amp; co']


@pytest.mark.parametrize("name", HOSTILE)
def test_markdown_in_a_name_is_shown_as_written(name):
    import re

    # Every Markdown character is escaped: what Markdown shows is the name, character for character.
    assert re.sub(r"\\(.)", r"\1", text.plain(name)) == name and not re.search(r"(?<!\\)[*\[\]()$<>]", text.plain(name))


def test_the_review_s_groups_chart_shows_a_hostile_group_id_as_text(served):
    store = Store(served.store_url, LedgerRules.from_config(served))
    store.apply(Batch(orders=[OrderLine(order_id="H1", ts=int(__import__("datetime").datetime.fromisoformat("2026-05-20T21:00:00+08:00").timestamp()),
                                        amount_fen=70_000, customer_id="C-H1", staff_id="S01", group_id=HOSTILE[0])]))
    store.close()
    specs = "".join(chart.proto.spec for chart in open_app(viewer=BOSS).get("plotly_chart"))
    assert "&lt;a href" in specs
    assert "<a href" not in specs


@pytest.mark.parametrize("page", ["review.py", "commission.py"])
def test_markdown_in_the_event_name_is_escaped_in_a_caption(event_dir, served, page):
    source = event_dir / "event.toml"
    source.write_text(source.read_text(encoding="utf-8").replace('name = "小测试"', 'name = "**粗体** [链接](https://x)"', 1), encoding="utf-8")
    captions = [caption.value for caption in open_app(ROOT / "pages" / page, viewer=BOSS).caption]
    assert any(r"\*\*粗体\*\* \[链接\]\(https\:\/\/x\)" in caption for caption in captions)


def test_the_server_log_of_a_failure_has_its_traceback_and_no_password(caplog):
    try:
        raise ValueError("could not open postgresql+psycopg://u:PASSWORD@db.example/x")
    except ValueError as error:
        errors.log_failure("panel test", error)
    assert "Traceback" in caplog.text
    assert "PASSWORD" not in caplog.text
    assert "u:***@db.example" in caplog.text


def test_the_sign_in_page_without_passwords_names_no_file(sqlite_event):
    body = shown_text(open_app(ROOT / "pages" / "login.py"))
    assert t("login_no_passwords") in body.replace("\\", "")
    assert "secrets.toml" not in body
    assert ".toml" not in body
