"""Expressions of interest: drafts, submission with the automatic eligibility check, and
the fund manager's decision. Every outcome is emailed to the company's users."""

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.dates import govuk_date
from portfolio.models import (
    EoiStatus,
    ExpressionOfInterest,
    Fund,
    Organisation,
    Round,
    User,
)
from portfolio.models.base import utcnow
from portfolio.services import applications, audit, eligibility, mail, workflow
from portfolio.services.errors import DomainError

EDITABLE = (EoiStatus.DRAFT,)


def for_organisation(session: Session, organisation: Organisation) -> list[ExpressionOfInterest]:
    return list(session.scalars(
        sa.select(ExpressionOfInterest).where(ExpressionOfInterest.organisation_id == organisation.id)
        .order_by(ExpressionOfInterest.id.desc())
    ))


def queue(session: Session, *, status: EoiStatus | None = EoiStatus.SUBMITTED) -> list[ExpressionOfInterest]:
    query = sa.select(ExpressionOfInterest).where(ExpressionOfInterest.status != EoiStatus.DRAFT)
    if status is not None:
        query = query.where(ExpressionOfInterest.status == status)
    return list(session.scalars(query.order_by(ExpressionOfInterest.submitted_at)))


def _answers_for_audit(answers: dict) -> dict:
    return {key: getattr(value, "value", value) for key, value in answers.items()}


def save_draft(session: Session, *, fund: Fund, organisation: Organisation, by: User, answers: dict,
               eoi: ExpressionOfInterest | None = None) -> ExpressionOfInterest:
    if eoi is not None and eoi.status not in EDITABLE:
        raise DomainError("This expression of interest has been submitted and can no longer be changed")
    if eoi is None:
        eoi = ExpressionOfInterest(fund=fund, organisation=organisation, created_by=by, **answers)
        workflow.start(session, eoi, by=by, details=_answers_for_audit(answers))
        return eoi
    before = {key: getattr(eoi, key) for key in answers}
    for key, value in answers.items():
        setattr(eoi, key, value)
    session.flush()
    changed = {k: v for k, v in answers.items() if before[k] != v}
    audit.record(session, actor=by, action="eoi.updated", entity=eoi,
                 before=_answers_for_audit({k: before[k] for k in changed}), after=_answers_for_audit(changed))
    return eoi


def submit(session: Session, *, eoi: ExpressionOfInterest, by: User) -> list[eligibility.Failure]:
    """Submit and run the automatic check against the rules in force now (kept on the EOI)."""
    if eoi.total_project_cost is None or eoi.grant_sought is None:
        raise DomainError("Answer every question before you submit")
    rules = eoi.fund.rules
    failures = eligibility.check(eoi, rules)
    eoi.rules_id = rules.id
    eoi.eligibility_failures = eligibility.as_records(failures)
    eoi.submitted_at = utcnow()
    eoi.submitted_by_id = by.id
    workflow.transition(session, eoi, EoiStatus.SUBMITTED, by=by,
                        details={"rules_id": rules.id, "failed_rules": [f.rule for f in failures]})
    _tell_company(session, eoi, subject="We have received your expression of interest", template="eoi_submitted")
    return failures


def invite(session: Session, *, eoi: ExpressionOfInterest, by: User, round_: Round, notes: str) -> None:
    if eoi.eligibility_failures:
        raise DomainError("Only an expression of interest that passed the eligibility check can be invited",
                          field="decision")
    if round_.fund_id != eoi.fund_id or round_.deadline <= utcnow():
        raise DomainError("Select a round that has not closed", field="round_id")
    _decide(session, eoi, by=by, notes=notes)
    eoi.invited_round = round_
    workflow.transition(session, eoi, EoiStatus.INVITED, by=by,
                        details={"round_id": round_.id, "notes": notes})
    applications.start_from_eoi(session, eoi=eoi, by=by)
    _tell_company(session, eoi, subject="You are invited to apply to the LSIMF", template="eoi_invited")


def decline(session: Session, *, eoi: ExpressionOfInterest, by: User, reasons: str) -> None:
    _decide(session, eoi, by=by, notes=reasons)
    workflow.transition(session, eoi, EoiStatus.DECLINED, by=by, details={"reasons": reasons})
    _tell_company(session, eoi, subject="Your expression of interest: outcome", template="eoi_declined")


def _decide(session: Session, eoi: ExpressionOfInterest, *, by: User, notes: str) -> None:
    if not workflow.allowed(eoi, EoiStatus.INVITED, by):
        raise workflow.InvalidTransition("This expression of interest has already been decided")
    eoi.decided_at = utcnow()
    eoi.decided_by_id = by.id
    eoi.decision_notes = notes


def _tell_company(session: Session, eoi: ExpressionOfInterest, *, subject: str, template: str) -> None:
    for user in eoi.organisation.users:
        if user.is_active:
            mail.send_email(session, to=user.email, subject=subject, template=template, eoi=eoi, user=user)


def next_step(eoi: ExpressionOfInterest) -> str:
    """What the company does next with an expression of interest, for its home page."""
    if eoi.status is EoiStatus.DRAFT:
        return "Check your answers and submit"
    if eoi.status is EoiStatus.SUBMITTED:
        return ("The automatic check found problems: a fund manager will review it" if eoi.eligibility_failures
                else "Wait for a fund manager's decision")
    if eoi.status is EoiStatus.INVITED:
        return f"Apply in {eoi.invited_round.name} by {govuk_date(eoi.invited_round.deadline)}"
    return "See the reasons"
