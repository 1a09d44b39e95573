"""Forecasts in a real browser (issue 15): the company updates its forecast between claims from the award
page and reads profile, forecast and paid by quarter; the fund manager sees the award flagged on the awards
list, filters to it, and reads the fund-wide page. Every page is checked by axe-core (at 1280 and 390 px
wide) and screenshotted as forecast-NN-name.png."""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from portfolio.dates import add_months, quarter_start
from portfolio.models import Role
from tests.browser.steps import expect_h1, expect_success, sign_in, sign_out
from tests.builders import Builders, accepted_award
from tests.helpers import DEMO_PASSWORD


def _check_both_widths(page, checker, name: str) -> None:
    checker.check(name)
    page.set_viewport_size({"width": 390, "height": 844})
    checker.check(f"{name}-390")
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.browser
def test_company_updates_its_forecast_and_the_fund_manager_sees_it_vary(app, session, fund, open_journey):
    make = Builders(session)
    people = {"recommender": make.user(Role.FUND_MANAGER), "assessor": make.user(Role.ASSESSOR),
              "approver": make.user(Role.FUND_MANAGER, name="Vic Verifier"), "finance": make.user(Role.FINANCE)}
    this_quarter = quarter_start(date.today())
    award = accepted_award(session, make, fund, people, start=add_months(this_quarter, -6),
                           completion=add_months(this_quarter, 18) - timedelta(days=1))
    company_user = award.organisation.users[0]
    session.commit()
    reference = f"LSIMF-{award.application_id:05d}"

    page, checker = open_journey("forecast")
    sign_in(page, company_user.email, DEMO_PASSWORD)
    page.goto(f"/awards/{award.id}")
    expect_h1(page, f"Award {reference}")
    expect(page.locator("#profile-forecast-actual")).to_contain_text("£4,000,000.00")
    _check_both_widths(page, checker, "award")
    page.get_by_role("button", name="Update your forecast").click()
    expect_h1(page, "Update your forecast")
    _check_both_widths(page, checker, "update-forecast")
    # Everything moved to the last quarter: first refused (more than the grant left), then saved.
    boxes = page.locator("#profile input.govuk-input")
    count = boxes.count()
    for index in range(count - 1):
        boxes.nth(index).fill("0")
    boxes.nth(count - 1).fill("9,000,000")
    page.get_by_role("button", name="Save the forecast").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("of the grant not yet paid")
    checker.check("update-forecast-error")
    boxes.nth(count - 1).fill("3,000,000")
    page.get_by_label("What has changed (optional)").fill("Equipment delivery moved to next year")
    page.get_by_role("button", name="Save the forecast").click()
    expect_success(page, "Your forecast has been updated")
    expect_h1(page, "Profile, forecast and paid by quarter")
    expect(page.locator("#forecast-varies")).to_be_visible()
    expect(page.locator("#forecasts-made")).to_contain_text("Equipment delivery moved to next year")
    _check_both_widths(page, checker, "forecast-detail")
    sign_out(page)

    sign_in(page, people["approver"].email, DEMO_PASSWORD)
    page.goto("/awards/")
    expect_h1(page, "Awards in delivery")
    expect(page.locator("#awards tbody tr", has_text=reference)).to_contain_text("Forecast varies")
    _check_both_widths(page, checker, "awards-list")
    page.get_by_role("link", name=re.compile(r"^Forecast varies \(1\)$")).click()
    expect(page.locator("#awards tbody tr")).to_have_count(1)
    page.get_by_role("link", name="Profile, forecast and paid across the fund").click()
    expect_h1(page, "Profile, forecast and paid")
    expect(page.locator("#fund-forecasts tbody tr", has_text=reference)).to_contain_text("Forecast varies")
    _check_both_widths(page, checker, "fund-forecasts")
    checker.assert_clean()
