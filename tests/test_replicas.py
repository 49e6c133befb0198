"""Two `warroom serve` replicas on one PostgreSQL store, behind Debian's nginx with deploy/nginx.conf, in Chromium.

The 520 event frozen at one moment (tests/scenes.py) is ingested into a fresh PostgreSQL schema; two
replicas serve it on their own ports, and nginx runs in the foreground (`nginx -p DIR -c FILE -g
'daemon off;'`) with the shipped config made local: its upstream pointed at the two replicas, its TLS
server listening on a free port without TLS, and a header naming the replica that answered, so that
the test knows which one to kill. A prompt pushed through one replica shows on the other, both show
the same figures, and a TV through the proxy whose replica is killed comes back on the other.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.browser_support import LEAD_PASSWORD, free_port, kiosk_query
from tests.conftest import fresh_pg_schema_url
from tests.replica_support import NGINX, REPLICA_HEADER, Nginx
from tests.scenes import MOMENTS, Scene, freeze
from warroom import access
from warroom.i18n import t

pytestmark = [pytest.mark.replicas, pytest.mark.browser, pytest.mark.postgres]

MOMENT = MOMENTS["early"]  # the first evening, with prompts firing
TV = {"width": 1280, "height": 720}
LOAD_MS = 90_000


@pytest.fixture(scope="module")
def evening(tmp_path_factory, chromium) -> Iterator[tuple[list[Scene], Nginx]]:
    """Yield two replicas on one PostgreSQL store and nginx in front of them; all stopped afterwards."""
    if NGINX is None:
        pytest.skip("nginx is not installed (`make system-deps` installs Debian's package): the replica tests need it")
    folder = tmp_path_factory.mktemp("replicas")
    with fresh_pg_schema_url() as store_url:
        freeze(folder / "event", MOMENT, store_url)
        replicas = [Scene(folder / "event", free_port()) for _ in range(2)]
        proxy = None
        try:
            for replica in replicas:
                replica.start()
            proxy = Nginx(folder / "nginx", free_port(), [replica.port for replica in replicas]).start()
            yield replicas, proxy
        finally:
            if proxy is not None:
                proxy.close()
            for replica in replicas:
                replica.close()


def sign_in_lead(page, base_url: str) -> None:
    """Sign in as the lead at `base_url` (the password form), and wait for the big screen a lead lands on."""
    page.goto(base_url + "/")
    password = page.locator('input[type="password"]')
    password.wait_for(state="visible", timeout=LOAD_MS)
    password.fill(LEAD_PASSWORD)
    page.locator('[data-testid="stFormSubmitButton"] button').click()
    page.locator(".wr-revenue").wait_for(state="visible", timeout=LOAD_MS)


def figures(page) -> tuple[str, list[str]]:
    """Return the big screen's revenue and the names on its leaderboard, once both are shown."""
    page.locator(".wr-revenue").wait_for(state="visible", timeout=LOAD_MS)
    page.locator(".wr-name").first.wait_for(state="visible", timeout=LOAD_MS)
    return page.locator(".wr-revenue").inner_text(), page.locator(".wr-name").all_inner_texts()


def kiosk_url(base_url: str) -> str:
    return base_url + "/?" + "&".join(f"{key}={value}" for key, value in kiosk_query().items())


def test_a_lead_reconnecting_to_a_fresh_replica_at_the_prompts_page_gets_the_prompts_page(evening, new_page):
    # First in this module: the replicas have served nothing yet, as after a restart. Streamlit then runs
    # pages/prompts.py by itself, which sends the run through app.py; it used to land on the big screen.
    (first, _second), _proxy = evening
    page = new_page(TV)
    page.context.add_cookies([{"name": access.SESSION_COOKIE, "value": lead_session_token(), "url": first.base_url}])
    page.goto(first.base_url + "/prompts")
    page.get_by_role("heading", name=t("op_title", "zh")).wait_for(state="visible", timeout=LOAD_MS)
    assert page.locator(".wr-revenue").count() == 0, "the lead's /prompts showed the big screen"
    assert urlparse(page.url).path == "/prompts" and "wr_page" not in page.url, f"the address is {page.url}"


def lead_session_token() -> str:
    """Return the session cookie a lead's password sign-in writes (the demo's access settings, which the frozen scene keeps)."""
    from tests.browser_support import demo_access

    _config, settings = demo_access()
    return access.session_token(settings, access.Viewer(role=access.LEAD, via="password"), datetime.now(UTC))


def test_a_lead_signed_in_through_the_proxy_stays_signed_in_on_the_next_page(evening, new_page):
    # The sign-in cookie is written by an HTTP route of the replica that holds the session, through nginx,
    # beside nginx's own stickiness cookie; the next page load must carry both.
    _replicas, proxy = evening
    page = new_page(TV)
    sign_in_lead(page, proxy.base_url)
    page.goto(proxy.base_url + "/prompts")
    page.get_by_role("heading", name=t("op_title", "zh")).wait_for(state="visible", timeout=LOAD_MS)
    cookies = {cookie["name"] for cookie in page.context.cookies(proxy.base_url)}
    assert {access.SESSION_COOKIE, "warroom_replica"} <= cookies, f"the browser holds the cookies {sorted(cookies)}"
    assert page.locator('input[type="password"]').count() == 0, "the lead was asked for the password again"


def test_both_replicas_show_the_same_figures(evening, new_page):
    (first, second), _proxy = evening
    shown = [figures(_opened(new_page, kiosk_url(replica.base_url))) for replica in (first, second)]
    assert shown[0][0] and shown[0][1], f"the first replica's big screen shows no revenue or no leaderboard: {shown[0]}"
    assert shown[0] == shown[1], f"the two replicas show different figures: {shown}"


def _opened(new_page, url: str):
    page = new_page(TV)
    page.goto(url)
    return page


def test_a_prompt_pushed_through_one_replica_shows_on_the_other(evening, new_page):
    (first, second), _proxy = evening
    pushing, watching = new_page(TV), new_page(TV)
    for page, replica in ((pushing, first), (watching, second)):
        sign_in_lead(page, replica.base_url)
        page.goto(replica.base_url + "/prompts")
    push_buttons = {page: page.get_by_role("button", name=t("op_push", "zh")) for page in (pushing, watching)}
    push_buttons[watching].first.wait_for(state="visible", timeout=LOAD_MS)
    push_buttons[pushing].first.wait_for(state="visible", timeout=LOAD_MS)
    before = push_buttons[watching].count()
    assert push_buttons[pushing].count() == before, "the two replicas list different prompts to push before any push"
    push_buttons[pushing].first.click()
    expect(push_buttons[pushing]).to_have_count(before - 1, timeout=LOAD_MS)
    # The other replica learns of it from the store (its prompts refresh every few seconds), not from the first replica.
    expect(push_buttons[watching]).to_have_count(before - 1, timeout=LOAD_MS)


def test_a_tv_through_the_proxy_comes_back_when_its_replica_is_killed(evening, new_page):
    replicas, proxy = evening
    page = new_page(TV)
    sockets: list = []  # (the page's WebSocket, the frames it received)

    def opened(socket) -> None:
        frames: list = []
        socket.on("framereceived", lambda payload: frames.append(len(payload)))
        sockets.append((socket, frames))

    page.on("websocket", opened)
    page.goto(kiosk_url(proxy.base_url))
    before = figures(page)
    # The replica this browser sticks to, as nginx named it on a request with the browser's cookie.
    answered = page.request.get(proxy.base_url + "/_stcore/health").headers.get(REPLICA_HEADER, "")
    victim = next((replica for replica in replicas if answered.endswith(f":{replica.port}")), None)
    assert victim is not None, f"nginx named no replica of this test ({answered!r})"
    opened_before = len(sockets)
    victim.process.send_signal(signal.SIGKILL)
    victim.process.wait(timeout=10)
    # The page's client reconnects through the proxy, which now sends it to the replica that is left; that one runs the page afresh.
    deadline = time.monotonic() + LOAD_MS / 1000
    while time.monotonic() < deadline and not any(not socket.is_closed() and frames for socket, frames in sockets[opened_before:]):
        page.wait_for_timeout(250)
    assert any(not socket.is_closed() and frames for socket, frames in sockets[opened_before:]), (
        "the page got no new connection through the proxy, answered, after its replica was killed")
    assert figures(page) == before, "after reconnecting to the other replica the TV shows other figures (or none)"
