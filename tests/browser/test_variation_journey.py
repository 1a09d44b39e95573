"""A variation in a real browser (issue 15): the company requests a nine-month time extension with its grant
re-profiled into the longer period; a fund manager queries it and the company answers; two fund managers
approve it (more than six months needs two); the signatory reads the amendment letter and accepts it; the
award's profile and terms history show the new terms. Every page is checked by axe-core and screenshotted
as variation-NN-name.png."""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from portfolio.dates import add_months, financial_year_of, quarter_start
from portfolio.extensions import queue
from portfolio.forms.profiles import field_name
from portfolio.models import Role
from portfolio.money import money
from portfolio.services import award_terms, profiles
from tests.browser.steps import choose, download_pdf, expect_h1, expect_success, fill_date, sign_in, sign_out
from tests.builders import Builders, accepted_award
from tests.helpers import DEMO_PASSWORD


@pytest.mark.browser
def test_time_extension_queried_answered_approved_twice_and_accepted(app, session, fund, open_journey, run_jobs,
                                                                      tmp_path):
    make = Builders(session)
    people = {"recommender": make.user(Role.FUND_MANAGER, name="Rita Recommender"),
              "assessor": make.user(Role.ASSESSOR), "approver": make.user(Role.FUND_MANAGER, name="Vic Verifier"),
              "second": make.user(Role.FUND_MANAGER, name="Sam Second"), "finance": make.user(Role.FINANCE)}
    start = add_months(quarter_start(date.today()), -6)
    completion = add_months(start, 24) - timedelta(days=1)
    award = accepted_award(session, make, fund, people, start=start, completion=completion)
    company_user = award.organisation.users[0]
    profile = award_terms.current_profile(award)
    last_old = max(profile)
    new_completion = add_months(completion + timedelta(days=1), 9) - timedelta(days=1)
    last_new = quarter_start(new_completion)
    reference = f"LSIMF-{award.application_id:05d}-V1"
    if not queue.embedded:
        run_jobs()

    page, checker = open_journey("variation")

    # 1. The company asks for nine more months, moving the last quarter's grant to the new last quarter.
    sign_in(page, company_user.email, DEMO_PASSWORD)
    page.goto(f"/awards/{award.id}")
    expect(page.locator("#profile-forecast-actual")).to_contain_text(financial_year_of(last_old))
    checker.check("award-before")
    page.get_by_role("button", name="Request a change").click()
    expect_h1(page, re.compile("What do you need to change?"))
    checker.check("kind")
    choose(page, "What do you need to change?", "Time extension")
    page.get_by_role("button", name="Continue").click()
    expect_h1(page, "Time extension")
    fill_date(page, "New completion date", new_completion)
    page.locator(f"#{field_name(last_old)}").fill("0")
    page.locator(f"#{field_name(last_new)}").fill(f"{profile[last_old]:,}")
    page.get_by_label("Why is the change needed?").fill("The fill-finish isolator ships nine months late.")
    checker.check("time-extension-form")
    page.get_by_role("button", name="Continue").click()
    expect_h1(page, "Check your request")
    expect(page.locator("#request-summary")).to_contain_text("Two fund managers must approve")
    checker.check("check-answers")
    page.get_by_role("button", name="Send the request").click()
    expect_success(page, f"Change {reference} requested")
    checker.check("requested")
    sign_out(page)

    # 2. A fund manager queries it from the list of open changes.
    sign_in(page, people["approver"].email, DEMO_PASSWORD)
    page.goto("/variations/")
    expect_h1(page, "Changes to awards")
    checker.check("fund-manager-list")
    page.locator("#to-review").get_by_role("link", name=reference).click()
    page.get_by_label("Your query").fill("Has the supplier confirmed the new delivery date in writing?")
    checker.check("to-query")
    page.get_by_role("button", name="Send the query").click()
    expect_success(page, "Query sent to the company")
    sign_out(page)

    # 3. The company answers.
    sign_in(page, company_user.email, DEMO_PASSWORD)
    page.goto(f"/awards/{award.id}")
    page.locator("#variations").get_by_role("link", name=reference).click()
    expect(page.locator("#message-thread")).to_contain_text("confirmed the new delivery date")
    checker.check("to-answer")
    page.get_by_label("Your answer").fill("Yes: their letter of 3 November is attached to our request.")
    page.get_by_role("button", name="Send your answer").click()
    expect_success(page, "Answer sent to the fund manager")
    sign_out(page)

    # 4. Two fund managers approve.
    sign_in(page, people["approver"].email, DEMO_PASSWORD)
    page.goto("/variations/")
    page.locator("#to-review").get_by_role("link", name=reference).click()
    expect(page.locator("#message-thread")).to_contain_text("their letter of 3 November")
    page.get_by_role("button", name="Give the first approval").click()
    expect_success(page, "First approval given")
    checker.check("first-approval")
    sign_out(page)
    sign_in(page, people["second"].email, DEMO_PASSWORD)
    page.goto("/variations/")
    page.locator("#second-approval").get_by_role("link", name=reference).click()
    page.get_by_role("button", name="Approve the change").click()
    expect_success(page, f"Change {reference} approved")
    sign_out(page)

    # 5. The signatory reads the amendment letter and accepts it.
    sign_in(page, company_user.email, DEMO_PASSWORD)
    page.goto(f"/awards/{award.id}")
    page.locator("#variations").get_by_role("link", name=reference).click()
    checker.check("to-accept")
    page.get_by_role("link", name="Read the amendment letter (PDF)").click()
    letter = " ".join(download_pdf(page, run_jobs, tmp_path).split())
    assert f"Amendment letter: {reference}" in letter and "Completion date (changed)" in letter
    page.go_back()
    page.get_by_role("button", name="Accept the amendment").click()
    expect_success(page, f"Amendment {reference} accepted")
    checker.check("accepted")

    # 6. The award now carries the new profile, and the terms history shows both versions.
    page.get_by_role("link", name="Back to the award").click()
    expect(page.locator("#profile-forecast-actual")).to_contain_text("terms version 2")
    expect(page.locator("#profile-forecast-actual")).to_contain_text(financial_year_of(last_new))
    checker.check("award-after")
    page.get_by_role("link", name=re.compile("Terms history")).click()
    expect_h1(page, "Terms history")
    expect(page.locator("#version-2")).to_contain_text("Completion date")
    expect(page.locator("#version-1")).to_contain_text("as first offered")
    checker.check("terms-history")
    sign_out(page)

    # 7. Finance sees the new profile in the budget and spend by financial year: the grant moved into the year of
    # the new last quarter, and out of the old one's where nothing else of the award is left in it.
    session.expire_all()  # the pages changed the award: read it again
    new_years = profiles.by_year(award_terms.current_profile(award))
    sign_in(page, people["finance"].email, DEMO_PASSWORD)
    page.goto("/reports/budget-by-year")
    expect_h1(page, "Budget and spend by financial year")
    moved_to = page.locator("#ledger tbody tr", has=page.get_by_role("rowheader", name=financial_year_of(last_new)))
    expect(moved_to).to_contain_text(money(new_years[financial_year_of(last_new)]))
    checker.check("finance-after")
    checker.assert_clean()
