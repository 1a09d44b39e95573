"""Grant offers: issue with the letter PDF, a signatory accepts or declines, expiry on schedule."""

import io
import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from portfolio.models import ApplicationStatus, AuditEvent, AwardStatus, Offer, OfferStatus, Role
from portfolio.models.base import utcnow
from portfolio.services import decisions, offers
from tests.helpers import sent_emails
from workers import jobs
from portfolio.extensions import db


@pytest.fixture
def staff(make, session):
    people = {"recommender": make.user(Role.FUND_MANAGER), "assessor": make.user(Role.ASSESSOR),
              "approver": make.user(Role.FUND_MANAGER, name="Abel Approver")}
    session.commit()
    return people


@pytest.fixture
def approved(session, make, fund, staff):
    return make.approved_application(fund, **staff)


def issue(session, application, by) -> Offer:
    offer = offers.issue(session, application=application, by=by, terms=offers.default_terms(application))
    session.commit()
    return offer


def audit_of(session, entity_type: str, entity_id: int) -> list[tuple[str, str]]:
    events = session.scalars(sa.select(AuditEvent).where(AuditEvent.entity_type == entity_type,
                                                         AuditEvent.entity_id == str(entity_id))
                             .order_by(AuditEvent.id))
    return [(event.action, event.actor_label) for event in events]


def emails_to(app, run_jobs, address: str) -> list[str]:
    run_jobs()
    return [m.get_payload(decode=True).decode() for m in sent_emails(app) if m["To"] == address]


def test_fund_manager_issues_the_offer_and_the_letter_pdf_is_made(app, client, session, approved, staff, run_jobs):
    client.sign_in(staff["approver"].email)
    form = client.get(f"/offers/new/{approved.id}")
    assert form.html.select_one("#jobs_created")["value"] == "134.5"  # 10 + 20.5 + 30 + 35 + 39, from the application
    assert form.html.select_one("#contracted_private_investment")["value"] == "16,000,000.00"
    bad = client.submit(f"/offers/new/{approved.id}", {
        "contracted_private_investment": "-5", "jobs_created": "1.25", "jobs_safeguarded": "",
        "milestones": "", "claim_schedule": "Quarterly", "clawback_terms": "Pro rata"})
    assert bad.status == 400
    summary = bad.html.select_one(".govuk-error-summary").text
    for message in ["The contracted private investment must be more than £0", "with up to 1 decimal places",
                    "Enter the jobs safeguarded", "Enter the milestones"]:
        assert message in summary
    assert session.scalar(sa.select(sa.func.count()).select_from(Offer)) == 0

    page = client.submit(f"/offers/new/{approved.id}", {
        "contracted_private_investment": "16,000,000", "jobs_created": "134.5", "jobs_safeguarded": "37",
        "project_start": ["1", "4", "2027"], "project_completion": ["31", "3", "2026"],
        "milestones": "June 2027: building complete", "claim_schedule": "Quarterly in arrears",
        "clawback_terms": "Pro rata to any shortfall in jobs or investment"})
    assert page.status == 400 and "The project must complete after it starts" in page.text

    terms = {"contracted_private_investment": "16,000,000", "jobs_created": "134.5", "jobs_safeguarded": "37",
             "project_start": ["1", "4", "2027"], "project_completion": ["31", "3", "2029"],
             "milestones": "June 2027: building complete", "claim_schedule": "Quarterly in arrears",
             "clawback_terms": "Pro rata to any shortfall in jobs or investment"}
    page = client.post(f"/offers/new/{approved.id}", {**form.form_values(), **terms})
    # New dates, new quarters: the fund manager checks the agreed grant in each quarter of the new period.
    assert page.status == 400 and "The project period has changed" in " ".join(page.error_summary())
    assert [label.get_text(strip=True) for label in page.html.select("#profile legend")] == [
        "Financial year 2027/28", "Financial year 2028/29"]
    quarters = {name: "" for name in page.form_values() if name.startswith("quarter_")}
    page = client.post(f"/offers/new/{approved.id}", {**page.form_values(), **quarters,
                                                       "quarter_2027_04": "1,500,000", "quarter_2028_04": "2,500,000"},
                       follow_redirects=True)
    assert "Offer issued to" in page.text
    agreed = page.html.select_one("#agreed-profile")
    first_year = [(row.th.get_text(strip=True), row.td.get_text(strip=True))
                  for row in agreed.select_one("#agreed-profile-2027-28").select("tr")]
    assert first_year == [("2027/28 Q1 (April to June 2027)", "£1,500,000.00"),
                          ("2027/28 Q2 (July to September 2027)", "£0.00"),
                          ("2027/28 Q3 (October to December 2027)", "£0.00"),
                          ("2027/28 Q4 (January to March 2028)", "£0.00"), ("2027/28 total", "£1,500,000.00")]
    assert agreed.select_one("#agreed-profile-total").get_text(strip=True) == "£4,000,000.00"
    session.expire_all()
    offer = approved.award.offer
    assert (offer.project_start, offer.project_completion) == (date(2027, 4, 1), date(2029, 3, 31))
    assert approved.status is ApplicationStatus.OFFER_ISSUED and approved.award.status is AwardStatus.OFFERED
    assert offer.expires_at - offer.issued_at == timedelta(days=30)
    run_jobs()
    company_user = approved.organisation.users[0]
    assert "issued" in emails_to(app, run_jobs, company_user.email)[-1]
    client.sign_out()
    client.sign_in(company_user.email)  # the company downloads its own letter
    assert "Grant offer letter (PDF)" in client.get(f"/offers/{offer.id}").text
    pdf = client.get(f"/documents/{offer.document_id}/download").response.data
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    for expected in [f"LSIMF-{approved.id:05d}", "Grant offer letter", "£4,000,000.00", "£16,000,000.00", "134.5",
                     "37.0", "June 2027: building complete", "Quarterly in arrears",
                     "Pro rata to any shortfall", "Planning permission granted before the first claim",
                     "Agreed grant profile", "2027/28 £1,500,000.00 £0.00 £0.00 £0.00 £1,500,000.00",
                     "2028/29 £2,500,000.00 £0.00 £0.00 £0.00 £2,500,000.00", "Total £4,000,000.00"]:
        assert expected in text, expected
    assert decisions.ledger(session, fund=approved.fund).offered == Decimal("4000000.00")
    assert [action for action, _ in audit_of(session, "offers", offer.id)] == ["offer.issued"]


def test_a_signatory_accepts_and_the_money_moves_to_accepted(app, client, session, approved, staff, run_jobs):
    offer = issue(session, approved, staff["approver"])
    signatory = approved.organisation.users[0]
    client.sign_in(signatory.email)
    assert "A signatory accepts the grant offer by" in client.get("/home").html.select_one("#applications").text
    page = client.get(f"/offers/{offer.id}")
    assert "I confirm I am authorised to accept this offer on behalf of" in page.text
    unticked = client.submit(f"/offers/{offer.id}/accept", {}, form_url=f"/offers/{offer.id}")
    assert unticked.status == 400 and "Confirm that you are authorised" in unticked.text
    client.submit(f"/offers/{offer.id}/accept", {"confirm": "y"}, form_url=f"/offers/{offer.id}")
    session.expire_all()
    assert offer.status is OfferStatus.ACCEPTED and offer.responded_by_id == signatory.id
    assert approved.status is ApplicationStatus.OFFER_ACCEPTED and approved.award.status is AwardStatus.ACCEPTED
    ledger = decisions.ledger(session, fund=approved.fund, round_=approved.round)
    assert (ledger.offered, ledger.accepted) == (Decimal("0.00"), Decimal("4000000.00"))
    assert "Claim grant for eligible costs you have paid" in client.get("/home").html.select_one("#applications").text
    assert "accepted the grant offer" in emails_to(app, run_jobs, staff["approver"].email)[-1]
    assert "accepted the grant offer" in emails_to(app, run_jobs, signatory.email)[-1]
    assert audit_of(session, "offers", offer.id)[-1] == ("offer.accepted", signatory.email)
    assert audit_of(session, "applications", approved.id)[-1] == ("application.offer_accepted", signatory.email)
    again = client.submit(f"/offers/{offer.id}/accept", {"confirm": "y"}, form_url=f"/offers/{offer.id}")
    assert again.status == 400 and "already been answered" in again.text


def test_only_signatories_of_the_company_may_answer(client, session, make, approved, staff):
    offer = issue(session, approved, staff["approver"])
    colleague = make.user(Role.APPLICANT, organisation=approved.organisation, is_signatory=False)
    stranger = make.user(Role.APPLICANT)
    session.commit()
    client.sign_in(colleague.email)
    page = client.get(f"/offers/{offer.id}")
    assert "Only a signatory of your organisation" in page.text
    assert approved.organisation.users[0].name in page.text  # told who the signatories are
    assert "Accept the offer" not in page.text
    refused = client.submit(f"/offers/{offer.id}/accept", {"confirm": "y"}, form_url=f"/offers/{offer.id}")
    assert refused.status == 400 and "Only a signatory of your organisation" in refused.text
    refused = client.submit(f"/offers/{offer.id}/decline", {"reason": "No"}, form_url=f"/offers/{offer.id}")
    assert refused.status == 400 and "Only a signatory of your organisation" in refused.text
    client.sign_out()
    client.sign_in(stranger.email)
    assert client.get(f"/offers/{offer.id}").status == 404
    assert client.get(f"/documents/{offer.document_id}").status == 404
    assert client.submit(f"/offers/{offer.id}/accept", {"confirm": "y"}, form_url="/home").status == 404
    assert client.submit(f"/offers/{offer.id}/decline", {"reason": "No"}, form_url="/home").status == 404
    session.expire_all()
    assert offer.status is OfferStatus.ISSUED


def test_declining_releases_the_money(client, session, approved, staff):
    offer = issue(session, approved, staff["approver"])
    client.sign_in(approved.organisation.users[0].email)
    blank = client.submit(f"/offers/{offer.id}/decline", {"reason": ""})
    assert blank.status == 400 and "Enter why you are declining the offer" in blank.text
    client.submit(f"/offers/{offer.id}/decline", {"reason": "Investment moved to our Irish site"})
    session.expire_all()
    assert offer.status is OfferStatus.DECLINED and approved.status is ApplicationStatus.WITHDRAWN
    assert approved.award.status is AwardStatus.RELEASED
    assert offer.decline_reason == "Investment moved to our Irish site"
    assert decisions.ledger(session, fund=approved.fund, round_=approved.round).available == Decimal("50000000.00")
    assert audit_of(session, "offers", offer.id)[-1][0] == "offer.declined"


def test_expire_due_expires_offers_at_their_deadline_once(app, session, approved, staff, run_jobs):
    offer = issue(session, approved, staff["approver"])
    deadline = offer.expires_at
    assert offers.expire_due(session, now=deadline - timedelta(seconds=1)) == 0
    session.commit()
    assert offer.status is OfferStatus.ISSUED and approved.award.status is AwardStatus.OFFERED
    assert offers.expire_due(session, now=deadline) == 1
    session.commit()
    session.expire_all()
    assert offer.status is OfferStatus.EXPIRED and approved.status is ApplicationStatus.OFFER_EXPIRED
    assert approved.award.status is AwardStatus.RELEASED
    assert decisions.ledger(session, fund=approved.fund).offered == Decimal("0.00")
    assert audit_of(session, "offers", offer.id)[-1] == ("offer.expired", "offer-expiry")
    assert audit_of(session, "applications", approved.id)[-1] == ("application.offer_expired", "offer-expiry")
    assert offers.expire_due(session, now=deadline + timedelta(days=1)) == 0  # idempotent
    assert "expired" in emails_to(app, run_jobs, approved.organisation.users[0].email)[-1]


def test_the_expiry_command_and_late_answers(app, client, session, approved, staff, run_jobs):
    offer = issue(session, approved, staff["approver"])
    assert app.test_cli_runner().invoke(args=["offers", "expire"]).output.startswith("0 offers expired.")
    client.sign_in(approved.organisation.users[0].email)
    offer.expires_at = utcnow() - timedelta(minutes=1)  # the deadline passes before the job runs
    session.commit()
    late = client.submit(f"/offers/{offer.id}/accept", {"confirm": "y"}, form_url=f"/offers/{offer.id}")
    assert late.status == 400 and "This offer has expired" in late.text
    result = app.test_cli_runner().invoke(args=["offers", "expire"])
    assert result.exit_code == 0 and "1 offer expired." in result.output
    session.expire_all()
    assert offer.status is OfferStatus.EXPIRED and approved.status is ApplicationStatus.OFFER_EXPIRED
    assert approved.award.status is AwardStatus.RELEASED
    assert "expired" in emails_to(app, run_jobs, approved.organisation.users[0].email)[-1]
    assert app.test_cli_runner().invoke(args=["offers", "expire"]).output.startswith("0 offers expired.")
    page = client.get(f"/offers/{offer.id}")
    assert "Expired" in page.text and "Accept the offer" not in page.text


def test_rq_cron_runs_the_expiry_job_hourly_and_the_return_reminders_daily(session, approved, staff):
    import fakeredis
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=fakeredis.FakeRedis())
    scheduler.load_config_from_file("workers.cron")  # what `rq cron workers.cron` does
    assert [(job.func, job.args, job.cron, job.interval) for job in scheduler.get_jobs()] == [
        (jobs.run, ("expire_offers",), "5 * * * *", None),
        (jobs.run, ("send_return_reminders",), "0 7 * * *", None),
        (jobs.run, ("checkpoint_audit",), "30 6 * * *", None),
        (jobs.run, ("dispatch_jobs",), None, 60)]
    offer = issue(session, approved, staff["approver"])
    offer.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    assert jobs.run("expire_offers") == 1
    session.expire_all()
    assert offer.status is OfferStatus.EXPIRED


def test_fund_staff_read_the_offer_but_cannot_answer_it(client, session, make, approved, staff):
    offer = issue(session, approved, staff["approver"])
    finance = make.user(Role.FINANCE)
    session.commit()
    for person in (staff["recommender"], finance):
        client.sign_in(person.email)
        page = client.get(f"/offers/{offer.id}")
        assert page.status == 200 and "Quarterly in arrears" in page.text and "£16,000,000.00" in page.text
        assert "Accept the offer" not in page.text
        assert client.submit(f"/offers/{offer.id}/accept", {"confirm": "y"}, form_url="/home").status == 403
        client.sign_out()
    client.sign_in(staff["assessor"].email)
    assert client.get(f"/offers/{offer.id}").status == 403
    client.sign_out()
    client.sign_in(approved.organisation.users[0].email)
    assert client.get(f"/offers/new/{approved.id}").status == 403


def test_an_offer_is_issued_once_and_only_for_an_approved_award(client, session, make, fund, staff, approved):
    issue(session, approved, staff["approver"])
    client.sign_in(staff["approver"].email)
    again = client.get(f"/offers/new/{approved.id}", follow_redirects=True)
    assert "An offer has already been issued" in again.text
    recommended = make.recommended_application(fund, recommender=staff["recommender"], assessor=staff["assessor"])
    assert client.get(f"/offers/new/{recommended.id}").status == 404
    assert client.get("/offers/new/99999999999999999999").status == 404


def _expire_in_thread(app, barrier, results: list) -> None:
    with app.app_context():
        try:
            barrier.wait()
            results.append(offers.expire_due(db.session))
            db.session.commit()
        finally:
            db.session.remove()


def test_expiry_runs_at_the_same_time_expire_each_offer_once(app, session, make, fund, staff, run_jobs):
    """Four expiry runs at once (cron and a manual command, say): on PostgreSQL from threads with
    their own connections; on SQLite (one writer at a time) one after another."""
    issued = [issue(session, make.approved_application(fund, **staff), staff["approver"]) for _ in range(3)]
    for offer in issued:
        offer.expires_at = utcnow() - timedelta(minutes=1)
    session.commit()
    results: list[int] = []
    on_postgres = session.get_bind().dialect.name == "postgresql"
    barrier = threading.Barrier(4 if on_postgres else 1)
    if on_postgres:
        threads = [threading.Thread(target=_expire_in_thread, args=(app, barrier, results)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    else:
        for _ in range(4):
            _expire_in_thread(app, barrier, results)
    session.expire_all()
    assert sum(results) == 3 and all(offer.status is OfferStatus.EXPIRED for offer in issued)
    for offer in issued:
        assert [action for action, _ in audit_of(session, "offers", offer.id)] == ["offer.issued", "offer.expired"]
        company = offer.award.organisation.users[0].email
        assert sum("expired on" in body for body in emails_to(app, run_jobs, company)) == 1


def test_an_agreed_profile_that_does_not_add_up_or_lies_outside_the_period_is_refused(client, session, approved,
                                                                                      staff):
    client.sign_in(staff["approver"].email)
    form = client.get(f"/offers/new/{approved.id}")
    values = form.form_values()
    first = next(name for name in values if name.startswith("quarter_"))
    short = client.post(f"/offers/new/{approved.id}", {**values, first: "0"})
    assert short.status == 400
    [problem] = short.error_summary()
    assert "less than the grant of £4,000,000.00: it must add up to the grant to the penny" in problem
    assert short.html.select_one(".govuk-error-summary a")["href"] == "#profile"
    assert "it must add up to the grant to the penny" in short.html.select_one("#profile .govuk-error-message").text
    assert session.scalar(sa.select(sa.func.count()).select_from(Offer)) == 0

    terms = offers.default_terms(approved)
    terms.profile = {**terms.profile, terms.project_completion.replace(day=1) + timedelta(days=200): Decimal("1.00")}
    terms.profile[min(terms.profile)] -= Decimal("1.00")
    with pytest.raises(offers.DomainError, match="outside the project period"):
        offers.issue(session, application=approved, by=staff["approver"], terms=terms)
    session.rollback()


def test_the_offer_form_starts_from_the_awards_profile_fitted_to_the_offer_dates(client, session, approved, staff):
    terms = offers.default_terms(approved)
    assert sum(terms.profile.values()) == approved.award.amount
    client.sign_in(staff["approver"].email)
    values = client.get(f"/offers/new/{approved.id}").form_values()
    amounts = {name: Decimal(value.replace(",", "")) for name, value in values.items() if name.startswith("quarter_")}
    assert sum(amounts.values()) == Decimal("4000000.00") and len(amounts) == len(terms.profile)
