"""Every endpoint declares its roles; undeclared endpoints are refused; roles are enforced."""

import pytest
from flask import Blueprint

from portfolio.access import PUBLIC, TokenScope, declared_roles
from portfolio.models import Role
from tests.helpers import PageClient
from portfolio.extensions import db
from portfolio.services import api_tokens

# The allow-list: start page, sign-in, register, password reset, static, /healthz.
PUBLIC_ALLOW_LIST = {
    "main.start",
    "auth.sign_in",
    "auth.register",
    "auth.request_password_reset",
    "auth.confirm_registration",  # the emailed link itself is the credential
    "auth.reset_password",
    "auth.accept_invitation",  # the invitation link itself is the credential
    "auth.second_factor",  # only for someone who has just given the right password
    "auth.passkey_options",  # only for someone signing in (or signed in)
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
    extra = Blueprint("forgotten", __name__)

    @extra.route("/forgotten")
    def forgotten():
        return "secret"

    app = make_app()
    app.register_blueprint(extra)
    with app.app_context():
        admin = make.user(Role.ADMIN)
        db.session.commit()
        client = PageClient(app)
        client.sign_in(admin.email)
        page = client.get("/forgotten")
        assert page.status == 403
        assert "secret" not in page.text


def test_the_json_api_and_only_it_is_declared_for_tokens(app):
    """/api/v1 endpoints declare a token scope (@token_scope), which no signed-in role satisfies;
    nothing outside the API takes a token, and the API is read-only."""
    declared = {rule.endpoint: declared_roles(rule.endpoint) for rule in app.url_map.iter_rules()}
    for_tokens = {endpoint for endpoint, roles in declared.items() if isinstance(roles, TokenScope)}
    api_rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")]
    assert for_tokens and for_tokens == {rule.endpoint for rule in api_rules}
    assert all(rule.methods <= {"GET", "HEAD", "OPTIONS"} for rule in api_rules)
    assert all(role not in declared[endpoint] for endpoint in for_tokens for role in Role)


def test_an_api_endpoint_without_a_declaration_is_refused(make_app, make, session):
    """A token gets nothing from an undeclared API endpoint either."""
    extra = Blueprint("forgotten_api", __name__, url_prefix="/api/v1")

    @extra.route("/forgotten")
    def forgotten():
        return {"secret": True}

    app = make_app()
    app.register_blueprint(extra)
    with app.app_context():
        admin = make.user(Role.ADMIN)
        _, secret = api_tokens.create(db.session, name="All", scopes=list(api_tokens.SCOPES), by=admin)
        db.session.commit()
        response = PageClient(app).get("/api/v1/forgotten", headers={"Authorization": f"Bearer {secret}"}).response
        assert response.status_code == 403
        assert response.get_json() == {"error": "Forbidden", "status": 403}


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
    assert nav == ["Home", "Expressions of interest", "Applications", "Decisions", "Awards", "Cases", "Partnerships",
                   "Scale-ups", "Reports", "Budget by year", "Exports", "Organisations", "Funds", "Users", "Audit log",
                   "API tokens"]


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
