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
    Partnership,
    PartnershipStatus,
    ProgressUpdate,
    Rag,
    Role,
    Upload,
    User,
)
from portfolio.services import audit, organisations, uploads
from portfolio.services.errors import DomainError, NotFound
from portfolio.services.workflow import InvalidTransition, Transition

WORKERS = (Role.ACCOUNT_MANAGER,)
READERS = (Role.ACCOUNT_MANAGER, Role.FUND_MANAGER, Role.FINANCE, Role.ADMIN)
UPLOAD_OWNER = "partnership_progress"
GREEN_AT = Decimal("0.90")
AMBER_AT = Decimal("0.70")
ZERO = Decimal("0.00")
# The Spending Review years of Action 22: at least one new partnership in each.
SPENDING_REVIEW_YEARS = ("2025/26", "2026/27", "2027/28", "2028/29")
DEPARTMENTS = ("DSIT", "DHSC", "DBT", "HM Treasury", "NHS England", "Office for Investment", "MHRA", "NICE", "NIHR")

P = PartnershipStatus
_workers = frozenset(WORKERS)
STATUS_TRANSITIONS: dict[tuple[PartnershipStatus, PartnershipStatus], Transition] = {
    (P.NEGOTIATING, P.ACTIVE): Transition(_workers, "partnership.signed"),
    (P.ACTIVE, P.COMPLETED): Transition(_workers, "partnership.completed"),
    (P.NEGOTIATING, P.TERMINATED): Transition(_workers, "partnership.terminated"),
    (P.ACTIVE, P.TERMINATED): Transition(_workers, "partnership.terminated"),
}


# --- reading ----------------------------------------------------------------------------------------

def get_partnership_for(session: Session, user: User, partnership_id: int) -> Partnership:
    partnership = session.get(Partnership, partnership_id)
    if partnership is None or user.role not in READERS:
        raise NotFound()
    return partnership


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
    return [after for (before, after), rule in STATUS_TRANSITIONS.items()
            if before is partnership.status and user.role in rule.roles]


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

def _workers_only(by: User) -> None:
    if by.role not in WORKERS:
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
                              status=P.NEGOTIATING, created_by_id=by.id)
    session.add(partnership)
    session.flush()
    audit.record(session, actor=by, action="partnership.created", entity=partnership, after={
        "organisation_id": organisation.id, "title": title, "departments": departments, "lead_id": lead.id})
    return partnership


def move(session: Session, *, partnership: Partnership, to: PartnershipStatus, by: User,
         signed_on: date | None = None, reason: str | None = None) -> None:
    """Change the status by the table. Active needs the signed date; terminated needs the reason."""
    rule = STATUS_TRANSITIONS.get((partnership.status, to))
    if rule is None:
        raise InvalidTransition(f"A partnership cannot move from {partnership.status.label.lower()} to "
                                f"{to.label.lower()}", field="status")
    if by.role not in rule.roles:
        raise InvalidTransition("Your role cannot change a partnership's status", field="status")
    reason = (reason or "").strip() or None
    if to is P.ACTIVE:
        if signed_on is None:
            raise DomainError("Enter the date the partnership was signed", field="signed_on")
        if signed_on > uk_today():
            raise DomainError("The signed date must be today or in the past", field="signed_on")
        partnership.signed_on = signed_on
    if to is P.TERMINATED:
        if not reason:
            raise InvalidTransition("Enter why the partnership was terminated", field="reason")
        partnership.termination_reason = reason
    before = partnership.status
    partnership.status = to
    audit.record(session, actor=by, action=rule.action, entity=partnership, before={"status": before.value},
                 after={"status": to.value, "signed_on": partnership.signed_on, "reason": reason})


def _open(partnership: Partnership) -> None:
    if partnership.status not in (P.NEGOTIATING, P.ACTIVE):
        raise DomainError(f"The partnership is {partnership.status.label.lower()}: it can no longer change")


def add_commitment(session: Session, *, partnership: Partnership, by: User, measure: CommitmentMeasure,
                   description: str, target_value: Decimal, unit: str, start_on: date, target_on: date
                   ) -> Commitment:
    _workers_only(by)
    _open(partnership)
    if target_value <= 0:
        raise DomainError("The target must be more than 0", field="target_value")
    if target_on <= start_on:
        raise DomainError("The target date must be after the start date", field="target_on")
    commitment = Commitment(partnership=partnership, measure=measure, description=description,
                            target_value=target_value, unit=unit or ("£" if measure.is_money else ""),
                            start_on=start_on, target_on=target_on)
    session.add(commitment)
    session.flush()
    audit.record(session, actor=by, action="partnership.commitment_added", entity=partnership, after={
        "commitment_id": commitment.id, "measure": measure.value, "target_value": target_value,
        "unit": commitment.unit, "start_on": start_on, "target_on": target_on})
    return commitment


def record_progress(session: Session, *, commitment: Commitment, by: User, on: date, value: Decimal, note: str,
                    file_storage=None) -> ProgressUpdate:
    """A dated cumulative value, with an optional evidence file (the upload rules apply)."""
    _workers_only(by)
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
                            by=by, purpose="partnership_evidence", owner_type=UPLOAD_OWNER, owner_id=update.id)
    audit.record(session, actor=by, action="partnership.progress_recorded", entity=commitment.partnership, after={
        "commitment_id": commitment.id, "update_id": update.id, "on": on, "value": value,
        "rag": derived_rag(commitment).value})
    return update


def override_rag(session: Session, *, commitment: Commitment, by: User, rag: Rag | None, reason: str | None
                 ) -> None:
    """Set (or, with rag None, clear) the RAG override. An override needs a reason."""
    _workers_only(by)
    reason = (reason or "").strip() or None
    if rag is not None and not reason:
        raise DomainError("Enter why the RAG status is overridden", field="reason")
    before = {"rag_override": commitment.rag_override and commitment.rag_override.value,
              "reason": commitment.rag_override_reason}
    commitment.rag_override, commitment.rag_override_reason = rag, (reason if rag else None)
    audit.record(session, actor=by, action="partnership.rag_overridden", entity=commitment.partnership,
                 before={"commitment_id": commitment.id, **before},
                 after={"commitment_id": commitment.id, "rag_override": rag and rag.value, "reason": reason})


def evidence(session: Session, partnership: Partnership) -> dict[int, list[Upload]]:
    """Evidence files by progress update id."""
    ids = [u.id for c in partnership.commitments for u in c.updates]
    if not ids:
        return {}
    found: dict[int, list[Upload]] = {}
    for upload in session.scalars(sa.select(Upload).where(Upload.owner_type == UPLOAD_OWNER,
                                                          Upload.owner_id.in_(ids), Upload.deleted_at.is_(None))
                                  .order_by(Upload.id)):
        found.setdefault(upload.owner_id, []).append(upload)
    return found


def get_evidence(session: Session, partnership: Partnership, upload_id: int) -> Upload:
    upload = next((u for files in evidence(session, partnership).values() for u in files if u.id == upload_id), None)
    if upload is None:
        raise NotFound()
    return upload


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
