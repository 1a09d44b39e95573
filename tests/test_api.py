"""The read-only JSON API (/api/v1) and its tokens: who gets in (401/403), secrets shown once and
stored only as a hash, pagination, bad parameters, money to the penny, drafts kept private, and a
constant number of SQL statements per request."""

import hashlib
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portfolio.extensions import db
from portfolio.models import (
    ApiToken,
    Application,
    ApplicationStatus,
    AuditEvent,
    Award,
    Claim,
    ClaimStatus,
    MonitoringReturn,
    Organisation,
    Payment,
    Role,
)
from portfolio.models.base import utcnow
from portfolio.services import api_tokens, claims, monitoring
from tests.builders import GOOD, accepted_award, submit_return, forecast_with

ALL_SCOPES = list(api_tokens.SCOPES)
TODAY = date.today()
YESTERDAY = TODAY - timedelta(days=1)
LIST_URLS = ["/api/v1/organisations", "/api/v1/applications", "/api/v1/awards", "/api/v1/claims",
             "/api/v1/payments", "/api/v1/returns"]


def new_token(session, by, scopes=ALL_SCOPES, **kwargs) -> str:
    _, secret = api_tokens.create(session, name="Test system", scopes=list(scopes), by=by, **kwargs)
    session.commit()
    return secret


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def api(client, url: str, secret: str | None = None, **headers):
    """GET an API url; returns (status, parsed JSON, response)."""
    response = client.get(url, headers={**(bearer(secret) if secret else {}), **headers}).response
    assert response.mimetype == "application/json", (url, response.status_code, response.get_data(as_text=True)[:200])
    return response.status_code, response.get_json(), response


def claim_with(session, award, amounts, *, submit=True):
    company = award.organisation.users[0]
    claim = claims.start(session, award=award, by=company, period_start=YESTERDAY - timedelta(days=90),
                         period_end=YESTERDAY)
    for n, amount in enumerate(amounts, start=1):
        claims.add_item(session, claim=claim, by=company, description=f"Cost {n}", invoice_reference=f"INV-{n}",
                        defrayed_on=YESTERDAY, amount=Decimal(amount))
    if submit:
        forecast_with(session, claim, company)
        claims.submit(session, claim=claim, by=company)
    session.commit()
    return claim


@pytest.fixture
def records(session, make, fund, people):
    """An accepted award with a paid claim (a part-approved item: pennies matter), a draft claim, one
    submitted monitoring return and the rest open; and a draft application."""
    award = accepted_award(session, make, fund, people, start=date(TODAY.year - 3, 4, 1),
                           completion=date(TODAY.year - 1, 3, 31))
    claim = claim_with(session, award, ["1000000.00", "333333.33"])
    full, part = claim.items
    claims.review(session, claim=claim, by=people["finance"], reason="Second invoice part-eligible",
                  approved={full.id: Decimal("1000000.00"), part.id: Decimal("100000.03")})
    claims.record_payment(session, claim=claim, by=people["finance"], amount=Decimal("247500.00"),
                          paid_on=YESTERDAY, reference="BACS-1")
    session.commit()
    draft_claim = claim_with(session, award, ["12.34"], submit=False)
    returns = monitoring.returns_of(session, award)
    submit_return(session, returns[0])
    returns[1].capital_spent = Decimal("999.99")  # a draft the company saved but has not submitted
    draft_application = make.moderated_application(fund, status=ApplicationStatus.DRAFT)
    session.commit()
    return {"award": award, "claim": claim, "draft_claim": draft_claim, "returns": returns,
            "draft_application": draft_application}


# --- tokens: who gets in ------------------------------------------------------------------------

def test_a_request_without_a_usable_token_is_refused_with_401(client, session, people):
    good = new_token(session, people["finance"])
    revoked_secret = new_token(session, people["finance"])
    api_tokens.revoke(session, token=session.scalar(sa.select(ApiToken).order_by(ApiToken.id.desc())),
                      by=people["admin"])
    expired_secret = new_token(session, people["finance"], expires_in_days=30)
    token = session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == api_tokens.hash_secret(expired_secret)))
    token.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    refusals = {
        "missing": {},
        "not bearer": {"Authorization": f"Basic {good}"},
        "malformed": {"Authorization": "Bearer not-a-token"},
        "empty": {"Authorization": "Bearer "},
        "wrong": bearer("pft_" + "A" * 43),
        "a prefix only": bearer(good[:12]),
        "revoked": bearer(revoked_secret),
        "expired": bearer(expired_secret),
    }
    for case, headers in refusals.items():
        status, body, response = api(client, "/api/v1/awards", **headers)
        assert status == 401, case
        assert body["error"] == "Unauthorized" and body["message"], case
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), case
        assert "data" not in body
    assert api(client, "/api/v1/awards", revoked_secret)[1]["message"] == "The token has been revoked"
    assert api(client, "/api/v1/awards", expired_secret)[1]["message"] == "The token has expired"
    assert api(client, "/api/v1/awards", good)[0] == 200


def test_a_token_reads_only_its_scopes(client, session, people, records):
    secret = new_token(session, people["finance"], scopes=["awards:read"])
    assert session.scalar(sa.select(ApiToken.last_used_at)) is None
    status, body, _ = api(client, "/api/v1/awards", secret)
    assert status == 200 and body["meta"]["total"] == 1
    assert session.scalar(sa.select(ApiToken.last_used_at)) is not None  # last use recorded
    for url in ["/api/v1/claims", f"/api/v1/claims/{records['claim'].id}", "/api/v1/payments", "/api/v1/returns",
                "/api/v1/organisations", "/api/v1/applications"]:
        status, body, response = api(client, url, secret)
        assert status == 403, url
        assert body["error"] == "Forbidden" and "scope" in body["message"], url
        assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
        assert "data" not in body
    # Claims and payments share one scope; the OpenAPI document needs a token of any scope.
    payments_only = new_token(session, people["finance"], scopes=["claims:read"])
    assert api(client, "/api/v1/payments", payments_only)[0] == 200
    assert api(client, "/api/v1/openapi.json", secret)[0] == 200
    assert api(client, "/api/v1/openapi.json")[0] == 401


def test_a_signed_in_browser_without_a_token_gets_401(client, session, people, records):
    client.sign_in(people["finance"].email)
    assert client.get("/api-tokens/").status == 200  # really signed in
    for url in LIST_URLS + [f"/api/v1/awards/{records['award'].id}", "/api/v1/openapi.json"]:
        status, body, _ = api(client, url)
        assert status == 401, url
        assert "data" not in body


def test_the_api_is_get_only_and_errors_are_json(client, session, people):
    secret = new_token(session, people["finance"])
    client.sign_in(people["finance"].email)
    token = client.csrf_token("/home")
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        response = client.http.open("/api/v1/awards", method=method, headers=bearer(secret),
                                    data={"csrf_token": token})
        assert response.status_code == 405, method
        assert response.get_json()["status"] == 405
        assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}
    status, body, _ = api(client, "/api/v1/nothing-here", secret)
    assert (status, body["error"]) == (404, "Not Found")


# --- tokens: made, shown once, revoked ----------------------------------------------------------

def create_through_the_page(client, **answers):
    form = client.get("/api-tokens/new")
    assert form.status == 200
    once = form.html.find("input", attrs={"name": "once"})["value"]
    data = {"name": "Finance reconciliation", "scopes": ["awards:read", "claims:read"], "expires": "90",
            "once": once, **answers}
    data = {"csrf_token": form.html.find("input", attrs={"name": "csrf_token"})["value"], **data}
    return client.post("/api-tokens/new", data), data


def test_the_secret_is_shown_once_and_only_its_hash_is_stored(client, session, people):
    client.sign_in(people["finance"].email)
    page, sent = create_through_the_page(client)
    assert page.status == 200 and page.h1 == "Token created"
    secret = page.html.find(id="secret")["value"]
    assert secret.startswith("pft_") and len(secret) == 47
    assert "You will not be able to see it again" in page.text
    assert page.response.headers["Cache-Control"] == "no-store"

    token = session.scalar(sa.select(ApiToken))
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[:12]
    assert token.scopes == ["awards:read", "claims:read"]
    assert token.created_by_id == people["finance"].id
    assert token.expires_at - utcnow() > timedelta(days=89)
    row = session.execute(sa.select(ApiToken.__table__)).one()
    assert secret not in json.dumps(row._asdict(), default=str)

    # The secret works, and is never shown again: not on reloading the creation page (which sends
    # the same form again and makes no second token), the list, the audit log or a new form.
    assert api(client, "/api/v1/awards", secret)[0] == 200
    again = client.post("/api-tokens/new", sent)
    assert again.status == 302 and again.location == "/api-tokens/"
    assert session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 1
    listing = client.get("/api-tokens/")
    assert "already created" in listing.text
    assert "Finance reconciliation" in listing.text and token.prefix in listing.text
    for url in ["/api-tokens/", "/api-tokens/new"]:
        assert secret not in client.get(url).response.get_data(as_text=True), url
    client.sign_out()
    client.sign_in(people["admin"].email)
    audit_page = client.get("/admin/audit").response.get_data(as_text=True)
    assert "api_token.created" in audit_page and secret not in audit_page
    events = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "api_token.created")).all()
    assert len(events) == 1 and events[0].after["prefix"] == token.prefix
    assert secret not in json.dumps(events[0].after) and token.token_hash not in json.dumps(events[0].after)


def test_the_creation_form_says_what_is_missing(client, session, people):
    client.sign_in(people["admin"].email)
    page, _ = create_through_the_page(client, name="  ", scopes=[], expires="")
    assert page.status == 400
    assert page.error_summary() == ["Enter a name for the token", "Select what the token may read",
                                    "Select when the token should expire"]
    page, _ = create_through_the_page(client, scopes=["everything:write"], expires="forever")
    assert page.status == 400
    assert set(page.error_summary()) == {"Select what the token may read from the list",
                                         "Select when the token should expire"}
    assert session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_revoking_stops_a_token_at_once_and_is_audited(client, session, people):
    secret = new_token(session, people["finance"])
    token_id = session.scalar(sa.select(ApiToken.id))
    assert api(client, "/api/v1/organisations", secret)[0] == 200
    client.sign_in(people["admin"].email)
    page = client.submit(f"/api-tokens/{token_id}/revoke", form_url="/api-tokens/", follow=True)
    assert page.status == 200 and "is revoked" in page.text and "Revoked" in page.text
    assert api(client, "/api/v1/organisations", secret)[0] == 401
    token = session.get(ApiToken, token_id)
    session.refresh(token)
    assert token.revoked_by_id == people["admin"].id and token.revoked_at is not None
    event = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "api_token.revoked"))
    assert event.actor_id == people["admin"].id and event.entity_id == str(token_id)
    page = client.submit(f"/api-tokens/{token_id}/revoke", form_url="/api-tokens/", follow=True)
    assert "already revoked" in page.text
    assert client.submit("/api-tokens/999/revoke", form_url="/api-tokens/").status == 404
    # Without the CSRF token nothing happens.
    other = new_token(session, people["finance"])
    other_id = session.scalar(sa.select(ApiToken.id).order_by(ApiToken.id.desc()))
    assert client.post(f"/api-tokens/{other_id}/revoke", {}).status == 400
    assert api(client, "/api/v1/organisations", other)[0] == 200


@pytest.mark.parametrize("role", list(Role))
def test_only_finance_and_administrators_manage_tokens(client, make, session, people, role):
    secret = new_token(session, people["finance"])
    token_id = session.scalar(sa.select(ApiToken.id))
    user = make.user(role)
    session.commit()
    client.sign_in(user.email)
    allowed = role in (Role.FINANCE, Role.ADMIN)
    for url in ["/api-tokens/", "/api-tokens/new", "/api-tokens/openapi.json"]:
        assert client.get(url).status == (200 if allowed else 403), url
    csrf = client.csrf_token("/home")
    assert client.post("/api-tokens/new", {"csrf_token": csrf, "name": "x", "scopes": ["awards:read"],
                                           "expires": "30"}).status == (302 if allowed else 403)
    revoked = client.post(f"/api-tokens/{token_id}/revoke", {"csrf_token": csrf})
    assert revoked.status == (302 if allowed else 403)
    assert (api(client, "/api/v1/awards", secret)[0] == 401) is allowed
    nav = [a.get_text(strip=True) for a in client.get("/home").html.select(".govuk-service-navigation__item a")]
    assert ("API tokens" in nav) is allowed


# --- reading ------------------------------------------------------------------------------------

def test_lists_are_paginated_by_id(client, session, make, people):
    made = [make.organisation() for _ in range(5)]
    session.commit()
    secret = new_token(session, people["finance"], scopes=["organisations:read"])
    status, body, _ = api(client, "/api/v1/organisations?per_page=2", secret)
    assert status == 200
    total = session.scalar(sa.select(sa.func.count()).select_from(Organisation))  # the people's companies too
    assert body["meta"] == {"page": 1, "per_page": 2, "total": total, "pages": -(-total // 2)}
    assert [o["id"] for o in body["data"]] == sorted(o["id"] for o in body["data"])
    assert body["links"] == {"self": "/api/v1/organisations?page=1&per_page=2",
                             "next": "/api/v1/organisations?page=2&per_page=2", "prev": None}
    seen = []
    url = body["links"]["self"]
    while url:
        status, body, _ = api(client, url, secret)
        seen += [o["id"] for o in body["data"]]
        url = body["links"]["next"]
    assert seen == sorted(seen) and len(seen) == total and {o.id for o in made} <= set(seen)
    assert body["links"]["prev"] is not None
    beyond = api(client, f"/api/v1/organisations?page={total + 1}&per_page=2", secret)[1]
    assert beyond["data"] == [] and beyond["links"]["next"] is None
    default = api(client, "/api/v1/organisations", secret)[1]["meta"]
    assert default["per_page"] == 50 and default["page"] == 1
    assert api(client, "/api/v1/organisations?per_page=200", secret)[0] == 200


@pytest.mark.parametrize("query", ["page=abc", "page=0", "page=-1", "page=1.5", "page=", "page=100001",
                                   "per_page=100000", "per_page=0", "per_page=201", "per_page=ten",
                                   "award_id=x", "award_id=0", "award_id=99999999999", "status=unknown",
                                   "status=draft"])
def test_bad_query_parameters_are_400_with_a_message(client, session, people, query):
    secret = new_token(session, people["finance"])
    status, body, _ = api(client, f"/api/v1/claims?{query}", secret)
    assert status == 400, query
    assert body["error"] == "Bad Request" and body["status"] == 400
    name = query.split("=")[0]
    assert body["message"].startswith(name), body["message"]


def test_unknown_ids_are_404_json(client, session, people, records):
    secret = new_token(session, people["finance"])
    for url in ["/api/v1/organisations/999999", "/api/v1/applications/999999", "/api/v1/awards/999999",
                "/api/v1/claims/999999", "/api/v1/returns/999999", "/api/v1/awards/99999999999999",
                "/api/v1/awards/abc"]:
        status, body, _ = api(client, url, secret)
        assert (status, body["error"], body["status"]) == (404, "Not Found", 404), url


def test_money_is_a_decimal_string_matching_the_database_to_the_penny(client, session, people, records):
    secret = new_token(session, people["finance"])
    award, claim = records["award"], records["claim"]
    body = api(client, f"/api/v1/awards/{award.id}", secret)[1]["data"]
    assert body["amount"] == str(award.amount) == "4000000.00"
    assert body["offer"]["contracted_private_investment"] == str(award.offer.contracted_private_investment)
    assert body["offer"]["jobs_created"] == str(award.offer.jobs_created)
    assert body["decided_at"].endswith("+00:00")
    body = api(client, f"/api/v1/claims/{claim.id}", secret)[1]["data"]
    assert (body["claimed"], body["approved_costs"], body["grant_due"], body["retention"], body["payable"]) == (
        "1333333.33", "1100000.03", "275000.00", "27500.00", "247500.00")
    assert [(i["amount"], i["approved_amount"]) for i in body["items"]] == [
        ("1000000.00", "1000000.00"), ("333333.33", "100000.03")]
    assert body["items"][0]["defrayed_on"] == YESTERDAY.isoformat()
    payment = api(client, "/api/v1/payments", secret)[1]["data"]
    stored = session.scalar(sa.select(Payment))
    assert payment == [{"id": stored.id, "award_id": award.id, "claim_id": claim.id, "kind": "claim",
                        "amount": "247500.00", "paid_on": YESTERDAY.isoformat(), "reference": "BACS-1",
                        "created_at": stored.created_at.isoformat()}]
    returned = api(client, f"/api/v1/returns/{records['returns'][0].id}", secret)[1]["data"]
    assert returned["figures"] == {name: (value if isinstance(value, int) else str(value))
                                   for name, value in GOOD.items()}
    assert returned["status"] == "submitted" and returned["rag"] == "green"
    application = api(client, f"/api/v1/applications/{award.application_id}", secret)[1]["data"]
    assert application["grant_requested"] == "4000000.00" and application["weighted_score"] == "7.25"
    for value in (body["claimed"], application["total_project_cost"]):
        assert isinstance(value, str)


def test_drafts_stay_private(client, session, people, records):
    secret = new_token(session, people["finance"])
    draft = records["draft_application"]
    applications = api(client, "/api/v1/applications", secret)[1]["data"]
    assert draft.id not in [a["id"] for a in applications] and len(applications) == 1
    assert api(client, f"/api/v1/applications/{draft.id}", secret)[0] == 404
    assert api(client, f"/api/v1/claims/{records['draft_claim'].id}", secret)[0] == 404
    assert [c["id"] for c in api(client, "/api/v1/claims", secret)[1]["data"]] == [records["claim"].id]
    returns = {r["id"]: r for r in api(client, "/api/v1/returns?per_page=200", secret)[1]["data"]}
    assert len(returns) == len(records["returns"])
    saved = returns[records["returns"][1].id]
    assert (saved["status"], saved["figures"], saved["rag"], saved["narrative"]) == ("open", None, None, None)
    assert saved["overdue"] is True  # its due date is long past


def test_filters_narrow_a_list(client, session, people, records, make, fund):
    secret = new_token(session, people["finance"])
    award = records["award"]
    other = make.moderated_application(fund, status=ApplicationStatus.SUBMITTED)
    session.commit()
    assert [a["id"] for a in api(client, f"/api/v1/awards?organisation_id={award.organisation_id}",
                                 secret)[1]["data"]] == [award.id]
    assert api(client, f"/api/v1/awards?organisation_id={other.organisation_id}", secret)[1]["data"] == []
    assert [a["id"] for a in api(client, "/api/v1/applications?status=submitted", secret)[1]["data"]] == [other.id]
    body = api(client, f"/api/v1/returns?award_id={award.id}&status=submitted&per_page=1", secret)[1]
    assert body["meta"]["total"] == 1
    assert body["links"]["self"] == f"/api/v1/returns?page=1&per_page=1&award_id={award.id}&status=submitted"
    assert api(client, "/api/v1/claims?status=paid", secret)[1]["meta"]["total"] == 1
    assert api(client, "/api/v1/claims?status=submitted", secret)[1]["meta"]["total"] == 0


def count_statements(client, url: str, secret: str) -> int:
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert api(client, url, secret)[0] == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return len(statements)


def test_the_statements_per_request_do_not_grow_with_the_data(client, session, make, fund, people):
    award = accepted_award(session, make, fund, people, start=date(TODAY.year - 3, 4, 1),
                           completion=date(TODAY.year - 1, 3, 31))
    claim_with(session, award, ["100.00", "200.00"])
    secret = new_token(session, people["finance"])
    api(client, "/api/v1/organisations", secret)  # the token's first use is a write; later ones are not
    before = {url: count_statements(client, url, secret) for url in LIST_URLS}
    for url in LIST_URLS:
        assert before[url] <= 5, (url, before[url])  # token, count, page (+ one for eager-loaded children)
    second = accepted_award(session, make, fund, people, start=date(TODAY.year - 3, 4, 1),
                            completion=date(TODAY.year - 1, 3, 31))
    for amounts in (["1.00", "2.00", "3.00"], ["4.00"], ["5.00", "6.00"]):
        claim_with(session, second, amounts)
    after = {url: count_statements(client, url, secret) for url in LIST_URLS}
    assert after == before
    claim_id = session.scalar(sa.select(Claim.id).where(Claim.status == ClaimStatus.SUBMITTED))
    assert count_statements(client, f"/api/v1/claims/{claim_id}", secret) == count_statements(
        client, f"/api/v1/claims/{claim_id}", secret) <= 4


# --- the OpenAPI document -----------------------------------------------------------------------

def test_the_openapi_document_describes_every_endpoint(app, client, session, people):
    secret = new_token(session, people["finance"], scopes=["returns:read"])
    status, spec, _ = api(client, "/api/v1/openapi.json", secret)
    assert status == 200 and spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": spec["components"]["securitySchemes"]["bearerAuth"][
            "description"]}
    documented = {path for path in spec["paths"]}
    served = {rule.rule.replace("<int:", "{").replace(">", "}") for rule in app.url_map.iter_rules()
              if rule.endpoint.startswith("api.")}
    assert documented == served
    for path, operations in spec["paths"].items():
        assert set(operations) == {"get"}, path
        responses = operations["get"]["responses"]
        assert {"200", "401"} <= set(responses), path
        if operations["get"]["x-required-scope"]:
            assert "403" in responses, path
        if "{" in path:
            assert "404" in responses, path
        if any("$ref" in p or p["in"] == "query" for p in operations["get"]["parameters"]):
            assert "400" in responses, path
    schemas = spec["components"]["schemas"]
    for schema, field in [("Award", "amount"), ("Claim", "payable"), ("ClaimItem", "approved_amount"),
                          ("Payment", "amount"), ("Figures", "capital_spent"), ("Application", "grant_requested")]:
        prop = schemas[schema]["properties"][field]
        assert prop["format"] == "decimal" and "string" in prop["type"] and prop["pattern"], (schema, field)
    assert set(schemas["OrganisationPage"]["required"]) == {"data", "meta", "links"}
    # Finance and administrators can read it from the token pages without a token.
    client.sign_in(people["finance"].email)
    assert client.get("/api-tokens/openapi.json").response.get_json() == spec


def test_every_awarded_record_is_readable(client, session, people, records):
    """Each list and each item answers 200 for a token with every scope, with the ids the database has."""
    secret = new_token(session, people["admin"])
    expected = {
        "/api/v1/organisations": sa.select(Organisation.id),
        "/api/v1/applications": sa.select(Application.id).where(Application.status != ApplicationStatus.DRAFT),
        "/api/v1/awards": sa.select(Award.id),
        "/api/v1/claims": sa.select(Claim.id).where(Claim.status != ClaimStatus.DRAFT),
        "/api/v1/payments": sa.select(Payment.id),
        "/api/v1/returns": sa.select(MonitoringReturn.id),
    }
    for url, ids in expected.items():
        body = api(client, f"{url}?per_page=200", secret)[1]
        assert [item["id"] for item in body["data"]] == sorted(session.scalars(ids)), url
        if url != "/api/v1/payments":
            for item in body["data"][:3]:
                status, one, _ = api(client, f"{url}/{item['id']}", secret)
                assert status == 200 and one["data"]["id"] == item["id"], url
