"""An accepted award in delivery, in a real browser (issue 5): the company claims its costs with
evidence and submits a monitoring return (a figure that went backwards is queried and explained);
finance approves and pays the claim; a fund manager verifies the return; the company downloads
the claim statement and the verified return as PDFs made by a job. Every page is checked by
axe-core and screenshotted as delivery-NN-name.png."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from portfolio.extensions import queue
from portfolio.models import Rag, Role
from portfolio.services import monitoring
from tests.browser.steps import choose, download_pdf, expect_h1, expect_success, fill_date, sign_in, sign_out
from tests.builders import GOOD, PDF, Builders, accepted_award
from tests.helpers import DEMO_PASSWORD

FIGURES = {"Capital spent to date": "6,000,000", "Private investment to date": "3,500,000",
           "Jobs created (FTE at the end of the period)": "42.5", "Jobs safeguarded (FTE)": "37",
           "Average salary of the jobs created": "39,000", "R&D spend in the period": "300,000",
           "Collaborations": "1", "Patents filed": "2", "Training places": "5",
           "UK supply-chain spend in the period": "800,000"}


@pytest.mark.browser
def test_company_claims_and_reports_finance_pays_manager_verifies(app, session, fund, open_journey, run_jobs,
                                                                   tmp_path):
    make = Builders(session)
    people = {"recommender": make.user(Role.FUND_MANAGER, name="Rita Recommender"),
              "assessor": make.user(Role.ASSESSOR), "approver": make.user(Role.FUND_MANAGER, name="Vic Verifier"),
              "finance": make.user(Role.FINANCE, name="Fin Finance")}
    today = date.today()
    award = accepted_award(session, make, fund, people, start=date(today.year - 2, 4, 1),
                           completion=date(today.year - 1, 3, 31))
    company_user = award.organisation.users[0]
    first, second = monitoring.returns_of(session, award)[:2]
    monitoring.submit(session, monitoring_return=first, by=company_user, values=GOOD, narrative="Groundworks",
                      rag=Rag.GREEN, explanations={})
    monitoring.verify(session, monitoring_return=first, by=people["approver"])
    session.commit()
    reference = f"LSIMF-{award.application_id:05d}"
    if not queue.embedded:
        run_jobs()

    page, checker = open_journey("delivery")

    # 1. The company opens its award and claims costs, with evidence.
    sign_in(page, company_user.email, DEMO_PASSWORD)
    page.goto(f"/applications/{award.application_id}")
    page.get_by_role("link", name="The award: claims, monitoring returns and payments").click()
    expect_h1(page, f"Award {reference}")
    expect(page.locator("#contracted-vs-actual")).to_contain_text("£4,000,000.00")  # verified private investment
    checker.check("award-company")
    page.get_by_role("link", name="Claims: see them or start one").click()
    expect_h1(page, "Claims against the award")
    fill_date(page, "Start of the claim period", date(today.year - 2, 4, 1))
    fill_date(page, "End of the claim period", date(today.year - 2, 6, 30))
    page.get_by_role("button", name="Start the claim").click()
    expect_h1(page, "Claim 1")
    page.get_by_label("What was bought").fill("Bioreactor")
    page.get_by_label("Invoice number").fill("INV-0099")
    fill_date(page, "Date paid", date(today.year - 2, 5, 20))
    page.get_by_label("Eligible capital cost paid").fill("2,000,000")
    page.get_by_role("button", name="Add cost").click()
    expect_success(page, "Cost added: Bioreactor")
    page.get_by_label("Upload evidence").set_input_files(
        {"name": "invoice-0099.pdf", "mimeType": "application/pdf", "buffer": PDF})
    page.get_by_role("button", name="Upload file").click()
    expect_success(page, "Uploaded invoice-0099.pdf")
    expect(page.locator("#evidence-files")).to_contain_text("invoice-0099.pdf")
    checker.check("claim-with-evidence")
    page.get_by_role("button", name="Submit the claim").click()
    expect_success(page, "Claim 1 submitted")

    # 2. The company submits its second monitoring return: a figure that went down is queried.
    page.get_by_role("link", name="Back to the claims").click()
    page.get_by_role("link", name="Back to the award").click()
    page.locator("#returns").get_by_role("link", name=re.compile(r"^Return 2\b")).click()
    expect_h1(page, "Monitoring return 2: quarterly")
    expect(page.locator("#private_investment-hint")).to_contain_text("Return 1: £4,000,000.00")
    checker.check("return-form")
    for label, value in FIGURES.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("Progress in the period").fill("Bioreactor installed; commissioning in the next quarter.")
    choose(page, "How is the project going?", "Amber: some problems, being managed")
    page.get_by_role("button", name="Submit the return").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Private investment to date is lower than the £4,000,000.00 reported in return 1")
    checker.check("return-queried")
    page.get_by_label("Explain the private investment to date").fill("A co-investor delayed £0.5m to next year.")
    page.get_by_role("button", name="Submit the return").click()
    expect_success(page, "Return 2 submitted")
    expect(page.locator("#figures")).to_contain_text("£3,500,000.00")
    checker.check("return-submitted")
    sign_out(page)

    # 3. Finance approves the claim in full and records the payment.
    sign_in(page, people["finance"].email, DEMO_PASSWORD)
    page.get_by_role("link", name="Claims", exact=True).click()
    page.locator("#claims-submitted").get_by_role("link", name=re.compile(reference)).click()
    expect_h1(page, "Claim 1")
    expect(page.locator("#evidence-files")).to_contain_text("invoice-0099.pdf")
    page.get_by_role("button", name="Approve the claim").click()
    expect_success(page, "£450,000.00 to pay")  # 2,000,000 × 25% = 500,000, less 10% retention
    page.get_by_label("Amount paid").fill("450,000")
    fill_date(page, "Date paid", today)
    page.get_by_label("Payment reference").fill("BACS-0099")
    page.get_by_role("button", name="Record the payment").click()
    expect_success(page, "Payment of £450,000.00 recorded")
    checker.check("claim-paid")
    sign_out(page)

    # 4. A fund manager verifies the return from the awards work queue.
    sign_in(page, people["approver"].email, DEMO_PASSWORD)
    page.get_by_role("link", name="Awards", exact=True).click()
    expect_h1(page, "Awards in delivery")
    expect(page.locator("#returns-overdue")).to_contain_text(f"{reference} return 3")  # past due, not submitted
    checker.check("awards-queue")
    page.locator("#returns-waiting").get_by_role("link", name=re.compile(f"{reference} return 2")).click()
    expect_h1(page, "Monitoring return 2: quarterly")
    expect(page.locator("#explanations")).to_contain_text("A co-investor delayed £0.5m")
    checker.check("return-to-verify")
    page.get_by_role("button", name="Verify the return").click()
    expect_success(page, "Return 2 verified")
    page.get_by_role("link", name="Back to the award").click()
    expect(page.locator("#contracted-vs-actual")).to_contain_text("£3,500,000.00")
    expect(page.locator("#timeline")).to_contain_text("Payment of £450,000.00: Claim 1")
    checker.check("award-staff")
    sign_out(page)

    # 5. The company downloads the claim statement and the verified return.
    sign_in(page, company_user.email, DEMO_PASSWORD)
    page.goto(f"/awards/{award.id}")
    page.get_by_role("button", name="Download the claim statement (PDF)").click()
    statement = download_pdf(page, run_jobs, tmp_path)
    checker.check("statement-ready")
    for expected in (award.organisation.name, "£2,000,000.00", "£500,000.00", "£50,000.00", "£450,000.00",
                     "BACS-0099"):
        assert expected in statement, expected
    page.goto(f"/awards/returns/{second.id}")
    page.get_by_role("button", name="Download the return (PDF)").click()
    text = re.sub(r"\s+", " ", download_pdf(page, run_jobs, tmp_path))
    for expected in ("£6,000,000.00", "£3,500,000.00", "42.5", "£39,000.00", "£300,000.00", "£800,000.00",
                     "Verified by Vic Verifier", "A co-investor delayed £0.5m"):
        assert expected in text, expected
    sign_out(page)
    checker.assert_clean()
