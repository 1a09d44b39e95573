"""Finance reads the leverage report in a real browser (issue 6): filters it, reads the chart and
its table, changes the additionality settings, and downloads the CSV, the PDF and the annual
implementation update. Every page is checked by axe-core (screenshots: reports-NN-name.png)."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from portfolio.extensions import queue
from portfolio.models import Rag, Region, Role
from portfolio.services import monitoring
from tests.browser.steps import expect_h1, expect_pdf_ready, expect_success, sign_in, sign_out
from tests.builders import GOOD, Builders, accepted_award
from tests.helpers import DEMO_PASSWORD


@pytest.mark.browser
def test_finance_reads_filters_and_downloads_the_leverage_report(app, session, fund, open_journey, run_jobs):
    make = Builders(session)
    people = {"recommender": make.user(Role.FUND_MANAGER), "assessor": make.user(Role.ASSESSOR),
              "approver": make.user(Role.FUND_MANAGER), "finance": make.user(Role.FINANCE, name="Fin Finance")}
    today = date.today()
    award = accepted_award(session, make, fund, people, start=date(today.year - 2, 4, 1),
                           completion=date(today.year - 1, 3, 31))
    award.application.region = Region.SCOTLAND
    first = monitoring.returns_of(session, award)[0]
    monitoring.submit(session, monitoring_return=first, by=award.organisation.users[0], values=GOOD,
                      narrative="On plan", rag=Rag.GREEN, explanations={})
    monitoring.verify(session, monitoring_return=first, by=people["approver"])
    session.commit()
    if not queue.embedded:
        run_jobs()

    page, checker = open_journey("reports")
    sign_in(page, people["finance"].email, DEMO_PASSWORD)
    page.get_by_role("link", name="Reports", exact=True).click()
    expect_h1(page, "Leverage report")
    expect(page.locator("#totals")).to_contain_text("£16,000,000.00")
    expect(page.locator("svg#chart-years")).to_be_visible()
    checker.check("leverage")
    page.get_by_label("Region", exact=True).select_option(label="Scotland")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#showing")).to_contain_text("region: Scotland")
    expect(page.locator("#totals")).to_contain_text("£4,000,000.00")
    checker.check("leverage-filtered")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    assert download_info.value.suggested_filename.endswith(".csv")

    page.get_by_role("link", name="Change the settings").click()
    expect_h1(page, "Additionality settings")
    checker.check("additionality")
    page.get_by_label("Multiplier").fill("1.3")
    page.get_by_role("button", name="Save the settings").click()
    expect_success(page, "Additionality settings saved")
    page.get_by_role("link", name="Back to the leverage report").click()
    expect(page.locator("#settings-used")).to_contain_text("multiplier 1.30")

    page.get_by_role("button", name="Download PDF").click()
    expect_pdf_ready(page, run_jobs)
    checker.check("leverage-pdf")
    page.get_by_role("link", name="Reports", exact=True).click()
    page.get_by_role("link", name="Annual implementation update (Sector Plan Annex A)").click()
    expect_h1(page, "Annual implementation update")
    checker.check("implementation-update")
    page.get_by_role("button", name="Make the update (PDF)").click()
    expect_pdf_ready(page, run_jobs)
    expect(page.get_by_role("link", name=re.compile(r"^Download implementation-update-"))).to_be_visible()
    sign_out(page)
    checker.assert_clean()
