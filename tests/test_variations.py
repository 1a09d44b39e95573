"""Variations to accepted awards (issue 15): each kind, the query loop, approval (a second fund manager
above the settings, separation of duties), the budget and subsidy checks, the amendment letter and the new
version of the terms the award, the ledger, the return schedule and access follow."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from pypdf import PdfReader
from werkzeug.datastructures import MultiDict

from portfolio.dates import add_months, financial_year_of, quarter_start
from portfolio.models import (
    AuditEvent,
    AwardTerms,
    Document,
    DocumentStatus,
    ReturnStatus,
    Role,
    SubsidyCategory,
    ThresholdKey,
    Variation,
    VariationKind,
    VariationMessage,
    VariationStatus,
)
from portfolio.services import award_terms, budgets, claims, documents, monitoring, profiles, subsidy, variations
from portfolio.services.errors import DomainError
from tests.builders import GOOD, PDF, accepted_award
from tests.builders import submit_return as submit_return_

TODAY = date.today()
M = Decimal("1000000.00")
K = VariationKind
S = VariationStatus


def p(*amounts_by_quarter) -> dict:
    return dict(amounts_by_quarter)


@pytest.fixture
def award(session, make, fund, people):
    """£4m over two years, from the first day of the financial quarter two quarters ago."""
    start = add_months(quarter_start(TODAY), -6)
    return accepted_award(session, make, fund, people, start=start, completion=add_months(start, 24) - timedelta(days=1))


def company_of(award):
    return award.organisation.users[0]


def extension(session, award, by, *, months=3, reasons="Equipment delivery slipped"):
    start, completion = variations.project_period(award)
    new_completion = add_months(completion + timedelta(days=1), months) - timedelta(days=1)
    profile = profiles.spread(award.amount, start, new_completion)
    return variations.request(session, award=award, by=by, kind=K.TIME_EXTENSION, reasons=reasons,
                              proposal=variations.Proposal(new_completion=new_completion, profile=profile))


def test_an_accepted_time_extension_moves_the_completion_and_reschedules_the_returns_not_yet_due(
        session, award, people):
    company = company_of(award)
    returns = monitoring.returns_of(session, award)
    submit_return_(session, returns[0])
    old_completion = award.offer.project_completion
    variation = extension(session, award, company)
    session.commit()
    assert variation.status is S.REQUESTED and not variation.needs_second_approval
    variations.approve(session, variation=variation, by=people["fm"])
    session.commit()
    assert variation.status is S.APPROVED and variation.document_id is not None
    variations.accept(session, variation=variation, by=company)
    session.commit()
    session.expire_all()
    assert award.offer.project_completion == variation.new_completion > old_completion
    assert award.current_terms.version == 2 and award.current_terms.project_completion == variation.new_completion
    after = monitoring.returns_of(session, award)
    assert after[0].id == returns[0].id and after[0].status is ReturnStatus.SUBMITTED  # kept as it was
    assert after[0].period_end == returns[0].period_end
    assert [r.number for r in after] == list(range(1, len(after) + 1))
    assert len(after) == len(returns) + 1  # one more quarter of building
    completion = [r for r in after if r.kind.value == "completion"]
    assert len(completion) == 1 and completion[0].period_end == variation.new_completion


def profile_form(profile: dict) -> dict:
    return {f"q_{quarter.isoformat()}": str(amount) for quarter, amount in profile.items()}


def date_form(name: str, day: date) -> list:
    return [(name, str(day.day)), (name, str(day.month)), (name, str(day.year))]


def test_the_company_requests_a_time_extension_through_the_pages(session, client, award, people):
    company = company_of(award)
    client.sign_in_as(company)
    page = client.get(f"/awards/{award.id}")
    assert page.status == 200 and "Changes to this award" in page.text and "Request a change" in page.text
    page = client.submit(f"/variations/awards/{award.id}/new", {"kind": "time_extension"})
    assert page.status == 302 and page.location.endswith("/new/time_extension")
    form_url = f"/variations/awards/{award.id}/new/time_extension"
    page = client.get(form_url)
    assert page.status == 200 and page.h1 == "Time extension"
    start, completion = variations.project_period(award)
    new_completion = add_months(completion + timedelta(days=1), 3) - timedelta(days=1)
    profile = profiles.spread(award.amount, start, new_completion)
    token = client.csrf_token(form_url)
    data = [("csrf_token", token), ("reasons", "The isolator arrives late")] + date_form("new_completion", new_completion) \
        + list(profile_form(profile).items())
    page = client.post(form_url, data=MultiDict(data))
    assert page.status == 200 and page.h1 == "Check your request", page.error_summary()
    assert "Completion date" in page.text
    page = client.post(form_url, data=MultiDict(data + [("action", "submit"),
                                                        ("evidence", (io.BytesIO(PDF), "letter.pdf"))]),
                       content_type="multipart/form-data")
    assert page.status == 302, page.error_summary()
    variation = session.scalar(sa.select(Variation))
    assert variation.kind is K.TIME_EXTENSION and variation.new_completion == new_completion
    assert [f.original_filename for f in variations.files(session, variation)] == ["letter.pdf"]
    page = client.get(page.location)
    assert page.status == 200 and "letter.pdf" in page.text and "Withdraw the request" in page.text
