"""Large Investment Portfolio (PRODUCT.md §3): bespoke cases for investments over £250m, run by
account managers. Everything here is confidential to OLS staff: the company side never sees a case.

Case documents are `uploads` rows with owner_type "lip_case" (staff upload them); the case summary
PDF is a `documents` row with no organisation (staff only)."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.models.award import Award, Fte
from portfolio.models.base import Base, TimestampMixin, enum_column, utcnow
from portfolio.models.organisation import Organisation
from portfolio.models.statuses import (
    LipApprovalKind,
    LipApprovalStatus,
    LipComponentKind,
    LipComponentStatus,
    LipSector,
    LipStage,
    Rag,
    Region,
)
from portfolio.models.user import User
from portfolio.references import LIP_CASE, numbered

lip_case_team = sa.Table(
    "lip_case_team",
    Base.metadata,
    sa.Column("case_id", sa.ForeignKey("lip_cases.id"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id"), primary_key=True),
)


class LipCase(TimestampMixin, Base):
    __record_type__ = "lip_case"
    __tablename__ = "lip_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.Text)
    sector: Mapped[LipSector] = mapped_column(enum_column(LipSector), index=True)
    total_investment: Mapped[Decimal] = mapped_column()
    expected_jobs_created: Mapped[Decimal] = mapped_column(Fte)
    expected_jobs_safeguarded: Mapped[Decimal] = mapped_column(Fte)
    expected_rd_spend: Mapped[Decimal] = mapped_column()
    competing_locations: Mapped[list] = mapped_column(sa.JSON, default=list)  # country names
    sro_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)  # senior responsible owner
    target_decision_on: Mapped[date | None] = mapped_column()
    stage: Mapped[LipStage] = mapped_column(enum_column(LipStage), index=True)
    stage_entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome_reason: Mapped[str | None] = mapped_column(sa.Text)  # why it was lost or withdrawn
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    # Subsidy control: what the case team records before the subsidy control approval.
    sensitive_sector: Mapped[bool] = mapped_column(default=False)
    referred_to_sau: Mapped[bool | None] = mapped_column()  # None: no referral decision recorded
    referral_reason: Mapped[str | None] = mapped_column(sa.Text)
    referred_on: Mapped[date | None] = mapped_column()
    sau_reference: Mapped[str | None] = mapped_column(sa.String(64))

    organisation: Mapped[Organisation] = relationship()
    sro: Mapped[User] = relationship(foreign_keys=[sro_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    team: Mapped[list[User]] = relationship(secondary=lip_case_team, order_by="User.name")
    sites: Mapped[list["LipSite"]] = relationship(back_populates="case", order_by="LipSite.id",
                                                  cascade="all, delete-orphan")
    components: Mapped[list["LipComponent"]] = relationship(back_populates="case", order_by="LipComponent.id",
                                                            cascade="all, delete-orphan")
    approvals: Mapped[list["LipApproval"]] = relationship(back_populates="case", order_by="LipApproval.id",
                                                          cascade="all, delete-orphan")
    stage_changes: Mapped[list["LipStageChange"]] = relationship(order_by="LipStageChange.id")
    actions: Mapped[list["LipAction"]] = relationship(order_by="LipAction.due_on, LipAction.id")
    meetings: Mapped[list["LipMeeting"]] = relationship(order_by="LipMeeting.held_on.desc(), LipMeeting.id")
    risks: Mapped[list["LipRisk"]] = relationship(order_by="LipRisk.id")

    @property
    def reference(self) -> str:
        return numbered(LIP_CASE, self.id)

    @property
    def regions(self) -> list[Region]:
        return sorted({site.region for site in self.sites}, key=list(Region).index)

    def approval(self, kind: LipApprovalKind) -> "LipApproval":
        return next(approval for approval in self.approvals if approval.kind is kind)


class LipSite(TimestampMixin, Base):
    __tablename__ = "lip_sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("lip_cases.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    postcode: Mapped[str] = mapped_column(sa.String(8))
    region: Mapped[Region] = mapped_column(enum_column(Region), index=True)

    case: Mapped[LipCase] = relationship(back_populates="sites")


class LipComponent(TimestampMixin, Base):
    """A part of the UK offer. One linked to an LSIMF award takes its amount and status from the award."""

    __tablename__ = "lip_components"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("lip_cases.id"), index=True)
    kind: Mapped[LipComponentKind] = mapped_column(enum_column(LipComponentKind))
    owner_body: Mapped[str] = mapped_column(sa.String(200))
    amount: Mapped[Decimal | None] = mapped_column()  # None: not money (planning support, say)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[LipComponentStatus] = mapped_column(enum_column(LipComponentStatus))
    is_subsidy: Mapped[bool] = mapped_column(default=False)
    agreed_on: Mapped[date | None] = mapped_column()  # when it was agreed: dates it for subsidy cumulation
    award_id: Mapped[int | None] = mapped_column(sa.ForeignKey("awards.id"), index=True)

    case: Mapped[LipCase] = relationship(back_populates="components")
    award: Mapped[Award | None] = relationship()


class LipApproval(TimestampMixin, Base):
    __tablename__ = "lip_approvals"
    __table_args__ = (sa.UniqueConstraint("case_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("lip_cases.id"), index=True)
    kind: Mapped[LipApprovalKind] = mapped_column(enum_column(LipApprovalKind))
    status: Mapped[LipApprovalStatus] = mapped_column(enum_column(LipApprovalStatus))
    decided_on: Mapped[date | None] = mapped_column()
    reference: Mapped[str | None] = mapped_column(sa.String(100))
    note: Mapped[str | None] = mapped_column(sa.Text)
    # Subsidy control only: the package's subsidy total it approved (a change makes it outstanding again).
    approved_subsidy: Mapped[Decimal | None] = mapped_column()
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    case: Mapped[LipCase] = relationship(back_populates="approvals")
    recorded_by: Mapped[User | None] = relationship()

    @property
    def outstanding(self) -> bool:
        return self.status is LipApprovalStatus.OUTSTANDING


class LipStageChange(Base):
    """One move between stages: the case's history (each is also an audit event)."""

    __tablename__ = "lip_stage_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("lip_cases.id"), index=True)
    from_stage: Mapped[LipStage | None] = mapped_column(enum_column(LipStage))  # None: the case was opened
    to_stage: Mapped[LipStage] = mapped_column(enum_column(LipStage))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    by: Mapped[User] = relationship()


class LipAction(TimestampMixin, Base):
    __tablename__ = "lip_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("lip_cases.id"), index=True)
    description: Mapped[str] = mapped_column(sa.Text)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    due_on: Mapped[date] = mapped_column(index=True)
    done_at: Mapped[datetime | None] = mapped_column()
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    case: Mapped[LipCase] = relationship(back_populates="actions")
    owner: Mapped[User] = relationship(foreign_keys=[owner_id])

    def is_overdue(self, today: date) -> bool:
        return self.done_at is None and self.due_on < today


class LipMeeting(TimestampMixin, Base):
    __tablename__ = "lip_meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("lip_cases.id"), index=True)
    held_on: Mapped[date] = mapped_column()
    attendees: Mapped[str] = mapped_column(sa.Text, default="")
    notes: Mapped[str] = mapped_column(sa.Text)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    recorded_by: Mapped[User] = relationship()


class LipRisk(TimestampMixin, Base):
    __tablename__ = "lip_risks"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("lip_cases.id"), index=True)
    description: Mapped[str] = mapped_column(sa.Text)
    rag: Mapped[Rag] = mapped_column(enum_column(Rag))
    mitigation: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
