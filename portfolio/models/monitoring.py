"""Monitoring returns: what an award's money bought, reported by the company on a schedule."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.models.award import Award, Fte
from portfolio.models.base import Base, TimestampMixin, enum_column
from portfolio.models.statuses import Rag, ReturnKind, ReturnStatus
from portfolio.models.user import User

# The figures a return reports, in form order: (column, label). Money unless listed in COUNTS or FTES.
FIGURES = (
    ("capital_spent", "Capital spent to date"),
    ("private_investment", "Private investment to date"),
    ("jobs_created", "Jobs created (FTE at the end of the period)"),
    ("jobs_safeguarded", "Jobs safeguarded (FTE)"),
    ("average_salary", "Average salary of the jobs created"),
    ("rd_spend", "R&D spend in the period"),
    ("collaborations", "Collaborations"),
    ("patents_filed", "Patents filed"),
    ("training_places", "Training places"),
    ("supply_chain_spend", "UK supply-chain spend in the period"),
)
FTES = ("jobs_created", "jobs_safeguarded")
# Figures reported to date, which should never go down from one return to the next.
CUMULATIVE = ("capital_spent", "private_investment")
# Headcounts, which may go down, but not without a word.
HEADCOUNTS = ("jobs_created", "jobs_safeguarded")
COUNTS = ("collaborations", "patents_filed", "training_places")


class MonitoringReturn(TimestampMixin, Base):
    """One scheduled return. The schedule is generated when the offer is accepted
    (portfolio.services.monitoring); the company fills in and submits each return, and a fund or
    account manager verifies it (frozen from then on) or returns it with reasons."""
    __record_type__ = "monitoring_return"

    __tablename__ = "monitoring_returns"
    __table_args__ = (sa.UniqueConstraint("award_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(sa.ForeignKey("awards.id"), index=True)
    number: Mapped[int] = mapped_column()
    kind: Mapped[ReturnKind] = mapped_column(enum_column(ReturnKind))
    period_start: Mapped[date] = mapped_column()
    period_end: Mapped[date] = mapped_column()
    due_on: Mapped[date] = mapped_column(index=True)
    status: Mapped[ReturnStatus] = mapped_column(enum_column(ReturnStatus), index=True)

    capital_spent: Mapped[Decimal | None] = mapped_column()
    private_investment: Mapped[Decimal | None] = mapped_column()
    jobs_created: Mapped[Decimal | None] = mapped_column(Fte)
    jobs_safeguarded: Mapped[Decimal | None] = mapped_column(Fte)
    average_salary: Mapped[Decimal | None] = mapped_column()
    rd_spend: Mapped[Decimal | None] = mapped_column()
    collaborations: Mapped[int | None] = mapped_column()
    patents_filed: Mapped[int | None] = mapped_column()
    training_places: Mapped[int | None] = mapped_column()
    supply_chain_spend: Mapped[Decimal | None] = mapped_column()
    narrative: Mapped[str | None] = mapped_column(sa.Text)
    rag: Mapped[Rag | None] = mapped_column(enum_column(Rag))
    # The company's answer to each query the form raised (a figure gone backwards, or far over contract).
    explanations: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    submitted_at: Mapped[datetime | None] = mapped_column()
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    verified_at: Mapped[datetime | None] = mapped_column()
    verified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    returned_reason: Mapped[str | None] = mapped_column(sa.Text)
    # Reminders sent by the scheduled job, so each is sent once.
    reminded_before_at: Mapped[datetime | None] = mapped_column()
    reminded_due_at: Mapped[datetime | None] = mapped_column()

    award: Mapped[Award] = relationship()
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])

    @property
    def reference(self) -> str:
        return self.award.reference

    @property
    def is_verified(self) -> bool:
        return self.status is ReturnStatus.VERIFIED

    @property
    def is_frozen(self) -> bool:
        return self.status in (ReturnStatus.SUBMITTED, ReturnStatus.VERIFIED)

    @property
    def open_for_evidence(self) -> bool:
        return self.status in (ReturnStatus.OPEN, ReturnStatus.RETURNED)

    def is_overdue(self, today: date) -> bool:
        return self.status in (ReturnStatus.OPEN, ReturnStatus.RETURNED) and self.due_on < today

    def figures(self) -> dict:
        return {name: getattr(self, name) for name, _ in FIGURES}
