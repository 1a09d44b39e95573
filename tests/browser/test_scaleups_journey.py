"""The scale-up company service in a real browser (issue 8): an account manager adds a company to
the cohort (the service warns below 10), logs a referral and its outcome; the company's user
submits a quarterly snapshot; the account manager confirms it, sees the trend and downloads the
company profile PDF. Every page is checked by axe-core and screenshotted as scaleup-NN-name.png."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from portfolio.dates import quarter_label, quarter_start
from portfolio.models import Role
from tests.browser.steps import choose, download_pdf, expect_h1, expect_success, fill_date, sign_in, sign_out
from tests.builders import Builders
from tests.helpers import DEMO_PASSWORD


@pytest.mark.browser
def test_cohort_referral_snapshot_and_profile(app, session, open_journey, run_jobs, tmp_path):
    make = Builders(session)
    manager = make.user(Role.ACCOUNT_MANAGER, name="Ada Account")
    company_user = make.user(Role.APPLICANT, name="Cara Company")
    company = company_user.organisation
    company.name = "Helix Scale Therapeutics Ltd"
    session.commit()
    today = date.today()
    quarter = quarter_label(quarter_start(today))
    page, checker = open_journey("scaleup")

    sign_in(page, manager.email, DEMO_PASSWORD, checker)
    page.get_by_role("link", name="Scale-ups", exact=True).click()
    expect_h1(page, "Scale-up company service")
    expect(page.locator("#cohort-warning")).to_contain_text("0 active companies")
    checker.check("cohort-empty")
    page.get_by_role("button", name="Add a company to the cohort").click()
    expect_h1(page, "Add a company to the cohort")
    page.get_by_label("Company", exact=True).select_option(label=f"{company.name} ({company.company_number})")
    page.get_by_label("Account manager", exact=True).select_option(label="Ada Account")
    fill_date(page, "Date it joined", today)
    page.get_by_label("Why it is joining", exact=True).fill("Fast-growing cell therapy maker weighing a US listing")
    checker.check("join")
    page.get_by_role("button", name="Add to the cohort").click()
    expect_success(page, "joined the cohort")
    checker.check("company")

    # A referral, then its outcome.
    choose(page, "Type", "Referral")
    fill_date(page, "Date of the engagement", today)
    page.get_by_label("Summary", exact=True).fill("Needs £20m growth capital")
    page.get_by_label("Referred to", exact=True).select_option(label="British Business Bank")
    page.get_by_role("button", name="Log it").click()
    expect_success(page, "Referral logged")
    expect(page.locator("#engagement-list")).to_contain_text("Referral to British Business Bank")
    page.get_by_label("Outcome of the referral to British Business Bank").fill("British Patient Capital to invest £10m")
    page.get_by_role("button", name="Record the outcome").click()
    expect_success(page, "Referral outcome recorded")
    expect(page.locator("#engagement-list")).to_contain_text("British Patient Capital to invest £10m")
    checker.check("referral")
    sign_out(page)

    # The company submits its quarterly snapshot.
    sign_in(page, company_user.email, DEMO_PASSWORD)
    page.get_by_role("link", name="Your company in the scale-up company service").click()
    expect_h1(page, "Scale-up company service")
    checker.check("company-own")
    page.get_by_role("button", name="Submit a quarterly snapshot").click()
    expect_h1(page, "Quarterly snapshot")
    page.get_by_label("Quarter", exact=True).select_option(label=quarter)
    page.get_by_label("UK employees", exact=True).fill("140")
    page.get_by_label("Revenue in the quarter", exact=True).fill("3,000,000")
    page.get_by_label("Capital raised in the quarter", exact=True).fill("20,000,000")
    page.get_by_label("Funding round", exact=True).fill("Series B")
    page.get_by_label("Share from UK investors (%)", exact=True).fill("35")
    page.get_by_label("Listing status", exact=True).select_option(label="Private")
    choose(page, "Risk of leaving the UK (domicile)", "Amber")
    page.get_by_role("button", name="Submit the snapshot").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the reason for the domicile risk")
    checker.check("snapshot-refused")
    page.get_by_label("Reason for the domicile risk", exact=True).fill("US investors prefer a Delaware parent")
    page.get_by_role("button", name="Submit the snapshot").click()
    expect_success(page, "sent to your account manager")
    expect(page.locator("#snapshot-list")).to_contain_text("Waiting for confirmation")
    checker.check("snapshot-sent")
    sign_out(page)

    # The account manager confirms it and downloads the profile.
    sign_in(page, manager.email, DEMO_PASSWORD)
    page.get_by_role("link", name="Scale-ups", exact=True).click()
    page.locator("#waiting").get_by_role("link", name=company.name).click()
    page.get_by_role("button", name=f"Confirm the snapshot for {quarter}").click()
    expect_success(page, f"Snapshot for {quarter} confirmed")
    expect(page.locator("#snapshot-list")).to_contain_text("Confirmed")
    checker.check("confirmed")
    page.get_by_role("button", name="Download the company profile (PDF)").click()
    text = re.sub(r"\s+", " ", download_pdf(page, run_jobs, tmp_path))
    checker.check("profile-ready")
    for expected in (company.name, "Ada Account", quarter, "£20,000,000.00", "Series B", "35.00% UK, 65.00% overseas",
                     "Delaware"):
        assert expected in text, expected
    page.get_by_role("link", name="Scale-ups", exact=True).click()
    expect(page.locator("#trend-table")).to_contain_text("140")
    expect(page.locator("#employees-chart rect")).to_have_count(1)
    checker.check("cohort-trend")
    sign_out(page)
    checker.assert_clean()
