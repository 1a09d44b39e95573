"""Monitoring returns: the schedule, queried figures, verification, reminders, the retention
release and the clawback flag."""

from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portfolio.models import AuditEvent, MonitoringReturn, Rag, ReturnKind, ReturnStatus, Role
from portfolio.services import claims, funds, monitoring
from portfolio.services.errors import DomainError
from tests.builders import GOOD, accepted_award, forecast_with
from tests.builders import submit_return as submit
from tests.helpers import sent_emails

TODAY = date.today()
M = Decimal("1000000.00")


def as_form(values: dict, **extra) -> dict:
    return {name: str(value) for name, value in values.items()} | {"narrative": "Building on plan", "rag": "green"} \
        | extra


@pytest.fixture
def award(session, make, fund, people):
    """Built from April three years ago to March last year: the build returns are all past."""
    start = date(TODAY.year - 3, 4, 1)
    return accepted_award(session, make, fund, people, start=start, completion=date(TODAY.year - 1, 3, 31))


def test_the_schedule_is_quarterly_through_the_build_then_annual_for_five_years(session, make, fund):
    rules = fund.rules
    periods = monitoring.schedule(rules, start=date(2026, 5, 15), completion=date(2027, 2, 10))
    assert [(p.kind, p.start, p.end, p.due_on) for p in periods[:4]] == [
        (ReturnKind.QUARTERLY, date(2026, 5, 15), date(2026, 6, 30), date(2026, 7, 30)),
        (ReturnKind.QUARTERLY, date(2026, 7, 1), date(2026, 9, 30), date(2026, 10, 30)),
        (ReturnKind.QUARTERLY, date(2026, 10, 1), date(2026, 12, 31), date(2027, 1, 30)),
        (ReturnKind.COMPLETION, date(2027, 1, 1), date(2027, 2, 10), date(2027, 3, 12)),
    ]
    annual = periods[4:]
    assert [p.kind for p in annual] == [ReturnKind.ANNUAL] * 5
    assert (annual[0].start, annual[0].end) == (date(2027, 2, 11), date(2028, 2, 10))
    assert (annual[-1].start, annual[-1].end, annual[-1].due_on) == (date(2031, 2, 11), date(2032, 2, 10),
                                                                     date(2032, 3, 11))
    # Settings change the schedule: half-yearly returns, two years of monitoring, due in 10 days.
    rules = funds.update_rules(session, fund=fund, by=make.user(Role.ADMIN), **funds.rules_as_dict(fund.rules) | {
        "build_return_months": 6, "monitoring_years": 2, "return_due_days": 10})
    periods = monitoring.schedule(rules, start=date(2026, 5, 15), completion=date(2027, 2, 10))
    assert [(p.kind.value, p.end, p.due_on) for p in periods] == [
        ("quarterly", date(2026, 9, 30), date(2026, 10, 10)), ("completion", date(2027, 2, 10), date(2027, 2, 20)),
        ("annual", date(2028, 2, 10), date(2028, 2, 20)), ("annual", date(2029, 2, 10), date(2029, 2, 20))]


def test_accepting_the_offer_generates_the_schedule_once(session, award):
    returns = monitoring.returns_of(session, award)
    assert len(returns) == 8 + 5  # two financial years of quarters, then five annual returns
    assert [r.number for r in returns] == list(range(1, 14))
    assert returns[7].kind is ReturnKind.COMPLETION and returns[7].period_end == date(TODAY.year - 1, 3, 31)
    assert all(r.status is ReturnStatus.OPEN for r in returns)
    assert monitoring.generate(session, award, by=None) == returns  # a second call adds nothing
    events = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "monitoring.scheduled")).all()
    assert len(events) == 1 and events[0].after["returns"] == 13


def test_figures_going_backwards_or_far_over_the_contract_are_queried(session, award):
    first, second = monitoring.returns_of(session, award)[:2]
    assert monitoring.queries(session, first, GOOD) == []
    over = GOOD | {"private_investment": Decimal("24000000.01"), "jobs_created": Decimal("201.8")}
    assert [(q.figure, q.message) for q in monitoring.queries(session, first, over)] == [
        ("private_investment", "Private investment to date is more than 50% above the £16,000,000.00 contracted: "
                               "correct it, or explain why"),
        ("jobs_created", "Jobs created (FTE at the end of the period) is more than 50% above the 134.5 contracted: "
                         "correct it, or explain why")]
    assert monitoring.queries(session, first, GOOD | {"private_investment": Decimal("24000000.00")}) == []
    submit(session, first)

    lower = GOOD | {"capital_spent": Decimal("4999999.99"), "jobs_safeguarded": Decimal("36.5")}
    assert [q.figure for q in monitoring.queries(session, second, lower)] == ["capital_spent", "jobs_safeguarded"]
    with pytest.raises(DomainError, match="Capital spent to date is lower than the £5,000,000.00 reported in return 1"):
        submit(session, second, lower)
    session.rollback()
    assert second.status is ReturnStatus.OPEN and second.capital_spent is None  # nothing half-saved
    submit(session, second, lower, capital_spent="Credit note on the cleanroom contract",
           jobs_safeguarded="One retirement")
    assert second.status is ReturnStatus.SUBMITTED
    assert second.explanations == {"capital_spent": "Credit note on the cleanroom contract",
                                   "jobs_safeguarded": "One retirement"}


def test_company_submits_a_return_through_the_page_and_answers_the_query(client, session, award):
    first, second = monitoring.returns_of(session, award)[:2]
    submit(session, first)
    company = award.organisation.users[0]
    client.sign_in(company.email)
    url = f"/awards/returns/{second.id}"
    page = client.get(url)
    assert "Return 1: £4,000,000.00" in page.html.select_one("#private_investment-hint").text

    blank = client.submit(url, {"capital_spent": "", "rag": "purple"})
    assert blank.status == 400
    assert {"Enter the capital spent to date", "Enter the jobs created",
            "Select how the project is going", "Enter the progress in the period"} <= set(blank.error_summary())

    lower = as_form(GOOD, private_investment="3,500,000")
    queried = client.submit(url, lower)
    assert queried.status == 400
    assert queried.error_summary() == ["Private investment to date is lower than the £4,000,000.00 reported in "
                                       "return 1: correct it, or explain why"]
    assert queried.html.select_one("textarea#explain_private_investment") is not None
    assert queried.html.select_one("#private_investment")["value"] == "3,500,000"  # what they typed is kept
    session.expire_all()
    assert second.status is ReturnStatus.OPEN

    done = client.submit(url, lower | {"explain_private_investment": "An investor withdrew £0.5m"}, follow=True)
    assert "Return 2 submitted" in done.text
    session.expire_all()
    assert second.status is ReturnStatus.SUBMITTED and second.private_investment == Decimal("3500000.00")
    assert second.explanations == {"private_investment": "An investor withdrew £0.5m"}
    assert client.submit(url, as_form(GOOD)).status == 400  # submitted: no longer open
    session.expire_all()
    assert second.private_investment == Decimal("3500000.00")


def test_a_manager_verifies_or_returns_with_reasons_and_verified_is_frozen(app, client, session, award, people,
                                                                             run_jobs):
    first = monitoring.returns_of(session, award)[0]
    submit(session, first)
    url = f"/awards/returns/{first.id}"
    client.sign_in(people["finance"].email)
    assert client.submit(f"{url}/verify", form_url=url).status == 403  # finance reads, managers verify
    client.sign_out()

    client.sign_in(people["account_manager"].email)
    assert client.submit(f"{url}/send-back", {"reason": ""}).status == 400
    page = client.submit(f"{url}/send-back", {"reason": "Attach the payroll summary for the jobs"}, form_url=url,
                         follow=True)
    assert "Return 1 returned to the company" in page.text
    session.expire_all()
    assert first.status is ReturnStatus.RETURNED
    run_jobs()
    body = [m.get_payload(decode=True).decode() for m in sent_emails(app) if "needs changes" in m["Subject"]]
    assert body and "Attach the payroll summary for the jobs" in body[-1]
    client.sign_out()

    client.sign_in(award.organisation.users[0].email)
    form = client.get(url)
    assert "Attach the payroll summary for the jobs" in form.html.select_one("#returned-reason p").text
    assert form.html.select_one("#returned-reason h2").text == "Returned for changes"
    assert form.html.select_one("#jobs_created")["value"] == "40.0"  # the last submission, to correct
    assert client.submit(url, as_form(GOOD, jobs_created="41")).status == 302
    client.sign_out()

    client.sign_in(people["approver"].email)
    assert client.submit(f"{url}/verify", form_url=url).status == 302
    session.expire_all()
    assert first.status is ReturnStatus.VERIFIED and first.verified_by_id == people["approver"].id
    with pytest.raises(DomainError, match="submitted and can no longer be changed"):
        submit(session, first, GOOD | {"jobs_created": Decimal("1")})
    session.rollback()
    with pytest.raises(DomainError, match="Only a submitted return"):
        monitoring.send_back(session, monitoring_return=first, by=people["approver"], reason="Too late")
    session.rollback()
    assert first.jobs_created == Decimal("41.0")
    actions = [a for (a,) in session.execute(sa.select(AuditEvent.action).where(
        AuditEvent.entity_type == "monitoring_returns", AuditEvent.entity_id == str(first.id)).order_by(AuditEvent.id))]
    assert actions == ["monitoring.submitted", "monitoring.returned", "monitoring.submitted", "monitoring.verified"]


def test_reminders_go_seven_days_before_and_on_the_due_date_once_each(app, session, make, fund, people, run_jobs):
    start = TODAY - timedelta(days=200)
    award = accepted_award(session, make, fund, people, start=start, completion=TODAY + timedelta(days=400))
    returns = monitoring.returns_of(session, award)
    due_soon = next(r for r in returns if r.due_on > TODAY + timedelta(days=7))
    for r in returns:
        if r.due_on < due_soon.due_on:  # earlier returns are done
            r.status = ReturnStatus.VERIFIED
    session.commit()
    company = award.organisation.users[0].email

    def subjects(day):
        run_jobs()
        before = len(sent_emails(app))
        sent = monitoring.send_reminders(session, today=day)
        session.commit()
        run_jobs()
        new = [m["Subject"] for m in sent_emails(app)[before:] if m["To"] == company]
        assert len(new) == sent
        return new

    assert subjects(due_soon.due_on - timedelta(days=8)) == []
    assert subjects(due_soon.due_on - timedelta(days=7)) == [
        f"Monitoring return {due_soon.number} is due on {due_soon.due_on:%d/%m/%Y}"]
    assert subjects(due_soon.due_on - timedelta(days=3)) == []  # already reminded
    assert subjects(due_soon.due_on) == [f"Monitoring return {due_soon.number} is due today"]
    assert subjects(due_soon.due_on + timedelta(days=1)) == []
    session.refresh(due_soon)
    assert due_soon.is_overdue(due_soon.due_on + timedelta(days=1)) and not due_soon.is_overdue(due_soon.due_on)
    assert monitoring.work_queue(session, today=due_soon.due_on + timedelta(days=1))["overdue"] == [due_soon]


def test_a_return_missed_by_the_job_is_reminded_as_overdue_and_the_cli_sends_it(app, session, award, run_jobs):
    first = monitoring.returns_of(session, award)[0]
    runner = app.test_cli_runner()
    result = runner.invoke(args=["returns", "remind"])
    assert result.exit_code == 0
    sent = int(result.output.split()[0])
    assert sent >= 1  # every past return of this award is overdue and had no reminder
    session.expire_all()
    assert first.reminded_due_at is not None and first.reminded_before_at is None
    run_jobs()
    assert f"Monitoring return {first.number} is overdue" in {m["Subject"] for m in sent_emails(app)}
    assert runner.invoke(args=["returns", "remind"]).output == "0 reminders sent.\n"


def test_the_retention_is_released_once_the_completion_return_is_verified(session, award, people):
    company, finance = award.organisation.users[0], people["finance"]
    claim = claims.start(session, award=award, by=company, period_start=date(TODAY.year - 3, 4, 1),
                         period_end=date(TODAY.year - 2, 3, 31))
    claims.add_item(session, claim=claim, by=company, description="Cleanroom", invoice_reference="INV-1",
                    defrayed_on=date(TODAY.year - 3, 6, 1), amount=Decimal("10000000.00"))
    forecast_with(session, claim, company)
    claims.submit(session, claim=claim, by=company)
    claims.review(session, claim=claim, by=finance, approved={claim.items[0].id: Decimal("9999999.99")},
                  reason="One invoice line not eligible")
    claims.record_payment(session, claim=claim, by=finance, amount=claim.payable, paid_on=TODAY, reference="B-1")
    session.commit()
    assert (claim.grant_due, claim.retention, claim.payable) == (
        Decimal("2499999.99"), Decimal("250000.00"), Decimal("2249999.99"))

    def release(amount):
        return claims.release_retention(session, award=award, by=finance, amount=Decimal(amount), paid_on=TODAY,
                                        reference="B-R")

    with pytest.raises(DomainError, match="once the completion monitoring return is verified"):
        release("250000.00")
    session.rollback()
    completion = next(r for r in monitoring.returns_of(session, award) if r.kind is ReturnKind.COMPLETION)
    submit(session, completion)
    monitoring.verify(session, monitoring_return=completion, by=people["approver"])
    session.commit()
    with pytest.raises(DomainError, match="The retention to release is £250,000.00"):
        release("250000.01")
    session.rollback()
    release("250000.00")
    session.commit()
    position = claims.position(session, award)
    assert (position.paid, position.retention_held) == (Decimal("2499999.99"), Decimal("0.00"))
    with pytest.raises(DomainError, match="No retention is held"):
        release("0.01")


def test_a_final_return_short_of_the_contract_flags_clawback_pro_rata(session, make, fund, people):
    start = date(TODAY.year - 9, 4, 1)
    award = accepted_award(session, make, fund, people, start=start, completion=date(TODAY.year - 7, 3, 31))
    company, finance = award.organisation.users[0], people["finance"]
    claim = claims.start(session, award=award, by=company, period_start=start, period_end=start + timedelta(days=90))
    claims.add_item(session, claim=claim, by=company, description="Plant", invoice_reference="P-1",
                    defrayed_on=start + timedelta(days=30), amount=Decimal("8000000.00"))
    forecast_with(session, claim, company)
    claims.submit(session, claim=claim, by=company)
    claims.review(session, claim=claim, by=finance, approved={claim.items[0].id: Decimal("8000000.00")}, reason=None)
    claims.record_payment(session, claim=claim, by=finance, amount=claim.payable, paid_on=TODAY, reference="B-1")
    session.commit()
    paid = claims.position(session, award).paid
    assert paid == Decimal("1800000.00")
    *earlier, final = monitoring.returns_of(session, award)
    for r in earlier:
        r.status = ReturnStatus.VERIFIED  # reported and verified along the way
    session.commit()
    # Jobs created at 110.3 of 134.5 is 17.99% short; private investment is met; safeguarded is met.
    submit(session, final, GOOD | {"jobs_created": Decimal("110.3"), "private_investment": 16 * M,
                                   "capital_spent": 20 * M})
    monitoring.verify(session, monitoring_return=final, by=people["account_manager"])
    session.commit()
    shortfall = (Decimal("134.5") - Decimal("110.3")) / Decimal("134.5")
    assert award.clawback_shortfall == Decimal("0.1799")
    assert award.clawback_amount == (paid * shortfall).quantize(Decimal("0.01")) == Decimal("323866.17")
    assert "jobs created fell 18.0% short" in award.clawback_reason


def test_a_shortfall_within_the_tolerance_is_not_flagged(session, make, fund, people):
    start = date(TODAY.year - 9, 4, 1)
    award = accepted_award(session, make, fund, people, start=start, completion=date(TODAY.year - 7, 3, 31))
    *earlier, final = monitoring.returns_of(session, award)
    for r in earlier:
        r.status = ReturnStatus.VERIFIED
    session.commit()
    # 121.05 of 134.5 jobs is exactly 10% short: at the tolerance, not over it.
    submit(session, final, GOOD | {"jobs_created": Decimal("121.1"), "private_investment": Decimal("14400000.00"),
                                   "capital_spent": 20 * M})
    monitoring.verify(session, monitoring_return=final, by=people["approver"])
    session.commit()
    assert award.clawback_flagged_at is None and award.clawback_amount is None


def test_returns_can_be_submitted_only_after_their_period(client, session, make, fund, people):
    award = accepted_award(session, make, fund, people, start=TODAY - timedelta(days=10),
                           completion=TODAY + timedelta(days=700))
    current = monitoring.returns_of(session, award)[0]
    with pytest.raises(DomainError, match="once its period ends"):
        submit(session, current)
    session.rollback()
    client.sign_in(award.organisation.users[0].email)
    page = client.get(f"/awards/returns/{current.id}")
    assert "You can submit this return once its period ends" in page.text
    assert page.html.select_one("#capital_spent") is None
    assert session.scalar(sa.select(sa.func.count()).select_from(MonitoringReturn)
                          .where(MonitoringReturn.status != ReturnStatus.OPEN)) == 0


CENT = Decimal("0.01")
item_amounts = st.tuples(st.decimals(min_value=CENT, max_value=Decimal("6000000"), places=2),
                         st.integers(min_value=0, max_value=100))  # (claimed, % of it approved)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.lists(item_amounts, min_size=1, max_size=3), min_size=1, max_size=5))
def test_claims_payments_and_the_retention_release_add_up_to_the_penny(session, award, people, batches):
    """Any run of claims, each approved in full or in part and paid, then the completion return verified and
    the retention released: every figure to the penny, and never more than the award paid out."""
    company, finance = award.organisation.users[0], people["finance"]
    rate, held_back = claims.grant_rate(award), award.application.rules_in_force.retention_rate
    period = (date(TODAY.year - 3, 4, 1), date(TODAY.year - 3, 6, 30))
    savepoint = session.begin_nested()
    try:
        granted, retained = Decimal("0.00"), Decimal("0.00")
        for batch in batches:
            claim = claims.start(session, award=award, by=company, period_start=period[0], period_end=period[1])
            for n, (amount, _) in enumerate(batch):
                claims.add_item(session, claim=claim, by=company, description=f"Item {n}", invoice_reference=f"I{n}",
                                defrayed_on=period[0], amount=amount)
            forecast_with(session, claim, company)
            claims.submit(session, claim=claim, by=company)
            approved = {item.id: (item.amount * share / 100).quantize(CENT, ROUND_DOWN)
                        for item, (_, share) in zip(claim.items, batch, strict=True)}
            total = sum(approved.values(), Decimal("0.00"))
            if total == 0:
                with pytest.raises(DomainError, match="Nothing is approved"):
                    claims.review(session, claim=claim, by=finance, approved=approved, reason="None eligible")
                claims.reject(session, claim=claim, by=finance, reason="None eligible")
                continue
            result = claims.review(session, claim=claim, by=finance, approved=approved, reason="Part eligible")
            expected = min((rate * total).quantize(CENT, ROUND_DOWN), award.amount - granted)
            assert result.grant_due == expected
            assert result.retention == (expected * held_back).quantize(CENT, ROUND_HALF_UP)
            assert result.payable == expected - result.retention
            claims.record_payment(session, claim=claim, by=finance, amount=result.payable, paid_on=TODAY,
                                  reference="P")
            granted, retained = granted + expected, retained + result.retention
        position = claims.position(session, award)
        assert (position.approved, position.paid, position.retention_held) == (granted, granted - retained, retained)
        assert position.left_to_claim == award.amount - granted >= 0

        completion = next(r for r in monitoring.returns_of(session, award) if r.kind is ReturnKind.COMPLETION)
        monitoring.submit(session, monitoring_return=completion, by=company, values=GOOD, narrative="Done",
                          rag=Rag.GREEN, explanations={})
        monitoring.verify(session, monitoring_return=completion, by=people["approver"])
        if retained:
            payment = claims.release_retention(session, award=award, by=finance, amount=retained, paid_on=TODAY,
                                               reference="R")
            assert payment.amount == retained
        final = claims.position(session, award)
        assert (final.paid, final.retention_held) == (granted, Decimal("0.00"))
        assert final.paid <= award.amount
    finally:
        savepoint.rollback()


def test_home_pages_point_to_the_next_return_and_the_work_waiting(client, session, award, people):
    first = monitoring.returns_of(session, award)[0]
    client.sign_in(award.organisation.users[0].email)
    assert client.get(f"/awards/returns/{first.id}").html.select_one("#return-summary strong.govuk-tag").text == \
        "Overdue"
    row = client.get("/home").html.select_one("#applications tbody tr")
    assert f"Submit monitoring return 1 by {first.due_on.day}" in row.text and "Overdue" in row.text
    assert row.select_one(f'a[href="/awards/returns/{first.id}"]') is not None
    submit(session, first)
    row = client.get("/home").html.select_one("#applications tbody tr")
    assert "Submit monitoring return 2" in row.text
    client.sign_out()
    client.sign_in(people["account_manager"].email)
    # Return 1 waits for verification; every later return past its due date is overdue.
    overdue = sum(1 for r in monitoring.returns_of(session, award) if r.is_overdue(TODAY))
    assert client.get("/home").html.select_one("#returns-work").text.strip() == (
        f"1 waiting for verification, {overdue} overdue")
