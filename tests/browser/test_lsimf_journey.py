"""The whole LSIMF journey in a real browser (issue 3): a company registers and sends an
expression of interest; a fund manager invites it to apply; the company completes every task
of the full application, submits it and downloads its summary PDF; the fund manager returns
it for changes. Every distinct page is checked with axe-core (WCAG 2.2 AA rules),
screenshotted to test-artifacts/screenshots/lsimf-NN-name.png, and watched for CSP
violations, JavaScript errors and failed requests (the checker of conftest.py)."""

import re
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from portfolio.extensions import queue
from portfolio.models import Fund, Role, Round
from portfolio.models.base import utcnow
from portfolio.services import funds
from tests.builders import Builders
from tests.browser.steps import (
    choose,
    confirm_registration,
    expect_h1,
    expect_pdf_ready,
    expect_success,
    fill_date,
    set_up_authenticator,
    sign_in,
    sign_out,
)
from tests.helpers import DEMO_PASSWORD

PASSWORD = "Quartz-lantern-meadow-42"
COMPANY = "Northern Biologics Ltd"
PROJECT = "Sterile fill-finish line"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _save_and_continue(page, title: str) -> None:
    page.get_by_role("button", name="Save and continue").click()
    expect_h1(page, "Your application")
    expect_success(page, f"{title}: saved")


def _task_status(page, title: str):
    return page.locator(".govuk-task-list__item", has=page.get_by_role("link", name=title, exact=True)).locator(
        ".govuk-task-list__status")


def _open_task(page, checker, title: str, name: str) -> None:
    page.get_by_role("link", name=title, exact=True).click()
    expect(page.locator("h1")).to_have_text(title)
    checker.check(name)


@pytest.mark.browser
def test_lsimf_eoi_invitation_application_pdf_and_return(app, session, open_journey, run_jobs, tmp_path):
    # 1. The fund with its default rules, an open round and a fund manager, before the browser starts.
    fund = Fund(code="LSIMF", name="Life Sciences Innovative Manufacturing Fund", budget=Decimal("520000000.00"))
    session.add(fund)
    funds.add_default_rules(session, fund)
    session.add(Round(fund=fund, name="Round 1", opens_on=utcnow().date() - timedelta(days=1),
                      deadline=utcnow() + timedelta(days=30), allocation=Decimal("100000000.00")))
    fund_manager = Builders(session).user(Role.FUND_MANAGER)
    fund_manager_email = fund_manager.email
    session.commit()

    page, checker = open_journey("lsimf")
    email = f"ada.{uuid.uuid4().hex[:8]}@example.com"

    # 2. The company registers and sends an expression of interest.
    page.goto("/")
    expect(page.locator("h1")).to_have_text("Apply for and manage life sciences grants and investments")
    checker.check("start")
    page.get_by_role("button", name="Start now").click()
    expect(page.locator("h1")).to_have_text("Register your organisation")
    checker.check("register")
    page.get_by_label("Organisation name").fill(COMPANY)
    page.get_by_label("Companies House number").fill("12345678")
    page.get_by_label("Registered office postcode").fill("LS1 4AP")
    page.get_by_label("Region").select_option(label="Yorkshire and The Humber")
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Create a password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    confirm_registration(page, app, run_jobs, email)
    set_up_authenticator(page)
    expect(page).to_have_url(re.compile(r"/home$"))
    expect(page.locator("h1")).to_have_text("Your dashboard")
    checker.check("dashboard")

    page.get_by_role("button", name="Start an expression of interest").click()
    expect(page.locator("h1")).to_have_text("Expression of interest")
    checker.check("eoi-form")
    page.get_by_label("Project title").fill(PROJECT)
    page.get_by_label("Summarise the project").fill("A new aseptic fill-finish line for biologics at our Leeds site.")
    page.get_by_label("Postcode of the manufacturing site").fill("ls2 9jt")
    choose(page, "What kind of business is the applicant?",
            "Contract development and manufacturing organisation (CDMO)")
    choose(page, "Is the applicant wholly private sector?", "Yes")
    choose(page, "What will the project manufacture?", "Human medicine: drug product (finished medicine)")
    excluded = page.get_by_role("group", name="Do any of these describe the product?")
    excluded.get_by_label("Veterinary medicines").check()  # ticked by mistake, then unticked: none apply
    excluded.get_by_label("Veterinary medicines").uncheck()
    expect(excluded.get_by_role("checkbox", checked=True)).to_have_count(0)
    choose(page, "Has the applicant received a grant from this fund before?", "No")
    page.get_by_label("Total project cost").fill("14,000,000")
    page.get_by_label("Grant you are asking for").fill("2,500,000")
    page.get_by_role("button", name="Save and continue").click()

    expect_h1(page, "Check your answers")
    summary = page.locator(".govuk-summary-list")
    expect(summary).to_contain_text("LS2 9JT")
    expect(summary).to_contain_text("£14,000,000.00")
    expect(summary).to_contain_text("£2,500,000.00")
    checker.check("eoi-check")
    page.get_by_role("button", name="Submit expression of interest").click()
    expect_success(page, "Your expression of interest has been submitted")
    expect(page.locator("#eligibility-passed")).to_have_text("It meets every rule of the fund checked automatically.")
    checker.check("eoi-submitted")
    sign_out(page)

    # 3. The fund manager checks it and invites the company to Round 1.
    sign_in(page, fund_manager_email, DEMO_PASSWORD, checker)
    page.get_by_role("link", name="Expressions of interest", exact=True).click()
    expect(page.locator("h1")).to_have_text("Expressions of interest")
    row = page.locator("tbody tr", has_text=PROJECT)
    expect(row).to_contain_text("Passed")
    checker.check("eoi-queue")
    row.get_by_role("link", name=f"{COMPANY}: {PROJECT}").click()
    expect(page.locator("h1")).to_have_text(PROJECT)
    checker.check("eoi-detail-staff")
    page.get_by_role("button", name="Record your check and decision").click()
    expect(page.locator("h1")).to_have_text("Check eligibility and decide")
    checker.check("eoi-decision")
    choose(page, "Your decision", "Invite to a full application")
    rounds = page.get_by_label("Round to apply in")
    rounds.select_option(label=rounds.locator("option", has_text="Round 1 (deadline ").inner_text())
    page.get_by_label("Your eligibility check").fill("Checked Companies House and the site: eligible.")
    page.get_by_role("button", name="Record decision").click()
    expect_success(page, f"Decision recorded for {COMPANY}")
    sign_out(page)

    # 4. The company completes every task of the application.
    sign_in(page, email, PASSWORD)
    applications_table = page.locator("#applications")
    expect(applications_table).to_contain_text(PROJECT)
    expect(applications_table).to_contain_text("Complete every section and submit")
    checker.check("dashboard-invited")
    applications_table.get_by_role("link", name=re.compile(rf"^LSIMF-\d{{5}}: {PROJECT}$")).click()
    expect(page.locator("h1")).to_have_text("Your application")
    expect(page.locator("main")).to_contain_text("You have completed 0 of 13 sections")
    checker.check("task-list")
    application_url = page.url

    _open_task(page, checker, "Organisation details", "section-organisation")
    choose(page, "Size of the organisation", "Medium (50 to 249 employees)")
    page.get_by_label("Contact name").fill("Priya Shah")
    page.get_by_label("Contact email address").fill("priya@example.com")
    page.get_by_label("Contact telephone number").fill("0113 496 0000")
    _save_and_continue(page, "Organisation details")

    _open_task(page, checker, "Project and site", "section-project")
    expect(page.get_by_label("Postcode of the manufacturing site")).to_have_value("LS2 9JT")  # from the EOI
    page.get_by_label("Address of the manufacturing site").fill("1 Science Park, Leeds")
    choose(page, "Which Life Sciences cluster is the site in?", "Yorkshire and the Humber (West and South Yorkshire)")
    _save_and_continue(page, "Project and site")

    _open_task(page, checker, "Products and modality", "section-products")
    expect(page.get_by_role("group", name="What will the project manufacture?").get_by_label(
        "Human medicine: drug product (finished medicine)")).to_be_checked()  # from the EOI
    page.get_by_label("Modality").fill("Monoclonal antibodies")
    page.get_by_label("Describe the products").fill("Biosimilar antibodies for the NHS.")
    _save_and_continue(page, "Products and modality")

    _open_task(page, checker, "Project costs", "costs-empty")
    for category, description, amount, capital, eligible in [
        ("Land and buildings", "Cleanroom building", "12,000,000", "Yes", "Yes"),
        ("Staff costs", "Validation staff", "2,000,000", "No", "No"),
    ]:
        page.get_by_label("Category").select_option(label=category)
        page.get_by_label("Description").fill(description)
        page.get_by_label("Amount").fill(amount)
        choose(page, "Is this a capital cost?", capital)
        choose(page, "Is this an eligible cost?", eligible)
        page.get_by_role("button", name="Add cost").click()
        expect_success(page, f"Cost added: {description}")
    expect(page.locator("#total-project-cost")).to_have_text("£14,000,000.00")
    expect(page.locator("#eligible-capital-cost")).to_have_text("£12,000,000.00")
    checker.check("costs")
    page.get_by_role("button", name="Back to your application").click()
    expect(page.locator("h1")).to_have_text("Your application")

    _open_task(page, checker, "Funding", "section-funding")
    expect(page.get_by_label("Grant requested")).to_have_value("2,500,000.00")  # from the EOI
    page.get_by_label("Grant requested").fill("2,500,000")
    page.get_by_label("Private investment").fill("11,500,000")
    _save_and_continue(page, "Funding")

    _open_task(page, checker, "Jobs created and safeguarded", "section-jobs")
    for year, jobs in enumerate(["10", "20.5", "30", "35", "39"], start=1):
        page.get_by_label(f"Year {year}", exact=True).fill(jobs)
    page.get_by_label("Jobs safeguarded").fill("37")
    page.get_by_label("Evidence that the safeguarded jobs are at risk").fill("The old line closes in 2027.")
    page.get_by_label("Average salary of the new jobs").fill("42,500")
    _save_and_continue(page, "Jobs created and safeguarded")

    _open_task(page, checker, "Research and development spillovers", "section-spillovers")
    page.get_by_label("Research and development spend").fill("2,000,000")
    page.get_by_label("Collaborations with universities").fill("2")
    page.get_by_label("Collaborations with the NHS").fill("1")
    page.get_by_label("Describe the collaborations").fill("University of Leeds.")
    page.get_by_label("Training places").fill("12")
    page.get_by_label("Spend with UK suppliers").fill("5,000,000")
    _save_and_continue(page, "Research and development spillovers")

    _open_task(page, checker, "Health resilience", "section-health-resilience")
    page.get_by_label("How will the project strengthen UK health resilience?").fill(
        "Secures UK supply of two biosimilars.")
    _save_and_continue(page, "Health resilience")

    _open_task(page, checker, "Net zero", "section-net-zero")
    page.get_by_label("How will the project reduce its environmental impact?").fill("Heat pumps and solar.")
    _save_and_continue(page, "Net zero")

    _open_task(page, checker, "Delivery milestones and risks", "section-delivery")
    page.get_by_label("Delivery milestones").fill("June 2027 – building complete\nMarch 2028 – first batch")
    page.get_by_label("Main risks and how you will manage them").fill("Equipment delays: two suppliers.")
    _save_and_continue(page, "Delivery milestones and risks")

    _open_task(page, checker, "Supporting documents", "documents-empty")
    page.get_by_label("Upload a file").set_input_files({"name": "plan.pdf", "mimeType": "application/pdf",
                                                        "buffer": PDF})
    page.get_by_role("button", name="Upload file").click()
    expect_success(page, "Uploaded plan.pdf")
    expect(page.locator("#uploaded-files")).to_contain_text("plan.pdf")
    checker.check("documents")
    page.get_by_role("button", name="Back to your application").click()

    # The grant profile: the project dates, then the grant by quarter (first refused: it does not add up).
    page.get_by_role("link", name="Grant profile", exact=True).click()
    expect_h1(page, "Grant profile: project dates")
    checker.check("profile-dates")
    fill_date(page, "Project start date", date(2027, 5, 1))
    fill_date(page, "Project completion date", date(2028, 9, 30))
    page.get_by_role("button", name="Save and continue").click()
    expect_h1(page, "Grant profile: grant by quarter")
    year = page.get_by_role("group", name="Financial year 2027/28")
    year.get_by_label("Q1 (April to June 2027)").fill("1,000,000")
    year.get_by_label("Q3 (October to December 2027)").fill("1,000,000")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("£500,000.00 less than the grant of £2,500,000.00")
    checker.check("profile-quarters-error")
    page.get_by_role("group", name="Financial year 2028/29").get_by_label("Q2 (July to September 2028)").fill(
        "500,000")
    page.get_by_role("button", name="Save and continue").click()
    expect_success(page, "Grant profile: saved")
    expect(_task_status(page, "Grant profile")).to_have_text("Completed")

    _open_task(page, checker, "Declarations", "section-declarations")
    for declaration in [
        "The information in this application is true and complete",
        "We have declared all other public funding for this project and the organisation in the last three "
        "financial years",
        "The grant requested is the minimum needed for the project to go ahead in the UK",
        "We agree that the Office for Life Sciences may share this application with assessors and other "
        "government bodies",
    ]:
        page.get_by_label(declaration).check()
    _save_and_continue(page, "Declarations")

    expect(page.locator("main")).to_contain_text("You have completed 13 of 13 sections")
    expect(page.locator(".govuk-task-list__status", has_text="Incomplete")).to_have_count(0)
    expect(_task_status(page, "Declarations")).to_have_text("Completed")
    checker.check("task-list-complete")

    # 5. Check, submit, then the summary PDF.
    page.get_by_role("button", name="Check your answers").click()
    expect(page.locator("h1")).to_have_text("Check your answers before you submit")
    expect(page.locator("#submission-problems")).to_have_count(0)
    expect(page.locator("#total-project-cost")).to_have_text("£14,000,000.00")
    expect(page.locator("#profile-table-total")).to_have_text("£2,500,000.00")
    expect(page.locator("main")).to_contain_text(
        "Intervention rate (grant as a share of the total project cost): 17.86%")
    checker.check("check-answers")
    page.get_by_role("button", name="Submit application").click()
    panel = page.locator(".govuk-panel")
    expect(panel).to_contain_text("Application submitted")
    expect(panel).to_contain_text(re.compile(r"Your reference\s*LSIMF-\d{5}"))
    reference = re.search(r"LSIMF-\d{5}", panel.inner_text()).group(0)
    checker.check("submitted")

    page.get_by_role("link", name="View your application and download a PDF of it").click()
    expect(page.locator("h1")).to_have_text(PROJECT)
    expect(page.locator(".govuk-summary-list").first).to_contain_text("Submitted (version 1)")
    checker.check("application-summary")
    page.get_by_role("button", name="Create summary PDF").click()
    expect(page).to_have_url(re.compile(r"/documents/\d+$"))
    if not queue.embedded:
        expect(page.locator("#document-status-live")).to_have_text(re.compile(r"^Status: "))
    expect_pdf_ready(page, run_jobs)
    checker.check("document-ready")
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile(r"^Download .+\.pdf")).click()
    download = download_info.value
    assert download.failure() is None
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF"), saved.read_bytes()[:40]

    # 6. The fund manager returns it for changes.
    sign_out(page)
    sign_in(page, fund_manager_email, DEMO_PASSWORD)
    page.get_by_role("link", name="Applications", exact=True).click()
    expect(page.locator("h1")).to_have_text("Applications")
    row = page.locator("tbody tr", has_text=reference)
    expect(row).to_contain_text("Submitted")
    expect(row).to_contain_text("£2,500,000.00")
    checker.check("fm-applications")
    row.get_by_role("link", name=f"{COMPANY}: {PROJECT}").click()
    expect(page.locator("h1")).to_have_text(PROJECT)
    checker.check("fm-application-summary")
    page.get_by_role("button", name="Return for changes").click()
    expect(page.locator("h1")).to_have_text("Return the application for changes")
    checker.check("return")
    page.get_by_label("What needs to change?").fill("Split the equipment costs by line.")
    page.get_by_role("button", name="Return for changes").click()
    expect_success(page, f"{COMPANY}'s application was returned for changes")
    # Back with the company: the list shows it is in progress and how complete, never its answers.
    returned = page.locator("tbody tr", has_text=reference)
    expect(returned).to_contain_text("In progress")
    expect(returned).to_contain_text("of 13 sections complete")
    expect(returned.get_by_role("link")).to_have_count(0)
    checker.check("returned")
    assert page.request.get(application_url).status == 404
    sign_out(page)

    checker.assert_clean()
