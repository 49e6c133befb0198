"""Screenshots of the big screen at frozen moments of the 520 replay, at TV sizes, to look at.

    .venv/bin/python bench/screens.py [--moments early,second_evening,after_end] [--sizes 1280x720,1920x1080,3840x2160] [--lang zh,en]

Writes tests/artifacts/screens/<moment>-<width>-<lang>.png. Each moment is a frozen scene
(tests/scenes.py): the feeds written up to that event time, ingested, and the clock stopped there.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser_support import free_port, kiosk_query, launch_chromium  # noqa: E402
from tests.scenes import MOMENTS, Scene, freeze  # noqa: E402

OUT = ROOT / "tests" / "artifacts" / "screens"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moments", default=",".join(MOMENTS))
    parser.add_argument("--sizes", default="1280x720,1920x1080,3840x2160")
    parser.add_argument("--lang", default="zh")
    parser.add_argument("--page", default="", help="the page's url path (default the kiosk's big screen)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as temporary, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        for moment in args.moments.split(","):
            folder = Path(temporary) / moment
            freeze(folder, MOMENTS[moment])
            scene = Scene(folder, free_port()).start()
            try:
                for size in args.sizes.split(","):
                    width, height = (int(part) for part in size.split("x"))
                    for lang in args.lang.split(","):
                        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN", timezone_id="Asia/Shanghai")
                        page = context.new_page()
                        page.goto(f"{scene.base_url}/{args.page}?{urlencode({**kiosk_query(), 'lang': lang})}", timeout=90_000)
                        page.locator(".wr-revenue").first.wait_for(timeout=90_000)
                        page.wait_for_timeout(4000)
                        path = OUT / f"{moment}-{width}-{lang}.png"
                        page.screenshot(path=str(path))
                        print(path)
                        context.close()
            finally:
                scene.close()
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
