"""Strategic partnerships (PRODUCT.md §4, issue 8; Sector Plan Action 22): partnerships, their
commitments and dated progress, the RAG of each commitment and the dashboard.

    negotiating -> active -> completed
    negotiating | active -> terminated   (with the reason)

Statuses move only through `move()`, which checks STATUS_TRANSITIONS and records an audit event.

A commitment's RAG compares the latest progress value with where a straight line from 0 on its
start date to the target on its target date says it should be (`expected`):

    green  progress >= 90% of expected (or nothing expected yet)
    amber  progress >= 70% of expected
    red    below that

The thresholds are this service's stated defaults (GREEN_AT, AMBER_AT). An account manager can
override the derived RAG with a reason; the override shows next to the derived one.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from portfolio.dates import financial_year_dates, financial_year_of, uk_today
from portfolio.models import (
    Commitment,
    CommitmentMeasure,
    CommitmentStatus,
    Partnership,
    PartnershipStatus,
    ProgressUpdate,
    Rag,
    Role,
    Upload,
    User,
)
from portfolio.services import audit, organisations, policy, uploads, workflow
from portfolio.services.errors import DomainError, NotFound

GREEN_AT = Decimal("0.90")
AMBER_AT = Decimal("0.70")
ZERO = Decimal("0.00")
# The Spending Review years of Action 22: at least one new partnership in each.
SPENDING_REVIEW_YEARS = ("2025/26", "2026/27", "2027/28", "2028/29")
DEPARTMENTS = ("DSIT", "DHSC", "DBT", "HM Treasury", "NHS England", "Office for Investment", "MHRA", "NICE", "NIHR")

P = PartnershipStatus


# --- reading ----------------------------------------------------------------------------------------

def get_commitment(partnership: Partnership, commitment_id: int) -> Commitment:
    commitment = next((c for c in partnership.commitments if c.id == commitment_id), None)
    if commitment is None:
        raise NotFound()
    return commitment


def all_partnerships(session: Session) -> list[Partnership]:
    return list(session.scalars(
        sa.select(Partnership).options(selectinload(Partnership.organisation), selectinload(Partnership.lead),
                                       selectinload(Partnership.commitments).selectinload(Commitment.updates))
        .order_by(Partnership.signed_on.desc().nulls_first(), Partnership.id)))


def next_statuses(partnership: Partnership, user: User) -> list[PartnershipStatus]:
    return workflow.targets(partnership, user)


# --- RAG --------------------------------------------------------------------------------------------

def latest_value(commitment: Commitment, on: date | None = None) -> Decimal:
    """The latest progress value on or before `on` (0 before any)."""
    values = [u for u in commitment.updates if on is None or u.on <= on]
    return max(values, key=lambda u: (u.on, u.id)).value if values else ZERO


def expected(commitment: Commitment, on: date) -> Decimal:
    """Where the straight line from 0 on the start date to the target on the target date is on `on`."""
    if on <= commitment.start_on:
        return ZERO
    if on >= commitment.target_on:
        return commitment.target_value
    span = (commitment.target_on - commitment.start_on).days
    return (commitment.target_value * (on - commitment.start_on).days / span).quantize(Decimal("0.01"),
                                                                                       rounding=ROUND_HALF_UP)


def derived_rag(commitment: Commitment, on: date | None = None) -> Rag:
    on = on or uk_today()
    should = expected(commitment, on)
    if should <= 0:
        return Rag.GREEN
    achieved = latest_value(commitment, on)
    if achieved >= should * GREEN_AT:
        return Rag.GREEN
    if achieved >= should * AMBER_AT:
        return Rag.AMBER
    return Rag.RED


def rag(commitment: Commitment, on: date | None = None) -> Rag:
    return commitment.rag_override or derived_rag(commitment, on)


# --- writing ----------------------------------------------------------------------------------------

def _workers_only(by: User, record=None) -> None:
    if not (policy.may_act(by, record) if record is not None else workflow.can_start(Partnership, by)):
        raise DomainError("Only account managers change partnerships")


def _lead(session: Session, lead_id: int) -> User:
    lead = session.get(User, lead_id)
    if lead is None or lead.role is not Role.ACCOUNT_MANAGER or not lead.is_active:
        raise DomainError("Select the lead account manager", field="lead_id")
    return lead


def create_partnership(session: Session, *, by: User, organisation_id: int | None, new_organisation: dict | None,
                       title: str, departments: list[str], lead_id: int) -> Partnership:
    """Start recording a partnership, at negotiating. :raise DomainError: a bad lead or company."""
    _workers_only(by)
    lead = _lead(session, lead_id)
    organisation = organisations.existing_or_new(session, organisation_id=organisation_id,
                                                  new_organisation=new_organisation)
    partnership = Partnership(organisation=organisation, title=title, departments=departments, lead=lead,
                              created_by_id=by.id)
    workflow.start(session, partnership, by=by, details={
        "organisation_id": organisation.id, "title": title, "departments": departments, "lead_id": lead.id})
    return partnership


def move(session: Session, *, partnership: Partnership, to: PartnershipStatus, by: User,
         signed_on: date | None = None, reason: str | None = None) -> None:
    """Change the status by the table (portfolio.services.transitions). Active needs the signed date;
    terminated needs the reason."""
    workflow.lock(session, partnership)
    problem = workflow.refusal(partnership, to, by, reason=reason, check_reason=True)
    if problem:
        raise workflow.InvalidTransition(problem, field="reason" if problem.startswith("Enter why") else "status")
    if to is P.ACTIVE:
        if signed_on is None:
            raise DomainError("Enter the date the partnership was signed", field="signed_on")
        if signed_on > uk_today():
            raise DomainError("The signed date must be today or in the past", field="signed_on")
        partnership.signed_on = signed_on
    if to is P.TERMINATED:
        partnership.termination_reason = reason.strip()
    workflow.transition(session, partnership, to, by=by, reason=reason, details={"signed_on": partnership.signed_on})


def _open(partnership: Partnership) -> None:
    if not partnership.status.is_open:
        raise DomainError(f"The partnership is {partnership.status.label.lower()}: it can no longer change")


def add_commitment(session: Session, *, partnership: Partnership, by: User, measure: CommitmentMeasure,
                   description: str, target_value: Decimal, unit: str, start_on: date, target_on: date
                   ) -> Commitment:
    _workers_only(by, partnership)
    _open(partnership)
    if target_value <= 0:
        raise DomainError("The target must be more than 0", field="target_value")
    if target_on <= start_on:
        raise DomainError("The target date must be after the start date", field="target_on")
    commitment = Commitment(partnership=partnership, measure=measure, description=description,
                            target_value=target_value, unit=unit or ("£" if measure.is_money else ""),
                            start_on=start_on, target_on=target_on)
    workflow.start(session, commitment, by=by, details={
        "partnership_id": partnership.id, "measure": measure.value, "target_value": target_value,
        "unit": commitment.unit, "start_on": start_on, "target_on": target_on})
    return commitment


def set_commitment_status(session: Session, *, commitment: Commitment, to: CommitmentStatus, by: User,
                          reason: str | None = None) -> None:
    """Mark a commitment met, withdraw it (with the reason) or reopen it, by the table."""
    workflow.lock(session, commitment)
    reason = (reason or "").strip() or None
    workflow.transition(session, commitment, to, by=by, reason=reason,
                        details={"partnership_id": commitment.partnership_id})
    commitment.status_reason = reason if to is CommitmentStatus.WITHDRAWN else None


def record_progress(session: Session, *, commitment: Commitment, by: User, on: date, value: Decimal, note: str,
                    file_storage=None) -> ProgressUpdate:
    """A dated cumulative value, with an optional evidence file (the upload rules apply)."""
    _workers_only(by, commitment)
    _open(commitment.partnership)
    if on > uk_today():
        raise DomainError("The date must be today or in the past", field="on")
    if on < commitment.start_on:
        raise DomainError("The date must be on or after the commitment's start date", field="on")
    if value < 0:
        raise DomainError("The value cannot be negative", field="value")
    update = ProgressUpdate(commitment=commitment, on=on, value=value, note=note, recorded_by_id=by.id)
    session.add(update)
    session.flush()
    if file_storage is not None and getattr(file_storage, "filename", ""):
        uploads.save_upload(session, file_storage=file_storage, organisation=commitment.partnership.organisation,
                            by=by, purpose="partnership_evidence", owner=update)
    audit.record(session, actor=by, action="partnership.progress_recorded", entity=commitment.partnership, after={
        "commitment_id": commitment.id, "update_id": update.id, "on": on, "value": value,
        "rag": derived_rag(commitment).value})
    return update


def override_rag(session: Session, *, commitment: Commitment, by: User, rag: Rag | None, reason: str | None
                 ) -> None:
    """Set (or, with rag None, clear) the RAG override. An override needs a reason."""
    _workers_only(by, commitment)
    reason = (reason or "").strip() or None
    if rag is not None and not reason:
        raise DomainError("Enter why the RAG status is overridden", field="reason")
    before = {"rag_override": commitment.rag_override and commitment.rag_override.value,
              "reason": commitment.rag_override_reason}
    commitment.rag_override, commitment.rag_override_reason = rag, (reason if rag else None)
    audit.record(session, actor=by, action="partnership.rag_overridden", entity=commitment.partnership,
                 before={"commitment_id": commitment.id, **before},
                 after={"commitment_id": commitment.id, "rag_override": rag and rag.value, "reason": reason})


def progress_updates(partnership: Partnership) -> list[ProgressUpdate]:
    return [update for commitment in partnership.commitments for update in commitment.updates]


def evidence(session: Session, partnership: Partnership) -> dict[int, list[Upload]]:
    """Evidence files by progress update id."""
    ids = [u.id for u in progress_updates(partnership)]
    if not ids:
        return {}
    found: dict[int, list[Upload]] = {}
    for upload in session.scalars(sa.select(Upload).where(Upload.owner_type == ProgressUpdate.__record_type__,
                                                          Upload.owner_id.in_(ids), Upload.deleted_at.is_(None))
                                  .order_by(Upload.id)):
        found.setdefault(upload.owner_id, []).append(upload)
    return found


# --- the dashboard and Annex A ----------------------------------------------------------------------

def investment_secured(partnership: Partnership, on: date | None = None) -> Decimal:
    """Investment achieved so far: the latest progress on its investment commitments."""
    return sum((latest_value(c, on) for c in partnership.commitments if c.measure is CommitmentMeasure.INVESTMENT),
               ZERO)


def investment_committed(partnership: Partnership) -> Decimal:
    return sum((c.target_value for c in partnership.commitments if c.measure is CommitmentMeasure.INVESTMENT), ZERO)


@dataclass
class YearLine:
    financial_year: str
    partnerships: int = 0
    investment_committed: Decimal = ZERO
    investment_secured: Decimal = ZERO
    names: list[str] = field(default_factory=list)

    @property
    def target_met(self) -> bool:
        return self.partnerships >= 1


def signed(partnerships: list[Partnership], until: date | None = None) -> list[Partnership]:
    """Partnerships that were signed (active, completed or terminated after signing) by `until`."""
    return [p for p in partnerships if p.signed_on is not None and (until is None or p.signed_on <= until)]


def by_year(session: Session, on: date | None = None, years: tuple[str, ...] = SPENDING_REVIEW_YEARS
            ) -> list[YearLine]:
    """New partnerships per financial year of signing (the Spending Review years, plus any other year
    with one), and the investment they committed and secured by `on`."""
    lines = {year: YearLine(year) for year in years}
    for partnership in signed(all_partnerships(session), on):
        year = financial_year_of(partnership.signed_on)
        line = lines.setdefault(year, YearLine(year))
        line.partnerships += 1
        line.investment_committed += investment_committed(partnership)
        line.investment_secured += investment_secured(partnership, on)
        line.names.append(f"{partnership.organisation.name}: {partnership.title}")
    return [lines[year] for year in sorted(lines)]


@dataclass
class Dashboard:
    years: list[YearLine]
    investment_secured: Decimal
    investment_committed: Decimal
    red: list[tuple[Partnership, Commitment]]
    partnerships: list[Partnership]


def dashboard(session: Session, on: date | None = None) -> Dashboard:
    on = on or uk_today()
    partnerships = all_partnerships(session)
    live = signed(partnerships, on)
    red = [(p, c) for p in partnerships if p.status in (P.NEGOTIATING, P.ACTIVE) for c in p.commitments
           if rag(c, on) is Rag.RED]
    return Dashboard(years=by_year(session, on), red=red, partnerships=partnerships,
                     investment_secured=sum((investment_secured(p, on) for p in live), ZERO),
                     investment_committed=sum((investment_committed(p) for p in live), ZERO))


def account_managers(session: Session) -> list[User]:
    return list(session.scalars(sa.select(User).where(User.role == Role.ACCOUNT_MANAGER, User.is_active.is_(True))
                                .order_by(User.name)))


@dataclass
class Action22:
    """Annex A, Action 22: the number and value of new strategic partnerships."""

    financial_year: str
    new_partnerships: int  # signed in the year
    investment_committed: Decimal  # by the partnerships signed in the year (investment commitments' targets)
    investment_secured: Decimal  # by them, to the end of the year (latest progress)
    partnerships_to_date: int  # signed by the end of the year
    investment_secured_to_date: Decimal  # by every partnership signed by the end of the year
    spending_review: list[YearLine]  # 2025/26 to 2028/29, as at the end of the year

    @property
    def has_data(self) -> bool:
        return self.partnerships_to_date > 0


def action_22(session: Session, financial_year: str) -> Action22:
    first, last = financial_year_dates(financial_year)
    everything = signed(all_partnerships(session), last)
    new = [p for p in everything if p.signed_on >= first]
    return Action22(
        financial_year=financial_year, new_partnerships=len(new),
        investment_committed=sum((investment_committed(p) for p in new), ZERO),
        investment_secured=sum((investment_secured(p, last) for p in new), ZERO),
        partnerships_to_date=len(everything),
        investment_secured_to_date=sum((investment_secured(p, last) for p in everything), ZERO),
        spending_review=[line for line in by_year(session, last) if line.financial_year in SPENDING_REVIEW_YEARS])
