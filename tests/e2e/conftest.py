"""Browser journeys in real Chromium (Debian's /usr/bin/chromium) against pytest-django's live
server. Playwright's sync API runs an event loop in this thread, so the ORM calls the fixtures
make need DJANGO_ALLOW_ASYNC_UNSAFE."""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("OTKLIK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session", autouse=True)
def _allow_orm_under_playwright():
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make browser-deps` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
