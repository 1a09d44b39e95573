"""Recommendation and decision on an assessed application, and the budget ledger.

Separation of duties: nobody approves or rejects an application they assessed (or were assigned
to assess) or recommended; an award above the fund's second-approval threshold needs two
different approvers.

Never over-commit: an approval locks the fund row, then the round row, then the application
row (SELECT ... FOR UPDATE on PostgreSQL; SQLite has one writer at a time), re-reads what is
already committed and only then writes the award. Two approvals racing for the last of a round's
allocation therefore run one after the other, and the second sees the first's award.
"""

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.models import (
    Application,
    ApplicationStatus,
    Award,
    AwardStatus,
    Decision,
    DecisionStatus,
    Fund,
    Payment,
    Round,
    User,
)
from portfolio.models.base import utcnow
from portfolio.money import money
from portfolio.services import assessments, award_terms, budgets, due_diligence, profiles, subsidy, workflow
from portfolio.services.applications import tell_company
from portfolio.services.errors import DomainError

ZERO = Decimal("0.00")


# --- the budget ledger ------------------------------------------------------------------------

@dataclass
class Ledger:
    """Money in a fund or round: committed (approved, no offer yet), offered, accepted, paid."""

    budget: Decimal
    committed: Decimal = ZERO
    offered: Decimal = ZERO
    accepted: Decimal = ZERO
    paid: Decimal = ZERO  # of the accepted money: payments recorded against claims

    @property
    def spoken_for(self) -> Decimal:
        return self.committed + self.offered + self.accepted

    @property
    def available(self) -> Decimal:
        return self.budget - self.spoken_for


_LEDGER_COLUMN = {AwardStatus.APPROVED: "committed", AwardStatus.OFFERED: "offered",
                  AwardStatus.ACCEPTED: "accepted"}


def ledger(session: Session, *, fund: Fund, round_: Round | None = None) -> Ledger:
    """Summed in Python from Decimal amounts, so every figure is exact to the penny."""
    query = sa.select(Award.status, Award.amount).where(Award.fund_id == fund.id, Award.status != AwardStatus.RELEASED)
    if round_ is not None:
        query = query.where(Award.round_id == round_.id)
    result = Ledger(budget=round_.allocation if round_ is not None else fund.budget)
    for status, amount in session.execute(query):
        column = _LEDGER_COLUMN[status]
        setattr(result, column, getattr(result, column) + amount)
    paid = sa.select(Payment.amount).join(Award, Payment.award_id == Award.id).where(Award.fund_id == fund.id)
    if round_ is not None:
        paid = paid.where(Award.round_id == round_.id)
    result.paid = sum(session.scalars(paid), ZERO)
    return result


# --- separation of duties ----------------------------------------------------------------------

def separation_problem(application: Application, user: User) -> str | None:
    """Why `user` may not decide this application, or None."""
    if user.id in assessments.assessor_ids(application):
        return "You were an assessor of this application, so you cannot decide it"
    decision = application.decision
    if decision is not None and decision.recommended_by_id == user.id:
        return "You made the recommendation on this application, so a different fund manager must decide it"
    if decision is not None and decision.first_approver_id == user.id:
        return "You gave the first approval: the second approval must come from a different fund manager"
    return None


def awaiting_second_approval(application: Application) -> bool:
    return application.decision is not None and application.decision.awaiting_second_approval


# --- recommendation ---------------------------------------------------------------------------

def recommend(session: Session, *, application: Application, by: User, recommended: bool,
              amount: Decimal | None, note: str) -> Decision:
    if recommended:
        _check_amount(application, amount)
    to = ApplicationStatus.RECOMMENDED if recommended else ApplicationStatus.NOT_RECOMMENDED
    if not workflow.allowed(application, to, by):
        raise DomainError("Only a moderated application can be recommended")
    decision = Decision(application=application, recommended=recommended,
                        recommended_amount=amount if recommended else None, recommendation_note=note,
                        recommended_by_id=by.id, recommended_at=utcnow())
    details = {"amount": decision.recommended_amount, "note": note, "weighted_score": application.weighted_score}
    workflow.start(session, decision, DecisionStatus.RECOMMENDED if recommended else DecisionStatus.NOT_RECOMMENDED,
                   by=by, details={"application_id": application.id, **details})
    workflow.transition(session, application, to, by=by, details=details)
    return decision


def _check_amount(application: Application, amount: Decimal | None) -> None:
    if amount is None or amount <= 0:
        raise DomainError("Enter an amount more than £0", field="amount")
    if application.grant_requested is not None and amount > application.grant_requested:
        raise DomainError(f"The amount must be no more than the {money(application.grant_requested)} requested",
                          field="amount")


# --- decision --------------------------------------------------------------------------------

@dataclass
class Approval:
    award: Award | None  # None when this was the first of two approvals
    needs_second_approval: bool


def _lock(session: Session, application: Application) -> tuple[Fund, Round]:
    """Fund, then round, then application: always in this order, so lockers cannot deadlock."""
    def locked(model, id_):
        return session.scalar(sa.select(model).where(model.id == id_).with_for_update()
                              .execution_options(populate_existing=True))

    fund = locked(Fund, application.fund_id)
    round_ = locked(Round, application.round_id)
    locked(Application, application.id)
    session.refresh(application, ["decision", "award", "assignments", "due_diligence", "subsidy_check"])
    return fund, round_


def budget_problem(session: Session, *, fund: Fund, round_: Round, amount: Decimal) -> str | None:
    in_round = ledger(session, fund=fund, round_=round_)
    if amount > in_round.available:
        return (f"Approving {money(amount)} would over-commit {round_.name}: its allocation is "
                f"{money(round_.allocation)}, {money(in_round.spoken_for)} is already committed and "
                f"{money(in_round.available)} is available")
    in_fund = ledger(session, fund=fund)
    if amount > in_fund.available:
        return (f"Approving {money(amount)} would over-commit the {fund.code} budget of {money(fund.budget)}: "
                f"{money(in_fund.spoken_for)} is already committed and {money(in_fund.available)} is available")
    return None


def award_profile(application: Application, amount: Decimal) -> profiles.Profile:
    """The profile an award of `amount` starts with: the application's requested profile scaled to it
    (empty for an application made before profiles were asked for)."""
    return profiles.scale(profiles.of_lines(application.profile_lines), amount)


def approval_problems(session: Session, *, application: Application, by: User, amount: Decimal | None,
                      fund: Fund, round_: Round, assessment: subsidy.Assessment | None) -> list[str]:
    """Everything that stops `by` approving `amount` now (empty when nothing does). `assessment` is
    the subsidy control assessment of `amount` (None when there is no positive amount to assess)."""
    if application.status is not ApplicationStatus.RECOMMENDED or application.award is not None:
        return ["Only a recommended application can be approved"]
    problems = [p for p in [separation_problem(application, by)] if p]
    if amount is None or amount <= 0 or (application.grant_requested and amount > application.grant_requested):
        return problems + [f"The award must be more than £0 and no more than the "
                           f"{money(application.grant_requested)} requested"]
    problems += due_diligence.approval_problems(application)
    subsidy_problem = subsidy.blocking_problem(assessment, application.subsidy_check)
    problems += [p for p in [subsidy_problem, budget_problem(session, fund=fund, round_=round_, amount=amount)] if p]
    problems += budgets.budget_problems(session, fund=fund, profile=award_profile(application, amount),
                                        verb=f"Approving {money(amount)}")
    return problems


def approve(session: Session, *, application: Application, by: User, amount: Decimal | None = None,
            conditions: str | None = None) -> Approval:
    """First approval (above the threshold) or the approval that commits the money.

    A second approval confirms the first approver's amount and conditions.
    :raise DomainError: with every reason it was refused; nothing is written then.
    """
    fund, round_ = _lock(session, application)
    decision = application.decision
    second = awaiting_second_approval(application)
    if second:
        amount, conditions = decision.amount, decision.conditions
    assessment = subsidy.assess(session, application, amount) if amount and amount > 0 else None
    problems = approval_problems(session, application=application, by=by, amount=amount, fund=fund, round_=round_,
                                 assessment=assessment)
    if problems:
        raise DomainError("; ".join(problems))
    rules = application.rules_in_force
    now = utcnow()
    if not second and amount > rules.second_approval_threshold:
        decision.amount, decision.conditions = amount, conditions
        decision.first_approver_id, decision.first_approved_at = by.id, now
        workflow.transition(session, decision, DecisionStatus.AWAITING_SECOND_APPROVAL, by=by, details={
            "application_id": application.id, "amount": amount, "conditions": conditions,
            "second_approval_threshold": rules.second_approval_threshold})
        return Approval(award=None, needs_second_approval=True)

    award = Award(application=application, fund_id=fund.id, round_id=round_.id,
                  organisation_id=application.organisation_id, amount=amount, decided_at=now)
    subsidy.apply_to_award(award, assessment)
    decision.amount, decision.conditions = amount, conditions
    decision.decided_by_id, decision.decided_at = by.id, now
    details = {"amount": amount, "conditions": conditions, "first_approver_id": decision.first_approver_id,
               "subsidy_category": assessment.category.value, "cumulative_subsidy": assessment.cumulative,
               "transparency_due_on": assessment.transparency_due_on}
    workflow.start(session, award, by=by, details={"application_id": application.id, "amount": amount})
    profile = award_profile(application, amount)
    award_terms.first_version(session, award, profile=profile, by=by)
    details["profile"] = {year: value for year, value in profiles.by_year(profile).items()}
    workflow.transition(session, decision, DecisionStatus.APPROVED, by=by, details={"application_id": application.id})
    workflow.transition(session, application, ApplicationStatus.APPROVED, by=by, details=details)
    tell_company(session, application, subject="Your LSIMF application has been approved",
                  template="decision_approved", amount=amount, conditions=conditions)
    return Approval(award=award, needs_second_approval=False)


def reject(session: Session, *, application: Application, by: User, feedback: str) -> None:
    problem = separation_problem(application, by)
    if problem and not (application.decision and application.decision.first_approver_id == by.id):
        raise DomainError(problem)
    if not workflow.allowed(application, ApplicationStatus.REJECTED, by):
        raise DomainError("Only an application with a recommendation can be rejected")
    decision = application.decision
    decision.feedback = feedback
    decision.decided_by_id, decision.decided_at = by.id, utcnow()
    workflow.transition(session, decision, DecisionStatus.REJECTED, by=by, details={"application_id": application.id})
    workflow.transition(session, application, ApplicationStatus.REJECTED, by=by, details={"feedback": feedback})
    tell_company(session, application, subject="The decision on your LSIMF application",
                  template="decision_rejected", feedback=feedback)


# --- queues -------------------------------------------------------------------------------------

QUEUE_STATUSES = (ApplicationStatus.MODERATED, ApplicationStatus.RECOMMENDED, ApplicationStatus.NOT_RECOMMENDED,
                  ApplicationStatus.APPROVED, ApplicationStatus.OFFER_ISSUED)


def queue(session: Session) -> dict[ApplicationStatus, list[Application]]:
    """Applications waiting for a recommendation, a decision or an offer, by status."""
    rows = session.scalars(sa.select(Application).where(Application.status.in_(QUEUE_STATUSES))
                           .order_by(Application.weighted_score.desc().nulls_last(), Application.id))
    grouped: dict[ApplicationStatus, list[Application]] = {status: [] for status in QUEUE_STATUSES}
    for application in rows:
        grouped[application.status].append(application)
    return grouped
