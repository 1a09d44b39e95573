"""The scale-up company service (PRODUCT.md §5, Sector Plan Action 23): a cohort of 10 to 20
high-potential UK companies, each with an account manager, a support plan, an engagement log and
quarterly KPI snapshots (which feed Annex A's Action 23 metrics).

`ScaleupCohort` is one row: joining locks it, so concurrent joins count the active companies
one at a time and the cohort never passes its cap."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.models.base import Base, TimestampMixin, enum_column, utcnow
from portfolio.models.organisation import Organisation
from portfolio.models.statuses import (
    EngagementKind,
    IpoVenue,
    ListingStatus,
    MembershipStatus,
    Rag,
    ReferralBody,
    SnapshotStatus,
)
from portfolio.models.user import User
from portfolio.references import SCALEUP_COMPANY, numbered


class ScaleupCohort(Base):
    __tablename__ = "scaleup_cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))


class ScaleupCompany(TimestampMixin, Base):
    """One period of a company in the cohort: from joining to leaving (a company that left may join
    again: a new row)."""
    __record_type__ = "scaleup_company"

    __tablename__ = "scaleup_companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("scaleup_cohorts.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    account_manager_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    joined_on: Mapped[date] = mapped_column()
    join_reason: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[MembershipStatus] = mapped_column(enum_column(MembershipStatus), index=True)
    left_on: Mapped[date | None] = mapped_column(index=True)
    leave_reason: Mapped[str | None] = mapped_column(sa.Text)
    support_needs: Mapped[str] = mapped_column(sa.Text, default="")
    agreed_actions: Mapped[str] = mapped_column(sa.Text, default="")

    organisation: Mapped[Organisation] = relationship()
    account_manager: Mapped[User] = relationship()
    engagements: Mapped[list["Engagement"]] = relationship(
        back_populates="company", order_by="Engagement.on.desc(), Engagement.id.desc()")
    snapshots: Mapped[list["KpiSnapshot"]] = relationship(
        back_populates="company", order_by="KpiSnapshot.quarter_start, KpiSnapshot.id")

    @property
    def is_active(self) -> bool:
        return self.status is MembershipStatus.ACTIVE

    @property
    def reference(self) -> str:
        return numbered(SCALEUP_COMPANY, self.id)


class Engagement(Base):
    """A meeting, a call or a referral (to a named body, with its outcome once known)."""

    __tablename__ = "scaleup_engagements"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("scaleup_companies.id"), index=True)
    kind: Mapped[EngagementKind] = mapped_column(enum_column(EngagementKind))
    on: Mapped[date] = mapped_column()
    summary: Mapped[str] = mapped_column(sa.Text)
    referred_to: Mapped[ReferralBody | None] = mapped_column(enum_column(ReferralBody))
    other_body: Mapped[str | None] = mapped_column(sa.String(200))
    outcome: Mapped[str | None] = mapped_column(sa.Text)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    company: Mapped[ScaleupCompany] = relationship(back_populates="engagements")
    recorded_by: Mapped[User] = relationship()

    @property
    def body_label(self) -> str:
        if self.referred_to is None:
            return ""
        return self.other_body if self.referred_to is ReferralBody.OTHER and self.other_body else self.referred_to.label


class KpiSnapshot(Base):
    """A quarter's figures (quarter_start: 1 April, 1 July, 1 October or 1 January). Entered by the
    account manager (confirmed at once) or by the company (submitted, for the account manager to confirm)."""
    __record_type__ = "kpi_snapshot"

    __tablename__ = "scaleup_snapshots"
    __table_args__ = (sa.UniqueConstraint("company_id", "quarter_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("scaleup_companies.id"), index=True)
    quarter_start: Mapped[date] = mapped_column(index=True)
    uk_employees: Mapped[int] = mapped_column()
    revenue: Mapped[Decimal] = mapped_column()
    capital_raised: Mapped[Decimal] = mapped_column()  # in the quarter
    funding_round: Mapped[str | None] = mapped_column(sa.String(100))  # "Series B"
    uk_investor_share: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))  # % from UK investors
    valuation: Mapped[Decimal | None] = mapped_column()
    listing_status: Mapped[ListingStatus] = mapped_column(enum_column(ListingStatus))
    ipo_venue: Mapped[IpoVenue | None] = mapped_column(enum_column(IpoVenue))  # an IPO in the quarter
    ipo_exchange: Mapped[str | None] = mapped_column(sa.String(100))  # "Nasdaq"
    ipo_on: Mapped[date | None] = mapped_column()
    ipo_amount: Mapped[Decimal | None] = mapped_column()
    domicile_rag: Mapped[Rag] = mapped_column(enum_column(Rag))
    domicile_reason: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[SnapshotStatus] = mapped_column(enum_column(SnapshotStatus), index=True)
    submitted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column()

    company: Mapped[ScaleupCompany] = relationship(back_populates="snapshots")
    submitted_by: Mapped[User] = relationship(foreign_keys=[submitted_by_id])
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])

    @property
    def overseas_investor_share(self) -> Decimal | None:
        return None if self.uk_investor_share is None else Decimal("100.00") - self.uk_investor_share
