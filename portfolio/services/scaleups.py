"""The scale-up company service (PRODUCT.md §5, issue 8; Sector Plan Action 23): the cohort, each
company's support plan and engagement log, and its quarterly KPI snapshots.

The cohort never has more than MAX_ACTIVE (20) active companies. `join()` locks the cohort row
(SELECT ... FOR UPDATE on PostgreSQL) before it counts, so concurrent joins are counted one at a
time and the 21st is refused; below MIN_ACTIVE (10) the service warns.

A snapshot entered by the account manager is confirmed at once; one submitted by the company
(its own users, and only for their own company) waits for the account manager to confirm it.
Only confirmed snapshots count in the trends, the profile and Annex A.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from portfolio import charts
from portfolio.dates import financial_year_dates, quarter_label, quarter_start, uk_today
from portfolio.models import (
    Engagement,
    EngagementKind,
    IpoVenue,
    KpiSnapshot,
    ListingStatus,
    MembershipStatus,
    Organisation,
    Rag,
    ReferralBody,
    Role,
    ScaleupCohort,
    ScaleupCompany,
    SnapshotStatus,
    User,
)
from portfolio.models.base import utcnow
from portfolio.services import audit, policy, workflow
from portfolio.services.errors import DomainError, NotFound

MAX_ACTIVE = 20  # PRODUCT.md §5: a 21st is refused
MIN_ACTIVE = 10  # below this the service warns
SME_EMPLOYEES = 250  # a UK SME has fewer than 250 employees (Annex A: people employed by SMEs)
COHORT_ID = 1
ZERO = Decimal("0.00")


# --- the cohort -------------------------------------------------------------------------------------

def _cohort(session: Session, *, lock: bool) -> ScaleupCohort:
    """The single cohort row (created on first use), locked FOR UPDATE when `lock`."""
    if session.get(ScaleupCohort, COHORT_ID) is None:
        try:
            with session.begin_nested():
                session.add(ScaleupCohort(id=COHORT_ID, name="Scale-up company service"))
        except IntegrityError:
            pass  # another request created it first
    statement = sa.select(ScaleupCohort).where(ScaleupCohort.id == COHORT_ID)
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    return session.scalars(statement).one()


def active_count(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(ScaleupCompany)
                          .where(ScaleupCompany.left_on.is_(None))) or 0


def cohort_warning(count: int) -> str | None:
    if count < MIN_ACTIVE:
        return (f"The cohort has {count} active compan{'y' if count == 1 else 'ies'}: the service is for "
                f"{MIN_ACTIVE} to {MAX_ACTIVE}")
    return None


def active_companies(session: Session) -> list[ScaleupCompany]:
    return list(session.scalars(
        sa.select(ScaleupCompany).join(Organisation).where(ScaleupCompany.left_on.is_(None))
        .options(selectinload(ScaleupCompany.organisation), selectinload(ScaleupCompany.account_manager),
                 selectinload(ScaleupCompany.snapshots))
        .order_by(Organisation.name)))


def former_companies(session: Session) -> list[ScaleupCompany]:
    return list(session.scalars(
        sa.select(ScaleupCompany).where(ScaleupCompany.left_on.is_not(None))
        .options(selectinload(ScaleupCompany.organisation)).order_by(ScaleupCompany.left_on.desc())))


def _workers_only(by: User, company: ScaleupCompany | None = None) -> None:
    if not (policy.may_act(by, company) if company is not None else workflow.can_start(ScaleupCompany, by)):
        raise DomainError("Only account managers run the scale-up service")


def _account_manager(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or user.role is not Role.ACCOUNT_MANAGER or not user.is_active:
        raise DomainError("Select the account manager", field="account_manager_id")
    return user


def join(session: Session, *, by: User, organisation_id: int, account_manager_id: int, joined_on: date,
         reason: str) -> ScaleupCompany:
    """Add a company to the cohort. :raise DomainError: the cohort is full (20 active), the company
    is already in it, or the date is in the future."""
    _workers_only(by)
    if joined_on > uk_today():
        raise DomainError("The date must be today or in the past", field="joined_on")
    if not (reason or "").strip():
        raise DomainError("Enter why the company is joining", field="reason")
    manager = _account_manager(session, account_manager_id)
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise DomainError("Select the company", field="organisation_id")
    cohort = _cohort(session, lock=True)  # concurrent joins wait here, then count what the others added
    if session.scalar(sa.select(ScaleupCompany.id).where(ScaleupCompany.organisation_id == organisation_id,
                                                         ScaleupCompany.left_on.is_(None))):
        raise DomainError(f"{organisation.name} is already in the cohort", field="organisation_id")
    count = active_count(session)
    if count >= MAX_ACTIVE:
        raise DomainError(f"The cohort already has {count} active companies, the most it can have: a company "
                          "must leave before another joins", field="organisation_id")
    company = ScaleupCompany(cohort_id=cohort.id, organisation=organisation, account_manager=manager,
                             joined_on=joined_on, join_reason=reason.strip())
    workflow.start(session, company, by=by, details={
        "organisation_id": organisation.id, "joined_on": joined_on, "reason": company.join_reason,
        "account_manager_id": manager.id, "active": count + 1})
    return company


def leave(session: Session, *, company: ScaleupCompany, by: User, left_on: date, reason: str) -> None:
    _workers_only(by, company)
    if not company.is_active:
        raise DomainError("The company has already left the cohort")
    if not (reason or "").strip():
        raise DomainError("Enter why the company is leaving", field="reason")
    if left_on > uk_today() or left_on < company.joined_on:
        raise DomainError("The date must be between the date it joined and today", field="left_on")
    _cohort(session, lock=True)
    company.left_on, company.leave_reason = left_on, reason.strip()
    workflow.transition(session, company, MembershipStatus.LEFT, by=by, reason=reason, details={"left_on": left_on})


def company_of(session: Session, user: User) -> ScaleupCompany | None:
    """A company user's cohort membership: the active one, else the latest."""
    if user.organisation_id is None:
        return None
    return session.scalars(sa.select(ScaleupCompany).where(ScaleupCompany.organisation_id == user.organisation_id)
                           .order_by(ScaleupCompany.left_on.is_(None).desc(), ScaleupCompany.id.desc())).first()


def update_plan(session: Session, *, company: ScaleupCompany, by: User, account_manager_id: int,
                support_needs: str, agreed_actions: str) -> None:
    _workers_only(by, company)
    manager = _account_manager(session, account_manager_id)
    before = {"account_manager_id": company.account_manager_id, "support_needs": company.support_needs,
              "agreed_actions": company.agreed_actions}
    company.account_manager, company.support_needs, company.agreed_actions = manager, support_needs, agreed_actions
    audit.record(session, actor=by, action="scaleup.plan_updated", entity=company, before=before, after={
        "account_manager_id": manager.id, "support_needs": support_needs, "agreed_actions": agreed_actions})


# --- the engagement log -----------------------------------------------------------------------------

def log_engagement(session: Session, *, company: ScaleupCompany, by: User, kind: EngagementKind, on: date,
                   summary: str, referred_to: ReferralBody | None = None, other_body: str | None = None,
                   outcome: str | None = None) -> Engagement:
    _workers_only(by, company)
    if on > uk_today():
        raise DomainError("The date must be today or in the past", field="on")
    if kind is EngagementKind.REFERRAL:
        if referred_to is None:
            raise DomainError("Select who the company was referred to", field="referred_to")
        if referred_to is ReferralBody.OTHER and not other_body:
            raise DomainError("Enter who the company was referred to", field="other_body")
    else:
        referred_to, other_body, outcome = None, None, None
    engagement = Engagement(company=company, kind=kind, on=on, summary=summary, referred_to=referred_to,
                            other_body=other_body or None, outcome=outcome or None, recorded_by_id=by.id)
    session.add(engagement)
    session.flush()
    audit.record(session, actor=by, action="scaleup.engagement_logged", entity=company, after={
        "engagement_id": engagement.id, "kind": kind.value, "on": on,
        "referred_to": referred_to and referred_to.value, "outcome": outcome})
    return engagement


def record_outcome(session: Session, *, company: ScaleupCompany, by: User, engagement_id: int, outcome: str
                   ) -> Engagement:
    _workers_only(by, company)
    engagement = next((e for e in company.engagements if e.id == engagement_id), None)
    if engagement is None or engagement.kind is not EngagementKind.REFERRAL:
        raise NotFound()
    if not (outcome or "").strip():
        raise DomainError("Enter the outcome of the referral", field="outcome")
    before = engagement.outcome
    engagement.outcome = outcome.strip()
    audit.record(session, actor=by, action="scaleup.referral_outcome", entity=company,
                 before={"engagement_id": engagement.id, "outcome": before},
                 after={"engagement_id": engagement.id, "outcome": engagement.outcome})
    return engagement


# --- KPI snapshots ----------------------------------------------------------------------------------

SNAPSHOT_FIELDS = ("uk_employees", "revenue", "capital_raised", "funding_round", "uk_investor_share", "valuation",
                   "listing_status", "ipo_venue", "ipo_exchange", "ipo_on", "ipo_amount", "domicile_rag",
                   "domicile_reason")


def _check_snapshot(company: ScaleupCompany, values: dict) -> None:
    if values["uk_employees"] < 0:
        raise DomainError("UK employees cannot be negative", field="uk_employees")
    share = values.get("uk_investor_share")
    if share is not None and not (0 <= share <= 100):
        raise DomainError("The share from UK investors must be from 0% to 100%", field="uk_investor_share")
    if values["capital_raised"] > 0 and share is None:
        raise DomainError("Enter the share of the capital raised from UK investors", field="uk_investor_share")
    venue: IpoVenue | None = values.get("ipo_venue")
    if venue is not None:
        if values.get("ipo_amount") is None:
            raise DomainError("Enter the amount the IPO raised", field="ipo_amount")
        if values.get("ipo_on") is None:
            raise DomainError("Enter the date of the IPO", field="ipo_on")
        if quarter_start(values["ipo_on"]) != values["quarter_start"]:
            raise DomainError("The IPO date must be in the quarter of the snapshot", field="ipo_on")
        if venue is IpoVenue.OVERSEAS and not values.get("ipo_exchange"):
            raise DomainError("Enter the overseas exchange", field="ipo_exchange")
        if values["listing_status"] is ListingStatus.PRIVATE:
            raise DomainError("A company that listed is no longer private: select its listing", field="listing_status")
    else:
        values["ipo_amount"] = values["ipo_on"] = values["ipo_exchange"] = None
    if values["domicile_rag"] in (Rag.RED, Rag.AMBER) and not values.get("domicile_reason"):
        raise DomainError("Enter the reason for the domicile risk", field="domicile_reason")


def submit_snapshot(session: Session, *, company: ScaleupCompany, by: User, quarter_start: date, **values
                    ) -> KpiSnapshot:
    """A quarter's figures: confirmed at once from the account manager, submitted (for confirmation)
    from the company's own users. A company's submitted snapshot may be replaced until confirmed."""
    values["quarter_start"] = quarter_start
    if by.role is Role.APPLICANT:
        if by.organisation_id != company.organisation_id:
            raise NotFound()
        if not company.is_active:
            raise DomainError("The company has left the cohort")
    else:
        _workers_only(by, company)
    if quarter_start > uk_today():
        raise DomainError("Select a quarter that has started", field="quarter_start")
    _check_snapshot(company, values)
    workflow.lock(session, company)  # one snapshot per quarter, however many submit it at once
    snapshot = session.scalars(sa.select(KpiSnapshot).where(KpiSnapshot.company_id == company.id,
                                                            KpiSnapshot.quarter_start == quarter_start)).first()
    company_side = by.role is Role.APPLICANT
    created = snapshot is None
    if created:
        snapshot = KpiSnapshot(company=company, quarter_start=quarter_start)
    else:
        workflow.lock(session, snapshot)
        if snapshot.status is SnapshotStatus.CONFIRMED and company_side:
            raise DomainError(f"The snapshot for {quarter_label(quarter_start)} is already confirmed",
                              field="quarter_start")
    for name in SNAPSHOT_FIELDS:
        setattr(snapshot, name, values.get(name))
    snapshot.submitted_by_id, snapshot.submitted_at = by.id, utcnow()
    snapshot.confirmed_by_id, snapshot.confirmed_at = (None, None) if company_side else (by.id, utcnow())
    if created:
        workflow.start(session, snapshot, SnapshotStatus.SUBMITTED if company_side else SnapshotStatus.CONFIRMED,
                       by=by)
    elif snapshot.status is SnapshotStatus.SUBMITTED and not company_side:
        workflow.transition(session, snapshot, SnapshotStatus.CONFIRMED, by=by,
                            details={"company_id": company.id, "quarter": quarter_label(quarter_start)})
    session.flush()
    audit.record(session, actor=by, action="scaleup.snapshot_submitted", entity=company, after={
        "snapshot_id": snapshot.id, "quarter": quarter_label(quarter_start), "status": snapshot.status.value,
        **{name: values.get(name) for name in SNAPSHOT_FIELDS}})
    return snapshot


def confirm_snapshot(session: Session, *, company: ScaleupCompany, by: User, snapshot_id: int) -> KpiSnapshot:
    _workers_only(by, company)
    snapshot = next((s for s in company.snapshots if s.id == snapshot_id), None)
    if snapshot is None:
        raise NotFound()
    workflow.lock(session, snapshot)
    if snapshot.status is SnapshotStatus.CONFIRMED:
        raise DomainError("The snapshot is already confirmed")
    snapshot.confirmed_by_id, snapshot.confirmed_at = by.id, utcnow()
    workflow.transition(session, snapshot, SnapshotStatus.CONFIRMED, by=by,
                        details={"company_id": company.id, "quarter": quarter_label(snapshot.quarter_start)})
    return snapshot


def confirmed(company: ScaleupCompany) -> list[KpiSnapshot]:
    return [s for s in company.snapshots if s.status is SnapshotStatus.CONFIRMED]


def latest(company: ScaleupCompany) -> KpiSnapshot | None:
    snapshots = confirmed(company)
    return snapshots[-1] if snapshots else None


def waiting(session: Session) -> list[KpiSnapshot]:
    return list(session.scalars(sa.select(KpiSnapshot).where(KpiSnapshot.status == SnapshotStatus.SUBMITTED)
                                .options(selectinload(KpiSnapshot.company).selectinload(ScaleupCompany.organisation))
                                .order_by(KpiSnapshot.submitted_at)))


# --- trends (server-rendered SVG) -------------------------------------------------------------------

@dataclass
class QuarterTotal:
    quarter_start: date
    companies: int = 0
    uk_employees: int = 0
    capital_raised: Decimal = ZERO

    @property
    def label(self) -> str:
        return quarter_label(self.quarter_start)


def cohort_trend(session: Session) -> list[QuarterTotal]:
    """Confirmed snapshots of every cohort company (past and present), totalled per quarter."""
    totals: dict[date, QuarterTotal] = {}
    for snapshot in session.scalars(sa.select(KpiSnapshot).where(KpiSnapshot.status == SnapshotStatus.CONFIRMED)):
        total = totals.setdefault(snapshot.quarter_start, QuarterTotal(snapshot.quarter_start))
        total.companies += 1
        total.uk_employees += snapshot.uk_employees
        total.capital_raised += snapshot.capital_raised
    return [totals[q] for q in sorted(totals)]


def employees_chart(trend: list[QuarterTotal]) -> charts.BarChart:
    """UK employees of the cohort companies per quarter (confirmed snapshots)."""
    return charts.bar_chart(
        title="UK employees of the cohort companies, by quarter", category_name="Quarter",
        categories=[total.label for total in trend], empty="No confirmed snapshots.", whole=True,
        tick_label="{:,}".format, height=240, left=60,
        series=[charts.Series("UK employees", [total.uk_employees for total in trend],
                              describe=lambda value: f"{value:,} UK employees")])


# --- Annex A (Action 23) ----------------------------------------------------------------------------

@dataclass
class Action23:
    financial_year: str
    cohort_companies: int  # in the cohort at any time in the year
    ftse_350: int  # cohort companies on the FTSE 350 at their latest confirmed snapshot of the year
    ipos_lse: int
    ipos_overseas: int
    ipo_amount_lse: Decimal
    ipo_amount_overseas: Decimal
    sme_employees: int  # UK employees of the cohort's SMEs (fewer than 250), latest snapshot of the year
    sme_companies: int

    @property
    def ipos(self) -> int:
        return self.ipos_lse + self.ipos_overseas

    @property
    def ipo_amount(self) -> Decimal:
        return self.ipo_amount_lse + self.ipo_amount_overseas

    @property
    def has_data(self) -> bool:
        return self.cohort_companies > 0


def action_23(session: Session, financial_year: str) -> Action23:
    first, last = financial_year_dates(financial_year)
    companies = list(session.scalars(
        sa.select(ScaleupCompany).where(ScaleupCompany.joined_on <= last,
                                        sa.or_(ScaleupCompany.left_on.is_(None), ScaleupCompany.left_on >= first))
        .options(selectinload(ScaleupCompany.snapshots))))
    ftse = ipos_lse = ipos_overseas = sme_employees = sme_companies = 0
    amount_lse = amount_overseas = ZERO
    for company in companies:
        in_year = [s for s in confirmed(company) if first <= s.quarter_start <= last]
        for snapshot in in_year:
            if snapshot.ipo_venue is not None:
                if snapshot.ipo_venue.on_lse:
                    ipos_lse, amount_lse = ipos_lse + 1, amount_lse + snapshot.ipo_amount
                else:
                    ipos_overseas, amount_overseas = ipos_overseas + 1, amount_overseas + snapshot.ipo_amount
        if in_year:
            last_snapshot = in_year[-1]
            ftse += last_snapshot.listing_status is ListingStatus.FTSE_350
            if last_snapshot.uk_employees < SME_EMPLOYEES:
                sme_companies += 1
                sme_employees += last_snapshot.uk_employees
    return Action23(financial_year, len(companies), ftse, ipos_lse, ipos_overseas, amount_lse, amount_overseas,
                    sme_employees, sme_companies)


def account_managers(session: Session) -> list[User]:
    return list(session.scalars(sa.select(User).where(User.role == Role.ACCOUNT_MANAGER, User.is_active.is_(True))
                                .order_by(User.name)))
