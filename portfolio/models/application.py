from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.models.base import Base, TimestampMixin, enum_column, utcnow
from portfolio.models.eoi import ExpressionOfInterest
from portfolio.models.fund import Fund, FundRules, Round
from portfolio.models.organisation import Organisation
from portfolio.models.statuses import ApplicationStatus, Cluster, Region
from portfolio.models.user import User
from portfolio.references import application_reference


class Application(TimestampMixin, Base):
    """A full LSIMF application, made of sections the company fills in on a task list.

    The headline figures (region, cluster, costs, grant) are kept in columns, derived from
    the sections when they are saved, so lists and reports can filter and total them."""
    __record_type__ = "application"

    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(sa.ForeignKey("funds.id"), index=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    eoi_id: Mapped[int] = mapped_column(sa.ForeignKey("expressions_of_interest.id"), unique=True)
    status: Mapped[ApplicationStatus] = mapped_column(
        enum_column(ApplicationStatus), index=True
    )
    version_number: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    project_title: Mapped[str] = mapped_column(sa.String(200))
    region: Mapped[Region | None] = mapped_column(enum_column(Region), index=True)
    cluster: Mapped[Cluster | None] = mapped_column(enum_column(Cluster), index=True)
    product_type: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    company_size: Mapped[str | None] = mapped_column(sa.String(16), index=True)  # micro, small, medium, large
    total_project_cost: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    eligible_capital_cost: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    grant_requested: Mapped[Decimal | None] = mapped_column()
    private_investment: Mapped[Decimal | None] = mapped_column()

    # Assessment: the round's ranking orders by this (moderated where moderated, otherwise the
    # mean of the submitted assessments); flagged when assessors' scores spread too far.
    weighted_score: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2), index=True)
    needs_moderation: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    submitted_at: Mapped[datetime | None] = mapped_column()
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    rules_id: Mapped[int | None] = mapped_column(sa.ForeignKey("fund_rules.id"))

    fund: Mapped[Fund] = relationship()
    round: Mapped[Round] = relationship()
    organisation: Mapped[Organisation] = relationship()
    eoi: Mapped[ExpressionOfInterest] = relationship()
    rules: Mapped[FundRules | None] = relationship()
    sections: Mapped[list["ApplicationSection"]] = relationship(
        back_populates="application", cascade="all, delete-orphan"
    )
    cost_items: Mapped[list["CostItem"]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="CostItem.id"
    )
    versions: Mapped[list["ApplicationVersion"]] = relationship(
        back_populates="application", order_by="ApplicationVersion.number"
    )

    assignments: Mapped[list["Assignment"]] = relationship(  # noqa: F821
        back_populates="application", order_by="Assignment.id"
    )
    moderated_scores: Mapped[list["ModeratedScore"]] = relationship(back_populates="application")  # noqa: F821
    decision: Mapped["Decision | None"] = relationship(back_populates="application", uselist=False)  # noqa: F821
    due_diligence: Mapped["DueDiligence | None"] = relationship(  # noqa: F821
        back_populates="application", uselist=False
    )
    subsidy_check: Mapped["SubsidyCheck | None"] = relationship(  # noqa: F821
        back_populates="application", uselist=False
    )
    award: Mapped["Award | None"] = relationship(back_populates="application", uselist=False)  # noqa: F821
    # The grant the company asks for in each financial quarter (the "profile" section).
    profile_lines: Mapped[list["ProfileLine"]] = relationship(  # noqa: F821
        primaryjoin="ProfileLine.application_id == Application.id", cascade="all, delete-orphan",
        order_by="ProfileLine.quarter_start")

    @property
    def rules_in_force(self) -> FundRules:
        """The rules it was submitted under (the fund's current rules until it is submitted)."""
        return self.rules or self.fund.rules

    @property
    def reference(self) -> str:
        return application_reference(self.id)

    def section(self, key: str) -> "ApplicationSection | None":
        return next((s for s in self.sections if s.key == key), None)


class ApplicationSection(Base):
    """One task-list section's answers. `revision` is the optimistic lock: a save must name
    the revision it started from, so a stale page never overwrites a colleague's change."""

    __tablename__ = "application_sections"
    __table_args__ = (sa.UniqueConstraint("application_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"), index=True)
    key: Mapped[str] = mapped_column(sa.String(32))
    data: Mapped[dict] = mapped_column(sa.JSON)
    complete: Mapped[bool] = mapped_column(default=False)
    revision: Mapped[int] = mapped_column(default=1)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    application: Mapped[Application] = relationship(back_populates="sections")
    updated_by: Mapped[User | None] = relationship()

    # SQLAlchemy adds "AND revision = <loaded revision>" to every UPDATE and bumps it, so two
    # saves racing from the same page cannot both win (the loser gets StaleDataError).
    __mapper_args__ = {"version_id_col": revision}


class CostItem(TimestampMixin, Base):
    """One itemised project cost. Totals are always computed from these, never typed."""

    __tablename__ = "cost_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"), index=True)
    category: Mapped[str] = mapped_column(sa.String(32))
    description: Mapped[str] = mapped_column(sa.String(500))
    amount: Mapped[Decimal] = mapped_column()
    is_capital: Mapped[bool] = mapped_column()
    is_eligible: Mapped[bool] = mapped_column()

    application: Mapped[Application] = relationship(back_populates="cost_items")


class ApplicationVersion(Base):
    """A frozen copy of the application as submitted. Returning it for changes closes this
    version (with the reason); the next submission makes the next version."""

    __tablename__ = "application_versions"
    __table_args__ = (sa.UniqueConstraint("application_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"), index=True)
    number: Mapped[int] = mapped_column()
    snapshot: Mapped[dict] = mapped_column(sa.JSON)
    submitted_at: Mapped[datetime] = mapped_column()
    submitted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    returned_at: Mapped[datetime | None] = mapped_column()
    returned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    return_reason: Mapped[str | None] = mapped_column(sa.Text)

    application: Mapped[Application] = relationship(back_populates="versions")
    submitted_by: Mapped[User] = relationship(foreign_keys=[submitted_by_id])
    returned_by: Mapped[User | None] = relationship(foreign_keys=[returned_by_id])
