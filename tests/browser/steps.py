"""Steps the browser journeys share: signing in and out, answering radios, expecting a page
(saying what the form refused when the expectation fails), and waiting for a PDF.

Every step waits for a condition (`expect` retries until it holds), never for a fixed time: on
a loaded machine a page can take seconds, and a fixed sleep is either too short or wasted."""

import io
import re

from playwright.sync_api import expect
from pypdf import PdfReader

from flask import current_app

from portfolio.extensions import queue
from tests.helpers import current_code
from tests.helpers import link_in, path_of, sent_emails
import pyotp

DOCUMENT_PAGE = re.compile(r"/documents/\d+$")
# The document page polls the PDF's status after 1 s, then backs off to every 10 s, and reloads
# when it has finished; a render can take 10 s or more on a busy 2-core machine.
PDF_TIMEOUT = 60_000


def sign_in(page, email: str, password: str, checker=None) -> None:
    page.goto("/sign-in")
    expect(page.locator("h1")).to_have_text("Sign in")
    if checker:
        checker.check("sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    second_factor(page, email, checker)
    expect(page).to_have_url(re.compile(r"/home$"))


def confirm_registration(page, app, run_jobs, email: str, checker=None) -> None:
    """After "Create account" on the registration form: the same "Check your email" page whoever
    registers; follow the link in the email that arrives, and create the account (signed in)."""
    expect(page.locator("h1")).to_have_text("Check your email")
    if checker:
        checker.check("register-check-email")
    run_jobs()
    [message] = [message for message in sent_emails(app) if message["To"] == email]
    page.goto(path_of(link_in(message, "/register/confirm/")))
    expect(page.locator("h1")).to_have_text("Finish registering your organisation")
    if checker:
        checker.check("confirm-registration")
    page.get_by_role("button", name="Create account").click()
def second_factor(page, email: str, checker=None) -> None:
    """The second step of signing in: the code the person's authenticator app shows now."""
    expect(page).to_have_url(re.compile(r"/sign-in/second-factor$"))
    if checker:
        checker.check("second-factor")
    page.get_by_label("Code").fill(current_code(current_app, email))
    page.get_by_role("button", name="Continue").click()


def set_up_authenticator(page, checker=None) -> str:
    """Someone who must have a second factor (a new signatory, say) sets up an authenticator app:
    the app is pyotp, fed the key the page shows. Returns the key."""
    expect_h1(page, "Set up an authenticator app")
    if checker:
        checker.check("set-up-authenticator")
    secret = page.locator("#secret").inner_text().replace(" ", "")
    page.get_by_label("Enter the 6-digit code the app shows").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Continue").click()
    expect_h1(page, "Save your recovery codes")
    page.get_by_role("button", name="I have saved my recovery codes").click()
    return secret


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


def expect_pdf_ready(page, run_jobs) -> None:
    """After asking for a PDF: wait until the browser is on the document's page (so the request
    that queued the job has been answered), run the job when a real queue has it, then wait for
    the page's status poll to see the PDF finished and reload with its download link."""
    expect(page).to_have_url(DOCUMENT_PAGE)
    if not queue.embedded:
        run_jobs()
    ready = page.get_by_text("Your PDF is ready")
    expect(ready.or_(page.get_by_text("We could not create this PDF"))).to_be_visible(timeout=PDF_TIMEOUT)
    expect(ready).to_be_visible()  # and not the failure


def download_pdf(page, run_jobs, tmp_path) -> str:
    """After asking for a PDF: wait for it, download it and return its text."""
    expect_pdf_ready(page, run_jobs)
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile(r"^Download .+\.pdf")).click()
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(saved.read_bytes())).pages)
