"""Finance reads the leverage report with a varied award (issue 15): the figures as varied beside those
as first offered, at desktop and phone widths, and the token list labels the new API scopes. axe-core
checks every page (screenshots: terms-reporting-NN-name.png)."""

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from portfolio.models import Role
from portfolio.services import api_tokens, award_terms, profiles
from tests.browser.steps import expect_h1, sign_in
from tests.builders import Builders, accepted_award
from tests.helpers import DEMO_PASSWORD
from tests.test_terms_reporting import vary


@pytest.mark.browser
def test_finance_sees_first_offered_beside_as_varied(app, session, fund, open_journey):
    make = Builders(session)
    people = {"recommender": make.user(Role.FUND_MANAGER), "assessor": make.user(Role.ASSESSOR),
              "approver": make.user(Role.FUND_MANAGER), "finance": make.user(Role.FINANCE, name="Fin Finance"),
              "admin": make.user(Role.ADMIN)}
    today = date.today()
    award = accepted_award(session, make, fund, people, start=date(today.year, 1, 1),
                           completion=date(today.year + 2, 3, 31))
    vary(session, award, company=award.organisation.users[0], fund_manager=people["approver"],
         amount=Decimal("3000000.00"), contracted_private_investment=Decimal("12000000.00"),
         profile=profiles.scale(award_terms.current_profile(award), Decimal("3000000.00")))
    api_tokens.create(session, name="Finance system", scopes=["profiles:read", "budget:read", "variations:read"],
                      by=people["finance"])
    session.commit()

    page, checker = open_journey("terms-reporting")
    sign_in(page, people["finance"].email, DEMO_PASSWORD)
    page.goto("/reports/leverage")
    expect_h1(page, "Leverage report")
    expect(page.locator("#as-varied")).to_contain_text("This award has been varied")
    expect(page.locator("#total-grant")).to_contain_text("£3,000,000.00")
    expect(page.locator("#total-grant")).to_contain_text("£4,000,000.00")
    expect(page.locator("#by-year tbody")).to_contain_text("first offered £4,000,000.00")
    checker.check("leverage-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    checker.check("leverage-390")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/reports/implementation-update")
    expect_h1(page, "Annual implementation update")
    expect(page.locator("main")).to_contain_text("beside those as first offered")
    checker.check("implementation-update-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    checker.check("implementation-update-390")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/api-tokens/")
    expect(page.locator("tbody")).to_contain_text("Grant profiles by quarter and financial year")
    expect(page.locator("tbody")).to_contain_text("budget:read")
    checker.check("tokens-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    checker.check("tokens-390")
    checker.assert_clean()
