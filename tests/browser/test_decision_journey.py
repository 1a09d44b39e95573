"""From submitted application to accepted offer in a real browser (issue 4): two assessors
declare no conflict and score; the fund manager moderates (their scores spread too far) and
recommends; a second fund manager records due diligence and the subsidy control check,
approves, and issues the offer whose letter PDF is made by a job; the company signatory
accepts, claims its first costs, and finance approves part of them and pays. Every page is
checked by axe-core and screenshotted as decision-NN-name.png, and the
budget ledger is checked to the penny at each stage."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from portfolio.models import Role
from tests.browser.steps import choose, expect_h1, expect_pdf_ready, expect_success, fill_date, sign_in, sign_out
from tests.builders import Builders
from tests.helpers import DEMO_PASSWORD

SCORES = {"ada": ["8", "7", "6", "9", "5"], "bo": ["4", "7", "7", "8", "6"]}  # health resilience spreads by 4


def _ledger_row(page, round_name: str) -> str:
    """The round's ledger figures, once the Decisions page has loaded."""
    expect_h1(page, "Decisions and budget")
    row = page.locator(f'tr[data-ledger="{round_name}"]')
    expect(row).to_be_visible()
    return " ".join(row.locator("td").all_inner_texts())


@pytest.mark.browser
def test_two_assessors_moderation_approval_offer_and_acceptance(app, session, open_journey, run_jobs, tmp_path):
    make = Builders(session)
    fund = make.fund()
    make.open_round(fund, allocation=Decimal("30000000.00"))
    people = {"manager": make.user(Role.FUND_MANAGER, name="Farah Manager"),
              "decider": make.user(Role.FUND_MANAGER, name="Dev Decider"),
              "ada": make.user(Role.ASSESSOR, name="Ada Assessor"),
              "bo": make.user(Role.ASSESSOR, name="Bo Assessor"),
              "finance": make.user(Role.FINANCE, name="Fin Finance")}
    application = make.submitted_application(fund)
    signatory = application.organisation.users[0]
    emails = {name: user.email for name, user in people.items()} | {"company": signatory.email}
    reference, company = f"LSIMF-{application.id:05d}", application.organisation.name
    session.commit()

    page, checker = open_journey("decision")

    # 1. The fund manager assigns two assessors.
    sign_in(page, emails["manager"], DEMO_PASSWORD)
    page.get_by_role("link", name="Assessments", exact=True).click()
    expect_h1(page, "Assessments")
    checker.check("assessments-manager")
    page.locator("#to-assign").get_by_role("link", name=f"{reference}: {company}").click()
    expect_h1(page, "Assessment")
    expect(page.locator("main")).to_contain_text("Assign 2 more assessors")
    checker.check("assign")
    for name in ("Ada Assessor", "Bo Assessor"):
        page.get_by_label("Assessor").select_option(label=f"{name} (Assessor)")
        page.get_by_role("button", name="Assign").click()
        expect_success(page, f"{name} assigned and emailed")
    checker.check("assigned")
    sign_out(page)

    # 2. Each assessor declares no conflict, saves a draft, then submits scores.
    criteria = [c.title[:1].lower() + c.title[1:] for c in fund.rounds[0].criteria]
    for who in ("ada", "bo"):
        sign_in(page, emails[who], DEMO_PASSWORD)
        page.get_by_role("link", name="Assessments", exact=True).click()
        expect(page.locator("#my-assessments")).to_contain_text("Declare conflicts of interest")
        checker.check(f"assessments-{who}")
        page.get_by_role("link", name=f"{reference}: {company}").click()
        expect_h1(page, "Declare any conflict of interest")
        checker.check(f"declare-{who}")
        choose(page, "Do you have a conflict of interest with this company or project?", "No")
        page.get_by_role("button", name="Continue").click()
        expect_h1(page, "Score the application")
        checker.check(f"score-{who}")
        for criterion, value in zip(criteria, SCORES[who], strict=True):
            page.get_by_label(f"Score for {criterion} (1 to 10)").select_option(value)
            page.get_by_label(f"Comment on {criterion}").fill(f"{who.title()}'s view of {criterion}")
        page.get_by_role("button", name="Save as draft").click()
        expect_success(page, "Draft saved")
        page.get_by_role("button", name="Submit scores").click()
        expect_success(page, "Your scores have been submitted")
        expect_h1(page, "Your scores")
        checker.check(f"scored-{who}")
        sign_out(page)

    # 3. The fund manager moderates (flagged: health resilience 8 and 4), then recommends.
    sign_in(page, emails["manager"], DEMO_PASSWORD)
    page.goto(f"/assessments/applications/{application.id}")
    expect(page.locator("#scores")).to_contain_text("Moderate")  # the flag on the spread
    expect(page.locator("main")).to_contain_text("Needed: scores spread more than 3 points")
    checker.check("scores-in")
    page.get_by_role("button", name="Moderate scores").click()
    expect_h1(page, "Moderate the scores")
    expect(page.get_by_label("Moderated score for health resilience")).to_have_value("6.00")
    checker.check("moderate")
    page.get_by_label("Moderated score for health resilience").fill("7")
    page.get_by_label("Reason for the moderated scores").fill("The second assessor missed the dual-supply plan.")
    page.get_by_role("button", name="Save moderated scores").click()
    expect_success(page, "Moderated: weighted score 6.90")  # 7×.25 + 7×.25 + 6.5×.2 + 8.5×.15 + 5.5×.15
    expect(page.locator("#ranking")).to_contain_text(reference)
    checker.check("ranking")
    page.goto(f"/decisions/applications/{application.id}")
    expect_h1(page, "Decision")
    checker.check("decision-moderated")
    page.get_by_role("button", name="Record a recommendation").click()
    expect_h1(page, "Record a recommendation")
    checker.check("recommend")
    choose(page, "Do you recommend funding this application?", "Yes, recommend it")
    page.get_by_label("Recommended grant").fill("4,000,000")
    page.get_by_label("Reasons for the recommendation").fill("Strong resilience case; good value.")
    page.get_by_role("button", name="Record recommendation").click()
    expect_success(page, "Recommendation recorded")
    expect(page.locator("main")).to_contain_text("You made the recommendation")
    sign_out(page)

    # 4. A second fund manager records due diligence and subsidy control, then approves.
    sign_in(page, emails["decider"], DEMO_PASSWORD)
    page.get_by_role("link", name="Decisions", exact=True).click()
    expect_h1(page, "Decisions and budget")
    assert _ledger_row(page, "Round 1").split() == ["£30,000,000.00", "£0.00", "£0.00", "£0.00", "£0.00",
                                                    "£30,000,000.00"]
    checker.check("decisions")
    page.locator("#queue-recommended").get_by_role("link", name=f"{reference}: {company}").click()
    expect_h1(page, "Decision")
    page.get_by_role("link", name="Record due diligence").click()
    expect_h1(page, "Due diligence")
    checker.check("due-diligence")
    today = date.today()
    fill_date(page, "Date of the credit and fraud check", today)
    choose(page, "Result", "Green")
    page.get_by_role("button", name="Save due diligence").click()
    expect_success(page, "Due diligence saved")
    checker.check("due-diligence-saved")
    page.get_by_role("link", name="Back to the decision").click()
    page.get_by_role("link", name="Record the subsidy control check").click()
    expect_h1(page, "Subsidy control check")
    checker.check("subsidy")
    choose(page, "Is the enterprise in a sensitive sector?", "No")
    page.get_by_role("button", name="Save subsidy control check").click()
    expect_success(page, "Subsidy control check saved")
    expect(page.locator("main")).to_contain_text("Neither of interest nor of particular interest")
    checker.check("decision-checked")
    page.get_by_role("button", name="Approve").click()
    expect_h1(page, "Approve the award")
    checker.check("approve")
    page.get_by_label("Grant awarded").fill("4,000,000")
    page.get_by_label("Conditions of the award").fill("Planning permission granted before the first claim.")
    page.get_by_role("button", name="Approve").click()
    expect_success(page, f"Approved: {company} is awarded £4,000,000.00")
    checker.check("approved")

    # 5. The offer: terms from the application, the letter PDF made by a job.
    page.get_by_role("button", name="Issue the grant offer").click()
    expect_h1(page, "Issue the grant offer")
    expect(page.get_by_label("Jobs created (full-time equivalent)")).to_have_value("134.5")
    expect(page.get_by_role("group", name=re.compile(r"^Financial year \d{4}.\d{2}$")).first).to_be_visible()
    checker.check("issue-offer")
    page.get_by_role("button", name="Issue the offer").click()
    expect_success(page, f"Offer issued to {company}")
    expect_h1(page, "Grant offer")
    expect(page.locator("#agreed-profile-total")).to_contain_text("£")
    checker.check("offer-staff")
    page.get_by_role("link", name="Grant offer letter (PDF)").click()
    expect_pdf_ready(page, run_jobs)
    checker.check("offer-letter-ready")
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile(r"^Download .+\.pdf")).click()
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    page.get_by_role("link", name="Decisions", exact=True).click()
    assert _ledger_row(page, "Round 1").split() == ["£30,000,000.00", "£0.00", "£4,000,000.00", "£0.00", "£0.00",
                                                    "£26,000,000.00"]
    sign_out(page)

    # 6. The company signatory reads and accepts the offer.
    sign_in(page, emails["company"], DEMO_PASSWORD)
    checker.check("company-dashboard")
    page.locator("#applications").get_by_role("link", name=re.compile(reference)).click()
    expect(page.locator(".govuk-summary-list").first).to_contain_text("Offer issued")
    checker.check("company-application")
    page.get_by_role("link", name="Read and answer your grant offer").click()
    expect_h1(page, "Grant offer")
    checker.check("offer-company")
    page.get_by_role("button", name="Accept the offer").click()  # without the declaration: refused
    expect(page.locator(".govuk-error-summary")).to_contain_text("Confirm that you are authorised")
    checker.check("offer-accept-error")
    page.get_by_label(re.compile("I confirm I am authorised to accept this offer")).check()
    page.get_by_role("button", name="Accept the offer").click()
    expect_success(page, "You have accepted the grant offer")
    expect(page.locator(".govuk-summary-list")).to_contain_text("Accepted")
    checker.check("offer-accepted")
    sign_out(page)

    # 7. The company claims its first costs; finance approves part of them and pays.
    sign_in(page, emails["company"], DEMO_PASSWORD)
    page.goto(f"/applications/{application.id}")
    page.get_by_role("link", name="The award: claims, monitoring returns and payments").click()
    expect_h1(page, f"Award {reference}")
    checker.check("award")
    page.get_by_role("link", name="Claims: see them or start one").click()
    expect_h1(page, "Claims against the award")
    checker.check("claims-award")
    fill_date(page, "Start of the claim period", today - timedelta(days=60))
    fill_date(page, "End of the claim period", today)
    page.get_by_role("button", name="Start the claim").click()
    expect_h1(page, "Claim 1")
    checker.check("claim-draft")
    page.get_by_label("What was bought").fill("Isolator")
    page.get_by_label("Invoice number").fill("INV-0042")
    fill_date(page, "Date paid", today)
    page.get_by_label("Eligible capital cost paid").fill("1,000,000")
    page.get_by_role("button", name="Add cost").click()
    expect_success(page, "Cost added: Isolator")
    # Each claim re-forecasts the quarters still to come, starting from the agreed profile.
    page.get_by_role("button", name="Forecast the quarters still to come").click()
    expect_h1(page, "Forecast the quarters still to come")
    checker.check("claim-forecast")
    page.get_by_role("button", name="Save the forecast").click()
    expect_success(page, "Forecast saved: you can now submit the claim")
    page.get_by_role("button", name="Submit the claim").click()
    expect_success(page, "Claim 1 submitted")
    checker.check("claim-submitted")
    sign_out(page)

    sign_in(page, emails["finance"], DEMO_PASSWORD)
    page.get_by_role("link", name="Claims", exact=True).click()
    expect_h1(page, "Claims")
    checker.check("claims-queue")
    page.locator("#claims-submitted").get_by_role("link").first.click()
    expect_h1(page, "Claim 1")
    checker.check("claim-review")
    page.get_by_label("Approved: Isolator").fill("800,000")
    page.get_by_label("Reason for approving less than was claimed").fill("£200,000 was spare parts, not capital.")
    page.get_by_role("button", name="Approve the claim").click()
    expect_success(page, "£180,000.00 to pay")  # 800,000 × (4m ÷ 16m eligible) = 200,000, less 10% retention
    checker.check("claim-approved")
    page.get_by_label("Amount paid").fill("180,000")
    fill_date(page, "Date paid", today)
    page.get_by_label("Payment reference").fill("BACS-0001")
    page.get_by_role("button", name="Record the payment").click()
    expect_success(page, "Payment of £180,000.00 recorded")
    checker.check("claim-paid")
    page.get_by_role("link", name="Decisions", exact=True).click()
    assert _ledger_row(page, "Round 1").split() == ["£30,000,000.00", "£0.00", "£0.00", "£4,000,000.00",
                                                    "£180,000.00", "£26,000,000.00"]
    sign_out(page)
    checker.assert_clean()
