"""Two-factor sign-in (issue 14): an authenticator app with recovery codes, passkeys, who must have
one, an administrator's reset, and the second factor asked again before sensitive actions."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pyotp
import pytest
import sqlalchemy as sa

from portfolio.extensions import db
from portfolio.models import AuditEvent, Decision, Payment, RecoveryCode, Role, User, UserSession
from portfolio.models.base import utcnow
from portfolio.services import claims, sessions
from portfolio.services.passwords import token_hash
from tests.builders import accepted_award, forecast_with
from tests.helpers import DEMO_PASSWORD, TOTP_SECRET, PageClient, current_code, link_in, path_of, sent_emails
from portfolio.seed import DEMO_PASSWORD as SEED_PASSWORD
from portfolio.seed import DEMO_TOTP_SECRET

YESTERDAY = date.today() - timedelta(days=1)
DAY = [str(YESTERDAY.day), str(YESTERDAY.month), str(YESTERDAY.year)]


def actions(session) -> list[str]:
    session.expire_all()
    return list(session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def password_only(client: PageClient, email: str):
    """What someone who has only the password gets: the password step, and no further."""
    page = client.submit("/sign-in", {"email": email, "password": DEMO_PASSWORD})
    assert page.status == 302 and page.location == "/sign-in/second-factor"
    return page


def make_stale(client: PageClient, minutes: int = 11) -> None:
    """The second factor was last given `minutes` ago (in the browser's server-side session)."""
    with client.app.app_context():
        with client.http.session_transaction() as cookie_session:
            key = cookie_session[sessions.SESSION_KEY]
        row = db.session.scalar(sa.select(UserSession).where(UserSession.key_hash == token_hash(key)))
        row.second_factor_at = utcnow() - timedelta(minutes=minutes)
        db.session.commit()


@pytest.fixture
def approved_claim(session, make, fund, people):
    """A claim finance approved: £225,000 to pay."""
    award = accepted_award(session, make, fund, people, start=date.today() - timedelta(days=120),
                           completion=date.today() + timedelta(days=600))
    company = award.organisation.users[0]
    claim = claims.start(session, award=award, by=company, period_start=YESTERDAY - timedelta(days=30),
                         period_end=YESTERDAY)
    item = claims.add_item(session, claim=claim, by=company, description="Isolator", invoice_reference="INV-1",
                           defrayed_on=YESTERDAY, amount=Decimal("1000000.00"))
    forecast_with(session, claim, company)
    claims.submit(session, claim=claim, by=company)
    claims.review(session, claim=claim, by=people["finance"], approved={item.id: Decimal("1000000.00")}, reason=None)
    session.commit()
    return claim


def payments(session) -> int:
    session.expire_all()
    return session.scalar(sa.select(sa.func.count()).select_from(Payment))


# --- the "Done when" ----------------------------------------------------------------------

def test_a_stolen_password_alone_cannot_record_a_payment(client, session, people, approved_claim):
    """Found: "Staff approve multi-million-pound awards and record payments with a password alone." """
    password_only(client, people["finance"].email)
    claim_url = f"/claims/{approved_claim.id}"
    assert client.get(claim_url).location.startswith("/sign-in")  # not signed in
    page = client.post(f"{claim_url}/payment", {"amount": "225,000", "paid_on": DAY, "reference": "BACS-1",
                                                "csrf_token": client.csrf_token("/sign-in")})
    assert page.status == 302 and page.location.startswith("/sign-in")
    wrong = client.submit("/sign-in/second-factor", {"code": "000000"})
    assert wrong.status == 400
    assert client.get(claim_url).location.startswith("/sign-in")
    assert payments(session) == 0


def test_a_stolen_password_alone_cannot_approve_an_award(client, session, make, fund, people):
    """Found: "Staff approve multi-million-pound awards and record payments with a password alone." """
    application = make.recommended_application(fund, recommender=people["recommender"], assessor=people["assessor"])
    password_only(client, people["approver"].email)
    url = f"/decisions/applications/{application.id}/approve"
    assert client.get(url).location.startswith("/sign-in")
    page = client.post(url, {"amount": "4,000,000", "csrf_token": client.csrf_token("/sign-in")})
    assert page.status == 302 and page.location.startswith("/sign-in")
    session.expire_all()
    decision = session.scalar(sa.select(Decision).where(Decision.application_id == application.id))
    assert decision.first_approved_at is None and decision.decided_at is None


def test_the_password_step_signs_nobody_in_and_the_code_does(client, session, people):
    password_only(client, people["fm"].email)
    assert client.get("/home").location.startswith("/sign-in")
    page = client.get("/sign-in/second-factor")
    assert page.status == 200 and page.h1 == "Check it's you"
    done = client.submit("/sign-in/second-factor", {"code": current_code(client.app, people["fm"].email)})
    assert done.status == 302 and done.location == "/home"
    assert client.get("/home").status == 200
    assert actions(session)[-2:] == ["user.login", "two_factor.used"]


def test_the_second_factor_step_needs_the_password_step_first(client):
    page = client.get("/sign-in/second-factor")
    assert page.status == 302 and page.location == "/sign-in"


# --- codes --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("code", ["000000", "12345", "not a code", "aaaa-bbbb-cccc-dddd"])
def test_wrong_codes_are_refused_with_a_clear_message(client, session, people, code):
    password_only(client, people["admin"].email)
    page = client.submit("/sign-in/second-factor", {"code": code})
    assert page.status == 400
    assert page.field_error("code") == ("The code is not correct or has expired. Enter the current 6-digit code "
                                        "from your authenticator app, or one of your recovery codes")
    assert page.error_summary() == [page.field_error("code")]
    assert client.get("/home").location.startswith("/sign-in")
    assert actions(session)[-1] == "two_factor.failed"


def test_a_blank_code_says_what_to_enter(client, people):
    password_only(client, people["admin"].email)
    page = client.submit("/sign-in/second-factor", {"code": "  "})
    assert page.status == 400
    assert page.field_error("code") == "Enter the code from your authenticator app, or a recovery code"


def test_the_second_factor_step_is_rate_limited_like_the_password(app, client, people):
    password_only(client, people["finance"].email)
    limit = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    statuses = []
    # Wrong codes until refused. At most twice the limit: the limits count in fixed windows (a
    # minute per person, five per address), so on a slow machine a window can end part-way and its
    # count start again; otherwise the refusal comes right after `limit` wrong codes.
    while 429 not in statuses and len(statuses) < 2 * limit + 1:
        statuses.append(client.submit("/sign-in/second-factor", {"code": "000000"}).status)
    assert statuses[-1] == 429 and set(statuses[:-1]) == {400} and len(statuses) > limit
    page = client.submit("/sign-in/second-factor", {"code": current_code(app, people["finance"].email)})
    assert page.status == 429
    assert client.get("/home").location.startswith("/sign-in")


def test_a_recovery_code_works_once(client, session, make):
    user = make.user(Role.FINANCE, totp_secret=None)
    session.commit()
    client.sign_in(user.email)
    _, page = client.set_up_authenticator()
    codes = [li.get_text(strip=True) for li in page.html.select("#recovery-codes li")]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{4}(-[a-z2-9]{4}){3}", code) for code in codes)
    # Only hashes are kept.
    stored = session.scalars(sa.select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not {code.replace("-", "") for code in codes} & set(stored)
    client.sign_out()

    password_only(client, user.email)
    page = client.submit("/sign-in/second-factor", {"code": codes[3].upper()})
    assert page.status == 302 and client.get("/home").status == 200
    assert actions(session)[-1] == "two_factor.used"
    used = session.scalar(sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
    assert used.after == {"method": "recovery code", "purpose": "sign-in", "recovery_codes_left": 9}
    client.sign_out()

    password_only(client, user.email)
    again = client.submit("/sign-in/second-factor", {"code": codes[3]})
    assert again.status == 400 and "not correct" in again.field_error("code")
    assert client.submit("/sign-in/second-factor", {"code": codes[4]}).status == 302


def test_another_persons_recovery_code_does_not_work(client, session, make):
    owner, other = make.user(Role.FINANCE, totp_secret=None), make.user(Role.FINANCE)
    session.commit()
    client.sign_in(owner.email)
    _, page = client.set_up_authenticator()
    code = page.html.select_one("#recovery-codes li").get_text(strip=True)
    client.sign_out()
    password_only(client, other.email)
    assert client.submit("/sign-in/second-factor", {"code": code}).status == 400


# --- who must have a second factor ------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.ADMIN, Role.FUND_MANAGER, Role.ASSESSOR, Role.FINANCE, Role.ACCOUNT_MANAGER])
def test_an_unenrolled_member_of_staff_is_sent_to_set_one_up_from_every_page(client, session, make, role):
    user = make.user(role, totp_secret=None)
    session.commit()
    page = client.sign_in(user.email)
    assert page.location == "/account/authenticator?next=/home"
    for url in ["/home", "/awards/", "/applications/", "/admin/users", "/claims/", "/account", "/organisations/",
                "/decisions/", "/api-tokens/new"]:
        page = client.get(url)
        assert page.status == 302, url
        assert page.location == f"/account/authenticator?next={url}", url
    page = client.get("/account/authenticator?next=/home")
    assert page.status == 200 and "Skip for now" not in page.text
    assert "You must sign in with a second factor" in page.text
    client.set_up_authenticator("/account/authenticator?next=/home")
    assert client.get("/home").status == 200


def test_a_company_signatory_must_set_one_up(client, session, make):
    signatory = make.user(Role.APPLICANT, is_signatory=True, totp_secret=None)
    session.commit()
    client.sign_in(signatory.email)
    assert client.get("/home").location == "/account/authenticator?next=/home"
    assert "Skip for now" not in client.get("/account/authenticator").text


def test_a_company_user_who_is_not_a_signatory_is_offered_it_and_can_skip(client, session, make):
    signatory = make.user(Role.APPLICANT)
    colleague = make.user(Role.APPLICANT, organisation=signatory.organisation, is_signatory=False, totp_secret=None)
    session.commit()
    page = client.sign_in(colleague.email)
    assert page.location == "/account/authenticator?next=/home"
    offer = client.get(page.location)
    skip = offer.html.find("a", string="Skip for now")
    assert offer.status == 200 and skip["href"] == "/home"
    assert client.get("/home").status == 200
    assert client.get(f"/organisations/{signatory.organisation_id}").status == 200


def test_setting_up_an_authenticator_app_shows_a_qr_code_and_the_key(client, session, make):
    user = make.user(Role.FUND_MANAGER, totp_secret=None)
    session.commit()
    client.sign_in(user.email)
    page = client.get("/account/authenticator")
    svg = page.html.select_one(".app-qr svg")
    assert svg is not None and svg["role"] == "img"  # inline SVG: nothing for the CSP to block
    assert "script" not in str(svg)
    secret = page.html.find(id="secret").get_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert client.get("/account/authenticator").html.find(id="secret").get_text().replace(" ", "") == secret
    wrong = client.submit("/account/authenticator", {"code": "123456"})
    assert wrong.status == 400 and "The code is not correct" in wrong.field_error("code")
    session.refresh(user)
    assert user.totp_secret is None
    done = client.submit("/account/authenticator", {"code": pyotp.TOTP(secret).now()})
    assert done.status == 200 and done.h1 == "Save your recovery codes"
    session.refresh(user)
    assert user.totp_secret == secret and user.totp_enrolled_at is not None
    assert actions(session)[-2:] == ["two_factor.app_enrolled", "two_factor.recovery_codes_created"]


def test_the_sign_in_and_security_page_is_linked_from_every_page(client, session, people):
    client.sign_in(people["company"].email)
    home = client.get("/home")
    link = home.html.find("a", string="Sign-in and security")
    assert link is not None and link["href"] == "/account"
    page = client.get("/account")
    assert page.status == 200 and page.h1 == "Sign-in and security"
    assert "10 unused recovery codes" not in page.text  # builders' users have no codes
    assert "Add a passkey" in page.text


def test_new_recovery_codes_replace_the_old_ones(client, session, people):
    client.sign_in(people["am"].email)
    page = client.submit("/account/recovery-codes", form_url="/account")
    assert page.status == 200 and len(page.html.select("#recovery-codes li")) == 10
    assert "You have 10 unused recovery codes" in client.get("/account").text


# --- an administrator's reset ------------------------------------------------------------------------

def test_an_administrator_resets_a_second_factor(app, client, session, people, run_jobs):
    person = people["assessor"]
    their_browser = PageClient(app)
    their_browser.sign_in(person.email)
    client.sign_in(people["admin"].email)
    users = client.get("/admin/users")
    assert users.html.find("a", href=f"/admin/users/{person.id}/second-factor") is not None
    page = client.get(f"/admin/users/{person.id}/second-factor")
    assert page.status == 200 and page.h1 == f"Reset {person.name}'s second factor"
    done = client.submit(f"/admin/users/{person.id}/second-factor", follow=True)
    assert "second factor is reset" in done.text

    event = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "two_factor.reset"))
    assert event.actor_id == people["admin"].id and event.entity_id == str(person.id)
    assert event.before["app"] is True and event.after == {"app": False, "passkeys": 0, "recovery_codes_left": 0}
    run_jobs()
    [email] = [message for message in sent_emails(app) if message["To"] == person.email]
    assert email["Subject"] == "Your Portfolio second factor was reset"
    assert people["admin"].name in email.get_payload(decode=True).decode()
    assert path_of(link_in(email, "/sign-in")) == "/sign-in"  # the link takes them to sign in and set one up

    # Signed out at once, and must set one up again at the next sign-in.
    assert their_browser.get("/home").location.startswith("/sign-in")
    page = their_browser.sign_in(person.email)
    assert page.location == "/account/authenticator?next=/home"
    assert their_browser.get("/assessments/").location.startswith("/account/authenticator")
    their_browser.set_up_authenticator()
    assert their_browser.get("/home").status == 200


def test_an_administrator_cannot_reset_their_own_second_factor(client, session, people):
    admin = people["admin"]
    client.sign_in(admin.email)
    page = client.submit(f"/admin/users/{admin.id}/second-factor")
    assert page.status == 400 and "cannot reset your own second factor" in page.text
    session.refresh(admin)
    assert admin.totp_secret == TOTP_SECRET


def test_only_administrators_reset_second_factors(client, people):
    client.sign_in(people["fm"].email)
    assert client.get(f"/admin/users/{people['finance'].id}/second-factor").status == 403


# --- asked again before sensitive actions --------------------------------------------------------------

def post_after_the_window(client: PageClient, form_url: str, action_url: str, data: dict):
    """Open the page with the form, leave it longer than the window, then send the form."""
    token = client.csrf_token(form_url)
    make_stale(client)
    return client.post(action_url, {**data, "csrf_token": token})


def test_a_payment_posted_after_the_window_records_nothing_and_asks_again(client, session, people, approved_claim):
    client.sign_in(people["finance"].email)
    claim_url = f"/claims/{approved_claim.id}"
    page = post_after_the_window(client, claim_url, f"{claim_url}/payment",
                                 {"amount": "225,000", "paid_on": DAY, "reference": "BACS-1"})
    assert page.status == 302 and page.location == f"/confirm?next={claim_url}"
    assert payments(session) == 0
    confirm = client.get(page.location)
    assert confirm.h1 == "Confirm it's you" and "Nothing has been saved yet" in confirm.text
    wrong = client.submit(page.location, {"code": "000000"})
    assert wrong.status == 400 and payments(session) == 0
    back = client.submit(page.location, {"code": current_code(client.app, people["finance"].email)})
    assert back.status == 302 and back.location == claim_url
    client.submit(f"{claim_url}/payment", {"amount": "225,000", "paid_on": DAY, "reference": "BACS-1"},
                  form_url=claim_url)
    assert payments(session) == 1
    assert [a for a in actions(session) if a.startswith("two_factor")][-2:] == ["two_factor.failed",
                                                                                 "two_factor.used"]


def test_approving_an_award_asks_again_after_the_window(app, client, session, make, fund, people):
    application = make.recommended_application(fund, recommender=people["recommender"], assessor=people["assessor"])
    client.sign_in(people["approver"].email)
    url = f"/decisions/applications/{application.id}/approve"
    assert client.get(url).status == 200  # just signed in: no need
    make_stale(client, minutes=app.config["REAUTH_MINUTES"] + 1)
    page = client.get(url)
    assert page.status == 302 and page.location == f"/confirm?next={url}"
    make_stale(client, minutes=app.config["REAUTH_MINUTES"] - 1)
    assert client.get(url).status == 200


@pytest.mark.parametrize(("who", "url"), [
    ("admin", "/admin/users/{finance}/role"),
    ("finance", "/api-tokens/new"),
    ("admin", "/admin/funds/{fund}/budget"),
    ("admin", "/admin/funds/{fund}/rules"),
    ("admin", "/admin/funds/{fund}/rounds/new"),
    ("admin", "/admin/funds/subsidy-thresholds/new"),
    ("finance", "/reports/additionality"),
])
def test_changing_a_role_a_token_or_a_fund_setting_asks_again(client, people, fund, who, url):
    url = url.format(finance=people["finance"].id, fund=fund.id)
    client.sign_in(people[who].email)
    assert client.get(url).status == 200
    make_stale(client)
    page = client.get(url)
    assert page.status == 302 and page.location == f"/confirm?next={url}"


def test_releasing_retention_after_the_window_does_nothing(client, session, people, approved_claim):
    client.sign_in(people["finance"].email)
    award_url = f"/awards/{approved_claim.award_id}"
    page = post_after_the_window(client, award_url, f"{award_url}/retention",
                                 {"amount": "25,000", "paid_on": DAY, "reference": "RET-1"})
    assert page.status == 302 and page.location == f"/confirm?next={award_url}"
    assert payments(session) == 0


def test_confirm_only_goes_back_within_the_site(client, people):
    client.sign_in(people["finance"].email)
    page = client.submit("/confirm?next=//evil.example/", {"code": current_code(client.app, people["finance"].email)})
    assert page.location == "/home"


# --- passkeys: what the browser journey cannot show -------------------------------------------------------

def test_a_passkey_answer_that_does_not_verify_is_refused_with_a_message(client, session, people):
    client.sign_in(people["am"].email)
    page = client.submit("/account/passkeys", {"name": "Laptop", "credential": '{"id": "abc", "rawId": "abc"}'},
                         form_url="/account")
    assert page.status == 400 and page.error_summary() == ["The passkey was not added. Try again"]  # no challenge
    assert client.get("/account/passkeys/options").status == 200
    page = client.submit("/account/passkeys", {"name": "Laptop", "credential": '{"id": "abc", "rawId": "abc"}'},
                         form_url="/account")
    assert page.status == 400 and page.error_summary() == ["The passkey could not be added. Try again"]
    assert client.get("/account/passkeys/options").status == 200
    page = client.submit("/account/passkeys", {"name": "Laptop", "credential": "not json"}, form_url="/account")
    assert page.status == 400
    page = client.submit("/account/passkeys", {"name": "", "credential": ""}, form_url="/account")
    assert page.status == 400 and page.field_error("name") == "Enter a name for the passkey, like the device it is on"


def test_passkey_options_for_someone_with_none_are_404(client, people):
    password_only(client, people["am"].email)
    assert client.get("/sign-in/passkey-options").status == 404
    page = client.submit("/sign-in/second-factor", {"passkey-credential": "{}", "passkey-submit": "Use a passkey"},
                         form_url="/sign-in/second-factor")
    assert page.status == 400


def test_registration_options_name_the_site_and_the_person(client, people):
    client.sign_in(people["am"].email)
    response = client.get("/account/passkeys/options").response
    options = response.get_json()
    assert options["rp"]["id"] == "localhost" and options["user"]["name"] == people["am"].email
    assert options["challenge"]


# --- the demo ---------------------------------------------------------------------------------------------

def test_two_factor_code_prints_the_current_code(app, session, make):
    user = make.user(Role.FINANCE)
    session.commit()
    result = app.test_cli_runner().invoke(args=["two-factor", "code", user.email])
    assert result.exit_code == 0
    assert pyotp.TOTP(TOTP_SECRET).verify(result.output.strip(), valid_window=1)
    unknown = app.test_cli_runner().invoke(args=["two-factor", "code", "nobody@example.com"])
    assert unknown.exit_code == 1 and "no account" in unknown.output


def test_two_factor_code_refuses_production(make_app, session, make):
    user = make.user(Role.FINANCE)
    session.commit()
    production = make_app(PORTFOLIO_ENV="production")
    with production.app_context():
        result = production.test_cli_runner().invoke(args=["two-factor", "code", user.email])
    assert result.exit_code == 1
    assert "refuses to run with PORTFOLIO_ENV=production" in result.output
    assert not re.search(r"\b\d{6}\b", result.output)


def test_seed_demo_gives_every_account_an_authenticator_app(app, session, client):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0 and "two-factor code" in result.output
    demo = session.scalars(sa.select(User).where(User.email.like("%.example"))).all()
    assert demo and all(user.totp_secret == DEMO_TOTP_SECRET for user in demo)
    client.sign_in("finance@portfolio.example", SEED_PASSWORD)
    assert client.get("/home").status == 200


# --- removing a second factor ------------------------------------------------------------------------------

def test_someone_who_must_have_a_second_factor_cannot_remove_their_last(client, session, people):
    finance = people["finance"]
    client.sign_in(finance.email)
    assert "Remove the authenticator app" not in client.get("/account").text
    page = client.submit("/account/authenticator/remove", form_url="/account", follow=True)
    assert "You must keep a second factor: add a passkey before you remove your authenticator app" in page.text
    session.refresh(finance)
    assert finance.totp_secret == TOTP_SECRET


def test_a_company_user_who_is_not_a_signatory_may_remove_theirs(client, session, make):
    signatory = make.user(Role.APPLICANT)
    colleague = make.user(Role.APPLICANT, organisation=signatory.organisation, is_signatory=False)
    session.commit()
    client.sign_in(colleague.email)
    page = client.submit("/account/authenticator/remove", form_url="/account", follow=True)
    assert "Your authenticator app is removed" in page.text
    session.refresh(colleague)
    assert colleague.totp_secret is None
    assert actions(session)[-1] == "two_factor.app_removed"
    client.sign_out()
    assert client.sign_in(colleague.email).location == "/account/authenticator?next=/home"  # offered again


def test_the_next_person_in_the_browser_does_not_inherit_a_second_factor(client, session, make, people):
    colleague = make.user(Role.APPLICANT, organisation=people["company"].organisation, is_signatory=False,
                          totp_secret=None)
    session.commit()
    client.sign_in(people["finance"].email)
    client.sign_out()
    client.sign_in(colleague.email)  # a password, and no second factor, in the same browser
    session.expire_all()
    given = session.scalars(sa.select(UserSession.second_factor_at).where(UserSession.ended_at.is_(None))).all()
    assert given == [None]
