"""Grant offers: issue with the letter PDF, a signatory accepts or declines, expiry on schedule."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from portfolio.models import ApplicationStatus, AwardStatus, Offer, OfferStatus, Role
from portfolio.models.base import utcnow
from portfolio.services import decisions, offers
from tests.helpers import sent_emails


@pytest.fixture
def fund(session, make):
    fund = make.fund()
    make.open_round(fund, allocation=Decimal("50000000.00"))
    session.commit()
    return fund


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
        "milestones": "June 2027: building complete", "claim_schedule": "Quarterly in arrears",
        "clawback_terms": "Pro rata to any shortfall in jobs or investment"}, follow=True)
    assert "Offer issued to" in page.text
    session.expire_all()
    offer = approved.award.offer
    assert approved.status is ApplicationStatus.OFFER_ISSUED and approved.award.status is AwardStatus.OFFERED
    assert offer.expires_at - offer.issued_at == timedelta(days=30)
    run_jobs()
    company_user = approved.organisation.users[0]
    assert "issued" in emails_to(app, run_jobs, company_user.email)[-1]
    pdf = client.get(f"/documents/{offer.document_id}/download").response.data
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    for expected in ["Grant offer letter", "£4,000,000.00", "£16,000,000.00", "134.5", "June 2027: building complete",
                     "Pro rata to any shortfall", "Planning permission granted before the first claim"]:
        assert expected in text, expected
    assert decisions.ledger(session, fund=approved.fund).offered == Decimal("4000000.00")


def test_a_signatory_accepts_and_the_money_moves_to_accepted(app, client, session, approved, staff, run_jobs):
    offer = issue(session, approved, staff["approver"])
    signatory = approved.organisation.users[0]
    client.sign_in(signatory.email)
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
    assert "accepted the grant offer" in emails_to(app, run_jobs, staff["approver"].email)[-1]
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
    refused = client.submit(f"/offers/{offer.id}/accept", {"confirm": "y"}, form_url=f"/offers/{offer.id}")
    assert refused.status == 400
    client.sign_out()
    client.sign_in(stranger.email)
    assert client.get(f"/offers/{offer.id}").status == 404
    assert client.post(f"/offers/{offer.id}/accept", {"confirm": "y"}).status in (400, 404)
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
    assert decisions.ledger(session, fund=approved.fund, round_=approved.round).available == Decimal("50000000.00")


def test_offers_expire_after_the_acceptance_period(app, client, session, approved, staff, run_jobs):
    offer = issue(session, approved, staff["approver"])
    deadline = offer.expires_at
    assert offers.expire_due(session, now=deadline - timedelta(seconds=1)) == 0
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


def test_an_offer_is_issued_once_and_only_for_an_approved_award(client, session, make, fund, staff, approved):
    issue(session, approved, staff["approver"])
    client.sign_in(staff["approver"].email)
    again = client.get(f"/offers/new/{approved.id}", follow_redirects=True)
    assert "An offer has already been issued" in again.text
    recommended = make.recommended_application(fund, recommender=staff["recommender"], assessor=staff["assessor"])
    assert client.get(f"/offers/new/{recommended.id}").status == 404
    assert client.get("/offers/new/99999999999999999999").status == 404
