"""A large investment case in a real browser (issue 7): an account manager opens a case (£250m
exactly is refused with a pointer to the LSIMF), moves it through the stages, builds the UK offer,
is refused *agreed* while approvals are outstanding, records them, agrees the case and downloads the
case summary PDF made by a job. Every page is checked by axe-core and screenshotted as lip-NN-name.png."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from portfolio.models import Role
from tests.browser.steps import choose, download_pdf, expect_h1, expect_success, fill_date, sign_in, sign_out
from tests.builders import Builders
from tests.helpers import DEMO_PASSWORD


def move_to(page, stage: str) -> None:
    page.get_by_label("Move the case to").select_option(label=stage)
    page.get_by_role("button", name="Move the case").click()
    expect_success(page, f"Case moved to {stage.lower()}")


def record_approval(page, name: str, outcome: str, today: date, reference: str = "", note: str = "") -> None:
    page.locator("#approval-list").get_by_role("link", name=f"Record the {name} approval").click()
    expect_h1(page, f"{name} approval")
    choose(page, "Outcome", outcome)
    fill_date(page, "Date of the decision", today)
    page.get_by_label("Reference", exact=True).fill(reference)
    page.get_by_label("Note", exact=True).fill(note)
    page.get_by_role("button", name="Record the approval").click()
    expect_success(page, f"{name} approval recorded")


@pytest.mark.browser
def test_account_manager_runs_a_case_to_agreed_and_downloads_the_summary(app, session, open_journey, run_jobs,
                                                                         tmp_path):
    make = Builders(session)
    manager = make.user(Role.ACCOUNT_MANAGER, name="Ada Account")
    make.user(Role.ACCOUNT_MANAGER, name="Ben Builder")
    session.commit()
    today = date.today()
    page, checker = open_journey("lip")

    # 1. Open a case: £250m exactly is refused, a penny more is a case.
    sign_in(page, manager.email, DEMO_PASSWORD, checker)
    page.get_by_role("link", name="Cases", exact=True).click()
    expect_h1(page, "Large investment cases")
    checker.check("pipeline-empty")
    page.get_by_role("button", name="Open a case").click()
    expect_h1(page, "Open a large investment case")
    page.get_by_label("Company name", exact=True).fill("Atlantic Biologics UK Ltd")
    page.get_by_label("Companies House number", exact=True).fill("09876543")
    page.get_by_label("Company's registered postcode", exact=True).fill("CB2 0QQ")
    page.get_by_label("Case name", exact=True).fill("Cambridge biologics campus")
    page.get_by_label("Summary of the investment", exact=True).fill("A biologics drug substance plant and R&D centre")
    page.get_by_label("Sector", exact=True).select_option(label="Biologics and biosimilars")
    page.get_by_label("Total investment", exact=True).fill("250,000,000.00")
    page.get_by_label("Expected jobs created (FTE)", exact=True).fill("450")
    page.get_by_label("Expected jobs safeguarded (FTE)", exact=True).fill("120.5")
    page.get_by_label("Expected R&D spend", exact=True).fill("40,000,000")
    page.get_by_label("Competing locations", exact=True).fill("Ireland, Singapore")
    page.get_by_label("Senior responsible owner", exact=True).select_option(label="Ada Account")
    page.get_by_label("Ben Builder", exact=True).check()
    fill_date(page, "Target decision date", date(today.year + 1, 3, 31))
    page.get_by_label("Site name", exact=True).fill("Granta Park")
    page.get_by_label("Site postcode", exact=True).fill("CB21 6GP")
    page.get_by_role("button", name="Open the case").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Investments of £250m or less can apply to the Life Sciences Innovative Manufacturing Fund (LSIMF)")
    checker.check("new-case-refused")
    page.get_by_label("Total investment", exact=True).fill("300,000,000.01")
    page.get_by_role("button", name="Open the case").click()
    expect_success(page, "opened at enquiry")
    expect(page.locator("#case-details")).to_contain_text("£300,000,000.01")
    expect(page.locator("#site-list")).to_contain_text("East of England")
    checker.check("case-opened")

    # 2. Through the stages to approvals.
    for stage in ("Qualification", "Proposition", "Negotiation"):
        move_to(page, stage)

    # 3. The UK offer.
    page.get_by_role("link", name="Add to the offer").click()
    expect_h1(page, "Add to the UK offer")
    checker.check("offer-component")
    page.get_by_label("Type of support", exact=True).select_option(label="R&D grant")
    page.get_by_label("Amount", exact=True).fill("3,000,000")
    choose(page, "Status", "Agreed")
    choose(page, "Is it a subsidy?", "Yes: it counts towards subsidy control")
    page.get_by_role("button", name="Add to the offer").click()
    expect_success(page, "Added to the offer: R&D grant")
    page.get_by_role("link", name="Add to the offer").click()
    page.get_by_label("Type of support", exact=True).select_option(label="British Business Bank")
    page.get_by_label("Amount", exact=True).fill("50,000,000")
    choose(page, "Status", "Proposed")
    choose(page, "Is it a subsidy?", "No")
    page.get_by_role("button", name="Add to the offer").click()
    expect_success(page, "Added to the offer: British Business Bank")
    expect(page.locator("#offer-totals")).to_contain_text("£53,000,000.00")
    expect(page.locator("#offer-totals")).to_contain_text("17.67%")
    checker.check("offer-built")
    move_to(page, "Approvals")

    # 4. Agreed is refused while approvals are outstanding.
    move = page.get_by_label("Move the case to")
    move.select_option(label="Agreed")
    page.get_by_role("button", name="Move the case").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("The case cannot be agreed yet")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Subsidy control approval is outstanding")
    checker.check("agreed-refused")

    # 5. Record the approvals (subsidy control: £3m on its own is neither of interest nor particular interest).
    record_approval(page, "Business case", "Approved", today, reference="BC-2026-07")
    record_approval(page, "HM Treasury", "Approved", today, reference="HMT-118")
    record_approval(page, "Ministerial", "Not needed for this case", today, note="Within delegated authority")
    page.locator("#approval-list").get_by_role("link", name="Record the Subsidy control approval").click()
    expect(page.locator("#subsidy-assessment")).to_contain_text("Neither of interest nor of particular interest")
    checker.check("subsidy-approval")
    page.get_by_role("link", name="Back to the case").click()
    record_approval(page, "Subsidy control", "Approved", today, reference="SC-1")
    expect(page.locator("#approval-list")).to_contain_text("Within delegated authority")

    # 6. Agreed, then the summary PDF.
    move_to(page, "Agreed")
    expect(page.locator("#stage-tag")).to_have_text("Agreed")
    expect(page.locator("#history")).to_contain_text("Approvals to agreed")
    checker.check("case-agreed")
    page.get_by_role("button", name="Download the case summary (PDF)").click()
    text = re.sub(r"\s+", " ", download_pdf(page, run_jobs, tmp_path))
    checker.check("summary-ready")
    for expected in ("Atlantic Biologics UK Ltd", "Cambridge biologics campus", "£300,000,000.01", "£3,000,000.00",
                     "£50,000,000.00", "£53,000,000.00", "17.67%", "Agreed", "HMT-118", "Within delegated authority"):
        assert expected in text, expected
    page.get_by_role("link", name="Back to the case").click()
    expect_h1(page, re.compile(r"^LIP-\d{5}: Cambridge biologics campus$"))
    page.get_by_role("link", name="Cases", exact=True).click()
    expect(page.locator("#by-stage")).to_contain_text("Agreed")
    checker.check("pipeline")
    sign_out(page)
    checker.assert_clean()
