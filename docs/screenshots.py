"""Screenshots of the officer pages for the README: docs/worklist.png and docs/case.png.

Loads the demo data into a throwaway SQLite file, serves the real app with uvicorn on a free
local port, and drives Debian's Chromium with Playwright, signed in as `kab.bogor`:

    .venv/bin/python docs/screenshots.py [--browser /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from api.http import create_app
from api.wiring import build_app
from engine.settings import Settings
from engine.store.migrate import upgrade
from workflows.demo import DEMO_PASSWORD, load_demo

HERE = Path(__file__).parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def serve(app: object) -> tuple[str, uvicorn.Server]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))  # type: ignore[arg-type]
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--browser", default="/usr/bin/chromium")
    parser.add_argument("--user", default="kab.bogor")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/pkh.db"
        upgrade(url)
        pkh = build_app(Settings(database_url=url))
        load_demo(pkh)
        base, server = serve(create_app(pkh))
        try:
            shoot(base, args.browser, args.user)
        finally:
            server.should_exit = True
            pkh.db.dispose()


def shoot(base: str, browser_path: str, user: str) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1360, "height": 900}, locale="id-ID")
        page.goto(f"{base}/login")
        page.fill("#username", user)
        page.fill("#password", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/")
        page.screenshot(path=str(HERE / "worklist.png"), full_page=True)
        # The most urgent case, with its first next step opened.
        page.click("tbody tr:first-child td:first-child a")
        page.wait_for_selector("section.timeline")
        if page.locator("details.action summary").count():
            page.locator("details.action summary").first.click()
        page.screenshot(path=str(HERE / "case.png"), full_page=True)
        browser.close()
    print(f"wrote {HERE / 'worklist.png'} and {HERE / 'case.png'}")


if __name__ == "__main__":
    main()
