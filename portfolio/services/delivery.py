"""An award in delivery at a glance: contracted against actual, and the timeline of claims,
payments and monitoring returns (the award page, for staff and the company alike)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.dates import govuk_date, uk_date, uk_today
from portfolio.models import Award, AwardStatus, MonitoringReturn, ReturnStatus
from portfolio.money import money
from portfolio.services import claims, monitoring


@dataclass(frozen=True)
class Measure:
    label: str
    figure: str
    contracted: Decimal
    actual: Decimal | None  # from the latest verified return
    reported: Decimal | None  # from the latest submitted return, when newer than the verified one

    @property
    def share(self) -> Decimal | None:
        """Actual as a share of contracted (1 = met)."""
        if self.actual is None or not self.contracted:
            return None
        return self.actual / self.contracted


MEASURES = (("Capital spend (against the total project cost)", "capital_spent"),
            ("Private investment", "private_investment"),
            ("Jobs created (FTE)", "jobs_created"),
            ("Jobs safeguarded (FTE)", "jobs_safeguarded"))


def measures(session: Session, award: Award) -> list[Measure]:
    contracted = monitoring.contracted(award)
    verified = monitoring.latest_verified(session, award)
    submitted = session.scalar(
        sa.select(MonitoringReturn).where(MonitoringReturn.award_id == award.id,
                                          MonitoringReturn.status == ReturnStatus.SUBMITTED)
        .order_by(MonitoringReturn.number.desc()).limit(1))
    if submitted is not None and verified is not None and submitted.number < verified.number:
        submitted = None
    return [Measure(label, figure, contracted[figure], getattr(verified, figure) if verified else None,
                    getattr(submitted, figure) if submitted else None) for label, figure in MEASURES]


@dataclass(frozen=True)
class Event:
    on: date
    what: str
    status: str
    endpoint: str | None = None
    values: dict | None = None
    overdue: bool = False


def timeline(session: Session, award: Award) -> list[Event]:
    """Claims, payments and returns, oldest first (a return by its due date)."""
    today = uk_today()
    events = []
    for claim in claims.claims_of(session, award):
        when = uk_date(claim.submitted_at or claim.created_at)
        events.append(Event(when, f"Claim {claim.number}: {money(claim.claimed)} claimed for "
                                  f"{govuk_date(claim.period_start)} to {govuk_date(claim.period_end)}",
                            claim.status.label, "claims.detail", {"claim_id": claim.id}))
    for payment in claims.payments_of(session, award):
        what = f"Claim {payment.claim.number}" if payment.claim else "Retention released"
        events.append(Event(payment.paid_on, f"Payment of {money(payment.amount)}: {what}",
                            f"Paid, reference {payment.reference}"))
    for due in monitoring.returns_of(session, award):
        events.append(Event(due.due_on, f"Return {due.number} ({due.kind.label.lower()}): "
                                        f"{govuk_date(due.period_start)} to {govuk_date(due.period_end)}",
                            due.status.label, "awards.monitoring_return", {"return_id": due.id},
                            due.is_overdue(today)))
    return sorted(events, key=lambda event: event.on)


def in_delivery(session: Session) -> list[Award]:
    return list(session.scalars(sa.select(Award).where(Award.status == AwardStatus.ACCEPTED).order_by(Award.id)))


def flagged(session: Session) -> list[Award]:
    return list(session.scalars(sa.select(Award).where(Award.clawback_flagged_at.is_not(None))
                                .order_by(Award.clawback_flagged_at)))


def retention_releasable(session: Session, award: Award) -> bool:
    return claims.position(session, award).retention_held > 0 and monitoring.completion_verified(session, award)
