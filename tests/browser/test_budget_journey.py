"""The budget by financial year in a real browser (issue 15): an administrator sets it (adding a later
year) and the tolerance of its warnings, finance reads budget, committed, forecast and paid by year
(chart and table) and downloads it, and a fund manager sees the year-by-year headroom of an award
before approving it. Every page is checked by axe-core (screenshots: budget-NN-name.png)."""

import re
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from portfolio.models import Role
from portfolio.services import decisions
from tests.browser.steps import expect_h1, expect_success, sign_in, sign_out
from tests.builders import Builders
from tests.helpers import DEMO_PASSWORD

M = Decimal("1000000.00")


@pytest.mark.browser
def test_admin_sets_the_budget_by_year_finance_reads_it_and_approvals_show_the_headroom(app, session, fund,
                                                                                        open_journey):
    make = Builders(session)
    people = {"admin": make.user(Role.ADMIN, name="Ada Admin"), "finance": make.user(Role.FINANCE, name="Fin Finance"),
              "recommender": make.user(Role.FUND_MANAGER, name="Rhea Recommender"),
              "approver": make.user(Role.FUND_MANAGER, name="Abel Approver"),
              "assessor": make.user(Role.ASSESSOR, name="Asa Assessor")}
    project = (date(2026, 4, 1), date(2028, 3, 31))
    approved = make.recommended_application(fund, recommender=people["recommender"], assessor=people["assessor"],
                                            grant=4 * M, project=project,
                                            profile={date(2026, 7, 1): 3 * M, date(2027, 7, 1): 1 * M})
    decisions.approve(session, application=approved, by=people["approver"], amount=4 * M)
    waiting = make.recommended_application(fund, recommender=people["recommender"], assessor=people["assessor"],
                                           grant=2 * M, project=project,
                                           profile={date(2026, 10, 1): 1 * M, date(2027, 10, 1): 1 * M})
    session.commit()

    page, checker = open_journey("budget")

    # 1. The administrator sets the budget by financial year, adding 2029/30.
    sign_in(page, people["admin"].email, DEMO_PASSWORD)
    page.get_by_role("link", name="Funds", exact=True).click()
    expect_h1(page, "Fund settings")
    page.get_by_role("link", name="Change budget by financial year").click()
    expect_h1(page, "Budget by financial year")
    for year, amount in (("2025/26", "60,000,000"), ("2026/27", "150,000,000"), ("2027/28", "170,000,000"),
                         ("2028/29", "140,000,000")):
        page.get_by_label(f"{year} budget").fill(amount)
    page.get_by_role("button", name="Add the next financial year").click()
    page.get_by_label("2029/30 budget").fill("10,000,000")
    page.get_by_label("Note (optional)").fill("Spending Review settlement")
    checker.check("budget-by-year-form")
    page.get_by_role("button", name="Save budget").click()
    expect_success(page, "the fund's budget is now £530,000,000.00")
    page.get_by_role("link", name="Change budget by financial year").click()
    expect(page.locator("#budget-history")).to_contain_text("Spending Review settlement")
    checker.check("budget-by-year-history")
    page.get_by_role("link", name="Back").click()
    checker.check("fund-settings")
    page.get_by_role("link", name="Change forecast against a year's budget that is flagged").click()
    expect_h1(page, "Change the fund's rules")
    checker.check("rules")
    page.get_by_label("Forecast against a year's budget that is flagged").fill("10")
    page.get_by_role("button", name="Save rules").click()
    expect_success(page, "Rules saved")
    sign_out(page)

    # 2. Finance reads the ledger by year and downloads it.
    sign_in(page, people["finance"].email, DEMO_PASSWORD)
    page.get_by_role("link", name="Budget by year", exact=True).click()
    expect_h1(page, "Budget and spend by financial year")
    expect(page.locator("svg#chart-budget")).to_be_visible()
    row = page.locator("#ledger tbody tr", has=page.get_by_role("rowheader", name="2026/27"))
    expect(row).to_contain_text("£150,000,000.00")
    expect(row).to_contain_text("£3,000,000.00")
    expect(page.locator("#totals")).to_contain_text("£530,000,000.00")
    expect(page.locator("#flagged")).to_contain_text("by more than 10%")
    checker.check("ledger")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download XLSX").click()
    assert re.fullmatch(r"budget-by-year-\d{4}-\d\d-\d\d\.xlsx", download_info.value.suggested_filename)
    sign_out(page)

    # 3. The fund manager sees what approving would leave in each year.
    sign_in(page, people["approver"].email, DEMO_PASSWORD)
    page.goto(f"/decisions/applications/{waiting.id}/approve")
    expect_h1(page, "Approve the award")
    headroom = page.locator("#year-headroom")
    expect(headroom.locator('tr[data-year="2026/27"]')).to_contain_text("£146,000,000.00")
    checker.check("approve-headroom")
    sign_out(page)
    checker.assert_clean()
