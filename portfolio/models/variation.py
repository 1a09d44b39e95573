"""Variations: changes to an award's terms after its offer is accepted (portfolio.services.variations)."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.models.award import Award, Fte
from portfolio.models.base import Base, TimestampMixin, enum_column, utcnow
from portfolio.models.document import Document
from portfolio.models.money_plan import AwardTerms, ProfileLine
from portfolio.models.organisation import Organisation
from portfolio.models.statuses import SubsidyCategory, VariationKind, VariationStatus
from portfolio.models.user import User
from portfolio.references import application_reference


class Variation(TimestampMixin, Base):
    """A requested change to an accepted award, of one declared kind. What it proposes is in the `new_`
    columns its kind uses (and, where the grant moves between years, its profile lines)."""
    __record_type__ = "variation"

    __tablename__ = "variations"
    __table_args__ = (sa.UniqueConstraint("award_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(sa.ForeignKey("awards.id"), index=True)
    number: Mapped[int] = mapped_column()
    kind: Mapped[VariationKind] = mapped_column(enum_column(VariationKind))
    status: Mapped[VariationStatus] = mapped_column(enum_column(VariationStatus), index=True)
    reasons: Mapped[str] = mapped_column(sa.Text)
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    on_behalf: Mapped[bool] = mapped_column(default=False)  # a fund manager requested it for the company

    # What it proposes (the columns its kind uses).
    new_completion: Mapped[date | None] = mapped_column()
    new_amount: Mapped[Decimal | None] = mapped_column()
    new_milestones: Mapped[str | None] = mapped_column(sa.Text)
    new_scope: Mapped[str | None] = mapped_column(sa.Text)
    new_site: Mapped[str | None] = mapped_column(sa.Text)
    new_eligible_capital_cost: Mapped[Decimal | None] = mapped_column()
    new_contracted_private_investment: Mapped[Decimal | None] = mapped_column()
    new_jobs_created: Mapped[Decimal | None] = mapped_column(Fte)
    new_jobs_safeguarded: Mapped[Decimal | None] = mapped_column(Fte)
    new_company_name: Mapped[str | None] = mapped_column(sa.String(200))
    new_company_number: Mapped[str | None] = mapped_column(sa.String(16))
    new_organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))

    # Subsidy control, for a grant increase: the new assessment, and the referral the fund manager records.
    new_cumulative_subsidy: Mapped[Decimal | None] = mapped_column()
    new_subsidy_category: Mapped[SubsidyCategory | None] = mapped_column(enum_column(SubsidyCategory))
    referred_to_sau: Mapped[bool | None] = mapped_column()
    referral_reason: Mapped[str | None] = mapped_column(sa.Text)
    referred_on: Mapped[date | None] = mapped_column()
    sau_reference: Mapped[str | None] = mapped_column(sa.String(64))

    needs_second_approval: Mapped[bool] = mapped_column(default=False)
    first_approver_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    first_approved_at: Mapped[datetime | None] = mapped_column()
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column()
    decision_note: Mapped[str | None] = mapped_column(sa.Text)
    document_id: Mapped[int | None] = mapped_column(sa.ForeignKey("documents.id"))  # the amendment letter
    accepted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    accepted_at: Mapped[datetime | None] = mapped_column()

    award: Mapped[Award] = relationship(back_populates="variations")
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    first_approver: Mapped[User | None] = relationship(foreign_keys=[first_approver_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    accepted_by: Mapped[User | None] = relationship(foreign_keys=[accepted_by_id])
    new_organisation: Mapped[Organisation | None] = relationship(foreign_keys=[new_organisation_id])
    document: Mapped[Document | None] = relationship()
    lines: Mapped[list[ProfileLine]] = relationship(
        primaryjoin="ProfileLine.variation_id == Variation.id", cascade="all, delete-orphan",
        order_by="ProfileLine.quarter_start")
    messages: Mapped[list["VariationMessage"]] = relationship(
        back_populates="variation", cascade="all, delete-orphan", order_by="VariationMessage.id")
    terms: Mapped[AwardTerms | None] = relationship(
        primaryjoin="AwardTerms.variation_id == Variation.id", uselist=False, viewonly=True)

    @property
    def reference(self) -> str:
        return f"{application_reference(self.award.application_id)}-V{self.number}"


class VariationMessage(Base):
    """The fund manager's query on a variation, or the company's answer: kept in order, never edited."""

    __tablename__ = "variation_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    variation_id: Mapped[int] = mapped_column(sa.ForeignKey("variations.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))  # "query" or "answer"
    body: Mapped[str] = mapped_column(sa.Text)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    variation: Mapped[Variation] = relationship(back_populates="messages")
    author: Mapped[User] = relationship()
