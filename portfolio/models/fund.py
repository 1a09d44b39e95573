from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.models.base import Base, TimestampMixin

Rate = sa.Numeric(5, 4)
"""A proportion such as 0.2000 (20%): Decimal, never float."""


class Fund(TimestampMixin, Base):
    """A funding programme with a budget, e.g. the LSIMF (£520m)."""

    __tablename__ = "funds"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    budget: Mapped[Decimal] = mapped_column()

    rounds: Mapped[list["Round"]] = relationship(back_populates="fund", order_by="Round.deadline")
    rule_sets: Mapped[list["FundRules"]] = relationship(
        back_populates="fund", order_by="FundRules.id.desc()"
    )
    budget_versions: Mapped[list["BudgetVersion"]] = relationship(  # noqa: F821
        order_by="BudgetVersion.id.desc()", viewonly=True)

    @property
    def year_budgets(self) -> dict[str, Decimal]:
        """The budget by financial year in force now (the newest version); empty before any is set."""
        return self.budget_versions[0].by_year if self.budget_versions else {}

    @property
    def rules(self) -> "FundRules":
        """The rules in force now: the newest rule set."""
        return self.rule_sets[0]


class FundRules(TimestampMixin, Base):
    """One version of a fund's eligibility rules. Rows are never edited: a change of
    settings adds a new row, and an EOI or application keeps the version it was checked
    against, so changing a setting never alters anything already submitted."""

    __tablename__ = "fund_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(sa.ForeignKey("funds.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    min_project_cost: Mapped[Decimal] = mapped_column()
    min_grant: Mapped[Decimal] = mapped_column()
    justification_rate: Mapped[Decimal] = mapped_column(Rate)
    hard_cap_rate: Mapped[Decimal] = mapped_column(Rate)
    applicant_types: Mapped[list[str]] = mapped_column(sa.JSON)
    product_types: Mapped[list[str]] = mapped_column(sa.JSON)
    excluded_products: Mapped[list[str]] = mapped_column(sa.JSON)
    # Assessment and decision settings (PRODUCT.md §2.2; labelled defaults, not published rules).
    min_assessors: Mapped[int] = mapped_column(server_default="2")
    moderation_spread: Mapped[int] = mapped_column(server_default="3")
    second_approval_threshold: Mapped[Decimal] = mapped_column(server_default="10000000.00")
    offer_validity_days: Mapped[int] = mapped_column(server_default="30")
    # PRODUCT.md §2.3: the share of each claim's grant held back until the completion return is verified.
    retention_rate: Mapped[Decimal] = mapped_column(Rate, server_default="0.1000")
    # Monitoring (PRODUCT.md §2.3): returns every N months during the build, then annual returns for N
    # years after completion, each due N days after its period ends, reminded N days before and on the day.
    build_return_months: Mapped[int] = mapped_column(server_default="3")
    monitoring_years: Mapped[int] = mapped_column(server_default="5")
    return_due_days: Mapped[int] = mapped_column(server_default="30")
    reminder_days_before: Mapped[int] = mapped_column(server_default="7")
    # A reported figure this far above the contracted one is queried on the form (0.5000: 50% over).
    query_over_contract: Mapped[Decimal] = mapped_column(Rate, server_default="0.5000")
    # A verified shortfall against the contract larger than this at the end of monitoring flags clawback.
    clawback_tolerance: Mapped[Decimal] = mapped_column(Rate, server_default="0.1000")
    # Money over time (illustrative defaults): a second fund manager approves a variation that changes the
    # grant by more than this share or this amount, or extends the project by more than this many months.
    variation_change_rate: Mapped[Decimal] = mapped_column(Rate, server_default="0.1000")
    variation_change_amount: Mapped[Decimal] = mapped_column(server_default="1000000.00")
    variation_extension_months: Mapped[int] = mapped_column(server_default="6")
    # An award whose forecast for a year is this far from its agreed profile is flagged to the fund manager;
    # a year whose forecast spend is this far under or over its budget is flagged on the ledger.
    forecast_variance_rate: Mapped[Decimal] = mapped_column(Rate, server_default="0.1000")
    budget_variance_rate: Mapped[Decimal] = mapped_column(Rate, server_default="0.0500")

    fund: Mapped[Fund] = relationship(back_populates="rule_sets")


class Round(TimestampMixin, Base):
    """A competition round: applications are assessed together against its allocation."""

    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(sa.ForeignKey("funds.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    opens_on: Mapped[date] = mapped_column()
    deadline: Mapped[datetime] = mapped_column()
    allocation: Mapped[Decimal] = mapped_column()

    fund: Mapped[Fund] = relationship(back_populates="rounds")
    criteria: Mapped[list["Criterion"]] = relationship(  # noqa: F821
        back_populates="round", order_by="Criterion.position", cascade="all, delete-orphan"
    )

    def is_open(self, now: datetime) -> bool:
        return self.opens_on <= now.date() and now < self.deadline
