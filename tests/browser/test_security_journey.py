"""Two-factor sign-in in a real browser (issue 14): a fund manager sets up an authenticator app (the
test reads the key the page shows and computes the codes with pyotp), signs out and in with a code,
uses a recovery code once (a second use fails), adds a passkey with Chromium's virtual authenticator
and signs in with it, and is asked again before approving an award. Every page is checked by
axe-core and screenshotted as security-NN-name.png (the new pages also at 390 px wide, -390.png).

WebAuthn refuses an IP address as the relying party, so this journey uses the live server as
http://localhost:<port> (the relying party id then comes from the request's host: localhost)."""

import re

import pyotp
import pytest
from playwright.sync_api import expect

from portfolio.models import Role
from tests.browser.conftest import SCREENSHOTS
from tests.browser.steps import expect_h1, expect_success, sign_out
from tests.builders import Builders
from tests.helpers import DEMO_PASSWORD


def narrow(page, checker, name: str) -> None:
    """Also look at the page as a phone shows it (390 px wide)."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SCREENSHOTS / f"{checker.prefix}-{checker.count:02d}-{name}-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def password_step(page, base: str, email: str) -> None:
    page.goto(f"{base}/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def enter_code(page, code: str) -> None:
    expect_h1(page, "Check it's you")
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Continue").click()


@pytest.mark.browser
def test_authenticator_app_recovery_codes_passkey_and_asked_again(app, session, live_server, open_journey):
    make = Builders(session)
    fund = make.fund()
    make.open_round(fund)
    recommender = make.user(Role.FUND_MANAGER, name="Farah Manager")
    approver = make.user(Role.FUND_MANAGER, name="Dev Decider", totp_secret=None)  # no second factor yet
    application = make.recommended_application(fund, recommender=recommender,
                                               assessor=make.user(Role.ASSESSOR, name="Ada Assessor"))
    company = application.organisation.name
    session.commit()
    base = live_server.replace("127.0.0.1", "localhost")
    page, checker = open_journey("security")

    # 1. The password is right, but a fund manager must set up a second factor before anything else.
    password_step(page, base, approver.email)
    expect_h1(page, "Set up an authenticator app")
    expect(page.locator(".app-qr svg")).to_be_visible()
    checker.check("set-up-app")
    narrow(page, checker, "set-up-app")
    page.goto(f"{base}/decisions/")
    expect_h1(page, "Set up an authenticator app")  # every page sends them here
    secret = page.locator("#secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    page.get_by_label("Enter the 6-digit code the app shows").fill("000000")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("The code is not correct")
    checker.check("set-up-app-wrong-code")
    page.get_by_label("Enter the 6-digit code the app shows").fill(totp.now())
    page.get_by_role("button", name="Continue").click()
    expect_h1(page, "Save your recovery codes")
    checker.check("recovery-codes")
    narrow(page, checker, "recovery-codes")
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("button", name="I have saved my recovery codes").click()
    expect_h1(page, "Decisions and budget")  # back where they were going
    sign_out(page)

    # 2. Signing in now takes the code the app shows.
    password_step(page, base, approver.email)
    expect_h1(page, "Check it's you")
    checker.check("second-factor")
    narrow(page, checker, "second-factor")
    enter_code(page, "123456" if totp.now() != "123456" else "654321")
    expect(page.locator(".govuk-error-summary")).to_contain_text("The code is not correct or has expired")
    checker.check("second-factor-wrong-code")
    enter_code(page, totp.now())
    expect(page).to_have_url(re.compile(r"/home$"))
    sign_out(page)

    # 3. A recovery code works once.
    password_step(page, base, approver.email)
    enter_code(page, codes[0])
    expect(page).to_have_url(re.compile(r"/home$"))
    sign_out(page)
    password_step(page, base, approver.email)
    enter_code(page, codes[0])
    expect(page.locator(".govuk-error-summary")).to_contain_text("The code is not correct")
    enter_code(page, totp.now())
    expect(page).to_have_url(re.compile(r"/home$"))

    # 4. A passkey, added on the Sign-in and security page with Chromium's virtual authenticator.
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True}})
    page.get_by_role("link", name="Sign-in and security").click()
    expect_h1(page, "Sign-in and security")
    checker.check("account")
    narrow(page, checker, "account")
    page.get_by_label("Name of the passkey").fill("Work laptop")
    page.get_by_role("button", name="Add a passkey").click()
    expect_success(page, "Passkey “Work laptop” added")
    expect(page.locator("table")).to_contain_text("Work laptop")
    checker.check("passkey-added")
    narrow(page, checker, "passkey-added")

    # Where they are signed in: this browser, and a way to sign the others out.
    page.get_by_role("link", name="See your sessions and sign out of the others").click()
    expect_h1(page, "Your sessions")
    expect(page.locator(".govuk-summary-card__title").first).to_have_text("This browser")
    checker.check("sessions")
    narrow(page, checker, "sessions")
    sign_out(page)

    password_step(page, base, approver.email)
    expect_h1(page, "Check it's you")
    expect(page.get_by_role("button", name="Use a passkey")).to_be_visible()
    checker.check("second-factor-with-passkey")
    page.get_by_role("button", name="Use a passkey").click()
    expect(page).to_have_url(re.compile(r"/home$"))

    # 5. Approving an award asks for the second factor again once the last one is too old (here: at once).
    page.goto(f"{base}/decisions/applications/{application.id}")
    expect_h1(page, "Decision")
    app.config["REAUTH_MINUTES"] = 0
    page.get_by_role("button", name="Approve").click()
    expect_h1(page, "Confirm it's you")
    checker.check("confirm")
    narrow(page, checker, "confirm")
    app.config["REAUTH_MINUTES"] = 10
    page.get_by_label("Code").fill(totp.now())
    page.get_by_role("button", name="Continue").click()
    expect_h1(page, "Approve the award")
    page.get_by_label("Grant awarded").fill("4,000,000")
    page.get_by_role("button", name="Approve").click()
    expect_success(page, f"Approved: {company} is awarded £4,000,000.00")
    checker.check("approved")

    checker.assert_clean()
