"""Money over time: the fund's budget by financial year, grant profiles and forecasts by quarter, and
the versions of an award's terms (portfolio.services.profiles, portfolio.services.variations).

A profile is a set of quarter amounts. The same rows hold each kind, told apart by their owner: an
application's requested profile, the agreed profile of a version of an award's terms, the profile a
variation proposes, and a company's forecast."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.models.award import Award, Fte
from portfolio.models.base import Base, TimestampMixin, enum_column, utcnow
from portfolio.models.fund import Fund
from portfolio.models.statuses import SubsidyCategory
from portfolio.models.user import User
from portfolio.references import application_reference


class BudgetVersion(Base):
    """One version of a fund's budget by financial year. Rows are never edited: a change adds a version,
    so what the budget was on any day stays readable."""

    __tablename__ = "budget_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(sa.ForeignKey("funds.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(sa.Text, default="")

    fund: Mapped[Fund] = relationship()
    created_by: Mapped[User | None] = relationship()
    years: Mapped[list["YearBudget"]] = relationship(back_populates="version", cascade="all, delete-orphan",
                                                     order_by="YearBudget.financial_year")

    @property
    def total(self) -> Decimal:
        return sum((year.amount for year in self.years), Decimal("0.00"))

    @property
    def by_year(self) -> dict[str, Decimal]:
        return {year.financial_year: year.amount for year in self.years}


class YearBudget(Base):
    __tablename__ = "year_budgets"
    __table_args__ = (sa.UniqueConstraint("version_id", "financial_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("budget_versions.id"), index=True)
    financial_year: Mapped[str] = mapped_column(sa.String(7))  # "2026/27"
    amount: Mapped[Decimal] = mapped_column()

    version: Mapped[BudgetVersion] = relationship(back_populates="years")


class ProfileLine(Base):
    """Grant in one financial quarter (`quarter_start`: 1 April, 1 July, 1 October or 1 January), owned
    by exactly one of an application, a version of an award's terms, a variation or a forecast."""

    __tablename__ = "profile_lines"
    __table_args__ = (
        sa.CheckConstraint(" + ".join(f"(CASE WHEN {owner} IS NULL THEN 0 ELSE 1 END)" for owner in (
            "application_id", "terms_id", "variation_id", "forecast_id")) + " = 1", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int | None] = mapped_column(sa.ForeignKey("applications.id"), index=True)
    terms_id: Mapped[int | None] = mapped_column(sa.ForeignKey("award_terms.id"), index=True)
    variation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("variations.id"), index=True)
    forecast_id: Mapped[int | None] = mapped_column(sa.ForeignKey("forecasts.id"), index=True)
    quarter_start: Mapped[date] = mapped_column()
    amount: Mapped[Decimal] = mapped_column()


class AwardTerms(Base):
    """One version of an award's terms. Version 1 is made when the award is approved and completed when
    the offer is issued ("as first offered"); each accepted variation adds the next version, with what
    changed. The award and its offer always carry the latest version's figures, so claims, monitoring,
    clawback and leverage follow the current terms."""

    __tablename__ = "award_terms"
    __table_args__ = (sa.UniqueConstraint("award_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(sa.ForeignKey("awards.id"), index=True)
    version: Mapped[int] = mapped_column()
    amount: Mapped[Decimal] = mapped_column()
    project_start: Mapped[date | None] = mapped_column()
    project_completion: Mapped[date | None] = mapped_column()
    contracted_private_investment: Mapped[Decimal | None] = mapped_column()
    jobs_created: Mapped[Decimal | None] = mapped_column(Fte)
    jobs_safeguarded: Mapped[Decimal | None] = mapped_column(Fte)
    milestones: Mapped[str | None] = mapped_column(sa.Text)
    scope: Mapped[str | None] = mapped_column(sa.Text)
    site: Mapped[str | None] = mapped_column(sa.Text)
    eligible_capital_cost: Mapped[Decimal | None] = mapped_column()
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    company_name: Mapped[str | None] = mapped_column(sa.String(200))
    subsidy_category: Mapped[SubsidyCategory | None] = mapped_column(enum_column(SubsidyCategory))
    cumulative_subsidy: Mapped[Decimal | None] = mapped_column()
    variation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("variations.id"))
    # What this version changed: [{"field": "Completion date", "before": "...", "after": "..."}]
    changes: Mapped[list] = mapped_column(sa.JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    award: Mapped[Award] = relationship(back_populates="terms_versions")
    lines: Mapped[list[ProfileLine]] = relationship(
        primaryjoin="ProfileLine.terms_id == AwardTerms.id", cascade="all, delete-orphan",
        order_by="ProfileLine.quarter_start")
    created_by: Mapped[User | None] = relationship()
    variation: Mapped["Variation | None"] = relationship(foreign_keys=[variation_id])  # noqa: F821

    @property
    def reference(self) -> str:
        return application_reference(self.award.application_id)


class Forecast(Base):
    """The company's forecast of the grant it will claim in the quarters still to come: made with each
    claim, or on its own between claims. The latest one counts."""
    __record_type__ = "forecast"

    __tablename__ = "forecasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(sa.ForeignKey("awards.id"), index=True)
    claim_id: Mapped[int | None] = mapped_column(sa.ForeignKey("claims.id"), index=True)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    award: Mapped[Award] = relationship()
    lines: Mapped[list[ProfileLine]] = relationship(
        primaryjoin="ProfileLine.forecast_id == Forecast.id", cascade="all, delete-orphan",
        order_by="ProfileLine.quarter_start")
    created_by: Mapped[User] = relationship()

    @property
    def reference(self) -> str:
        return application_reference(self.award.application_id)
