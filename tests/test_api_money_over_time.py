"""The API's money over time (issue 15): grant profiles and the versions of an award's terms, forecasts,
variations and the fund's budget by year. Each has its own scope; money is a string to the penny; lists
are paginated like the others; unknown ids are 404."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from portfolio.dates import add_months, financial_year_label, financial_year_of, quarter_start
from portfolio.models import Forecast, Variation, VariationKind
from portfolio.services import award_terms, budgets, claims, profiles, workflow
from tests.builders import accepted_award
from tests.test_api import api, count_statements, new_token
from tests.test_api_schemathesis import run_schemathesis
from tests.test_terms_reporting import vary

TODAY = date.today()
THIS_YEAR = financial_year_of(TODAY)
NEXT_YEAR = financial_year_label(int(THIS_YEAR[:4]) + 1)
YEAR_AFTER = financial_year_label(int(THIS_YEAR[:4]) + 2)
BUDGET = {THIS_YEAR: Decimal("20000000.00"), NEXT_YEAR: Decimal("20000000.00"), YEAR_AFTER: Decimal("15000000.00")}
NEW_SCOPES = ["profiles:read", "forecasts:read", "variations:read", "budget:read"]


@pytest.fixture
def money_over_time(session, make, fund, people):
    """A £4m award varied once (a grant decrease to £3,000,000.01, with its profile scaled), a pending time
    extension with a new profile, two forecasts (the first with a claim), and a budget set by year."""
    start = quarter_start(TODAY)
    award = accepted_award(session, make, fund, people, start=start, completion=add_months(start, 21))
    company = award.organisation.users[0]
    old_profile = award_terms.current_profile(award)
    accepted, _ = vary(session, award, company=company, fund_manager=people["approver"],
                       amount=Decimal("3000000.01"), profile=profiles.scale(old_profile, Decimal("3000000.01")))
    new_completion = add_months(start, 27)
    new_profile = profiles.fit(award_terms.current_profile(award), award.amount, start, new_completion)
    pending = Variation(award=award, number=2, kind=VariationKind.TIME_EXTENSION, reasons="Equipment late",
                        requested_by_id=company.id, new_completion=new_completion, referral_reason="internal",
                        sau_reference="SAU-SECRET")
    pending.lines = profiles.to_lines(new_profile)
    workflow.start(session, pending, by=company)
    claim = claims.start(session, award=award, by=company, period_start=start, period_end=TODAY)
    first = Forecast(award=award, claim_id=claim.id, created_by_id=company.id, note="With claim 1")
    first.lines = profiles.to_lines({start: Decimal("1000000.00"), add_months(start, 3): Decimal("2000000.01")})
    session.add(first)
    session.flush()
    second = Forecast(award=award, created_by_id=company.id, note="Slipping")
    second.lines = profiles.to_lines({add_months(start, 3): Decimal("1500000.00"),
                                      add_months(start, 12): Decimal("1500000.01")})
    session.add(second)
    budgets.set_year_budgets(session, fund=fund, by=people["finance"],
                             years=BUDGET)
    session.commit()
    return {"award": award, "accepted": accepted, "pending": pending, "forecasts": [first, second], "fund": fund}


def test_each_resource_needs_its_own_scope(client, session, people, money_over_time):
    award, fund = money_over_time["award"], money_over_time["fund"]
    urls = {"profiles:read": ["/api/v1/profiles", f"/api/v1/profiles/{award.id}", f"/api/v1/awards/{award.id}/terms"],
            "forecasts:read": ["/api/v1/forecasts", f"/api/v1/forecasts/{money_over_time['forecasts'][0].id}"],
            "variations:read": ["/api/v1/variations", f"/api/v1/variations/{money_over_time['pending'].id}"],
            "budget:read": ["/api/v1/budgets", f"/api/v1/budgets/{fund.id}", f"/api/v1/budgets/{fund.id}/versions"]}
    awards_only = new_token(session, people["finance"], scopes=["awards:read"])
    for scope, scope_urls in urls.items():
        secret = new_token(session, people["finance"], scopes=[scope])
        for url in scope_urls:
            assert api(client, url, secret)[0] == 200, url
            status, body, _ = api(client, url, awards_only)
            assert status == 403 and "scope" in body["message"] and "data" not in body, url
        for other, other_urls in urls.items():
            if other != scope:
                assert api(client, other_urls[0], secret)[0] == 403, (scope, other)


def test_the_profile_is_the_current_terms_by_quarter_and_year(client, session, people, money_over_time):
    award = money_over_time["award"]
    secret = new_token(session, people["finance"], scopes=["profiles:read"])
    status, body, _ = api(client, f"/api/v1/profiles/{award.id}", secret)
    assert status == 200
    profile = body["data"]
    assert profile["terms_version"] == 2 and profile["amount"] == "3000000.01" == profile["total"]
    current = award_terms.current_profile(award)
    assert [(q["quarter_start"], q["amount"]) for q in profile["by_quarter"]] == [
        (quarter.isoformat(), f"{amount:.2f}") for quarter, amount in current.items()]
    assert profile["by_quarter"][0]["quarter"].startswith(financial_year_of(TODAY))
    assert {y["financial_year"]: y["amount"] for y in profile["by_financial_year"]} == {
        year: f"{amount:.2f}" for year, amount in profiles.by_year(current).items()}
    assert sum(Decimal(y["amount"]) for y in profile["by_financial_year"]) == Decimal("3000000.01")
    listed = api(client, "/api/v1/profiles", secret)[1]
    assert [item["award_id"] for item in listed["data"]] == [award.id]


def test_every_version_of_the_terms_with_what_changed(client, session, people, money_over_time):
    award = money_over_time["award"]
    secret = new_token(session, people["finance"], scopes=["profiles:read"])
    body = api(client, f"/api/v1/awards/{award.id}/terms", secret)[1]
    first, second = body["data"]
    assert (first["version"], first["current"], first["changes"], first["variation_id"]) == (1, False, [], None)
    assert first["amount"] == "4000000.00" and first["total"] == "4000000.00"
    assert first["contracted_private_investment"] == "16000000.00" and first["jobs_created"] == "134.5"
    assert second["version"] == 2 and second["current"] and second["variation_id"] == money_over_time["accepted"].id
    grant = next(change for change in second["changes"] if change["field"] == "amount")
    assert grant == {"field": "amount", "label": "Grant", "type": "money", "before": "4000000.00",
                     "after": "3000000.01"}
    assert any(change["field"].startswith("profile ") for change in second["changes"])
    assert body["meta"] == {"page": 1, "per_page": 50, "total": 2, "pages": 1}
    paged = api(client, f"/api/v1/awards/{award.id}/terms?per_page=1&page=2", secret)[1]
    assert [item["version"] for item in paged["data"]] == [2]
    assert paged["links"]["prev"] == f"/api/v1/awards/{award.id}/terms?page=1&per_page=1"
    assert paged["links"]["next"] is None
    for url in ["/api/v1/awards/999999/terms", "/api/v1/profiles/999999"]:
        status, error, _ = api(client, url, secret)
        assert status == 404 and "999999" in error["message"], url


def test_forecasts_latest_and_history(client, session, people, money_over_time):
    first, second = money_over_time["forecasts"]
    secret = new_token(session, people["finance"], scopes=["forecasts:read"])
    body = api(client, "/api/v1/forecasts", secret)[1]
    assert [(f["id"], f["latest"], f["made_with_claim"]) for f in body["data"]] == [
        (first.id, False, True), (second.id, True, False)]
    latest = api(client, "/api/v1/forecasts?latest=true", secret)[1]["data"]
    assert [f["id"] for f in latest] == [second.id]
    assert latest[0]["total"] == "3000000.01" and latest[0]["by_quarter"][1]["amount"] == "1500000.01"
    assert latest[0]["created_at"] and latest[0]["note"] == "Slipping"
    assert [f["id"] for f in api(client, "/api/v1/forecasts?latest=false", secret)[1]["data"]] == [first.id]
    one = api(client, f"/api/v1/forecasts/{first.id}", secret)[1]["data"]
    assert one["claim_id"] is not None and one["latest"] is False
    assert api(client, "/api/v1/forecasts?latest=maybe", secret)[0] == 400
    assert api(client, "/api/v1/forecasts/999999", secret)[0] == 404


def test_variations_show_what_they_change_and_nothing_internal(client, session, people, money_over_time):
    accepted, pending = money_over_time["accepted"], money_over_time["pending"]
    secret = new_token(session, people["finance"], scopes=["variations:read"])
    body = api(client, "/api/v1/variations", secret)[1]
    assert [v["id"] for v in body["data"]] == [accepted.id, pending.id]
    done, asked = body["data"]
    assert (done["status"], done["kind"], done["terms_version"]) == ("accepted", "grant_amount", 2)
    assert {"field": "amount", "label": "Grant", "type": "money", "before": "4000000.00",
            "after": "3000000.01"} in done["changes"]
    assert (asked["status"], asked["kind"], asked["terms_version"]) == ("requested", "time_extension", None)
    completion = next(change for change in asked["changes"] if change["field"] == "project_completion")
    assert completion["type"] == "date" and completion["after"] == pending.new_completion.isoformat()
    assert asked["reasons"] == "Equipment late" and asked["requested_at"]
    text = str(body)
    for internal in ("SAU-SECRET", "referral_reason", "requested_by", "decided_by", "document_id", "messages"):
        assert internal not in text, internal
    assert [v["id"] for v in api(client, "/api/v1/variations?status=requested", secret)[1]["data"]] == [pending.id]
    assert [v["id"] for v in api(client, "/api/v1/variations?kind=grant_amount", secret)[1]["data"]] == [accepted.id]
    assert api(client, "/api/v1/variations?kind=bigger", secret)[0] == 400
    assert api(client, "/api/v1/variations/999999", secret)[0] == 404


def test_a_novation_not_yet_accepted_shows_the_new_company_number(client, session, people, money_over_time):
    award = money_over_time["award"]
    company = award.organisation.users[0]
    novation = Variation(award=award, number=3, kind=VariationKind.COMPANY, reasons="Sold to a new owner",
                         requested_by_id=company.id, new_company_number="NEW12345", new_company_name="New Owner Ltd")
    workflow.start(session, novation, by=company)
    session.commit()
    secret = new_token(session, people["finance"], scopes=["variations:read"])
    changes = api(client, f"/api/v1/variations/{novation.id}", secret)[1]["data"]["changes"]
    assert {"field": "company_number", "label": "Company number", "type": "text",
            "before": award.organisation.company_number, "after": "NEW12345"} in changes
    assert next(c for c in changes if c["field"] == "company_name")["after"] == "New Owner Ltd"


def test_the_budget_ledger_and_its_versions(client, session, people, money_over_time):
    fund = money_over_time["fund"]
    secret = new_token(session, people["finance"], scopes=["budget:read"])
    status, body, _ = api(client, f"/api/v1/budgets/{fund.id}", secret)
    assert status == 200
    data = body["data"]
    ledger = budgets.year_ledger(session, fund)
    assert data["fund_code"] == fund.code and data["by_year_budget_set"] is True
    assert [(y["financial_year"], y["budget"], y["committed"], y["forecast"], y["paid"], y["headroom"], y["warning"])
            for y in data["years"]] == [
        (row.year, f"{row.budget:.2f}", f"{row.committed:.2f}", f"{row.forecast:.2f}", f"{row.paid:.2f}",
         f"{row.headroom:.2f}", row.warning) for row in ledger.years]
    assert data["totals"]["financial_year"] == "Total" and data["totals"]["committed"] == "3000000.01"
    assert data["years"][0]["financial_year"] == THIS_YEAR and data["years"][0]["budget"] == "20000000.00"
    versions = api(client, f"/api/v1/budgets/{fund.id}/versions", secret)[1]
    assert versions["meta"]["total"] == 1 and versions["data"][0]["total"] == "55000000.00"
    assert versions["data"][0]["years"] == [{"financial_year": year, "amount": f"{amount:.2f}"}
                                            for year, amount in BUDGET.items()]
    assert data["budget_version_id"] == versions["data"][0]["id"]
    listed = api(client, "/api/v1/budgets", secret)[1]
    assert [item["fund_id"] for item in listed["data"]] == [fund.id]
    for url in ["/api/v1/budgets/999999", "/api/v1/budgets/999999/versions"]:
        assert api(client, url, secret)[0] == 404, url


def test_the_leverage_figures_carry_first_offered_too(client, session, people, money_over_time):
    secret = new_token(session, people["finance"], scopes=["leverage:read"])
    total = api(client, "/api/v1/leverage", secret)[1]["data"]["total"]
    assert (total["grant_committed"], total["grant_committed_first"], total["awards_varied"]) == (
        "3000000.01", "4000000.00", 1)


def test_the_token_pages_label_the_new_scopes(client, session, people):
    new_token(session, people["finance"], scopes=NEW_SCOPES)
    client.sign_in(people["finance"].email)
    listed = [li.text for li in client.get("/api-tokens/").html.select("tbody li")]
    assert any(text.startswith("Grant profiles by quarter") and "profiles:read" in text for text in listed)
    assert any(text.startswith("Each fund's budget by financial year") and "budget:read" in text for text in listed)
    form = client.get("/api-tokens/new")
    if form.status == 200:  # the form asks for a recent second factor first in some configurations
        labels = form.text
        for scope in NEW_SCOPES:
            assert scope in labels


@pytest.mark.filterwarnings("ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning")
@pytest.mark.slow
def test_schemathesis_over_the_money_over_time_endpoints(app, session, people, money_over_time):
    """tests/test_api_schemathesis.py's run, over the new endpoints, with a varied award, a pending variation,
    forecasts and a budget by year in the database (so ids 1 answer 200)."""

    problems, statuses = run_schemathesis(app, new_token(session, people["admin"]),
                                          paths=r"^/api/v1/(profiles|forecasts|variations|budgets|awards/\{award_id\}/terms)")
    assert problems == [], "\n".join(problems)
    assert not [key for key in statuses if key[1] >= 500], statuses
    assert {200, 400, 401, 404} <= {status for _, status in statuses}, statuses
    assert sum(statuses.values()) > 150, statuses


def test_the_statements_per_list_do_not_grow_with_the_data(client, session, make, fund, people, money_over_time):

    secret = new_token(session, people["admin"])
    urls = ["/api/v1/profiles", "/api/v1/forecasts", "/api/v1/variations",
            f"/api/v1/awards/{money_over_time['award'].id}/terms"]
    api(client, urls[0], secret)  # the token's first use is a write; later ones are not
    before = {url: count_statements(client, url, secret) for url in urls}
    other = accepted_award(session, make, fund, people, start=quarter_start(TODAY),
                           completion=add_months(quarter_start(TODAY), 12))
    company = other.organisation.users[0]
    vary(session, other, company=company, fund_manager=people["approver"], jobs_created=Decimal("99.0"))
    forecast = Forecast(award=other, created_by_id=company.id, note="")
    forecast.lines = profiles.to_lines({quarter_start(TODAY): Decimal("1.00")})
    session.add(forecast)
    session.commit()
    after = {url: count_statements(client, url, secret) for url in urls}
    assert after == before
    assert max(before.values()) <= 8, before
