"""Registration, sign-in, rate limiting, password reset, invitations, roles and signatories."""

from datetime import timedelta

import sqlalchemy as sa

from portfolio.models import AuditEvent, Invitation, Organisation, Region, Role, User
from portfolio.models.base import utcnow
from tests.helpers import DEMO_PASSWORD, link_in, path_of, register, sent_emails
from portfolio.models import PasswordReset
from tests.helpers import PageClient

REGISTRATION = {
    "organisation_name": "Pennine Cell Therapies Ltd",
    "company_number": "12345678",
    "postcode": "ls1 4ap",
    "region": Region.YORKSHIRE.value,
    "name": "Priya Shah",
    "email": "Priya.Shah@Pennine.example",
    "password": "a-long-unusual-passphrase",
    "confirm_password": "a-long-unusual-passphrase",
}


def actions(session) -> list[str]:
    session.expire_all()
    return list(session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def test_company_registers_confirms_its_address_and_is_signed_in(app, client, session, run_jobs):
    page = register(client, REGISTRATION, run_jobs)
    assert page.status == 302 and page.location == "/home"
    # A signatory sets up a second factor before anything else.
    assert client.get("/home").location == "/account/authenticator?next=/home"
    client.set_up_authenticator("/account/authenticator?next=/home")
    home = client.get("/home")
    assert "Pennine Cell Therapies Ltd" in home.text
    organisation = session.scalar(sa.select(Organisation))
    assert (organisation.company_number, organisation.postcode, organisation.region) == (
        "12345678", "LS1 4AP", Region.YORKSHIRE)
    user = organisation.users[0]
    assert user.email == "priya.shah@pennine.example"
    assert user.role is Role.APPLICANT and user.is_signatory
    assert user.password_hash.startswith("scrypt:") and DEMO_PASSWORD not in user.password_hash
    assert actions(session) == ["registration.requested", "registration.confirmed", "organisation.registered",
                                "user.registered", "two_factor.app_enrolled", "two_factor.recovery_codes_created"]


def test_company_number_forms_are_normalised(client, session, run_jobs):
    register(client, {**REGISTRATION, "company_number": "sc 123456"}, run_jobs)
    assert session.scalar(sa.select(Organisation.company_number)) == "SC123456"


def test_a_company_cannot_register_twice(app, client, session, run_jobs):
    register(client, REGISTRATION, run_jobs)
    client.sign_out()
    page = client.submit("/register", {**REGISTRATION, "email": "someone.else@pennine.example"})
    assert page.status == 200 and page.h1 == "Check your email"  # the same answer as for a new company
    run_jobs()
    [email] = [email for email in sent_emails(app) if email["To"] == "someone.else@pennine.example"]
    assert "already registered" in email.get_payload(decode=True).decode()
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_sign_in_and_out(client, make, session):
    user = make.user(Role.FUND_MANAGER, email="farah@ols.example")
    session.commit()
    page = client.sign_in("FARAH@ols.example ")
    assert page.status == 302
    assert client.get("/home").status == 200
    client.sign_out()
    assert client.get("/home").status == 302
    assert actions(session) == ["user.login", "two_factor.used", "user.logout"]
    session.refresh(user)
    assert user.last_login_at is not None


def test_wrong_password_is_refused_and_audited(client, make, session):
    user = make.user(Role.FINANCE)
    session.commit()
    page = client.submit("/sign-in", {"email": user.email, "password": "not-the-password"})
    assert page.status == 400
    assert page.field_error("email") == "Enter a correct email address and password"
    page = client.submit("/sign-in", {"email": "nobody@nowhere.example", "password": "whatever-it-is"})
    assert page.status == 400
    assert actions(session) == ["user.login_failed", "user.login_failed"]
    assert client.get("/home").status == 302


def test_repeated_failed_sign_ins_are_rate_limited(app, client, make, session):
    user = make.user(Role.FINANCE)
    session.commit()
    limit = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    for _ in range(limit):
        assert client.submit("/sign-in", {"email": user.email, "password": "wrong-password!"}).status == 400
    page = client.submit("/sign-in", {"email": user.email, "password": DEMO_PASSWORD})
    assert page.status == 429
    assert "Too many attempts" in page.text
    assert client.get("/home").status == 302  # even the right password is not let in now


def test_an_app_made_without_rate_limits_leaves_them_on_for_the_next(app_config, make_app, make, session):
    """The one limiter serves every app a process makes: switching limits off for one (as a test may)
    must not switch them off for the app made after it."""
    make_app(RATELIMIT_ENABLED=False)
    guarded = make_app()
    user = make.user(Role.FINANCE)
    session.commit()
    client = PageClient(guarded)
    limit = int(guarded.config["LOGIN_RATE_LIMIT"].split()[0])
    statuses = [client.submit("/sign-in", {"email": user.email, "password": "wrong-password!"}).status
                for _ in range(limit + 1)]
    assert statuses == [400] * limit + [429]


def test_deactivated_user_cannot_sign_in(client, make, session):
    user = make.user(Role.ASSESSOR, is_active=False)
    session.commit()
    assert client.submit("/sign-in", {"email": user.email, "password": DEMO_PASSWORD}).status == 400


def test_sign_in_only_redirects_within_the_site(client, make, session):
    user = make.user(Role.ADMIN)
    session.commit()
    page = client.sign_in(user.email, next="https://evil.example/")
    assert page.location == "/home"
    client.sign_out()
    page = client.sign_in(user.email, next="/admin/users")
    assert page.location == "/admin/users"


def test_password_reset_by_emailed_token(app, client, make, session, run_jobs):
    user = make.user(Role.ASSESSOR)
    session.commit()
    page = client.submit("/reset-password", {"email": user.email})
    assert page.status == 200 and "Check your email" in page.text
    run_jobs()
    [email] = sent_emails(app)
    assert email["To"] == user.email
    reset_path = path_of(link_in(email, "/reset-password/"))
    page = client.submit(reset_path, {"password": "brand-new-passphrase", "confirm_password": "brand-new-passphrase"})
    assert page.status == 302 and page.location == "/sign-in"
    assert client.submit("/sign-in", {"email": user.email, "password": DEMO_PASSWORD}).status == 400
    client.sign_in(user.email, "brand-new-passphrase")
    # The link works once.
    assert client.get(reset_path).status == 404
    assert "password_reset.requested" in actions(session)
    assert "password_reset.completed" in actions(session)


def test_reset_for_unknown_email_looks_the_same_and_sends_nothing(app, client, run_jobs):
    page = client.submit("/reset-password", {"email": "nobody@nowhere.example"})
    assert page.status == 200 and "Check your email" in page.text
    run_jobs()
    assert sent_emails(app) == []


def test_expired_reset_link_is_refused(app, client, make, session, run_jobs):
    user = make.user(Role.ASSESSOR)
    session.commit()
    client.submit("/reset-password", {"email": user.email})
    run_jobs()
    reset_path = path_of(link_in(sent_emails(app)[0], "/reset-password/"))
    session.expire_all()
    session.scalar(sa.select(PasswordReset)).expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    page = client.get(reset_path)
    assert page.status == 404 and "expired" in page.text


def test_reset_signs_out_other_sessions(app, client, make, session, run_jobs):
    user = make.user(Role.FINANCE)
    session.commit()
    elsewhere = PageClient(app)
    elsewhere.sign_in(user.email)
    client.submit("/reset-password", {"email": user.email})
    run_jobs()
    reset_path = path_of(link_in(sent_emails(app)[0], "/reset-password/"))
    client.submit(reset_path, {"password": "brand-new-passphrase", "confirm_password": "brand-new-passphrase"})
    assert elsewhere.get("/home").status == 302


def test_admin_invites_staff_who_join_once(app, client, make, session, run_jobs):
    admin = make.user(Role.ADMIN)
    session.commit()
    client.sign_in(admin.email)
    page = client.submit("/admin/users/invite", {"email": "new.assessor@ols.example", "role": "assessor"})
    assert page.status == 302
    run_jobs()
    [email] = sent_emails(app)
    invitation_path = path_of(link_in(email, "/invitations/"))
    client.sign_out()

    page = client.get(invitation_path)
    assert "as assessor" in page.text
    page = client.submit(invitation_path, {"name": "Asha New", "password": "assessing-is-fun-2026",
                                           "confirm_password": "assessing-is-fun-2026"})
    assert page.status == 302
    session.expire_all()
    joined = session.scalar(sa.select(User).where(User.email == "new.assessor@ols.example"))
    assert joined.role is Role.ASSESSOR and joined.organisation_id is None
    client.sign_out()
    assert client.get(invitation_path).status == 404  # single use
    assert "invitation.created" in actions(session) and "invitation.accepted" in actions(session)


def test_expired_invitation_is_refused(app, client, make, session, run_jobs):
    admin = make.user(Role.ADMIN)
    session.commit()
    client.sign_in(admin.email)
    client.submit("/admin/users/invite", {"email": "late@ols.example", "role": "finance"})
    run_jobs()
    path = path_of(link_in(sent_emails(app)[0], "/invitations/"))
    session.expire_all()
    session.scalar(sa.select(Invitation)).expires_at = utcnow() - timedelta(minutes=1)
    session.commit()
    client.sign_out()
    page = client.submit(path, {"name": "Late", "password": "a-long-unusual-passphrase",
                                "confirm_password": "a-long-unusual-passphrase"}, form_url="/sign-in")
    assert page.status == 404
    session.expire_all()
    assert session.scalar(sa.select(User).where(User.email == "late@ols.example")) is None


def test_company_user_invites_a_colleague_signatory(app, client, make, session, run_jobs):
    applicant = make.user(Role.APPLICANT)
    session.commit()
    client.sign_in(applicant.email)
    organisation_id = applicant.organisation_id
    page = client.submit(f"/organisations/{organisation_id}/invite",
                         {"email": "colleague@company.example", "is_signatory": "y"})
    assert page.status == 302
    run_jobs()
    path = path_of(link_in(sent_emails(app)[0], "/invitations/"))
    client.sign_out()
    client.submit(path, {"name": "Col League", "password": "another-long-passphrase",
                         "confirm_password": "another-long-passphrase"})
    session.expire_all()
    colleague = session.scalar(sa.select(User).where(User.email == "colleague@company.example"))
    assert colleague.organisation_id == organisation_id
    assert colleague.role is Role.APPLICANT and colleague.is_signatory


def test_signatories_mark_and_unmark_colleagues(client, make, session):
    signatory = make.user(Role.APPLICANT)
    colleague = make.user(Role.APPLICANT, organisation=signatory.organisation, is_signatory=False)
    session.commit()
    client.sign_in(signatory.email)
    url = f"/organisations/{signatory.organisation_id}/members/{colleague.id}/signatory"
    form_url = f"/organisations/{signatory.organisation_id}"
    assert client.submit(url, form_url=form_url).status == 302
    session.refresh(colleague)
    assert colleague.is_signatory
    assert client.submit(url, form_url=form_url).status == 302
    session.refresh(colleague)
    assert not colleague.is_signatory
    assert actions(session).count("user.signatory_changed") == 2


def test_the_last_signatory_cannot_be_removed(client, make, session):
    signatory = make.user(Role.APPLICANT)
    session.commit()
    client.sign_in(signatory.email)
    url = f"/organisations/{signatory.organisation_id}/members/{signatory.id}/signatory"
    page = client.submit(url, form_url=f"/organisations/{signatory.organisation_id}", follow=True)
    assert "at least one signatory" in page.text
    session.refresh(signatory)
    assert signatory.is_signatory


def test_a_non_signatory_cannot_change_signatories(client, make, session):
    signatory = make.user(Role.APPLICANT)
    other = make.user(Role.APPLICANT, organisation=signatory.organisation, is_signatory=False)
    session.commit()
    client.sign_in(other.email)
    url = f"/organisations/{signatory.organisation_id}/members/{signatory.id}/signatory"
    assert client.submit(url, form_url=f"/organisations/{signatory.organisation_id}").status == 403
    session.refresh(signatory)
    assert signatory.is_signatory


def test_admin_changes_a_staff_role_and_it_is_audited(client, make, session):
    admin = make.user(Role.ADMIN)
    assessor = make.user(Role.ASSESSOR)
    session.commit()
    client.sign_in(admin.email)
    page = client.submit(f"/admin/users/{assessor.id}/role", {"role": "fund_manager"})
    assert page.status == 302
    session.refresh(assessor)
    assert assessor.role is Role.FUND_MANAGER
    event = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.role_changed"))
    assert (event.before, event.after, event.actor_id) == ({"role": "assessor"}, {"role": "fund_manager"}, admin.id)


def test_admin_cannot_change_own_role_or_a_company_users(client, make, session):
    admin = make.user(Role.ADMIN)
    applicant = make.user(Role.APPLICANT)
    session.commit()
    client.sign_in(admin.email)
    page = client.submit(f"/admin/users/{admin.id}/role", {"role": "finance"})
    assert page.status == 400 and page.field_error("role") == "You cannot change your own role"
    assert client.get(f"/admin/users/{applicant.id}/role").status == 404
    session.refresh(admin)
    assert admin.role is Role.ADMIN


def test_admin_deactivates_staff_who_are_signed_out_at_once(app, client, make, session):
    admin = make.user(Role.ADMIN)
    leaver = make.user(Role.FINANCE)
    session.commit()
    leaver_browser = PageClient(app)
    leaver_browser.sign_in(leaver.email)
    client.sign_in(admin.email)
    assert client.submit(f"/admin/users/{leaver.id}/active", form_url="/admin/users").status == 302
    assert leaver_browser.get("/home").status == 302  # the open session no longer works
    assert leaver_browser.submit("/sign-in", {"email": leaver.email, "password": DEMO_PASSWORD}).status == 400
    assert "Deactivated" in client.get("/admin/users").text
    client.submit(f"/admin/users/{leaver.id}/active", form_url="/admin/users")
    leaver_browser.sign_in(leaver.email)
    assert actions(session)[-5:] == ["user.deactivated", "user.login_failed", "user.reactivated", "user.login",
                                     "two_factor.used"]
    # An admin cannot lock themselves out.
    page = client.submit(f"/admin/users/{admin.id}/active", form_url="/admin/users", follow=True)
    assert "cannot deactivate your own account" in page.text
