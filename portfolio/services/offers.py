"""Grant offers: issued by a fund manager on an approved award, accepted or declined by a
company signatory, expired by a scheduled job once the acceptance period has passed.

    award    approved -> offered -> accepted          application approved -> offer issued -> offer accepted
                                 -> released (declined or expired: the money is available again)
"""

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.models import (
    Application,
    ApplicationStatus,
    AwardStatus,
    DocumentKind,
    Fund,
    Offer,
    OfferStatus,
    Role,
    User,
)
from portfolio.dates import add_months, uk_today
from portfolio.models.base import utcnow
from portfolio.services import applications, award_terms, budgets, documents, mail, monitoring, profiles, workflow
from portfolio.services.errors import DomainError

DEFAULT_CLAIM_SCHEDULE = (
    "Quarterly in arrears against eligible capital costs defrayed, with evidence of payment. Each payment is at most "
    "the intervention rate of the eligible costs defrayed; 10% of the grant is retained until the completion "
    "monitoring return is verified.")
DEFAULT_CLAWBACK_TERMS = (
    "If verified jobs or private investment fall short of the contracted figures at the end of monitoring, or the "
    "project is not delivered, relocated outside the UK or the conditions of the grant are breached, the Office for "
    "Life Sciences may recover the grant in full or pro rata to the shortfall.")


@dataclass
class Terms:
    contracted_private_investment: Decimal
    jobs_created: Decimal
    jobs_safeguarded: Decimal
    milestones: str
    claim_schedule: str
    clawback_terms: str
    project_start: date
    project_completion: date
    # The agreed grant by quarter (None: the award's profile fitted to the project period).
    profile: dict[date, Decimal] | None = field(default=None)

    def offer_values(self) -> dict:
        """The terms the offer row holds (the profile is held by the award's terms)."""
        return {name: value for name, value in asdict(self).items() if name != "profile"}


def default_terms(application: Application) -> Terms:
    """What the company committed to in its application, and the standard claim and clawback terms."""
    jobs = applications.answers(application, "jobs")
    delivery = applications.answers(application, "delivery")

    def number(value) -> Decimal:
        return Decimal(str(value)) if value not in (None, "") else Decimal("0")

    start, completion = applications.project_period(application)
    if start is None or completion is None or completion <= start:
        start = add_months(uk_today().replace(day=1), 1)  # the first of next month, building for two years
        completion = add_months(start, 24) - timedelta(days=1)
    award = application.award
    profile = profiles.fit(award_terms.current_profile(award), award.amount, start, completion) if award else None
    return Terms(
        contracted_private_investment=application.private_investment or Decimal("0.00"),
        jobs_created=sum((number(jobs.get(f"jobs_year_{year}")) for year in range(1, 6)), Decimal("0")),
        jobs_safeguarded=number(jobs.get("jobs_safeguarded")),
        milestones=delivery.get("milestones") or "",
        claim_schedule=DEFAULT_CLAIM_SCHEDULE,
        clawback_terms=DEFAULT_CLAWBACK_TERMS,
        project_start=start,  # as the application's grant profile gives them: the fund manager edits both
        project_completion=completion,
        profile=profile,  # the award's profile (the application's, scaled to the grant) fitted to those dates
    )


def agreed_profile(offer: Offer) -> dict:
    """The agreed profile as the offer page and letter show it: by financial year and quarter, with totals."""
    profile = award_terms.current_profile(offer.award)
    period = profiles.quarters(offer.project_start, offer.project_completion) if offer.project_start else []
    return {"table": profiles.table(profile, period), "total": profiles.total(profile)}


def issue(session: Session, *, application: Application, by: User, terms: Terms) -> Offer:
    """Issue the offer on an approved award and ask for its letter PDF.

    :raise DomainError: the application is not approved or its award already has an offer."""
    award = application.award
    if award is not None:
        # The fund first (the budget by year is checked under its lock), then the award: two fund managers
        # issuing at once run one after the other, and one wins.
        session.scalar(sa.select(Fund).where(Fund.id == award.fund_id).with_for_update()
                       .execution_options(populate_existing=True))
        session.refresh(award, with_for_update=True)
    if award is None or (award.status, application.status) != (AwardStatus.APPROVED, ApplicationStatus.APPROVED):
        raise DomainError("An offer can only be issued once, for an approved award")
    if terms.project_completion <= terms.project_start:
        raise DomainError("The project must complete after it starts", field="project_completion")
    profile = terms.profile if terms.profile is not None else profiles.fit(
        award_terms.current_profile(award), award.amount, terms.project_start, terms.project_completion)
    problems = profiles.problems(profile, grant=award.amount, start=terms.project_start,
                                 completion=terms.project_completion)
    if problems:
        raise DomainError("; ".join(problems), field="profile")
    problems = budgets.budget_problems(session, fund=award.fund, profile=profile, award=award,
                                       verb="This profile")
    if problems:
        raise DomainError("; ".join(problems), field="profile")
    rules = application.rules_in_force
    now = utcnow()
    offer = Offer(award=award, issued_by_id=by.id, issued_at=now,
                  expires_at=now + timedelta(days=rules.offer_validity_days), **terms.offer_values())
    workflow.start(session, offer, by=by, details={"amount": award.amount, **terms.offer_values(),
                                                   "profile": profiles.by_year(profile),
                                                   "expires_at": offer.expires_at})
    award_terms.fix_at_offer(session, offer, profile=profile)
    workflow.transition(session, award, AwardStatus.OFFERED, by=by, details={"offer_id": offer.id})
    document = documents.request_document(session, kind=DocumentKind.GRANT_OFFER_LETTER, record=offer, by=by)
    offer.document_id = document.id
    workflow.transition(session, application, ApplicationStatus.OFFER_ISSUED, by=by,
                        details={"offer_id": offer.id, "amount": award.amount, "expires_at": offer.expires_at})
    applications.tell_company(session, application, subject="Your LSIMF grant offer", template="offer_issued",
                              offer=offer, award=award)
    return offer


def response_problem(offer: Offer, user: User, *, now: datetime | None = None) -> str | None:
    """Why `user` cannot accept or decline the offer now, or None."""
    now = now or utcnow()
    if offer.status is not OfferStatus.ISSUED:
        return f"This offer has already been answered: {offer.status.label.lower()}"
    if now >= offer.expires_at:
        return "This offer has expired: the time to accept it has passed"
    if user.role is not Role.APPLICANT or user.organisation_id != offer.award.organisation_id:
        return "Only a signatory of the company can answer this offer"
    if not user.is_signatory:
        return "Only a signatory of your organisation can accept or decline this offer"
    return None


def _respond(session: Session, offer: Offer, by: User, *, status: OfferStatus, award_status: AwardStatus,
             application_status: ApplicationStatus, reason: str | None = None) -> None:
    session.refresh(offer, with_for_update=True)  # the expiry job may be expiring it right now
    problem = response_problem(offer, by)
    if problem:
        raise DomainError(problem)
    offer.responded_by_id, offer.responded_at, offer.decline_reason = by.id, utcnow(), reason
    workflow.transition(session, offer, status, by=by, reason=reason, details={"amount": offer.award.amount})
    workflow.transition(session, offer.award, award_status, by=by, details={"offer_id": offer.id})
    application = offer.award.application
    workflow.transition(session, application, application_status, by=by,
                        details={"offer_id": offer.id, "reason": reason})
    template = "offer_accepted" if status is OfferStatus.ACCEPTED else "offer_declined"
    applications.tell_company(session, application, subject=f"LSIMF grant offer {status.label.lower()}",
                              template=template, offer=offer, award=offer.award)
    manager = offer.issued_by
    if manager.is_active:
        mail.send_email(session, to=manager.email, subject=f"{application.organisation.name} has "
                        f"{status.value} the LSIMF grant offer", template=template, offer=offer, award=offer.award,
                        application=application, user=manager)


def accept(session: Session, *, offer: Offer, by: User) -> None:
    """Accept the offer: the award goes into delivery with its monitoring schedule."""
    _respond(session, offer, by, status=OfferStatus.ACCEPTED, award_status=AwardStatus.ACCEPTED,
             application_status=ApplicationStatus.OFFER_ACCEPTED)
    monitoring.generate(session, offer.award, by=by)


def decline(session: Session, *, offer: Offer, by: User, reason: str) -> None:
    _respond(session, offer, by, status=OfferStatus.DECLINED, award_status=AwardStatus.RELEASED,
             application_status=ApplicationStatus.WITHDRAWN, reason=reason)


def expire_due(session: Session, *, now: datetime | None = None) -> int:
    """Expire every issued offer whose acceptance period has passed; returns how many. The
    caller commits.

    Safe to run from several processes at once: rows another run (or a company answering) holds
    are skipped (PostgreSQL SKIP LOCKED), and each row is read afresh under its lock, so only
    offers still issued are expired."""
    now = now or utcnow()
    due = session.scalars(sa.select(Offer).where(Offer.status == OfferStatus.ISSUED, Offer.expires_at <= now)
                          .order_by(Offer.id).with_for_update(skip_locked=True)
                          .execution_options(populate_existing=True)).all()
    for offer in due:
        workflow.transition(session, offer, OfferStatus.EXPIRED, by=None, system_label="offer-expiry",
                            details={"amount": offer.award.amount, "expired_at": now})
        workflow.transition(session, offer.award, AwardStatus.RELEASED, by=None, system_label="offer-expiry",
                            details={"offer_id": offer.id})
        application = offer.award.application
        workflow.transition(session, application, ApplicationStatus.OFFER_EXPIRED, by=None,
                            system_label="offer-expiry", details={"offer_id": offer.id, "expired_at": now})
        applications.tell_company(session, application, subject="Your LSIMF grant offer has expired",
                                  template="offer_expired", offer=offer, award=offer.award)
    return len(due)
