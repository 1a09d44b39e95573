"""Grant claims in arrears against an accepted award, and the payments finance records."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.models.award import Award
from portfolio.models.base import Base, TimestampMixin, enum_column
from portfolio.models.statuses import ClaimStatus, PaymentKind, PaymentStatus
from portfolio.models.user import User


class Claim(TimestampMixin, Base):
    """A claim for eligible capital costs defrayed in a period. The grant figures are worked out
    by the system when finance approves it (portfolio.services.claims), never typed."""
    __record_type__ = "claim"

    __tablename__ = "claims"
    __table_args__ = (sa.UniqueConstraint("award_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(sa.ForeignKey("awards.id"), index=True)
    number: Mapped[int] = mapped_column()
    period_start: Mapped[date] = mapped_column()
    period_end: Mapped[date] = mapped_column()
    status: Mapped[ClaimStatus] = mapped_column(enum_column(ClaimStatus), index=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None] = mapped_column()
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column()
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    review_reason: Mapped[str | None] = mapped_column(sa.Text)
    approved_costs: Mapped[Decimal | None] = mapped_column()  # eligible costs finance accepted
    grant_due: Mapped[Decimal | None] = mapped_column()  # rate × approved costs, within the award
    retention: Mapped[Decimal | None] = mapped_column()  # held back until the completion return is verified
    payable: Mapped[Decimal | None] = mapped_column()  # grant due less the retention

    award: Mapped[Award] = relationship()
    items: Mapped[list["ClaimItem"]] = relationship(back_populates="claim", cascade="all, delete-orphan",
                                                    order_by="ClaimItem.id")
    payments: Mapped[list["Payment"]] = relationship(back_populates="claim")
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])

    @property
    def reference(self) -> str:
        return self.award.reference

    @property
    def is_rejected(self) -> bool:
        return self.status is ClaimStatus.REJECTED

    @property
    def open_for_evidence(self) -> bool:
        return self.status is ClaimStatus.DRAFT

    @property
    def claimed(self) -> Decimal:
        return sum((item.amount for item in self.items), Decimal("0.00"))


class ClaimItem(Base):
    """One cost defrayed: what, whose invoice, when paid, how much; and what finance accepted."""

    __tablename__ = "claim_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(sa.ForeignKey("claims.id"), index=True)
    description: Mapped[str] = mapped_column(sa.String(500))
    invoice_reference: Mapped[str] = mapped_column(sa.String(100))
    defrayed_on: Mapped[date] = mapped_column()
    amount: Mapped[Decimal] = mapped_column()
    approved_amount: Mapped[Decimal | None] = mapped_column()

    claim: Mapped[Claim] = relationship(back_populates="items")


class Payment(TimestampMixin, Base):
    """Money paid to the company: a claim's payable grant, or the retention released at the end."""
    __record_type__ = "payment"

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(sa.ForeignKey("awards.id"), index=True)
    claim_id: Mapped[int | None] = mapped_column(sa.ForeignKey("claims.id"), index=True)
    kind: Mapped[PaymentKind] = mapped_column(enum_column(PaymentKind))
    status: Mapped[PaymentStatus] = mapped_column(enum_column(PaymentStatus))
    amount: Mapped[Decimal] = mapped_column()
    paid_on: Mapped[date] = mapped_column()
    reference: Mapped[str] = mapped_column(sa.String(64))
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    award: Mapped[Award] = relationship()
    claim: Mapped[Claim | None] = relationship(back_populates="payments")
