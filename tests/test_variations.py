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

from portfolio.dates import add_months, financial_year_of, govuk_date, quarter_start
from portfolio.forms.profiles import field_name
from portfolio.money import money
from portfolio.models import (
    AuditEvent,
    Document,
    DocumentStatus,
    ReturnStatus,
    Role,
    SubsidyCategory,
    User,
    Variation,
    VariationKind,
    VariationStatus,
)
from portfolio.services import budgets, claims, documents, leverage, monitoring, profiles, variations
from portfolio.services.errors import DomainError
from tests.builders import PDF, accepted_award
from tests.helpers import link_in, path_of, race, sent_emails
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
    before = [(r.id, r.kind.value, r.period_end, r.due_on) for r in returns]  # as they were
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
    now = [(r.id, r.kind.value, r.period_end, r.due_on) for r in after]
    assert after[0].status is ReturnStatus.SUBMITTED and now[0] == before[0]  # submitted: kept as it was
    # Return 2 is overdue, not submitted: the company still owes it for its period, so it stays too.
    assert before[1][3] < TODAY and now[1] == before[1]
    assert [r.number for r in after] == list(range(1, len(after) + 1))
    assert len(after) == len(before) + 1  # one more quarter of building
    # The returns not yet due follow the new schedule (the same rows first, then new ones).
    assert [row[0] for row in now[:len(before)]] == [row[0] for row in before]
    old_completion_row = next(row for row in before if row[1] == "completion")
    assert next(row for row in now if row[0] == old_completion_row[0])[1] == "quarterly"
    completion = [r for r in after if r.kind.value == "completion"]
    assert len(completion) == 1 and completion[0].period_end == variation.new_completion
    event = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "monitoring.rescheduled")).one()
    assert event.after["kept"] == [1, 2]


def profile_form(profile: dict) -> dict:
    return {field_name(quarter): str(amount) for quarter, amount in profile.items()}


def date_form(name: str, day: date) -> list:
    return [(name, str(day.day)), (name, str(day.month)), (name, str(day.year))]


def test_the_company_requests_a_time_extension_through_the_pages(session, client, award, people, run_jobs):
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
    page = client.post(form_url, data=MultiDict(data + [("action", "change")]))  # back to the answers, as given
    assert page.status == 200 and page.h1 == "Time extension"
    assert page.html.find(id="reasons").get_text() == "The isolator arrives late"
    assert page.html.find(id=field_name(max(profile)))["value"] == str(profile[max(profile)])
    page = client.post(form_url, data=MultiDict(data + [("action", "submit"),
                                                        ("evidence", (io.BytesIO(PDF), "letter.pdf"))]),
                       content_type="multipart/form-data")
    assert page.status == 302, page.error_summary()
    variation = session.scalar(sa.select(Variation))
    assert variation.kind is K.TIME_EXTENSION and variation.new_completion == new_completion
    issuer = award.offer.issued_by  # the fund manager who issued the offer hears of it
    run_jobs()
    told = [m for m in sent_emails(client.app) if m["To"] == issuer.email and "asks to change award" in m["Subject"]]
    assert len(told) == 1 and path_of(link_in(told[0], f"/variations/{variation.id}")) == f"/variations/{variation.id}"
    assert [f.original_filename for f in variations.files(session, variation)] == ["letter.pdf"]
    page = client.get(page.location)
    assert page.status == 200 and "letter.pdf" in page.text and "Withdraw the request" in page.text


def approve_and_accept(session, variation, people, *, approvers=("fm",)):
    for name in approvers:
        variations.approve(session, variation=variation, by=people[name])
        session.commit()
    variations.accept(session, variation=variation, by=company_of(variation.award))
    session.commit()
    session.expire_all()


def test_the_amendment_letter_shows_the_old_and_new_terms(session, award, people, run_jobs):
    variation = extension(session, award, company_of(award))
    session.commit()
    old_completion = award.offer.project_completion
    variations.approve(session, variation=variation, by=people["fm"])
    session.commit()
    run_jobs()
    document = session.get(Document, variation.document_id)
    assert document.status is DocumentStatus.READY
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(documents.load_content(session, document)))
                    .pages)
    text = " ".join(text.split())
    assert f"Amendment letter: {variation.reference}" in text
    assert "The terms before and after" in text
    assert f"Completion date (changed) {govuk_date(old_completion)} {govuk_date(variation.new_completion)}" in text
    assert "Grant £4,000,000.00 £4,000,000.00" in text  # unchanged terms are shown too
    assert "Grant profile by financial year" in text and "Before After" in text


def grant_change(session, award, by, amount: Decimal, *, profile=None):
    start, completion = variations.project_period(award)
    profile = profile or profiles.fit(variations.current_profile(award), amount, start, completion)
    return variations.request(session, award=award, by=by, kind=K.GRANT_AMOUNT, reasons="Costs rose",
                              proposal=variations.Proposal(new_amount=amount, profile=profile))


def test_a_grant_increase_is_refused_when_a_year_of_its_profile_has_no_headroom(session, award, people, fund):
    committed = budgets.committed_by_year(session, fund)
    years = sorted(committed)
    # Each year's budget is what is committed now, plus £100,000 of headroom (£300,000 in the last year).
    budgets.set_year_budgets(session, fund=fund, by=people["admin"], years={
        year: committed[year] + (Decimal("300000.00") if year == years[-1] else Decimal("100000.00")) for year in years}
        | {"2035/36": Decimal("50000000.00")})  # the rounds' allocations need a total of at least £50m
    session.commit()
    start, completion = variations.project_period(award)
    # £400,000 more: the new profile adds £200,000 in the first year (headroom £100,000) and £200,000 in the last.
    profile = variations.current_profile(award)
    first = min(q for q in profile if financial_year_of(q) == years[0])
    last = max(profile)
    profile[first] += Decimal("200000.00")
    profile[last] += Decimal("200000.00")
    variation = grant_change(session, award, company_of(award), Decimal("4400000.00"), profile=profile)
    session.commit()
    with pytest.raises(DomainError) as refused:
        variations.approve(session, variation=variation, by=people["fm"])
    session.rollback()
    assert refused.value.field == "profile"
    assert f"This variation would over-commit {years[0]}" in refused.value.message
    # The award's own agreed profile is replaced, so the headroom is the year's budget less the others' commitments.
    expected = committed[years[0]] + Decimal("200000.00")
    assert f"{money(expected)} in that year" in refused.value.message
    assert f"passes its budget of {money(committed[years[0]] + Decimal('100000.00'))}" in refused.value.message
    assert years[-1] not in refused.value.message  # the last year has room for it
    assert session.get(Variation, variation.id).status is S.REQUESTED


def test_a_grant_increase_needs_the_referral_decision_its_subsidy_category_asks_for(session, award, people):
    # £4m -> £5.5m: over £1m and cumulative at least £5m, a Subsidy of Interest: the referral choice is recorded.
    variation = grant_change(session, award, company_of(award), Decimal("5500000.00"))
    session.commit()
    assert variation.needs_second_approval  # £1.5m more: above £1m
    with pytest.raises(DomainError, match="Subsidy of Interest: record whether it was referred"):
        variations.approve(session, variation=variation, by=people["fm"])
    session.rollback()
    variations.record_referral(session, variation=variation, by=people["fm"], referred_to_sau=False,
                               referral_reason="No competition concerns")
    session.commit()
    approve_and_accept(session, variation, people, approvers=("fm", "approver"))
    award = session.get(type(award), award.id)
    assert award.amount == Decimal("5500000.00")
    assert award.subsidy_category is SubsidyCategory.INTEREST and award.cumulative_subsidy == Decimal("5500000.00")
    assert award.transparency_due_on is not None
    assert award.current_terms.subsidy_category is SubsidyCategory.INTEREST


def test_a_grant_decrease_releases_money_once_accepted(session, award, people, fund):
    before = budgets.committed_by_year(session, fund)
    assert sum(before.values()) == Decimal("4000000.00")
    variation = grant_change(session, award, company_of(award), Decimal("3700000.00"))
    session.commit()
    assert not variation.needs_second_approval  # 7.5% and £300,000: under both settings
    variations.approve(session, variation=variation, by=people["fm"])
    session.commit()
    assert sum(budgets.committed_by_year(session, fund).values()) == Decimal("4000000.00")  # held until accepted
    variations.accept(session, variation=variation, by=company_of(award))
    session.commit()
    session.expire_all()
    assert sum(budgets.committed_by_year(session, fund).values()) == Decimal("3700000.00")
    award = session.get(type(award), award.id)
    assert award.amount == Decimal("3700000.00") and award.cumulative_subsidy == Decimal("3700000.00")
    assert claims.grant_rate(award) == Decimal("3700000.00") / Decimal("16000000.00")


def test_above_the_settings_a_second_different_fund_manager_approves_and_the_requester_cannot(
        session, award, people):
    # A fund manager asks on the company's behalf for £1.5m more than £4m (above £1m and 10%).
    variation = grant_change(session, award, people["recommender"], Decimal("5500000.00"))
    variations.record_referral(session, variation=variation, by=people["fm"], referred_to_sau=False,
                               referral_reason="No competition concerns")
    session.commit()
    assert variation.on_behalf and variation.needs_second_approval
    with pytest.raises(DomainError, match="You requested this change on the company's behalf"):
        variations.approve(session, variation=variation, by=people["recommender"])
    session.rollback()
    variations.approve(session, variation=variation, by=people["fm"])
    session.commit()
    assert variation.status is S.AWAITING_SECOND_APPROVAL and variation.first_approver_id == people["fm"].id
    assert variation.document_id is None  # no letter until the second approval
    with pytest.raises(DomainError, match="You gave the first approval"):
        variations.approve(session, variation=variation, by=people["fm"])
    session.rollback()
    variations.approve(session, variation=variation, by=people["approver"])
    session.commit()
    assert variation.status is S.APPROVED and variation.decided_by_id == people["approver"].id
    # A long time extension (more than six months) needs two as well; three months does not.
    assert variations.needs_second_approval(award, K.TIME_EXTENSION, variations.Proposal(
        new_completion=add_months(award.offer.project_completion, 7)))
    assert not variations.needs_second_approval(award, K.TIME_EXTENSION, variations.Proposal(
        new_completion=add_months(award.offer.project_completion, 3)))


def test_the_fund_manager_queries_and_the_company_answers_as_often_as_needed(session, award, people, app):
    company = company_of(award)
    variation = extension(session, award, company)
    session.commit()
    for round_ in (1, 2):
        variations.query(session, variation=variation, by=people["fm"], body=f"Question {round_}")
        session.commit()
        assert variation.status is S.QUERIED
        with pytest.raises(DomainError):
            variations.approve(session, variation=variation, by=people["fm"])
        session.rollback()
        variations.answer(session, variation=variation, by=company, body=f"Answer {round_}")
        session.commit()
        assert variation.status is S.REQUESTED
    session.expire_all()
    assert [(m.kind, m.body) for m in session.get(Variation, variation.id).messages] == [
        ("query", "Question 1"), ("answer", "Answer 1"), ("query", "Question 2"), ("answer", "Answer 2")]
    actions = session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("variation.%"))
                              .order_by(AuditEvent.id)).all()
    assert actions == ["variation.requested", "variation.queried", "variation.answered", "variation.queried",
                       "variation.answered"]
    with pytest.raises(DomainError, match="Enter your answer"):
        variations.query(session, variation=variation, by=people["fm"], body="Q3")
        session.commit()
        variations.answer(session, variation=variation, by=company, body="   ")


def test_novation_moves_the_award_to_a_registered_company(session, client, make, award, people):
    company = company_of(award)
    with pytest.raises(DomainError, match="No company with number 99999999 is registered in Portfolio"):
        variations.request(session, award=award, by=company, kind=K.COMPANY, reasons="Sold",
                           proposal=variations.Proposal(new_company_number="99999999"))
    session.rollback()
    buyer = make.user(Role.APPLICANT)
    session.commit()
    variation = variations.request(session, award=award, by=company, kind=K.COMPANY, reasons="Sold to the group",
                                   proposal=variations.Proposal(new_company_number=buyer.organisation.company_number))
    session.commit()
    assert variation.new_organisation_id == buyer.organisation_id
    approve_and_accept(session, variation, people)
    award = session.get(type(award), award.id)
    assert award.organisation_id == buyer.organisation_id
    assert award.current_terms.company_name == buyer.organisation.name
    client.sign_in_as(company)
    assert client.get(f"/awards/{award.id}").status == 404
    assert client.get(f"/variations/{variation.id}").status == 404
    client.sign_in_as(buyer)
    page = client.get(f"/awards/{award.id}")
    assert page.status == 200 and page.html.select_one(".govuk-back-link")["href"] == "/home"  # not the old application
    assert client.get(f"/variations/awards/{award.id}/terms").status == 200


def test_every_earlier_version_of_the_terms_stays_readable(session, client, award, people):
    company = company_of(award)
    first = variations.request(session, award=award, by=company, kind=K.MILESTONES, reasons="Resequenced",
                               proposal=variations.Proposal(new_milestones="March 2028: line validated"))
    session.commit()
    approve_and_accept(session, first, people)
    award = session.get(type(award), award.id)
    second = variations.request(session, award=award, by=company, kind=K.SCOPE, reasons="Second site",
                                proposal=variations.Proposal(new_site="Unit 4, Speke, Liverpool",
                                                             new_eligible_capital_cost=Decimal("20000000.00"),
                                                             new_jobs_created=Decimal("150.0")))
    session.commit()
    approve_and_accept(session, second, people)
    award = session.get(type(award), award.id)
    assert [t.version for t in award.terms_versions] == [1, 2, 3]
    assert award.terms_versions[0].milestones == "June 2027: building complete"
    assert award.terms_versions[1].milestones == "March 2028: line validated" == award.offer.milestones
    assert award.offer.jobs_created == Decimal("150.0")  # clawback and leverage read the offer's figures
    assert claims.grant_rate(award) == Decimal("0.2")  # £4m of the new £20m eligible costs
    client.sign_in_as(company)
    page = client.get(f"/variations/awards/{award.id}/terms")
    assert page.status == 200
    for version in (1, 2, 3):
        assert page.html.find(id=f"version-{version}") is not None
    v1, v2, v3 = (page.html.find(id=f"version-{n}").get_text(" ", strip=True) for n in (1, 2, 3))
    assert "as first offered" in v1 and "June 2027: building complete" in v1
    assert "March 2028: line validated" in v2 and first.reference in v2 and company.name in v2
    assert "Unit 4, Speke, Liverpool" in v3 and "£20,000,000.00" in v3


def test_another_company_gets_404_and_staff_who_cannot_act_get_403(session, client, award, people):
    variation = extension(session, award, company_of(award))
    session.commit()
    client.sign_in_as(people["stranger"])
    assert client.get(f"/variations/{variation.id}").status == 404
    assert client.get(f"/variations/awards/{award.id}/new").status == 404
    assert client.get(f"/variations/awards/{award.id}/terms").status == 404
    client.sign_in_as(people["finance"])
    assert client.get(f"/variations/{variation.id}").status == 200
    assert client.get(f"/variations/awards/{award.id}/new").status == 403


def test_bad_input_is_a_400_with_messages_and_nothing_is_saved(session, client, award, people):
    company = company_of(award)
    client.sign_in_as(company)
    form_url = f"/variations/awards/{award.id}/new/reprofile"
    token = client.csrf_token(form_url)
    start, completion = variations.project_period(award)
    profile = variations.current_profile(award)
    first = min(profile)
    profile[first] += Decimal("0.01")  # a penny over the grant
    page = client.post(form_url, data={"csrf_token": token, "reasons": "", **profile_form(profile)})
    assert page.status == 400
    assert "Enter why the change is needed" in page.error_summary()
    assert any("more than the grant of £4,000,000.00" in message for message in page.error_summary())
    page = client.post(form_url, data={"csrf_token": token, "reasons": "Slipped", **profile_form(profile) | {
        field_name(first): "lots"}})
    assert page.status == 400 and any("as a number" in message for message in page.error_summary())
    # A time extension that ends earlier; a company that does not exist; an unknown kind.
    page = client.post(f"/variations/awards/{award.id}/new/time_extension", data=MultiDict(
        [("csrf_token", token), ("reasons", "Late")] + date_form("new_completion", completion - timedelta(days=1))))
    assert page.status == 400 and any("must be after the current one" in m for m in page.error_summary())
    page = client.post(f"/variations/awards/{award.id}/new/company", data={
        "csrf_token": token, "reasons": "Sold", "new_company_number": "12345678"})
    assert page.status == 400 and any("is registered in Portfolio" in m for m in page.error_summary())
    assert client.get(f"/variations/awards/{award.id}/new/nonsense").status == 404
    # A file that is not evidence: the request is refused whole.
    profile[first] -= Decimal("0.01")
    profile[first] += Decimal("100.00")
    profile[max(profile)] -= Decimal("100.00")
    page = client.post(form_url, data={"csrf_token": token, "reasons": "Slipped", "action": "submit",
                                       **profile_form(profile), "evidence": (io.BytesIO(b"MZ not a pdf"), "x.exe")},
                       content_type="multipart/form-data")
    assert page.status == 400 and any("must be a PDF" in m for m in page.error_summary())
    assert session.scalar(sa.select(sa.func.count()).select_from(Variation)) == 0
    page = client.post(form_url, data={"csrf_token": token, "reasons": "Slipped", "action": "submit",
                                       **profile_form(profile)})
    assert page.status == 302
    assert session.scalar(sa.select(sa.func.count()).select_from(Variation)) == 1
    # One open change at a time.
    page = client.get(f"/variations/awards/{award.id}/new")
    assert page.status == 302
    assert "is still open" in client.get(f"/awards/{award.id}").text


def test_each_step_is_audited(session, award, people):
    variation = extension(session, award, company_of(award))
    session.commit()
    approve_and_accept(session, variation, people)
    events = {event.action: event for event in session.scalars(sa.select(AuditEvent))}
    assert {"variation.requested", "variation.approved", "variation.accepted", "award.terms_varied",
            "monitoring.rescheduled", "document.requested"} <= set(events) or \
        {"variation.requested", "variation.approved", "variation.accepted", "award.terms_varied",
         "monitoring.rescheduled"} <= set(events)
    assert events["award.terms_varied"].after["version"] == 2
    assert events["variation.requested"].after["kind"] == "time_extension"
    withdrawn = variations.request(session, award=session.get(type(award), award.id), by=company_of(award),
                                   kind=K.MILESTONES, reasons="Resequenced",
                                   proposal=variations.Proposal(new_milestones="Later"))
    session.commit()
    variations.withdraw(session, variation=withdrawn, by=company_of(award), reason="Not needed after all")
    session.commit()
    event = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "variation.withdrawn")).one()
    assert event.after["reason"] == "Not needed after all"


def _approval(variation_id: int, approver_id: int):
    """A variation's approval as a racing attempt (tests.helpers.race)."""
    def change(session) -> None:
        variations.approve(session, variation=session.get(Variation, variation_id), by=session.get(User, approver_id))
    return change


def test_racing_grant_increases_never_over_commit_a_year(app, session, make, fund, people):
    """Four awards each ask for £200,000 more in the first year, which has £300,000 of headroom: on PostgreSQL
    approved from four threads at once (the fund's row lock makes them take turns), on SQLite one after another.
    One is approved; the others are refused, naming the year and its figures."""
    start = add_months(quarter_start(TODAY), -6)
    completion = add_months(start, 24) - timedelta(days=1)
    awards = [accepted_award(session, make, fund, people, start=start, completion=completion) for _ in range(4)]
    committed = budgets.committed_by_year(session, fund)
    first_year = min(committed)
    budgets.set_year_budgets(session, fund=fund, by=people["admin"], years=committed | {
        first_year: committed[first_year] + Decimal("300000.00"), "2035/36": Decimal("50000000.00")})
    session.commit()
    ids = []
    for award in awards:
        profile = variations.current_profile(award)
        profile[min(profile)] += Decimal("200000.00")
        ids.append(grant_change(session, award, company_of(award), Decimal("4200000.00"), profile=profile).id)
    session.commit()
    results = race(app, {i: _approval(i, people["fm"].id) for i in ids},
                   on_postgres=session.get_bind().dialect.name == "postgresql")
    session.expire_all()
    assert sorted(results.values()).count("approved") == 1
    refused = [message for message in results.values() if message != "approved"]
    assert len(refused) == 3 and all(f"This variation would over-commit {first_year}" in message for message in refused)
    held = budgets.committed_by_year(session, fund)
    assert held[first_year] == committed[first_year] + Decimal("200000.00") <= fund.year_budgets[first_year]


def test_the_fund_manager_records_the_referral_on_the_page_and_approves(session, client, award, people):
    variation = grant_change(session, award, company_of(award), Decimal("5500000.00"))
    session.commit()
    client.sign_in_as(people["fm"])
    url = f"/variations/{variation.id}"
    page = client.get(url)
    assert "Subsidy of Interest" in page.text and "Save the referral decision" in page.text
    page = client.submit(f"{url}/approve", {}, form_url=url)
    assert page.status == 400 and any("record whether it was referred" in m for m in page.error_summary())
    page = client.submit(f"{url}/referral", {"referred_to_sau": "no"}, form_url=url)
    assert page.status == 400 and "Enter why the increase was not referred" in page.error_summary()
    page = client.submit(f"{url}/referral", {"referred_to_sau": "no", "referral_reason": "No competition concerns"},
                         form_url=url)
    assert page.status == 302
    page = client.submit(f"{url}/approve", {"note": "Quote checked"}, form_url=url)
    assert page.status == 302
    session.expire_all()
    assert session.get(Variation, variation.id).status is S.AWAITING_SECOND_APPROVAL
    page = client.get(url)
    assert "You gave the first approval" in page.text and "Approve the change" not in page.text
    events = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "variation.referral_recorded")).all()
    assert len(events) == 1 and events[0].after["referral_reason"] == "No competition concerns"


def test_a_fund_manager_requests_on_the_company_behalf_and_another_rejects_it(session, client, award, people, app,
                                                                              run_jobs):
    client.sign_in_as(people["fm"])
    assert "Request a change" in client.get(f"/awards/{award.id}").text
    url = f"/variations/awards/{award.id}/new/milestones"
    page = client.submit(url, {"reasons": "Agreed at the quarterly review", "action": "submit",
                               "new_milestones": "May 2028: line validated"})
    assert page.status == 302, page.error_summary()
    variation = session.scalar(sa.select(Variation))
    assert variation.on_behalf and variation.requested_by_id == people["fm"].id
    run_jobs()
    assert any(message["To"] == company_of(award).email and variation.reference in message["Subject"]
               for message in sent_emails(app))
    detail = f"/variations/{variation.id}"
    assert "You requested this change on the company" in client.get(detail).text
    client.sign_in_as(people["approver"])
    page = client.submit(f"{detail}/reject", {"reason": ""}, form_url=detail)
    assert page.status == 400 and "Enter why the change is rejected" in page.error_summary()
    page = client.submit(f"{detail}/reject", {"reason": "The milestones must stay as offered"}, form_url=detail)
    assert page.status == 302
    session.expire_all()
    assert session.get(Variation, variation.id).status is S.REJECTED
    assert session.get(type(award), award.id).current_terms.version == 1  # nothing changed
    client.sign_in_as(company_of(award))
    page = client.get(detail)
    assert "The milestones must stay as offered" in page.text and "Accept the amendment" not in page.text


def test_the_fund_managers_list_shows_what_waits_for_whom(session, client, award, people):
    variation = grant_change(session, award, company_of(award), Decimal("3400000.00"))  # 15% less: two approvers
    session.commit()
    client.sign_in_as(people["fm"])
    assert variation.reference in client.get("/variations/").html.find(id="to-review").get_text()
    variations.approve(session, variation=variation, by=people["fm"])
    session.commit()
    assert variation.reference in client.get("/variations/").html.find(id="after-yours").get_text()
    client.sign_in_as(people["approver"])
    assert variation.reference in client.get("/variations/").html.find(id="second-approval").get_text()
    client.sign_in_as(company_of(award))
    assert client.get("/variations/").status == 403


def test_the_leverage_report_and_clawback_use_the_varied_terms(session, award, people):
    before = leverage.report(session).total
    assert before.private_contracted == Decimal("16000000.00") and before.grant_committed == Decimal("4000000.00")
    variation = variations.request(
        session, award=award, by=company_of(award), kind=K.SCOPE, reasons="A second line at the same site",
        proposal=variations.Proposal(new_scope="Two fill-finish lines", new_eligible_capital_cost=Decimal("18000000.00"),
                                     new_contracted_private_investment=Decimal("20000000.00"),
                                     new_jobs_created=Decimal("160.0")))
    session.commit()
    approve_and_accept(session, variation, people)
    after = leverage.report(session).total
    assert after.private_contracted == Decimal("20000000.00") and after.jobs_created_contracted == Decimal("160.0")
    assert monitoring.contracted(session.get(type(award), award.id))["jobs_created"] == Decimal("160.0")


def test_evidence_is_added_while_the_request_is_open_and_frozen_once_decided(session, client, award, people):
    company = company_of(award)
    variation = extension(session, award, company)
    session.commit()
    client.sign_in_as(company)
    url = f"/variations/{variation.id}"
    page = client.submit(f"{url}/evidence", {"file": (io.BytesIO(PDF), "quote.pdf")}, form_url=url)
    assert page.status == 302
    [upload] = variations.files(session, variation)
    assert client.get(f"{url}/evidence/{upload.id}").status == 200
    variations.approve(session, variation=variation, by=people["fm"])
    session.commit()
    page = client.get(url)
    assert "quote.pdf" in page.text and "Upload evidence" not in page.text
    with pytest.raises(DomainError, match="can no longer change"):
        variations.attach(session, variation, by=company, file_storage=None)
    session.rollback()
    client.sign_in_as(people["stranger"])
    assert client.get(f"{url}/evidence/{upload.id}").status == 404
