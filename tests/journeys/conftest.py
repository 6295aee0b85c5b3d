"""Browser fixtures shared by the journeys (and the evidence upload test): Debian's Chromium through Playwright,
pages for each persona (signed in through the real login form), numbered screenshots and an axe-core check.

The live server runs in this process; with `django_db(transaction=True)` the browser's requests and the test's
ORM calls see the same committed data. Celery is eager (tests/conftest.py), so work queued on commit runs inside
the request that queued it. Screenshots go to artifacts/screenshots/<journey>/NN-name.png (git-ignored).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's password
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LAPTOP = {"width": 1280, "height": 900}
TABLET = {"width": 820, "height": 1180}
BLOCKING_IMPACTS = {"critical", "serious"}


@pytest.fixture
def browser(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread; the ORM calls the test makes are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _new_page(context: Any, timeout_ms: int = 15_000) -> Any:
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    page.on("dialog", lambda dialog: dialog.accept())  # "leave the page while uploading?" and the like
    return page


@pytest.fixture
def signed_in(browser, live_server):
    """signed_in(user) -> (context, page) with the user's session cookie set (for tests where login is not under
    test; the journeys sign in through the form with `open_as`)."""
    contexts = []

    def make(user):
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 1000})
        cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
        context.add_cookies(
            [{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url, "httpOnly": True}]
        )
        contexts.append(context)
        return context, _new_page(context, 30_000)

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def new_page(browser, live_server, settings) -> Iterator[Callable[..., Any]]:
    """new_page(viewport=LAPTOP) -> a page in a fresh browser context (its own cookies: one person)."""
    settings.SITE_URL = live_server.url  # links in emails and feeds point at the server the browser uses
    contexts = []
    elsewhere: list[str] = []  # requests to anything but the live server: the pages and axe must need none

    def make(viewport: dict[str, int] | None = None, **options: Any) -> Any:
        context = browser.new_context(base_url=live_server.url, viewport=viewport or LAPTOP, **options)
        context.on(
            "request",
            lambda request: None
            if request.url.startswith((live_server.url, "data:", "blob:"))
            else elsewhere.append(request.url),
        )
        contexts.append(context)
        return _new_page(context)

    yield make
    for context in contexts:
        context.close()
    assert not elsewhere, f"the pages reached outside the live server: {elsewhere[:5]}"


def sign_in(page: Any, email: str, password: str = PASSWORD, next_url: str = "") -> None:
    """Through allauth's login form, as a person would."""
    page.goto("/accounts/login/" + (f"?next={next_url}" if next_url else ""))
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url and "/accounts/confirm-email/" not in page.url, (
        f"sign-in failed for {email}: {text_of(page)[:400]}"
    )


def verified(user: Any) -> None:
    """The personas are established users: their email address was verified when they signed up."""
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})


@pytest.fixture
def open_as(new_page) -> Callable[..., Any]:
    """open_as(user, viewport=LAPTOP) -> a page in its own context, signed in through the login form."""

    def make(user: Any, viewport: dict[str, int] | None = None) -> Any:
        verified(user)
        page = new_page(viewport)
        sign_in(page, user.email)
        return page

    return make


class Screens:
    """Numbered screenshots of one journey, plus the axe check on the same screens."""

    def __init__(self, journey: str) -> None:
        self.directory = SCREENSHOTS / journey
        self.directory.mkdir(parents=True, exist_ok=True)
        for old in self.directory.glob("*.png"):
            old.unlink()
        self.count = 0

    def shot(self, page: Any, name: str, *, a11y: bool = True) -> Path:
        self.count += 1
        path = self.directory / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        if a11y:
            assert_accessible(page, name)
        return path


@pytest.fixture
def screens(request) -> Screens:
    """Screens for the journey named after the test module (test_journey_3_tribunal -> journey_3_tribunal)."""
    return Screens(request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_"))


def assert_accessible(page: Any, screen: str) -> None:
    """axe-core (bundled in axe-playwright-python, injected into the page: no network) finds nothing critical or
    serious under the WCAG 2.1 A/AA rules. Moderate and minor findings are not failures."""
    from axe_playwright_python.base import AXE_SCRIPT

    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    results = page.evaluate(
        """() => axe.run(document, {
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
            resultTypes: ["violations"],
        })"""
    )
    blocking = [v for v in results["violations"] if v["impact"] in BLOCKING_IMPACTS]
    report = "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} -> " + "; ".join(n["html"][:160] for n in v["nodes"][:4])
        for v in blocking
    )
    assert not blocking, f"accessibility violations on {screen}:\n{report}"


def text_of(page: Any) -> str:
    return page.locator("body").inner_text()


def html_of(page: Any) -> str:
    return page.content()


def link_in_mail(message: Any, pattern: str) -> str:
    """The first link in an outbox message's text body that matches `pattern` (a regex)."""
    match = re.search(rf"https?://\S*{pattern}\S*", message.body)
    assert match, f"no link matching {pattern!r} in the email {message.subject!r}:\n{message.body}"
    return match.group(0)


def tab(page: Any, case_pk: int, name: str) -> None:
    """Open a tab of the case page by clicking its link in the tab bar (htmx swaps the panel)."""
    page.goto(f"/cases/{case_pk}/")
    page.locator("#case-tabs .tabs__bar a", has_text=re.compile(rf"^\s*{name}", re.I)).first.click()
    page.wait_for_url(re.compile(r"tab="))
    page.wait_for_load_state()


def do_action(page: Any, case_pk: int, label: str, fields: dict[str, str] | None = None, confirm: bool = False) -> None:
    """From the case page: click the action in the Actions card, fill its form, submit it."""
    page.goto(f"/cases/{case_pk}/")
    page.locator(".actions a.action", has_text=label).first.click()
    page.wait_for_load_state()
    for selector, value in (fields or {}).items():
        field = page.locator(selector)
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    if confirm:
        page.check("#id_confirm")
    page.locator("form.form button[type=submit]").first.click()
    page.wait_for_load_state()
    assert "This could not be done" not in text_of(page), text_of(page)[:1500]


def stage_of(page: Any, case_pk: int) -> str:
    """The stage badge in the case header, as shown."""
    page.goto(f"/cases/{case_pk}/")
    return page.locator(".case-meta .badge").inner_text().strip()


def docket_titles(page: Any, case_pk: int) -> list[str]:
    """The docket as the user sees it: 'No. N Title' per filing, in the order shown (the Docket tab, clicked)."""
    tab(page, case_pk, "Docket")
    items = page.locator("ol.docket > li.filing")
    return [
        f"{item.locator('.filing__number').inner_text().strip()} {item.locator('.filing__title').inner_text().strip()}"
        for item in items.all()
    ]
