"""Strategic partnerships (PRODUCT.md §4, Sector Plan Action 22): a partner organisation's
agreement with government, its commitments (investment, jobs, R&D spend, patients or trials)
and the dated progress towards each. Staff only: nothing here reaches company users.

Progress evidence is `uploads` rows with owner_type "partnership_progress"; the partnership
report PDF is a `documents` row with no organisation (staff only)."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.models.base import Base, TimestampMixin, enum_column, utcnow
from portfolio.models.organisation import Organisation
from portfolio.models.statuses import CommitmentMeasure, CommitmentStatus, PartnershipStatus, Rag
from portfolio.models.user import User
from portfolio.references import PARTNERSHIP, numbered


class Partnership(TimestampMixin, Base):
    __record_type__ = "partnership"
    __tablename__ = "partnerships"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)  # the partner
    title: Mapped[str] = mapped_column(sa.String(200))
    signed_on: Mapped[date | None] = mapped_column(index=True)  # None while negotiating
    departments: Mapped[list] = mapped_column(sa.JSON, default=list)  # e.g. ["DSIT", "DHSC"]
    lead_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)  # lead account manager
    status: Mapped[PartnershipStatus] = mapped_column(enum_column(PartnershipStatus), index=True)
    termination_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    organisation: Mapped[Organisation] = relationship()
    lead: Mapped[User] = relationship(foreign_keys=[lead_id])
    commitments: Mapped[list["Commitment"]] = relationship(back_populates="partnership", order_by="Commitment.id",
                                                           cascade="all, delete-orphan")

    @property
    def reference(self) -> str:
        return numbered(PARTNERSHIP, self.id)


class Commitment(TimestampMixin, Base):
    """A measure with a target value by a target date. Progress runs from 0 on `start_on` (the
    day it was agreed) on a straight line to the target."""
    __record_type__ = "commitment"

    __tablename__ = "partnership_commitments"

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(sa.ForeignKey("partnerships.id"), index=True)
    measure: Mapped[CommitmentMeasure] = mapped_column(enum_column(CommitmentMeasure))
    description: Mapped[str] = mapped_column(sa.Text)
    target_value: Mapped[Decimal] = mapped_column()
    unit: Mapped[str] = mapped_column(sa.String(50))  # "£", "jobs", "patients"
    start_on: Mapped[date] = mapped_column()
    target_on: Mapped[date] = mapped_column()
    status: Mapped[CommitmentStatus] = mapped_column(enum_column(CommitmentStatus))
    status_reason: Mapped[str | None] = mapped_column(sa.Text)  # why it was withdrawn
    rag_override: Mapped[Rag | None] = mapped_column(enum_column(Rag))
    rag_override_reason: Mapped[str | None] = mapped_column(sa.Text)

    partnership: Mapped[Partnership] = relationship(back_populates="commitments")
    updates: Mapped[list["ProgressUpdate"]] = relationship(
        back_populates="commitment", order_by="ProgressUpdate.on, ProgressUpdate.id", cascade="all, delete-orphan")


class ProgressUpdate(Base):
    """The value achieved so far (cumulative) on a date, with a note and evidence files."""
    __record_type__ = "partnership_progress"

    __tablename__ = "partnership_progress"

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(sa.ForeignKey("partnership_commitments.id"), index=True)
    on: Mapped[date] = mapped_column()
    value: Mapped[Decimal] = mapped_column()
    note: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    commitment: Mapped[Commitment] = relationship(back_populates="updates")
    recorded_by: Mapped[User] = relationship()
