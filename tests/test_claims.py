"""Claims and payments: the arithmetic to the penny, finance's review and payment, and access."""

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio.models import AuditEvent, ClaimItem, ClaimStatus, Payment, PaymentStatus, Role
from portfolio.services import claims, decisions, offers
from portfolio.services.errors import DomainError
from tests.conftest import needs_postgres
from tests.builders import forecast_with
from portfolio.extensions import db
from portfolio.models import Claim
from portfolio.models import User

M = Decimal("1000000.00")
YESTERDAY = date.today() - timedelta(days=1)


@pytest.fixture
def award(session, make, fund, people):
    """A £4m award on £16m of eligible capital costs (a 25% grant rate), its offer accepted."""
    application = make.approved_application(fund, recommender=people["recommender"], assessor=people["assessor"],
                                            approver=people["approver"])
    offer = offers.issue(session, application=application, by=people["approver"],
                         terms=offers.default_terms(application))
    offers.accept(session, offer=offer, by=application.organisation.users[0])
    session.commit()
    return application.award


def claim_with(session, award, amounts, *, start=YESTERDAY - timedelta(days=90)):
    company = award.organisation.users[0]
    claim = claims.start(session, award=award, by=company, period_start=start, period_end=YESTERDAY)
    for n, amount in enumerate(amounts, start=1):
        claims.add_item(session, claim=claim, by=company, description=f"Cost {n}", invoice_reference=f"INV-{n}",
                        defrayed_on=YESTERDAY, amount=Decimal(amount))
    forecast_with(session, claim, company)
    claims.submit(session, claim=claim, by=company)
    session.commit()
    return claim


def test_claim_figures_follow_the_rate_and_the_retention(session, award, people):
    assert claims.grant_rate(award) == Decimal("0.25")
    claim = claim_with(session, award, ["1000000.00", "333333.33"])
    [full, part] = claim.items
    result = claims.review(session, claim=claim, by=people["finance"], reason="Second invoice part-eligible",
                           approved={full.id: Decimal("1000000.00"), part.id: Decimal("100000.03")})
    assert result == claims.Figures(approved_costs=Decimal("1100000.03"), grant_due=Decimal("275000.00"),
                                    retention=Decimal("27500.00"), payable=Decimal("247500.00"))
    session.commit()
    with pytest.raises(DomainError, match=r"must be £247,500.00 \(grant due £275,000.00 less £27,500.00 retention\)"):
        claims.record_payment(session, claim=claim, by=people["finance"], amount=Decimal("275000.00"),
                              paid_on=YESTERDAY, reference="BACS-1")
    session.rollback()
    claims.record_payment(session, claim=claim, by=people["finance"], amount=Decimal("247500.00"),
                          paid_on=YESTERDAY, reference="BACS-1")
    session.commit()
    position = claims.position(session, award)
    assert (position.paid, position.retention_held, position.left_to_claim) == (
        Decimal("247500.00"), Decimal("27500.00"), Decimal("3725000.00"))
    ledger = decisions.ledger(session, fund=award.fund, round_=award.round)
    assert (ledger.accepted, ledger.paid) == (4 * M, Decimal("247500.00"))


@settings(max_examples=60, deadline=None)
@given(rate=st.decimals(min_value=Decimal("0.0001"), max_value=1, places=4),
       retention=st.decimals(min_value=0, max_value=Decimal("0.5"), places=4),
       approved=st.lists(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("50000000"), places=2),
                         min_size=1, max_size=8),
       award=st.decimals(min_value=Decimal("1000000"), max_value=Decimal("30000000"), places=2))
def test_claim_arithmetic_is_exact_and_never_passes_the_award(rate, retention, approved, award):
    """Claim after claim: each grant at most rate × approved (rounded down to the penny), retention
    plus payment equal to the grant, and the grants together never more than the award."""
    total = Decimal("0.00")
    for costs in approved:
        result = claims.figures(rate=rate, retention_rate=retention, approved_costs=costs, award_left=award - total)
        assert result.grant_due <= rate * costs
        assert rate * costs - result.grant_due < Decimal("0.01") or result.grant_due == award - total
        assert result.retention + result.payable == result.grant_due
        assert result.retention == (result.grant_due * retention).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert min(result.grant_due, result.retention, result.payable) >= 0
        for value in (result.grant_due, result.retention, result.payable):
            assert value == value.quantize(Decimal("0.01"))
        total += result.grant_due
        assert total <= award


def test_the_last_claim_is_capped_at_what_is_left_of_the_award(session, award, people):
    first = claim_with(session, award, ["15000000.00"])
    claims.review(session, claim=first, by=people["finance"], approved={first.items[0].id: Decimal("15000000.00")},
                  reason=None)
    second = claim_with(session, award, ["2000000.00"])
    result = claims.review(session, claim=second, by=people["finance"],
                           approved={second.items[0].id: Decimal("2000000.00")}, reason=None)
    assert first.grant_due == Decimal("3750000.00") and result.grant_due == Decimal("250000.00")  # not £500,000
    assert claims.position(session, award).left_to_claim == Decimal("0.00")


def test_a_payment_that_would_exceed_the_award_is_refused(session, award, people):
    claim = claim_with(session, award, ["16000000.00"])
    claims.review(session, claim=claim, by=people["finance"], approved={claim.items[0].id: 16 * M}, reason=None)
    session.commit()
    # A payment recorded outside the claims (e.g. a correction) already took £500,000 of the award.
    session.add(Payment(award=award, kind="claim", amount=Decimal("500000.00"), paid_on=YESTERDAY, reference="ADJ",
                        recorded_by_id=people["finance"].id, status=PaymentStatus.PAID))
    session.commit()
    with pytest.raises(DomainError, match="would take payments to £4,100,000.00, more than the £4,000,000.00 award"):
        claims.record_payment(session, claim=claim, by=people["finance"], amount=Decimal("3600000.00"),
                              paid_on=YESTERDAY, reference="BACS-2")


def test_company_claims_and_finance_reviews_and_pays_through_the_pages(client, session, award, people):
    company = award.organisation.users[0]
    client.sign_in(company.email)
    award_url = f"/claims/awards/{award.id}"
    future = date.today() + timedelta(days=3)
    bad = client.submit(award_url, {"period_start": ["1", "1", "2026"],
                                    "period_end": [str(future.day), str(future.month), str(future.year)]})
    assert bad.status == 400 and "Claims are in arrears" in bad.text
    start = YESTERDAY - timedelta(days=30)
    page = client.submit(award_url, {"period_start": [str(start.day), str(start.month), str(start.year)],
                                     "period_end": [str(YESTERDAY.day), str(YESTERDAY.month), str(YESTERDAY.year)]},
                         follow=True)
    assert page.html.select_one("h1").text == "Claim 1"
    claim_url = page.response.request.path
    outside = start - timedelta(days=1)
    refused = client.submit(claim_url, {"description": "Isolator", "invoice_reference": "INV-9",
                                        "defrayed_on": [str(outside.day), str(outside.month), str(outside.year)],
                                        "amount": "100"})
    assert refused.status == 400 and "must have been paid in the claim period" in refused.text
    day = [str(YESTERDAY.day), str(YESTERDAY.month), str(YESTERDAY.year)]
    for description, amount in [("Isolator", "800,000"), ("Cleanroom fit-out", "400,000")]:
        client.submit(claim_url, {"description": description, "invoice_reference": "INV-1", "defrayed_on": day,
                                  "amount": amount})
    # A claim asks for the forecast of the quarters still to come: without it, it is not submitted.
    refused = client.submit(f"{claim_url}/submit", {}, form_url=claim_url, follow=True)
    assert "Forecast the grant you will claim in the quarters still to come before you submit" in refused.text
    forecast = client.get(f"{claim_url}/forecast")
    assert forecast.h1 == "Forecast the quarters still to come"
    saved = client.post(f"{claim_url}/forecast", forecast.form_values(), follow_redirects=True)
    assert "Forecast saved" in saved.text and saved.html.select_one("#forecast-made") is not None
    client.submit(f"{claim_url}/submit", {}, form_url=claim_url)
    client.sign_out()

    client.sign_in(people["finance"].email)
    queue = client.get("/claims/").html.select_one("#claims-submitted").text
    assert "claim 1" in queue
    items = session.scalars(sa.select(ClaimItem).order_by(ClaimItem.id)).all()
    partial = {f"item_{items[0].id}": "800,000", f"item_{items[1].id}": "200,000", "reason": ""}
    no_reason = client.submit(f"{claim_url}/review", partial, form_url=claim_url)
    assert no_reason.status == 400 and "Give the reason for approving less than was claimed" in no_reason.text
    page = client.submit(f"{claim_url}/review", {**partial, "reason": "Half the fit-out is office space"},
                         form_url=claim_url, follow=True)
    assert "£225,000.00 to pay" in page.text  # 25% of £1,000,000 = £250,000, less 10% retention
    wrong = client.submit(f"{claim_url}/payment", {"amount": "250,000", "paid_on": day, "reference": "BACS-7"},
                          form_url=claim_url)
    assert wrong.status == 400 and "must be £225,000.00" in wrong.text
    client.submit(f"{claim_url}/payment", {"amount": "225,000", "paid_on": day, "reference": "BACS-7"},
                  form_url=claim_url)
    session.expire_all()
    [claim] = claims.claims_of(session, award)
    assert claim.status is ClaimStatus.PAID and claim.payments[0].reference == "BACS-7"
    actions = set(session.scalars(sa.select(AuditEvent.action).where(AuditEvent.entity_type == "claims")))
    assert {"claim.started", "claim.item_added", "claim.submitted", "claim.approved", "claim.paid"} <= actions


def test_claims_are_private_to_the_company_and_finance_decides(client, session, make, award, people):
    claim = claim_with(session, award, ["1000"])
    stranger = make.user(Role.APPLICANT)
    session.commit()
    client.sign_in(stranger.email)
    for url in [f"/claims/awards/{award.id}", f"/claims/{claim.id}", "/claims/99999999999999999999"]:
        assert client.get(url).status == 404, url
    client.sign_out()
    client.sign_in(award.organisation.users[0].email)
    # the company cannot approve (a valid CSRF token, so the refusal is the role's)
    assert client.submit(f"/claims/{claim.id}/review", {}, form_url=f"/claims/{claim.id}").status == 403
    client.sign_out()
    client.sign_in(people["assessor"].email)
    assert client.get(f"/claims/{claim.id}").status == 403
    client.sign_out()
    client.sign_in(people["approver"].email)  # fund managers read, finance decides
    assert client.get(f"/claims/{claim.id}").status == 200
    assert client.submit(f"/claims/{claim.id}/payment", {}, form_url=f"/claims/{claim.id}").status == 403


def test_blank_claim_forms_say_what_is_missing_and_save_nothing(client, session, award, people):
    draft = claims.start(session, award=award, by=award.organisation.users[0], period_start=YESTERDAY,
                         period_end=YESTERDAY)
    submitted = claim_with(session, award, ["1000"])
    approved = claim_with(session, award, ["2000"])
    claims.review(session, claim=approved, by=people["finance"], approved={approved.items[0].id: Decimal("2000")},
                  reason=None)
    session.commit()
    events = session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    client.sign_in(award.organisation.users[0].email)
    page = client.submit(f"/claims/{draft.id}", {"description": "", "invoice_reference": "", "amount": "",
                                                 "defrayed_on": ["", "", ""]})
    assert page.status == 400
    assert page.error_summary() == ["Enter what was bought", "Enter the invoice number",
                                    "Enter the date the cost was paid", "Enter the cost"]
    client.sign_out()
    client.sign_in(people["finance"].email)
    for url, message in [(f"/claims/{submitted.id}/reject", "Enter why the claim is rejected"),
                         (f"/claims/{approved.id}/payment", "Enter the payment reference")]:
        page = client.submit(url, {"reason": "", "amount": "1", "paid_on": ["1", "1", "2026"], "reference": ""},
                             form_url=url.rsplit("/", 1)[0])
        assert page.status == 400 and message in page.error_summary(), url
    session.expire_all()
    written = session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id).offset(events)).all()
    assert not [action for action in written if action.startswith("claim.")], written
    assert draft.items == [] and submitted.status is ClaimStatus.SUBMITTED and approved.status is ClaimStatus.APPROVED


# --- a submit locks what it submits (issue 13) ------------------------------------------------------------

def _in_thread(app, barrier, work) -> str:
    """Run `work(session)` in its own app context and connection, after every thread is ready."""
    with app.app_context():
        try:
            barrier.wait()
            work(db.session)
            db.session.commit()
            return "done"
        except DomainError as error:
            db.session.rollback()
            return error.message
        finally:
            db.session.remove()


@needs_postgres
def test_a_claim_submitted_while_costs_are_added_records_what_was_stored(app, session, award):
    """Found on main: the audit event said 2 items and £11,000 while the submitted claim held 5 items
    and £14,000, and five simultaneous submits wrote three events. Now the submit locks the claim:
    every cost lands before it (and is in what was submitted) or is refused after it, and five submits
    are one submit."""
    import threading

    company = award.organisation.users[0]
    for round_number in range(3):
        claim = claims.start(session, award=award, by=company, period_start=YESTERDAY - timedelta(days=30),
                             period_end=YESTERDAY)
        for n in (1, 2):
            claims.add_item(session, claim=claim, by=company, description=f"Cost {n}", invoice_reference=f"INV-{n}",
                            defrayed_on=YESTERDAY, amount=Decimal("5500.00"))
        forecast_with(session, claim, company)
        session.commit()
        claim_id, company_id = claim.id, company.id
        workers = 8
        barrier = threading.Barrier(workers)
        results = []

        def submit(db_session):
            claims.submit(db_session, claim=db_session.get(Claim, claim_id), by=db_session.get(User, company_id))

        def add_cost(db_session):
            claims.add_item(db_session, claim=db_session.get(Claim, claim_id), by=db_session.get(User, company_id),
                            description="Late cost", invoice_reference="INV-LATE", defrayed_on=YESTERDAY,
                            amount=Decimal("1000.00"))

        jobs = [submit] * 5 + [add_cost] * 3
        threads = [threading.Thread(target=lambda job=job: results.append(_in_thread(app, barrier, job)))
                   for job in jobs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        session.expire_all()
        stored = session.get(Claim, claim_id)
        events = session.scalars(sa.select(AuditEvent).where(
            AuditEvent.entity_type == "claims", AuditEvent.entity_id == str(claim_id),
            AuditEvent.action == "claim.submitted")).all()
        assert stored.status is ClaimStatus.SUBMITTED, (round_number, results)
        assert len(events) == 1, (round_number, results)
        assert events[0].after["items"] == len(stored.items)
        assert Decimal(events[0].after["claimed"]) == stored.claimed
        assert results.count("done") == 1 + (len(stored.items) - 2), results  # one submit, and the costs that landed
        assert all(message in ("Claim 1 has already been submitted".replace("1", str(stored.number)),
                               "This claim has been submitted and can no longer be changed")
                   for message in results if message != "done"), results
