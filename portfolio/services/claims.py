"""Grant claims in arrears and their payments (PRODUCT.md §2.3).

The company claims eligible capital costs it has defrayed, item by item; finance approves each
item in full, in part (with the reason) or not at all, and records the payment. The system works
out the money:

    grant due  = grant rate × eligible costs approved, rounded down to the penny, and never more
                 than what is left of the award after the claims already approved
    retention  = the fund's retention rate (default 10%) of the grant due, held back until the
                 completion monitoring return is verified
    payable    = grant due − retention: the payment finance records, exactly

The grant rate is the award's share of the project's eligible capital costs (award ÷ eligible
capital costs, at most 1), so claiming every eligible cost pays the whole award. Claims and
payments lock the award row, so two at once can never take the award past its amount.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.dates import uk_today
from portfolio.models import (
    Award,
    AwardStatus,
    Claim,
    ClaimItem,
    ClaimStatus,
    MonitoringReturn,
    Payment,
    PaymentKind,
    ReturnKind,
    ReturnStatus,
    Role,
    User,
)
from portfolio.models.base import utcnow
from portfolio.money import money
from portfolio.services import audit, forecasts, workflow
from portfolio.services.applications import tell_company
from portfolio.services.errors import DomainError, NotFound

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
COUNTED = (ClaimStatus.APPROVED, ClaimStatus.PAID)


# --- reading ------------------------------------------------------------------------------------

def claims_of(session: Session, award: Award) -> list[Claim]:
    return list(session.scalars(sa.select(Claim).where(Claim.award_id == award.id).order_by(Claim.number)))


def payments_of(session: Session, award: Award) -> list[Payment]:
    return list(session.scalars(sa.select(Payment).where(Payment.award_id == award.id)
                                .order_by(Payment.paid_on, Payment.id)))


def grant_rate(award: Award) -> Decimal:
    """The award's share of the eligible capital costs of its current terms (a change of scope may vary
    them), else of its application."""
    terms = award.current_terms
    eligible = terms.eligible_capital_cost if terms is not None and terms.eligible_capital_cost is not None \
        else award.application.eligible_capital_cost
    return min(Decimal(1), award.amount / eligible) if eligible else Decimal(0)


@dataclass
class Position:
    """Where an award stands: approved grant, paid, retention held, left to claim."""

    award: Decimal
    approved: Decimal
    paid: Decimal
    retention_held: Decimal

    @property
    def left_to_claim(self) -> Decimal:
        return self.award - self.approved


def position(session: Session, award: Award) -> Position:
    claims = claims_of(session, award)
    payments = payments_of(session, award)
    released = sum((p.amount for p in payments if p.kind is PaymentKind.RETENTION), ZERO)
    return Position(
        award=award.amount,
        approved=sum((c.grant_due for c in claims if c.status in COUNTED), ZERO),
        paid=sum((p.amount for p in payments), ZERO),
        retention_held=sum((c.retention for c in claims if c.status is ClaimStatus.PAID), ZERO) - released,
    )


def queue(session: Session) -> dict[ClaimStatus, list[Claim]]:
    """Claims waiting for finance: to review, and approved but not yet paid."""
    waiting = (ClaimStatus.SUBMITTED, ClaimStatus.APPROVED)
    rows = session.scalars(sa.select(Claim).where(Claim.status.in_(waiting)).order_by(Claim.submitted_at))
    grouped: dict[ClaimStatus, list[Claim]] = {status: [] for status in waiting}
    for claim in rows:
        grouped[claim.status].append(claim)
    return grouped


# --- the company's claim ----------------------------------------------------------------------------

def start(session: Session, *, award: Award, by: User, period_start: date, period_end: date) -> Claim:
    if period_end < period_start:
        raise DomainError("The end of the period must be on or after its start", field="period_end")
    if period_end > uk_today():
        raise DomainError("Claims are in arrears: the period must have ended", field="period_end")
    number = (session.scalar(sa.select(sa.func.max(Claim.number)).where(Claim.award_id == award.id)) or 0) + 1
    claim = Claim(award=award, number=number, period_start=period_start, period_end=period_end,
                  created_by_id=by.id)
    workflow.start(session, claim, by=by, details={"award_id": award.id, "number": number,
                                                   "period_start": period_start, "period_end": period_end})
    return claim


def is_draft(claim: Claim) -> bool:
    return claim.status is ClaimStatus.DRAFT


def require_draft(claim: Claim) -> None:
    if claim.status is not ClaimStatus.DRAFT:
        raise DomainError("This claim has been submitted and can no longer be changed")


def lock_draft(session: Session, claim: Claim) -> None:
    """Lock the claim while its contents change or it is submitted, so a cost added at the moment
    of submission either lands before it (and is in what was submitted) or is refused after it."""
    workflow.lock(session, claim, "items")
    require_draft(claim)


def add_item(session: Session, *, claim: Claim, by: User, description: str, invoice_reference: str,
             defrayed_on: date, amount: Decimal) -> ClaimItem:
    lock_draft(session, claim)
    if not claim.period_start <= defrayed_on <= claim.period_end:
        raise DomainError(f"The cost must have been paid in the claim period ({claim.period_start:%d/%m/%Y} to "
                          f"{claim.period_end:%d/%m/%Y})", field="defrayed_on")
    item = ClaimItem(claim=claim, description=description, invoice_reference=invoice_reference,
                     defrayed_on=defrayed_on, amount=amount)
    session.add(item)
    session.flush()
    audit.record(session, actor=by, action="claim.item_added", entity=claim,
                 after={"item_id": item.id, "description": description, "amount": amount})
    return item


def remove_item(session: Session, *, claim: Claim, by: User, item_id: int) -> None:
    lock_draft(session, claim)
    item = next((i for i in claim.items if i.id == item_id), None)
    if item is None:
        raise NotFound()
    claim.items.remove(item)
    session.flush()
    audit.record(session, actor=by, action="claim.item_removed", entity=claim,
                 before={"item_id": item_id, "description": item.description, "amount": item.amount})


def submit(session: Session, *, claim: Claim, by: User) -> None:
    """Submit the claim as stored: locked, read again, and recorded with exactly those costs."""
    workflow.lock(session, claim, "items")
    if claim.status is ClaimStatus.SUBMITTED:
        raise DomainError(f"Claim {claim.number} has already been submitted")
    require_draft(claim)
    if not claim.items:
        raise DomainError("Add at least one cost before you submit the claim")
    if forecasts.due_with(session, claim):
        raise DomainError("Forecast the grant you will claim in the quarters still to come before you submit the "
                          "claim")
    claim.submitted_at, claim.submitted_by_id = utcnow(), by.id
    workflow.transition(session, claim, ClaimStatus.SUBMITTED, by=by, details={
        "claimed": claim.claimed, "items": len(claim.items),
        "costs": [{"item_id": item.id, "amount": item.amount} for item in claim.items]})


# --- finance ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Figures:
    approved_costs: Decimal
    grant_due: Decimal
    retention: Decimal
    payable: Decimal


def figures(*, rate: Decimal, retention_rate: Decimal, approved_costs: Decimal, award_left: Decimal) -> Figures:
    """The arithmetic of one claim, to the penny (see the module docstring)."""
    grant = min((rate * approved_costs).quantize(CENT, ROUND_DOWN), award_left)
    retention = (grant * retention_rate).quantize(CENT, ROUND_HALF_UP)
    return Figures(approved_costs=approved_costs, grant_due=grant, retention=retention, payable=grant - retention)


def _locked_award(session: Session, claim: Claim) -> Award:
    return session.scalar(sa.select(Award).where(Award.id == claim.award_id).with_for_update()
                          .execution_options(populate_existing=True))


def review(session: Session, *, claim: Claim, by: User, approved: dict[int, Decimal], reason: str | None) -> Figures:
    """Approve the claim's items, each in full or in part. A part approval needs the reason."""
    award = _locked_award(session, claim)
    workflow.lock(session, claim, "items")
    if claim.status is not ClaimStatus.SUBMITTED:
        raise DomainError("Only a submitted claim can be reviewed")
    for item in claim.items:
        value = approved.get(item.id)
        if value is None or not ZERO <= value <= item.amount:
            raise DomainError(f"{item.description}: approve between £0.00 and the {money(item.amount)} claimed",
                              field=f"item_{item.id}")
    total = sum((approved[item.id] for item in claim.items), ZERO)
    if total == ZERO:
        raise DomainError("Nothing is approved: reject the claim instead")
    if total < claim.claimed and not reason:
        raise DomainError("Give the reason for approving less than was claimed", field="reason")
    rules = award.application.rules_in_force
    result = figures(rate=grant_rate(award), retention_rate=rules.retention_rate, approved_costs=total,
                     award_left=position(session, award).left_to_claim)  # this claim is not counted yet
    for item in claim.items:
        item.approved_amount = approved[item.id]
    claim.approved_costs, claim.grant_due, claim.retention, claim.payable = (
        result.approved_costs, result.grant_due, result.retention, result.payable)
    claim.reviewed_at, claim.reviewed_by_id, claim.review_reason = utcnow(), by.id, reason
    workflow.transition(session, claim, ClaimStatus.APPROVED, by=by, details={
        "approved_costs": total, "grant_due": result.grant_due, "retention": result.retention,
        "payable": result.payable, "reason": reason,
        "items": {str(item.id): approved[item.id] for item in claim.items}})
    tell_company(session, award.application, subject=f"LSIMF claim {claim.number} approved", template="claim_update",
                 claim=claim, award=award)
    return result


def reject(session: Session, *, claim: Claim, by: User, reason: str) -> None:
    workflow.lock(session, claim, "items")
    if claim.status is not ClaimStatus.SUBMITTED:
        raise DomainError("Only a submitted claim can be rejected")
    for item in claim.items:
        item.approved_amount = ZERO
    claim.reviewed_at, claim.reviewed_by_id, claim.review_reason = utcnow(), by.id, reason
    workflow.transition(session, claim, ClaimStatus.REJECTED, by=by, reason=reason)
    tell_company(session, claim.award.application, subject=f"LSIMF claim {claim.number} rejected",
                 template="claim_update", claim=claim, award=claim.award)


def record_payment(session: Session, *, claim: Claim, by: User, amount: Decimal, paid_on: date,
                   reference: str) -> Payment:
    """The payment of an approved claim: exactly its payable grant, and never past the award."""
    award = _locked_award(session, claim)
    workflow.lock(session, claim, "items")
    if claim.status is not ClaimStatus.APPROVED:
        raise DomainError("Only an approved claim can be paid")
    if amount != claim.payable:
        raise DomainError(f"The payment for this claim must be {money(claim.payable)} (grant due "
                          f"{money(claim.grant_due)} less {money(claim.retention)} retention)", field="amount")
    paid = position(session, award).paid
    if paid + amount > award.amount:
        raise DomainError(f"This payment would take payments to {money(paid + amount)}, more than the "
                          f"{money(award.amount)} award", field="amount")
    if paid_on > uk_today():
        raise DomainError("The payment date must be today or in the past", field="paid_on")
    payment = Payment(award=award, claim=claim, kind=PaymentKind.CLAIM, amount=amount, paid_on=paid_on,
                      reference=reference, recorded_by_id=by.id)
    workflow.start(session, payment, by=by, details={"claim_id": claim.id, "amount": amount, "paid_on": paid_on,
                                                     "reference": reference})
    workflow.transition(session, claim, ClaimStatus.PAID, by=by, details={
        "payment_id": payment.id, "amount": amount, "paid_on": paid_on, "reference": reference})
    tell_company(session, award.application, subject=f"LSIMF claim {claim.number} paid", template="claim_update",
                 claim=claim, award=award, payment=payment)
    return payment


def completion_verified(session: Session, award: Award) -> bool:
    """Has the award's completion monitoring return been verified (the retention waits for it)?"""
    return session.scalar(sa.select(sa.func.count()).select_from(MonitoringReturn).where(
        MonitoringReturn.award_id == award.id, MonitoringReturn.kind == ReturnKind.COMPLETION,
        MonitoringReturn.status == ReturnStatus.VERIFIED)) > 0


def release_retention(session: Session, *, award: Award, by: User, amount: Decimal, paid_on: date,
                      reference: str) -> Payment:
    """Pay the retention held, once the completion monitoring return has been verified."""
    award = session.scalar(sa.select(Award).where(Award.id == award.id).with_for_update()
                           .execution_options(populate_existing=True))
    if not completion_verified(session, award):
        raise DomainError("The retention is released once the completion monitoring return is verified")
    current = position(session, award)
    if current.retention_held <= ZERO:
        raise DomainError("No retention is held on this award")
    if amount != current.retention_held:
        raise DomainError(f"The retention to release is {money(current.retention_held)}", field="amount")
    if current.paid + amount > award.amount:
        raise DomainError(f"This payment would take payments to {money(current.paid + amount)}, more than the "
                          f"{money(award.amount)} award", field="amount")
    if paid_on > uk_today():
        raise DomainError("The payment date must be today or in the past", field="paid_on")
    payment = Payment(award=award, kind=PaymentKind.RETENTION, amount=amount, paid_on=paid_on, reference=reference,
                      recorded_by_id=by.id)
    workflow.start(session, payment, by=by, details={"award_id": award.id, "kind": PaymentKind.RETENTION.value,
                                                     "amount": amount, "paid_on": paid_on, "reference": reference})
    audit.record(session, actor=by, action="retention.released", entity=award,
                 after={"payment_id": payment.id, "amount": amount, "paid_on": paid_on, "reference": reference})
    tell_company(session, award.application, subject="LSIMF retention paid", template="retention_paid",
                 award=award, payment=payment)
    return payment
