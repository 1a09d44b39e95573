"""Every endpoint declares its roles; undeclared endpoints are refused; roles are enforced."""

import pytest
from flask import Blueprint

from portfolio.access import PUBLIC, declared_roles
from portfolio.models import Role

# The allow-list: start page, sign-in, register, password reset, static, /healthz.
PUBLIC_ALLOW_LIST = {
    "main.start",
    "auth.sign_in",
    "auth.register",
    "auth.request_password_reset",
    "auth.reset_password",
    "auth.accept_invitation",  # the invitation link itself is the credential
    "main.healthz",
    "static",
}


def test_every_endpoint_declares_roles(app):
    undeclared = [rule.endpoint for rule in app.url_map.iter_rules() if declared_roles(rule.endpoint) is None]
    assert undeclared == [], f"endpoints with no declared roles: {undeclared}"


def test_only_the_allow_list_is_public(app):
    public = {rule.endpoint for rule in app.url_map.iter_rules() if declared_roles(rule.endpoint) is PUBLIC}
    assert public <= PUBLIC_ALLOW_LIST, f"unexpected public endpoints: {public - PUBLIC_ALLOW_LIST}"


def test_an_endpoint_without_a_declaration_is_refused(make_app, make, session):
    """Forgetting the decorator denies access rather than opening a hole."""
    from tests.helpers import PageClient

    extra = Blueprint("forgotten", __name__)

    @extra.route("/forgotten")
    def forgotten():
        return "secret"

    app = make_app()
    app.register_blueprint(extra)
    with app.app_context():
        from portfolio.extensions import db

        admin = make.user(Role.ADMIN)
        db.session.commit()
        client = PageClient(app)
        client.sign_in(admin.email)
        page = client.get("/forgotten")
        assert page.status == 403
        assert "secret" not in page.text


def test_signed_out_users_are_sent_to_sign_in(client):
    page = client.get("/home")
    assert page.status == 302
    assert page.location.startswith("/sign-in")


STAFF_ONLY = ["/organisations/"]
ADMIN_ONLY = ["/admin/users", "/admin/users/invite", "/admin/audit"]


@pytest.mark.parametrize("role", list(Role))
def test_role_matrix(client, make, session, role):
    user = make.user(role)
    session.commit()
    client.sign_in(user.email)
    assert client.get("/home").status == 200
    for url in STAFF_ONLY:
        assert client.get(url).status == (403 if role is Role.APPLICANT else 200), url
    for url in ADMIN_ONLY:
        assert client.get(url).status == (200 if role is Role.ADMIN else 403), url


def test_navigation_matches_the_role(client, make, session):
    applicant = make.user(Role.APPLICANT)
    admin = make.user(Role.ADMIN)
    session.commit()
    client.sign_in(applicant.email)
    nav = [a.get_text(strip=True) for a in client.get("/home").html.select(".govuk-service-navigation__item a")]
    assert nav == ["Home", "Your organisation"]
    client.sign_out()
    client.sign_in(admin.email)
    nav = [a.get_text(strip=True) for a in client.get("/home").html.select(".govuk-service-navigation__item a")]
    assert nav == ["Home", "Expressions of interest", "Applications", "Decisions", "Awards", "Reports",
                   "Organisations", "Funds", "Users", "Audit log"]


def test_applicant_gets_404_for_another_organisation(client, make, session):
    mine = make.user(Role.APPLICANT)
    other = make.organisation(name="Secret Rival Pharma Ltd")
    session.commit()
    client.sign_in(mine.email)
    assert client.get(f"/organisations/{mine.organisation_id}").status == 200
    page = client.get(f"/organisations/{other.id}")
    assert page.status == 404
    assert "Secret Rival" not in page.text


def test_staff_see_every_organisation(client, make, session):
    fund_manager = make.user(Role.FUND_MANAGER)
    organisation = make.organisation(name="Visible & Therapeutic Ltd")
    session.commit()
    client.sign_in(fund_manager.email)
    listed = client.get("/organisations/").html.select_one(f'a[href="/organisations/{organisation.id}"]')
    assert listed is not None and listed.text == "Visible & Therapeutic Ltd"  # a link, escaped once
    page = client.get(f"/organisations/{organisation.id}")
    assert page.status == 200
    assert page.h1 == "Visible & Therapeutic Ltd"
