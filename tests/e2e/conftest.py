"""Browser tests: Playwright (sync API) driving Debian's Chromium against pytest-django's
live server (a threaded server on the test database; Celery runs eagerly inside requests).

Every page a test visits is watched: a console error (which is how Chromium reports
Content-Security-Policy violations and failed loads), an uncaught exception, a
`securitypolicyviolation` event or a 5xx response fails the test. Screenshots of each step go
to test-artifacts/e2e/<test>/; with E2E_DOCS_SCREENSHOTS=1 the key ones are also written,
palette-compressed, to docs/screenshots/.
"""

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-quic", "--no-first-run",
                 "--disable-sync"]
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "e2e"
DOCS_SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True,
         "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
                       "(KHTML, like Gecko) Chrome/156.0 Mobile Safari/537.36"}
# Generous: only a failing test waits this long, and a loaded CI machine (the whole suite in
# parallel) can be slow to answer.
TIMEOUT_MS = 30_000
EXPECT_TIMEOUT_MS = 15_000

# Reports CSP violations to the console even where Chromium would only count them.
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline")
                + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


def _missing_browser() -> str | None:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    if not CHROMIUM.exists():
        return (f"{CHROMIUM} is missing: browser tests need Debian's Chromium "
                "(apt-get install -y chromium); never `playwright install`")
    return None


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "e2e: drives a real browser (Playwright + /usr/bin/chromium); skipped "
                   "when Chromium is not installed")


def pytest_collection_modifyitems(config, items):
    reason = _missing_browser()
    if reason is None:
        return
    for item in items:
        if item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module. While Playwright's sync API runs, an asyncio loop is
    running in this thread, so Django's ORM guard must be told the test's own queries are
    fine (the app itself runs in the live server's threads, unaffected)."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        playwright = sync_playwright().start()
        try:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                  args=CHROMIUM_ARGS)
            try:
                yield playwright, chromium
            finally:
                chromium.close()
        finally:
            playwright.stop()


class Tab:
    """One person's browser window: a page whose console and responses are watched."""

    def __init__(self, journey: "Journey", who: str, page, scale: int = 1):
        self.journey, self.who, self.page, self.scale = journey, who, page, scale
        self.problems: list[str] = []
        page.set_default_timeout(TIMEOUT_MS)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.problems.append(
            f"uncaught JavaScript error on {page.url}: {error}"))
        page.on("response", self._on_response)

    def _on_console(self, message) -> None:
        # Chromium reports CSP violations as console errors ("Executing inline script
        # violates the following Content Security Policy directive ..."; "Refused to ..." in
        # older versions), failed loads ("Failed to load resource: ... 404") too.
        if message.type in ("error", "assert") or "Content Security Policy" in message.text \
                or message.text.startswith("Refused to"):
            self.problems.append(f"console {message.type} on {self.page.url}: {message.text}")

    def _on_response(self, response) -> None:
        request = response.request
        if "/static/" not in response.url:
            htmx = " (htmx)" if request.headers.get("hx-request") else ""
            self.journey.log(f"{self.who}: {request.method} {response.url} → "
                             f"{response.status}{htmx}")
        if response.status >= 500:
            self.problems.append(f"HTTP {response.status} for {response.url}")

    def url(self, path: str) -> str:
        return self.journey.base_url + path

    def go(self, path: str):
        response = self.page.goto(self.url(path))
        assert response is not None and response.ok, (
            f"GET {path} → {response.status if response else 'no response'}")
        self.assert_clean()
        return response

    def login(self, email: str, password: str) -> None:
        self.go("/accounts/login/")
        self.page.get_by_label("E-mail").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.shot("login", doc="login" if self.who == "manager" else None)
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Log in").click()
        assert "/accounts/login/" not in self.page.url, "login failed"
        self.assert_clean()

    def shot(self, name: str, *, doc: str | None = None, full_page: bool = False) -> Path:
        self.journey.step += 1
        path = self.journey.directory / f"{self.journey.step:02d}-{self.who}-{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page, animations="disabled")
        if doc:
            self.journey.documented.append((path, doc, self.scale))
        return path

    def assert_clean(self) -> None:
        # Let the browser deliver events of the page just loaded (console, CSP reports).
        self.page.wait_for_load_state("load")
        self.page.evaluate("() => new Promise(r => requestAnimationFrame(() => r()))")
        problems, self.problems = self.problems, []  # each reported once
        assert not problems, "browser problems:\n" + "\n".join(problems)


class Journey:
    """The browser windows of one test, and where its screenshots go."""

    def __init__(self, playwright, chromium, base_url: str, directory: Path):
        self.playwright, self.chromium, self.base_url = playwright, chromium, base_url
        self.directory = directory
        self.step = 0
        self.documented: list[tuple[Path, str, int]] = []
        self.tabs: list[Tab] = []
        self._contexts = []

    def log(self, line: str) -> None:
        """The network log of the test, for reading a failure: <test>/network.log."""
        with (self.directory / "network.log").open("a") as log:
            log.write(line + "\n")

    def open(self, who: str, device: dict = DESKTOP) -> Tab:
        context = self.chromium.new_context(base_url=self.base_url, locale="en-US",
                                            timezone_id="Europe/Berlin", **device)
        context.add_init_script(_CSP_LISTENER)
        self._contexts.append(context)
        tab = Tab(self, who, context.new_page(), device.get("device_scale_factor", 1))
        self.tabs.append(tab)
        return tab

    def api(self, plain_key: str):
        """An HTTP client for the API on the live server, authenticated with a key."""
        request = self.playwright.request.new_context(
            base_url=self.base_url,
            extra_http_headers={"Authorization": f"Bearer {plain_key}"})
        self._contexts.append(request)
        return request

    def close(self) -> None:
        for context in reversed(self._contexts):
            context.dispose() if hasattr(context, "dispose") else context.close()


@pytest.fixture
def journey(browser, live_server, transactional_db, request) -> Iterator[Journey]:
    playwright, chromium = browser
    directory = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    journey = Journey(playwright, chromium, live_server.url, directory)
    try:
        yield journey
        for tab in journey.tabs:
            assert not tab.problems, "browser problems:\n" + "\n".join(tab.problems)
        if os.environ.get("E2E_DOCS_SCREENSHOTS") == "1":
            _publish(journey.documented)
    finally:
        journey.close()


def _publish(documented: list[tuple[Path, str, int]]) -> None:
    """Copy the key screenshots into docs/ at 1× density, reduced to a 128-colour palette
    (small PNGs)."""
    from PIL import Image

    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for path, name, scale in documented:
        with Image.open(path) as image:
            image = image.convert("RGB")
            if scale > 1:
                image = image.resize((image.width // scale, image.height // scale),
                                     Image.Resampling.LANCZOS)
            image.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(
                DOCS_SCREENSHOTS / f"{name}.png", optimize=True)
