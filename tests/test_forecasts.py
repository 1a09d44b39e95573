"""Forecasts of the grant to come (issue 15): the rules of a forecast, the claim's forecast step, updates
between claims, profile against forecast against paid, the variance flag on the fund manager's list, the
fund-wide page, and who may see what."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portfolio.dates import add_months, financial_year_of, quarter_start, uk_today
from portfolio.extensions import db
from portfolio.models import AuditEvent, Role
from portfolio.services import award_terms, claims, forecasts, profiles
from portfolio.services.errors import DomainError
from tests.builders import accepted_award

TODAY = uk_today()
THIS_QUARTER = quarter_start(TODAY)


@pytest.fixture
def award(session, make, fund, people):
    """A £4m award whose project runs from a year ago to two years from now (profile spread evenly)."""
    return accepted_award(session, make, fund, people, start=add_months(THIS_QUARTER, -12),
                          completion=add_months(THIS_QUARTER, 24) - timedelta(days=1))


def future(award) -> list[date]:
    return forecasts.period(award)


def test_a_forecast_covers_the_quarters_to_come_within_the_grant_left_and_is_audited(session, award):
    company = award.organisation.users[0]
    quarters = future(award)
    assert quarters[0] == THIS_QUARTER and quarters[-1] == add_months(THIS_QUARTER, 21)
    past = {add_months(THIS_QUARTER, -3): Decimal("100.00")}
    with pytest.raises(DomainError, match="has passed: forecast from"):
        forecasts.record(session, award=award, by=company, profile=past)
    session.rollback()
    too_much = {THIS_QUARTER: Decimal("4000000.01")}
    with pytest.raises(DomainError, match=r"£0\.01 more than the £4,000,000\.00 of the grant not yet paid"):
        forecasts.record(session, award=award, by=company, profile=too_much)
    session.rollback()
    with pytest.raises(DomainError, match="must be £0 or more"):
        forecasts.record(session, award=award, by=company, profile={THIS_QUARTER: Decimal("-1.00")})
    session.rollback()
    assert forecasts.latest(award) is None

    plan = {quarter: Decimal("500000.00") for quarter in quarters[:8]}
    forecast = forecasts.record(session, award=award, by=company, profile=plan, note="Equipment late")
    session.commit()
    assert forecasts.latest(award).id == forecast.id and profiles.of_lines(forecast.lines) == plan
    event = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "forecast.recorded")).one()
    assert event.actor_label == company.email and event.after["total"] == "4000000.00"
    assert event.after["note"] == "Equipment late"


def test_the_comparison_sets_profile_forecast_and_paid_side_by_side_and_flags_a_varying_year(session, award):
    company = award.organisation.users[0]
    profile = award_terms.current_profile(award)
    comparison = forecasts.comparison(session, award)
    assert comparison.totals.profile == Decimal("4000000.00") and not comparison.flagged
    # Everything pushed into the last quarter: this year's forecast falls far below its profile.
    quarters = future(award)
    left = sum((amount for quarter, amount in profile.items() if quarter >= THIS_QUARTER), Decimal(0))
    forecasts.record(session, award=award, by=company, profile={quarters[-1]: left})
    session.commit()
    comparison = forecasts.comparison(session, award)
    this_year = comparison.year(financial_year_of(TODAY))
    assert this_year.profile > 0 and this_year.forecast < this_year.profile and this_year.flagged
    assert forecasts.flagged(award)


def test_a_claim_is_submitted_only_with_its_forecast(session, award):
    company = award.organisation.users[0]
    yesterday = TODAY - timedelta(days=1)
    claim = claims.start(session, award=award, by=company, period_start=yesterday - timedelta(days=20),
                         period_end=yesterday)
    claims.add_item(session, claim=claim, by=company, description="Isolator", invoice_reference="INV-1",
                    defrayed_on=yesterday, amount=Decimal("1000.00"))
    session.commit()
    with pytest.raises(DomainError, match="Forecast the grant you will claim in the quarters still to come"):
        claims.submit(session, claim=claim, by=company)
    session.rollback()
    # A forecast made between claims is not the claim's own.
    forecasts.record(session, award=award, by=company, profile={})
    with pytest.raises(DomainError, match="Forecast the grant"):
        claims.submit(session, claim=claim, by=company)
    session.rollback()
    quarters = forecasts.period(award, claim=claim)
    assert quarters[0] >= THIS_QUARTER
    forecasts.record(session, award=award, by=company, claim=claim,
                     profile=forecasts.starting_point(award, quarters))
    claims.submit(session, claim=claim, by=company)
    session.commit()
    assert forecasts.made_with(session, claim).claim_id == claim.id
    with pytest.raises(DomainError, match="before the claim is submitted"):
        forecasts.record(session, award=award, by=company, claim=claim, profile={})
    session.rollback()


def test_the_company_updates_its_forecast_between_claims_from_the_award_page(client, session, award):
    company = award.organisation.users[0]
    client.sign_in(company.email)
    page = client.get(f"/awards/{award.id}")
    assert page.html.select_one("#profile-forecast-actual") is not None
    link = page.html.find("a", string=lambda text: text and "Update your forecast" in text)
    assert link["href"] == f"/awards/{award.id}/forecast/new"
    form = client.get(link["href"])
    values = form.form_values()
    first = next(name for name in values if name.startswith("quarter_"))
    too_much = client.post(link["href"], {**values, first: "5,000,000"})
    assert too_much.status == 400 and "more than the £4,000,000.00 of the grant not yet paid" in \
        " ".join(too_much.error_summary())
    assert too_much.html.select_one(".govuk-error-summary a")["href"] == "#profile"
    saved = client.post(link["href"], {**values, first: "0", "note": "Cleanroom slips a quarter"},
                        follow_redirects=True)
    assert "Your forecast has been updated" in saved.text
    assert "Cleanroom slips a quarter" in saved.html.select_one("#forecasts-made").text
    session.expire_all()
    assert forecasts.latest(award).claim_id is None


def test_the_fund_managers_list_flags_and_filters_awards_whose_forecast_varies(client, session, make, fund, people,
                                                                                award):
    steady = accepted_award(session, make, fund, people, start=add_months(THIS_QUARTER, -12),
                            completion=add_months(THIS_QUARTER, 24) - timedelta(days=1))
    quarters = future(award)
    forecasts.record(session, award=award, by=award.organisation.users[0], profile={quarters[-1]: Decimal("1.00")})
    session.commit()
    client.sign_in(people["approver"].email)
    listing = client.get("/awards/")
    rows = {row.select_one("a").get_text(strip=True): row.get_text(" ", strip=True)
            for row in listing.html.select("#awards tbody tr")}
    varying = [text for text in rows.values() if "Forecast varies" in text]
    assert len(rows) == 2 and len(varying) == 1 and f"LSIMF-{award.application_id:05d}" in varying[0]
    filtered = client.get("/awards/?forecast=varies")
    assert [row.select_one("a")["href"] for row in filtered.html.select("#awards tbody tr")] == [
        f"/awards/{award.id}"]
    overview = client.get("/awards/forecasts")
    assert overview.status == 200
    lines = overview.html.select("#fund-forecasts tbody tr:not(#fund-forecasts-total)")
    assert len(lines) == 2 and sum("Forecast varies" in line.text for line in lines) == 1
    this_year = forecasts.comparison(session, steady).year(financial_year_of(TODAY)).profile
    total = overview.html.select_one("#fund-forecasts-total").select("td")[0].get_text(strip=True)
    assert total == f"£{2 * this_year:,.2f}"  # both awards have the same profile
    assert f"/awards/{steady.id}/forecast" in str(overview.html.select_one("#fund-forecasts"))


def test_forecast_pages_are_the_companys_own_and_the_fund_wide_page_is_for_finance_and_fund_managers(
        client, session, make, award, people):
    stranger = make.user(Role.APPLICANT)
    assessor = make.user(Role.ASSESSOR)
    session.commit()
    client.sign_in(stranger.email)
    for url in (f"/awards/{award.id}/forecast", f"/awards/{award.id}/forecast/new"):
        assert client.get(url).status == 404, url
    assert client.get("/awards/forecasts").status == 403
    client.sign_out()
    client.sign_in(people["approver"].email)
    assert client.get(f"/awards/{award.id}/forecast").status == 200
    assert client.get(f"/awards/{award.id}/forecast/new").status == 403  # staff read, the company forecasts
    client.sign_out()
    client.sign_in(assessor.email)
    assert client.get("/awards/forecasts").status == 403


def test_a_forecast_box_refuses_what_is_not_an_amount_of_pounds_and_pence(client, session, award):
    client.sign_in(award.organisation.users[0].email)
    url = f"/awards/{award.id}/forecast/new"
    values = client.get(url).form_values()
    first = next(name for name in values if name.startswith("quarter_"))
    for typed, message in [("-5", "must be £0 or more"), ("ten pounds", "as a number"),
                           ("1.234", "in pounds and pence")]:
        page = client.post(url, {**values, first: typed})
        assert page.status == 400 and message in page.field_error(first), (typed, page.field_error(first))
        assert "the forecast for " in page.field_error(first).lower()
    assert forecasts.latest(award) is None


def test_with_a_claim_the_forecast_starts_after_the_quarter_the_claim_covers(session, award):
    company = award.organisation.users[0]
    earlier = claims.start(session, award=award, by=company, period_start=add_months(THIS_QUARTER, -3),
                           period_end=THIS_QUARTER - timedelta(days=1))
    assert forecasts.period(award, claim=earlier)[0] == THIS_QUARTER  # the claim ended last quarter
    if TODAY > THIS_QUARTER:
        recent = claims.start(session, award=award, by=company, period_start=THIS_QUARTER,
                              period_end=TODAY - timedelta(days=1))
        assert forecasts.period(award, claim=recent)[0] == add_months(THIS_QUARTER, 3)  # this quarter is claimed
    assert forecasts.period(award, today=add_months(THIS_QUARTER, 24)) == []  # the project has completed
    session.rollback()


def test_the_fund_wide_page_reads_every_award_in_a_handful_of_statements(client, session, make, fund, people, award):
    """Adding awards to the fund-wide page adds rows, not queries: its comparisons are read together."""
    client.sign_in(people["finance"].email)

    def statements() -> int:
        seen = []

        def record(conn, cursor, statement, *args):
            seen.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            assert client.get("/awards/forecasts").status == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
        return len(seen)

    def another() -> None:
        more = accepted_award(session, make, fund, people, start=add_months(THIS_QUARTER, -12),
                              completion=add_months(THIS_QUARTER, 24) - timedelta(days=1))
        forecasts.record(session, award=more, by=more.organisation.users[0],
                         profile={quarter: Decimal("1.00") for quarter in future(more)})
        session.commit()

    another()
    two = statements()
    for _ in range(3):
        another()
    assert statements() == two
