"""Browser tests: Debian's Chromium, driven by Playwright's sync API, against the
site served by pytest-django's live server.

Passkeys are real WebAuthn ceremonies, answered by Chromium's virtual authenticator
(over the DevTools protocol). The site is served on ``http://localhost:<port>``
because an IP address is not a valid relying party id. Each xdist worker runs its
own live server and browser.

The virtual authenticator simulates the user's touch at once, so it also answers
the passkey autofill request (conditional mediation) the sign-in page starts on
load, signing in before a test can click anything; a real browser waits for the
person to pick the passkey. Pages therefore report autofill as unavailable unless
a test asks for it.

When a test fails, every page it opened is saved to ``/tmp/e2e-shots/`` and its
console errors and failed requests are printed with the test's output.
"""

import re
import shutil
import tempfile
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    CDPSession,
    ConsoleMessage,
    Page,
    Response,
    expect,
    sync_playwright,
)

from tests.services import require_service

SHOTS_DIR = Path(tempfile.gettempdir()) / "e2e-shots"
# Long enough for a passkey ceremony on a busy CI machine; short enough that a
# missing element fails the test quickly.
TIMEOUT_MS = 10_000
PHASE_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()
NO_AUTOFILL = """
if (window.PublicKeyCredential) {
  PublicKeyCredential.isConditionalMediationAvailable = async () => false;
}
"""

expect.set_options(timeout=TIMEOUT_MS)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the item, so fixtures know at teardown
    whether the test failed."""
    report = yield
    item.stash.setdefault(PHASE_REPORTS, {})[report.when] = report
    return report


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require_service("chromium")
    with pytest.MonkeyPatch.context() as patch:
        # The sync API keeps an event loop on this thread, which Django reads as
        # "inside async code" and so refuses ORM calls; none of them are really
        # async here. Only while the browser is up, so other tests keep the check.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=shutil.which("chromium"),
                args=["--no-sandbox", "--headless"],
            )
            yield chromium
            chromium.close()


@pytest.fixture
def site(live_server: Any, settings: Any, transactional_db: None) -> str:
    """The live server's origin, made the site's own: links, passkeys (relying
    party id and origin) and CSRF checks all follow ``SITE_URL`` at call time.
    The live server already adds its host to ``ALLOWED_HOSTS``."""
    url = live_server.url
    assert urlsplit(url).hostname == "localhost", url
    settings.SITE_URL = url
    settings.WEBAUTHN_ORIGINS = []
    settings.CSRF_TRUSTED_ORIGINS = [url]
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    return url


@dataclass
class PasskeyPage:
    """A page in its own browser context (its own cookies) with a virtual
    authenticator that keeps discoverable passkeys and verifies the user."""

    page: Page
    cdp: CDPSession
    authenticator_id: str
    # Console errors, uncaught exceptions and HTTP errors, for failure reports.
    log: list[str] = field(default_factory=list)

    def set_user_verified(self, verified: bool) -> None:
        """Whether the authenticator reports user verification (e.g. a correct PIN
        or fingerprint); with False it refuses requests that require it."""
        self.cdp.send(
            "WebAuthn.setUserVerified",
            {"authenticatorId": self.authenticator_id, "isUserVerified": verified},
        )

    def passkeys(self) -> list[dict[str, Any]]:
        """The credentials the authenticator holds."""
        answer = self.cdp.send(
            "WebAuthn.getCredentials", {"authenticatorId": self.authenticator_id}
        )
        return answer["credentials"]


class OpenPasskeyPage(Protocol):
    def __call__(self, *, autofill: bool = False) -> PasskeyPage: ...


@pytest.fixture
def passkey_page(
    browser: Browser, site: str, request: pytest.FixtureRequest
) -> Iterator[OpenPasskeyPage]:
    """Opens a new browser context and page on the site with its own virtual
    authenticator: call it once per person in the test; ``autofill=True`` lets
    the sign-in page's passkey autofill run (and so sign in by itself)."""
    opened: list[PasskeyPage] = []

    def open_page(*, autofill: bool = False) -> PasskeyPage:
        context = browser.new_context(base_url=site)
        context.set_default_timeout(TIMEOUT_MS)
        if not autofill:
            context.add_init_script(NO_AUTOFILL)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        added = cdp.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                }
            },
        )
        opened_page = PasskeyPage(page, cdp, added["authenticatorId"])
        _record_problems(opened_page)
        opened.append(opened_page)
        return opened_page

    yield open_page

    reports = request.node.stash.get(PHASE_REPORTS, {})
    failed = any(report.failed for report in reports.values())
    for number, opened_page in enumerate(opened, start=1):
        if failed:
            _report_failure(request.node.name, number, opened_page)
        opened_page.page.context.close()


def _record_problems(opened: PasskeyPage) -> None:
    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            opened.log.append(f"console {message.type}: {message.text}")

    def on_response(response: Response) -> None:
        if response.status >= 400:
            request = response.request
            opened.log.append(f"{request.method} {response.url} -> {response.status}")

    opened.page.on("console", on_console)
    opened.page.on("pageerror", lambda error: opened.log.append(f"page error: {error}"))
    opened.page.on("response", on_response)


def _report_failure(test_name: str, number: int, opened: PasskeyPage) -> None:
    SHOTS_DIR.mkdir(parents=True, exist_ok=True)
    shot = SHOTS_DIR / f"{re.sub(r'[^\w.-]+', '_', test_name)}-{number}.png"
    try:
        opened.page.screenshot(path=shot, full_page=True)
    except Exception as error:  # noqa: BLE001 - a crashed page must not hide the failure
        shot = Path(f"(no screenshot: {error})")
    print(f"\npage {number}: {opened.page.url}\nscreenshot: {shot}")  # noqa: T201
    for line in opened.log or ["(no console errors or failed requests)"]:
        print(f"  {line}")  # noqa: T201
