"""A strategic partnership in a real browser (issue 8): an account manager records a partnership
with a new partner, signs it, adds an investment commitment, records progress with an evidence
file, sees the RAG, overrides it with a reason and downloads the partnership report made by a job.
Every page is checked by axe-core and screenshotted as partnership-NN-name.png."""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from portfolio.models import Role
from tests.browser.steps import choose, download_pdf, expect_h1, expect_success, fill_date, sign_in, sign_out
from tests.builders import PDF, Builders
from tests.helpers import DEMO_PASSWORD


@pytest.mark.browser
def test_account_manager_sets_up_a_partnership_with_commitments_and_progress(app, session, open_journey, run_jobs,
                                                                            tmp_path):
    make = Builders(session)
    manager = make.user(Role.ACCOUNT_MANAGER, name="Ada Account")
    session.commit()
    today = date.today()
    page, checker = open_journey("partnership")

    sign_in(page, manager.email, DEMO_PASSWORD, checker)
    page.get_by_role("link", name="Partnerships", exact=True).click()
    expect_h1(page, "Strategic partnerships")
    checker.check("dashboard-empty")
    page.get_by_role("button", name="Record a partnership").click()
    expect_h1(page, "Record a strategic partnership")
    page.get_by_label("Partner's name", exact=True).fill("Oncology Partner UK Ltd")
    page.get_by_label("Companies House number", exact=True).fill("07654321")
    page.get_by_label("Partner's registered postcode", exact=True).fill("CB2 0QQ")
    page.get_by_label("Partnership title", exact=True).fill("Personalised cancer therapies")
    page.get_by_label("DSIT", exact=True).check()
    page.get_by_label("DHSC", exact=True).check()
    page.get_by_label("Lead account manager", exact=True).select_option(label="Ada Account")
    checker.check("new-partnership")
    page.get_by_role("button", name="Record the partnership").click()
    expect_success(page, "recorded as negotiating")
    checker.check("negotiating")

    # Signed: active, with the date.
    page.get_by_label("Change the status to").select_option(label="Active")
    page.get_by_role("button", name="Change the status").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the date the partnership was signed")
    checker.check("signed-date-refused")
    page.get_by_label("Change the status to").select_option(label="Active")
    signed = today - timedelta(days=100)
    fill_date(page, "Date signed", signed)
    page.get_by_role("button", name="Change the status").click()
    expect_success(page, "Partnership is now active")

    # A commitment: £200m over 200 days from signing.
    page.get_by_role("link", name="Add a commitment").click()
    expect_h1(page, "Add a commitment")
    page.get_by_label("Measure", exact=True).select_option(label="Investment (£)")
    page.get_by_label("What is committed", exact=True).fill("Investment in UK clinical manufacturing")
    page.get_by_label("Target value", exact=True).fill("200,000,000")
    fill_date(page, "Start date", signed)
    fill_date(page, "Target date", signed + timedelta(days=200))
    checker.check("commitment-form")
    page.get_by_role("button", name="Add the commitment").click()
    expect_success(page, "Commitment added")
    expect(page.locator("#commitment-list")).to_contain_text("£200,000,000.00")
    expect(page.locator("#commitment-list")).to_contain_text("Red")  # £100m expected by now, nothing recorded

    # Progress with evidence: £95m of the £100m expected is green (at least 90%).
    page.get_by_role("link", name="Investment in UK clinical manufacturing").click()
    fill_date(page, "Date", today)
    page.get_by_label("Value achieved so far", exact=True).fill("95,000,000")
    page.get_by_label("Note", exact=True).fill("Phase 1 of the plant funded")
    evidence = tmp_path / "board-minutes.pdf"
    evidence.write_bytes(PDF)
    page.get_by_label("Evidence (optional)").set_input_files(str(evidence))
    page.get_by_role("button", name="Record progress").click()
    expect_success(page, "Progress recorded")
    expect(page.locator("#commitment-details")).to_contain_text("Green")
    expect(page.locator("#progress-list")).to_contain_text("board-minutes.pdf")
    checker.check("progress")

    # Override with a reason.
    choose(page, "RAG status", "Amber")
    page.get_by_role("button", name="Save the RAG status").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter why the RAG status is overridden")
    checker.check("override-refused")
    choose(page, "RAG status", "Amber")
    page.get_by_label("Reason", exact=True).fill("Phase 2 funding delayed by the partner")
    page.get_by_role("button", name="Save the RAG status").click()
    expect_success(page, "RAG status saved")
    expect(page.locator("#commitment-details")).to_contain_text("Amber")
    page.get_by_role("link", name="Back to the partnership").click()
    expect(page.locator("#commitment-list")).to_contain_text("Overridden (derived: green)")

    # The report PDF, then the dashboard.
    page.get_by_role("button", name="Download the partnership report (PDF)").click()
    text = re.sub(r"\s+", " ", download_pdf(page, run_jobs, tmp_path))
    checker.check("report-ready")
    for expected in ("Oncology Partner UK Ltd", "Personalised cancer therapies", "£200,000,000.00", "£95,000,000.00",
                     "Phase 2 funding delayed", "DSIT, DHSC"):
        assert expected in text, expected
    page.get_by_role("link", name="Partnerships", exact=True).click()
    expect(page.locator("#headline")).to_contain_text("£95,000,000.00")
    checker.check("dashboard")
    sign_out(page)
    checker.assert_clean()
