"""Steps the browser journeys share: signing in and out, answering radios, and expecting a
page (saying what the form refused when the expectation fails)."""

import re

from playwright.sync_api import expect


def sign_in(page, email: str, password: str, checker=None) -> None:
    page.goto("/sign-in")
    expect(page.locator("h1")).to_have_text("Sign in")
    if checker:
        checker.check("sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/home$"))


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect_success(page, "You have signed out")


def choose(page, question: str, answer: str) -> None:
    """Tick a radio (or checkbox) by its label, inside the fieldset of its question."""
    page.get_by_role("group", name=question).get_by_label(answer, exact=True).check()


def refused(page) -> None:
    """After an expectation failed: if the page refused the form, say what the errors were."""
    errors = page.locator(".govuk-error-summary")
    if errors.count():
        raise AssertionError(f"{page.url} refused the form: {errors.inner_text()}") from None


def expect_h1(page, text: str) -> None:
    try:
        expect(page.locator("h1")).to_have_text(text)
    except AssertionError:
        refused(page)
        raise


def expect_success(page, text: str) -> None:
    try:
        expect(page.locator(".govuk-notification-banner--success")).to_contain_text(text)
    except AssertionError:
        refused(page)
        raise


def fill_date(page, legend: str, day) -> None:
    """Type a date into the GOV.UK day, month and year boxes of the fieldset named `legend`."""
    group = page.get_by_role("group", name=legend)
    for box, value in (("Day", day.day), ("Month", day.month), ("Year", day.year)):
        group.get_by_label(box).fill(str(value))
