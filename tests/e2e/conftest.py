"""End-to-end tests: the web pages in headless Chromium (Debian's `chromium`, driven by Playwright for Python,
launched by executable path: no browser download) against `referral211 up` (moto, sample directory, API, web).

Run with `make test-e2e` (which `.ci/run` calls after installing Chromium). `make test` leaves them out (marker
`e2e`), so it needs no browser. Without Chromium these tests skip, unless REFERRAL211_E2E_REQUIRED=1 (as in
`make test-e2e`), where a missing browser is a failure.

Fixtures: `stack` (the URLs of one local stack for the session), `page` (a fresh browser page, French, desktop
width), `phone_page` (390 x 844), `token_for(role, regions)`; helpers `screenshot(page, name)` (docs/screenshots/)
and `assert_accessible(page)` (axe-core: no serious or critical violation).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
SAMPLE_SIZE = 1200  # services: every region has listings, start-up stays around 15 s
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


# `make test` installs no browser tooling: without Playwright there is nothing here to collect.
collect_ignore_glob = [] if importlib.util.find_spec("playwright") else ["test_*.py"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _chromium() -> str | None:
    return os.environ.get("REFERRAL211_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass(frozen=True)
class Stack:
    api: str
    web: str
    key_path: str

    def url(self, page: str = "index.html", **query: str) -> str:
        from urllib.parse import urlencode

        return f"{self.web}/{page}" + (f"?{urlencode(query)}" if query else "")


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("e2e-stack")
    key_path = tmp_path_factory.getbasetemp() / "dev-key" / "dev-jwt-key.pem"
    api_port, aws_port, web_port = _free_port(), _free_port(), _free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REFERRAL211_"))}
    environment["REFERRAL211_DEV_KEY_PATH"] = str(key_path)
    command = [sys.executable, "-m", "shared.cli", "up", "--port", str(api_port), "--aws-port", str(aws_port),
               "--web-port", str(web_port), "--size", str(SAMPLE_SIZE)]
    log = workdir / "up.log"
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=environment, stdout=output,
                                   stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 180
        while "is ready" not in log.read_text() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.25)
        if "is ready" not in log.read_text():
            pytest.fail(f"`referral211 up` did not get ready:\n{log.read_text()[-4000:]}")
        yield Stack(api=f"http://127.0.0.1:{api_port}", web=f"http://127.0.0.1:{web_port}", key_path=str(key_path))
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = _chromium()
    if not executable:
        message = "Chromium is not installed (Debian: apt-get install chromium); `make test-e2e` needs it"
        if os.environ.get("REFERRAL211_E2E_REQUIRED") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


def _new_page(browser: Any, viewport: dict[str, int], **options: Any) -> Any:
    context = browser.new_context(viewport=viewport, locale="fr-CA", **options)
    # The map tiles come from openstreetmap.org on AWS; this machine has no internet: answer them empty, fast.
    context.route("https://tile.openstreetmap.org/**", lambda route: route.fulfill(status=204, body=""))
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.js_errors = errors  # tests assert that no page threw
    return page


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    page = _new_page(browser, DESKTOP)
    yield page
    page.context.close()


@pytest.fixture
def phone_page(browser: Any) -> Iterator[Any]:
    page = _new_page(browser, PHONE, is_mobile=True, has_touch=True)
    yield page
    page.context.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """Pages with other options (geolocation, downloads...): new_page(viewport=..., **context options)."""
    pages: list[Any] = []

    def make(viewport: dict[str, int] = DESKTOP, **options: Any) -> Any:
        created = _new_page(browser, viewport, **options)
        pages.append(created)
        return created

    yield make
    for created in pages:
        created.context.close()


@pytest.fixture
def token_for(stack: Stack) -> Callable[..., str]:
    """A development token the stack accepts: token_for("region-admin", "02")."""
    os.environ["REFERRAL211_DEV_KEY_PATH"] = stack.key_path

    def issue(role: str, *regions: str, username: str = "e2e-user") -> str:
        from shared.config import Settings
        from shared.identity import issue_dev_token

        return issue_dev_token(Settings(dev_key_path=stack.key_path), roles=[role], regions=regions,
                               username=username)

    return issue


def sign_in(page: Any, token: str) -> None:
    """Fills the sign-in form every staff page shows first."""
    page.get_by_label("Jeton d'accès").or_(page.get_by_label("Access token")).fill(token)
    page.get_by_role("button", name="Se connecter").or_(page.get_by_role("button", name="Sign in")).click()


def screenshot(page: Any, name: str) -> Path:
    """Saves a full-page screenshot to docs/screenshots/<name>.png (linked from the README)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_accessible(page: Any, *, context: str = "") -> None:
    """axe-core (WCAG 2.0/2.1 A and AA rules): no serious or critical violation on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
    serious = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    report = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:5]}" for v in serious
    )
    assert not serious, f"axe found serious violations {context}:\n{report}"


def api_get(stack: Stack, path: str) -> Any:
    import json

    with urllib.request.urlopen(f"{stack.api}{path}", timeout=30) as answer:
        return json.loads(answer.read())
