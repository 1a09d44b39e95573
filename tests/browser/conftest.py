"""Browser fixtures: a live server for the app under test, Debian's Chromium driven by
Playwright (sync API), and a checker that runs axe-core, takes a screenshot and watches the
console on every page a journey visits.

Playwright cannot download its own browser here, so we launch /usr/bin/chromium. axe-core
is the version pinned in package-lock.json (node_modules/axe-core), injected with
page.evaluate: the app's Content-Security-Policy would block a <script> tag we added.
"""

import gc
import json
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import WSGIRequestHandler, make_server

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE_DIR = ROOT / "node_modules" / "axe-core"
AXE_SCRIPT = AXE_DIR / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
CHROMIUM_ARGS = [
    "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
# How long a journey waits for a condition (an element, a text, a URL) or for an action (a click,
# a navigation) before it fails. Generous: the journeys run beside other tests (pytest-xdist) on 2
# cores, where a page that takes 50 ms alone can take seconds. Waiting is always for a condition,
# so a fast machine does not wait longer; only a real failure takes this long to report.
EXPECT_TIMEOUT = 20_000
ACTION_TIMEOUT = 30_000
expect.set_options(timeout=EXPECT_TIMEOUT)


def _pinned_axe_version() -> str:
    return json.loads((ROOT / "package.json").read_text())["devDependencies"]["axe-core"]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not CHROMIUM.exists():
        subprocess.run(["bash", "scripts/os_packages.sh", "test"], cwd=ROOT, check=False)
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing and `bash scripts/os_packages.sh test` could not install it: "
            "install Debian's chromium package (apt-get install chromium) to run the browser tests",
            pytrace=False,
        )
    return str(CHROMIUM)


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_SCRIPT.exists():
        npm = shutil.which("npm")
        if npm:
            subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=ROOT, check=False)
    if not AXE_SCRIPT.exists():
        pytest.fail(f"{AXE_SCRIPT} is missing and `npm ci` did not install it", pytrace=False)
    return AXE_SCRIPT.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code="-", size="-") -> None:  # keep pytest's captured output readable
        pass


class _InFlight:
    """WSGI middleware between the test server and Flask. It reads each response body in
    full and closes it before handing it on, and tracks the requests still being answered.

    - Werkzeug's server skips closing the body when the browser drops the connection (as
      it does when a click navigates away while an image is loading); a static file's body
      then stays open and becomes a ResourceWarning, an error in this suite.
    - The server waits for running requests before the `app` fixture disposes of the
      database engine: a request still holding a connection then would leak it.
    Responses here are small (pages, assets, a PDF of a few KB), so buffering costs nothing.
    """

    def __init__(self, app) -> None:
        self.app = app
        self.running: list[str] = []
        self.idle = threading.Condition()

    def __call__(self, environ, start_response):
        request = f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')}"
        with self.idle:
            self.running.append(request)
        try:
            body = self.app(environ, start_response)
            try:
                return [b"".join(body)]
            finally:
                if hasattr(body, "close"):
                    body.close()
        finally:
            with self.idle:
                self.running.remove(request)
                self.idle.notify_all()

    def wait(self, timeout: float) -> bool:
        with self.idle:
            return self.idle.wait_for(lambda: not self.running, timeout=timeout)


@pytest.fixture
def live_server(app):
    """The app under test (its per-test database) served over HTTP from a background thread.

    The `app` fixture has pushed an app context in the test thread; the server thread starts
    with none of it (context variables are per thread) and Flask pushes one per request.
    """
    in_flight = _InFlight(app)
    server = make_server("127.0.0.1", 0, in_flight, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=30)
        server.server_close()
        assert in_flight.wait(timeout=30), f"still running after 30 s: {in_flight.running}"


@pytest.fixture(autouse=True)
def _collect_garbage_after_test():
    """Runs last in teardown (after `app` has disposed of its engine): anything this test
    leaked, like an unclosed database connection, is reported against this test rather than
    whichever later test the garbage collector happens to run in."""
    yield
    gc.collect()


def _is_favicon(url: str) -> bool:
    return "favicon" in url


@dataclass
class PageChecker:
    """Collects, for every page checked: axe violations, console errors, JS errors and
    failed asset requests; `assert_clean` reports them all at once."""

    page: object
    axe_source: str
    prefix: str = "journey"  # screenshots are <prefix>-NN-<page>.png, one prefix per journey
    violations: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)
    count: int = 0

    def watch(self) -> None:
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.problems.append(f"JS error on {self.page.url}: {error}"))
        self.page.on("response", self._on_response)
        self.page.on("requestfailed", self._on_request_failed)

    def _on_console(self, message) -> None:
        if message.type != "error":
            return
        text = message.text
        location = message.location.get("url", "") if message.location else ""
        if "Content Security Policy" in text:
            self.problems.append(f"CSP violation on {self.page.url}: {text}")
        elif text.startswith("Failed to load resource") and (_is_favicon(location) or location == self.page.url):
            # A favicon 404, or the page itself answered with an error status on purpose
            # (a form with errors is a 400): neither is a broken page.
            return
        else:
            self.problems.append(f"console error on {self.page.url}: {text} ({location})")

    def _on_response(self, response) -> None:
        request = response.request
        if response.status >= 400 and request.resource_type != "document" and not _is_favicon(response.url):
            self.problems.append(f"{response.status} for {request.resource_type} {response.url} on {self.page.url}")

    def _on_request_failed(self, request) -> None:
        if request.failure == "net::ERR_ABORTED" or _is_favicon(request.url):
            # Cancelled by the browser because the page navigated away (a click, or app.js
            # reloading) before the request finished: not a broken page. Error statuses
            # are caught by _on_response, other network errors below.
            return
        self.problems.append(f"request failed: {request.url} ({request.failure}) on {self.page.url}")

    def check(self, name: str) -> None:
        """Screenshot the page and run axe-core on it (once it has loaded)."""
        page = self.page
        page.wait_for_load_state("load")
        self.count += 1
        self.visited.append(f"{name}: {page.url}")
        page.screenshot(path=str(SCREENSHOTS / f"{self.prefix}-{self.count:02d}-{name}.png"), full_page=True)
        if not page.evaluate("typeof window.axe === 'object'"):
            page.evaluate(self.axe_source)
        version = page.evaluate("axe.version")
        assert version == _pinned_axe_version(), f"axe-core {version} is not the pinned {_pinned_axe_version()}"
        results = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"
            ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,"
            " targets: v.nodes.map(n => n.target.join(' '))})))",
            AXE_TAGS,
        )
        for violation in results:
            selectors = "\n      ".join(violation["targets"])
            self.violations.append(
                f"{name} ({page.url}): {violation['id']} [{violation['impact']}] {violation['help']}"
                f"\n    {violation['helpUrl']}\n    failing elements:\n      {selectors}"
            )

    def assert_clean(self) -> None:
        message = []
        if self.violations:
            message.append(f"axe-core found {len(self.violations)} accessibility violation(s):")
            message.extend(f"  - {v}" for v in self.violations)
        if self.problems:
            message.append("Browser problems:")
            message.extend(f"  - {p}" for p in self.problems)
        assert not message, "\n".join(message)


@pytest.fixture
def open_journey(browser, live_server, axe_source):
    """open_journey(prefix) -> (page, checker): a fresh browser context on the live server whose
    screenshots are named <prefix>-NN-<page>.png (old ones with that prefix are removed first)."""
    contexts = []

    def open_(prefix: str):
        context = browser.new_context(base_url=live_server, accept_downloads=True,
                                      viewport={"width": 1280, "height": 900})
        contexts.append(context)
        context.set_default_timeout(ACTION_TIMEOUT)
        page = context.new_page()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for old in SCREENSHOTS.glob(f"{prefix}-*.png"):  # no stale pictures from an earlier run
            old.unlink(missing_ok=True)
        checker = PageChecker(page, axe_source, prefix)
        checker.watch()
        return page, checker

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def browser_page(open_journey):
    return open_journey("journey")


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)
