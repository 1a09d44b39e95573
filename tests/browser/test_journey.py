"""A company's whole first visit, in a real browser: register, sign out and in again, ask for
the organisation summary PDF, download it, sign out. Every page is checked with axe-core
(WCAG 2.2 AA rules), screenshotted, and watched for CSP violations and JavaScript errors."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from portfolio.extensions import queue
from tests.browser.conftest import path_of
from tests.browser.steps import confirm_registration, expect_pdf_ready, second_factor, set_up_authenticator

START_TITLE = "Apply for and manage life sciences grants and investments"
PASSWORD = "Quartz-lantern-meadow-42"


@pytest.mark.browser
def test_company_registers_signs_in_and_downloads_summary_pdf(app, browser_page, run_jobs, tmp_path):
    page, checker = browser_page
    email = f"ada.{uuid.uuid4().hex[:8]}@example.com"

    # Start page
    page.goto("/")
    expect(page.locator("h1")).to_have_text(START_TITLE)
    checker.check("start")

    # Register: first with nothing filled in, to see the errors
    page.get_by_role("button", name="Start now").click()  # a GOV.UK start button: a link, role=button
    expect(page).to_have_url(re.compile(r"/register$"))
    expect(page.locator("h1")).to_have_text("Register your organisation")
    checker.check("register")

    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Error: Register your organisation"))
    expect(page.locator(".govuk-error-summary__list")).to_contain_text("Enter the organisation name")
    checker.check("register-errors")

    page.get_by_label("Organisation name").fill("Northern Biologics Ltd")
    page.get_by_label("Companies House number").fill("12345678")
    page.get_by_label("Registered office postcode").fill("LS1 4AP")
    page.get_by_label("Region").select_option(label="Yorkshire and The Humber")
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Create a password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    # The same answer whoever registers: check your email, then follow its link
    confirm_registration(page, app, run_jobs, email, checker)
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Your organisation is registered and you are signed in"
    )

    # A signatory sets up a second factor first, then is on the dashboard
    set_up_authenticator(page, checker)
    expect(page).to_have_url(re.compile(r"/home$"))
    expect(page.locator("h1")).to_have_text("Your dashboard")
    expect(page.get_by_text("Ada Lovelace")).to_be_visible()
    checker.check("dashboard")

    # Sign out, then sign in again
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("You have signed out")
    assert path_of(page.url) == "/"

    page.goto("/sign-in")
    expect(page.locator("h1")).to_have_text("Sign in")
    checker.check("sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    second_factor(page, email, checker)
    expect(page).to_have_url(re.compile(r"/home$"))
    expect(page.locator("h1")).to_have_text("Your dashboard")

    # Your organisation
    page.get_by_role("link", name="Your organisation", exact=True).click()
    expect(page.locator("h1")).to_have_text("Northern Biologics Ltd")
    expect(page.locator(".govuk-summary-list")).to_contain_text("12345678")
    expect(page.locator(".govuk-summary-list")).to_contain_text("LS1 4AP")
    checker.check("organisation")

    # Ask for the summary PDF; the document page polls until it is ready, then reloads
    page.get_by_role("button", name="Create summary PDF").click()
    expect(page).to_have_url(re.compile(r"/documents/\d+$"))
    expect(page.get_by_role("heading", level=1, name="Organisation summary (PDF)")).to_be_visible()
    if not queue.embedded:
        expect(page.locator("#document-status-live")).to_have_text(re.compile(r"^Status: "))
        checker.check("document-in-progress")
    expect_pdf_ready(page, run_jobs)
    checker.check("document-ready")

    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile(r"^Download .+\.pdf")).click()
    download = download_info.value
    assert download.failure() is None
    assert download.suggested_filename.endswith(".pdf"), download.suggested_filename
    assert download.suggested_filename == "organisation-summary-12345678.pdf"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF"), saved.read_bytes()[:40]

    # Sign out: back on the start page
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("h1")).to_have_text(START_TITLE)
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("You have signed out")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    checker.check("signed-out")

    checker.assert_clean()
