"""Monitoring returns (PRODUCT.md §2.3): the schedule, the company's returns, verification,
reminders and the clawback flag.

The schedule is generated from the offer's project period when the company accepts it:

    build      one return per `build_return_months` (3: financial quarters, April-June ...), the
               first from the project start, the last (the *completion* return) ending on the
               completion date
    after      one *annual* return for each of `monitoring_years` (5) years after completion

Each return is due `return_due_days` (30) after its period ends. Figures that go backwards from
the previous return, or run far past the contract (`query_over_contract`), are queried: the company
corrects them or explains them before the return is accepted. A fund or account manager verifies a
return (it is frozen from then on) or sends it back with reasons. Verifying the last return ends
monitoring: a shortfall larger than `clawback_tolerance` against the contracted jobs or private
investment flags the award with a pro-rata amount of the grant paid for finance.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.dates import add_months, financial_year_start, uk_today
from portfolio.models import (
    Award,
    AwardStatus,
    FundRules,
    MonitoringReturn,
    Rag,
    ReturnKind,
    ReturnStatus,
    User,
)
from portfolio.models.roles import VERIFIERS
from portfolio.models.base import utcnow
from portfolio.models.monitoring import COUNTS, CUMULATIVE, FIGURES, FTES
from portfolio.money import money
from portfolio.services import audit, claims, workflow
from portfolio.services.claims import completion_verified  # noqa: F401  (the retention waits for it)
from portfolio.services.applications import tell_company
from portfolio.services.errors import DomainError, NotFound

LABELS = dict(FIGURES)
CENT = Decimal("0.01")
MAX_REMINDER_DAYS = 90  # the longest notice the settings form allows


# --- the schedule ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    kind: ReturnKind
    start: date
    end: date
    due_on: date


def schedule(rules: FundRules, *, start: date, completion: date) -> list[Period]:
    """The returns an award owes, in order (see the module docstring)."""
    if completion < start:
        raise DomainError("The project must complete after it starts", field="project_completion")
    due = timedelta(days=rules.return_due_days)
    step = rules.build_return_months
    # Build periods are aligned to the financial year: from 1 April, every `step` months.
    boundary = financial_year_start(start)
    while boundary <= start:
        boundary = add_months(boundary, step)
    periods, period_start = [], start
    while boundary <= completion:
        end = boundary - timedelta(days=1)
        periods.append(Period(ReturnKind.QUARTERLY, period_start, end, end + due))
        period_start, boundary = boundary, add_months(boundary, step)
    periods.append(Period(ReturnKind.COMPLETION, period_start, completion, completion + due))
    for year in range(1, rules.monitoring_years + 1):
        end = add_months(completion, 12 * year)
        periods.append(Period(ReturnKind.ANNUAL, add_months(completion, 12 * (year - 1)) + timedelta(days=1),
                              end, end + due))
    return periods


def generate(session: Session, award: Award, *, by: User | None) -> list[MonitoringReturn]:
    """Create the award's returns from its offer's project period (once)."""
    offer = award.offer
    if returns_of(session, award) or offer is None or offer.project_start is None:
        return returns_of(session, award)
    rules = award.application.rules_in_force
    created = [MonitoringReturn(award=award, number=number, kind=period.kind, period_start=period.start,
                                period_end=period.end, due_on=period.due_on, explanations={})
               for number, period in enumerate(schedule(rules, start=offer.project_start,
                                                        completion=offer.project_completion), start=1)]
    for monitoring_return in created:
        workflow.start(session, monitoring_return, by=None)
    audit.record(session, actor=by, actor_label=None if by else "system", action="monitoring.scheduled",
                 entity=award, after={"returns": len(created), "first_due": created[0].due_on,
                                      "last_due": created[-1].due_on})
    return created


# --- reading -----------------------------------------------------------------------------------------

def returns_of(session: Session, award: Award) -> list[MonitoringReturn]:
    return list(session.scalars(sa.select(MonitoringReturn).where(MonitoringReturn.award_id == award.id)
                                .order_by(MonitoringReturn.number)))


def previous(session: Session, monitoring_return: MonitoringReturn) -> MonitoringReturn | None:
    """The latest earlier return with figures the company has submitted."""
    return session.scalar(
        sa.select(MonitoringReturn)
        .where(MonitoringReturn.award_id == monitoring_return.award_id,
               MonitoringReturn.number < monitoring_return.number,
               MonitoringReturn.status.in_((ReturnStatus.SUBMITTED, ReturnStatus.VERIFIED)))
        .order_by(MonitoringReturn.number.desc()).limit(1))


def latest_verified(session: Session, award: Award) -> MonitoringReturn | None:
    return session.scalar(
        sa.select(MonitoringReturn)
        .where(MonitoringReturn.award_id == award.id, MonitoringReturn.status == ReturnStatus.VERIFIED)
        .order_by(MonitoringReturn.number.desc()).limit(1))


def work_queue(session: Session, today: date | None = None) -> dict[str, list[MonitoringReturn]]:
    """Returns waiting for a fund or account manager, and returns the companies owe past their date."""
    today = today or uk_today()
    waiting = session.scalars(sa.select(MonitoringReturn).where(MonitoringReturn.status == ReturnStatus.SUBMITTED)
                              .order_by(MonitoringReturn.submitted_at)).all()
    overdue = session.scalars(sa.select(MonitoringReturn).where(
        MonitoringReturn.status.in_((ReturnStatus.OPEN, ReturnStatus.RETURNED)),
        MonitoringReturn.due_on < today).order_by(MonitoringReturn.due_on)).all()
    return {"waiting": list(waiting), "overdue": list(overdue)}


def next_due(session: Session, organisation_id: int) -> dict[int, MonitoringReturn]:
    """The organisation's next return to submit on each award in delivery, by application id."""
    rows = session.scalars(
        sa.select(MonitoringReturn).join(Award)
        .where(Award.organisation_id == organisation_id, Award.status == AwardStatus.ACCEPTED,
               MonitoringReturn.status.in_((ReturnStatus.OPEN, ReturnStatus.RETURNED)))
        .order_by(MonitoringReturn.number.desc()))
    return {row.award.application_id: row for row in rows}  # the lowest number wins


def show_figure(name: str, value) -> str:
    """A monitoring figure as the PDF and pages print it: money as £1,234.50, FTEs to one place, counts whole."""
    if value is None:
        return ""
    if name in FTES:
        return f"{value:,.1f}"
    if name in COUNTS:
        return f"{value:,}"
    return money(value)


# --- the company's return ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Query:
    figure: str
    message: str


def contracted(award: Award) -> dict[str, Decimal]:
    """What the offer contracted, for the figures that have a contracted value."""
    offer = award.offer
    return {"capital_spent": award.application.total_project_cost,
            "private_investment": offer.contracted_private_investment,
            "jobs_created": offer.jobs_created, "jobs_safeguarded": offer.jobs_safeguarded}


def _show(figure: str, value) -> str:
    return money(value) if figure in CUMULATIVE else f"{value:,}"


def queries(session: Session, monitoring_return: MonitoringReturn, values: dict) -> list[Query]:
    """What the return's figures raise: one query per figure at most."""
    award = monitoring_return.award
    before = previous(session, monitoring_return)
    limit = 1 + award.application.rules_in_force.query_over_contract
    found: dict[str, Query] = {}
    for figure, target in contracted(award).items():
        value = values.get(figure)
        if value is None:
            continue
        earlier = getattr(before, figure) if before is not None else None
        if earlier is not None and value < earlier:
            word = "lower" if figure in CUMULATIVE else "fewer"
            found[figure] = Query(figure, f"{LABELS[figure]} is {word} than the {_show(figure, earlier)} reported in "
                                          f"return {before.number}: correct it, or explain why")
        elif target and value > target * limit:
            found[figure] = Query(figure, f"{LABELS[figure]} is more than {(limit - 1):.0%} above the "
                                          f"{_show(figure, target)} contracted: correct it, or explain why")
    return list(found.values())


def _require_open(monitoring_return: MonitoringReturn) -> None:
    if monitoring_return.status not in (ReturnStatus.OPEN, ReturnStatus.RETURNED):
        raise DomainError("This return has been submitted and can no longer be changed")


def submit(session: Session, *, monitoring_return: MonitoringReturn, by: User, values: dict, narrative: str,
           rag: Rag, explanations: dict[str, str]) -> None:
    """Record the company's figures. Every query must be answered (or the figure corrected)."""
    workflow.lock(session, monitoring_return)
    _require_open(monitoring_return)
    if monitoring_return.period_end > uk_today():
        raise DomainError(f"This return can be submitted once its period ends on "
                          f"{monitoring_return.period_end:%d/%m/%Y}")
    missing = [name for name, _ in FIGURES if values.get(name) is None]
    if missing:
        raise DomainError(f"Enter the {LABELS[missing[0]].lower()}", field=missing[0])
    answered = {}
    for query in queries(session, monitoring_return, values):
        explanation = (explanations.get(query.figure) or "").strip()
        if not explanation:
            raise DomainError(query.message, field=f"explain_{query.figure}")
        answered[query.figure] = explanation
    for name, _ in FIGURES:
        setattr(monitoring_return, name, values[name])
    monitoring_return.narrative, monitoring_return.rag, monitoring_return.explanations = narrative, rag, answered
    monitoring_return.submitted_at, monitoring_return.submitted_by_id = utcnow(), by.id
    monitoring_return.returned_reason = None
    workflow.transition(session, monitoring_return, ReturnStatus.SUBMITTED, by=by,
                        details={**values, "rag": rag.value, "explanations": answered})


# --- verification ------------------------------------------------------------------------------------

def _require_submitted(monitoring_return: MonitoringReturn, by: User) -> None:
    if by.role not in VERIFIERS:
        raise DomainError("Only a fund manager or account manager can verify returns")
    if monitoring_return.status is not ReturnStatus.SUBMITTED:
        raise DomainError("Only a submitted return can be verified or returned")


def verify(session: Session, *, monitoring_return: MonitoringReturn, by: User) -> None:
    workflow.lock(session, monitoring_return)
    _require_submitted(monitoring_return, by)
    monitoring_return.verified_at, monitoring_return.verified_by_id = utcnow(), by.id
    workflow.transition(session, monitoring_return, ReturnStatus.VERIFIED, by=by,
                        details={"number": monitoring_return.number, "kind": monitoring_return.kind.value})
    award = monitoring_return.award
    tell_company(session, award.application, subject=f"Monitoring return {monitoring_return.number} verified",
                 template="return_update", monitoring_return=monitoring_return, award=award)
    if monitoring_return.number == len(returns_of(session, award)):
        assess_clawback(session, award, monitoring_return, by=by)


def send_back(session: Session, *, monitoring_return: MonitoringReturn, by: User, reason: str) -> None:
    workflow.lock(session, monitoring_return)
    _require_submitted(monitoring_return, by)
    monitoring_return.returned_reason = reason
    workflow.transition(session, monitoring_return, ReturnStatus.RETURNED, by=by, reason=reason)
    award = monitoring_return.award
    tell_company(session, award.application,
                 subject=f"Monitoring return {monitoring_return.number} needs changes",
                 template="return_update", monitoring_return=monitoring_return, award=award)


# --- clawback --------------------------------------------------------------------------------------------

CLAWBACK_MEASURES = (("jobs_created", "jobs created"), ("jobs_safeguarded", "jobs safeguarded"),
                     ("private_investment", "private investment"))


def shortfalls(award: Award, final: MonitoringReturn) -> dict[str, Decimal]:
    """Each contracted measure's shortfall at the end of monitoring, as a share of the contract (0 to 1)."""
    targets = contracted(award)
    result = {}
    for figure, _ in CLAWBACK_MEASURES:
        target, actual = targets[figure], getattr(final, figure)
        if target > 0:
            result[figure] = max(Decimal(0), (target - actual) / target)
    return result


def assess_clawback(session: Session, award: Award, final: MonitoringReturn, *, by: User | None) -> None:
    """Flag the award when the worst shortfall exceeds the tolerance: recover that share of the grant paid."""
    found = shortfalls(award, final)
    if not found:
        return
    figure, worst = max(found.items(), key=lambda item: item[1])
    tolerance = award.application.rules_in_force.clawback_tolerance
    if worst <= tolerance:
        return
    paid = claims.position(session, award).paid
    award.clawback_shortfall = worst.quantize(Decimal("0.0001"), ROUND_HALF_UP)
    award.clawback_amount = (paid * worst).quantize(CENT, ROUND_HALF_UP)
    award.clawback_flagged_at = utcnow()
    label = dict(CLAWBACK_MEASURES)[figure]
    award.clawback_reason = (f"Verified {label} fell {worst:.1%} short of the contract at the end of monitoring "
                             f"(tolerance {tolerance:.0%}): {worst:.1%} of the {money(paid)} paid")
    audit.record(session, actor=by, action="award.clawback_flagged", entity=award, after={
        "shortfalls": {k: str(v) for k, v in found.items()}, "measure": figure,
        "amount": award.clawback_amount, "paid": paid})


# --- reminders --------------------------------------------------------------------------------------------

def send_reminders(session: Session, *, today: date | None = None) -> int:
    """Email each company `reminder_days_before` days before a return is due and on the due date (or late,
    if the job did not run then). Each reminder is claimed by a conditional update, so runs at once never
    send one twice. Returns how many were sent."""
    today = today or uk_today()
    sent = 0
    candidates = session.scalars(
        sa.select(MonitoringReturn).join(Award).where(
            Award.status == AwardStatus.ACCEPTED,
            MonitoringReturn.status.in_((ReturnStatus.OPEN, ReturnStatus.RETURNED)),
            MonitoringReturn.due_on <= today + timedelta(days=MAX_REMINDER_DAYS),
            MonitoringReturn.reminded_due_at.is_(None))
    ).all()
    for monitoring_return in candidates:
        rules = monitoring_return.award.application.rules_in_force
        if monitoring_return.due_on <= today:
            column, when = MonitoringReturn.reminded_due_at, "due"
        elif monitoring_return.due_on - timedelta(days=rules.reminder_days_before) <= today:
            column, when = MonitoringReturn.reminded_before_at, "soon"
        else:
            continue
        claimed = session.execute(sa.update(MonitoringReturn).where(
            MonitoringReturn.id == monitoring_return.id, column.is_(None)).values({column: utcnow()}))
        if claimed.rowcount != 1:
            continue
        application = monitoring_return.award.application
        subject = (f"Monitoring return {monitoring_return.number} is due today" if monitoring_return.due_on == today
                   else f"Monitoring return {monitoring_return.number} is overdue" if when == "due"
                   else f"Monitoring return {monitoring_return.number} is due on {monitoring_return.due_on:%d/%m/%Y}")
        tell_company(session, application, subject=subject, template="return_reminder",
                     monitoring_return=monitoring_return, award=monitoring_return.award, today=today)
        audit.record(session, actor=None, actor_label="reminders", action="monitoring.reminded",
                     entity=monitoring_return, after={"when": when, "due_on": monitoring_return.due_on})
        sent += 1
    return sent

