"""Assessment of LSIMF applications: a round's criteria, assessors' assignments and scores,
and the fund manager's moderated scores."""

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.models.application import Application
from portfolio.models.base import Base, TimestampMixin, enum_column, utcnow
from portfolio.models.fund import Rate, Round
from portfolio.models.statuses import AssignmentStatus
from portfolio.models.user import User
from portfolio.references import application_reference

ScoreValue = sa.Numeric(4, 2)
"""A criterion score, 1 to 10; moderated scores may be fractional (6.50)."""


class Criterion(Base):
    """One weighted assessment criterion of a round. A round's weights total 1 (100%)."""

    __tablename__ = "assessment_criteria"
    __table_args__ = (sa.UniqueConstraint("round_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id"), index=True)
    key: Mapped[str] = mapped_column(sa.String(32))
    title: Mapped[str] = mapped_column(sa.String(200))
    guidance: Mapped[str] = mapped_column(sa.Text, default="")
    weight: Mapped[Decimal] = mapped_column(Rate)
    position: Mapped[int] = mapped_column()

    round: Mapped[Round] = relationship(back_populates="criteria")


class Assignment(TimestampMixin, Base):
    """An assessor assigned to an application. They declare conflicts before it opens."""
    __record_type__ = "assignment"

    __tablename__ = "assessor_assignments"
    __table_args__ = (sa.UniqueConstraint("application_id", "assessor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"), index=True)
    assessor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    assigned_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    status: Mapped[AssignmentStatus] = mapped_column(
        enum_column(AssignmentStatus)
    )
    declared_at: Mapped[datetime | None] = mapped_column()
    conflict_details: Mapped[str | None] = mapped_column(sa.Text)
    submitted_at: Mapped[datetime | None] = mapped_column()  # scores submitted: final

    application: Mapped[Application] = relationship(back_populates="assignments")
    assessor: Mapped[User] = relationship(foreign_keys=[assessor_id])
    assigned_by: Mapped[User] = relationship(foreign_keys=[assigned_by_id])
    scores: Mapped[list["Score"]] = relationship(back_populates="assignment", cascade="all, delete-orphan")

    @property
    def reference(self) -> str:
        return application_reference(self.application_id)

    @property
    def conflicted(self) -> bool:
        return self.status is AssignmentStatus.CONFLICTED


class Score(Base):
    """One assessor's score and comment on one criterion (a draft until the assignment is submitted)."""

    __tablename__ = "assessment_scores"
    __table_args__ = (sa.UniqueConstraint("assignment_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessor_assignments.id"), index=True)
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment_criteria.id"))
    score: Mapped[int | None] = mapped_column()
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    assignment: Mapped[Assignment] = relationship(back_populates="scores")
    criterion: Mapped[Criterion] = relationship()


class ModeratedScore(TimestampMixin, Base):
    """The fund manager's moderated score for one criterion, with the reason."""

    __tablename__ = "moderated_scores"
    __table_args__ = (sa.UniqueConstraint("application_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"), index=True)
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment_criteria.id"))
    score: Mapped[Decimal] = mapped_column(ScoreValue)
    reason: Mapped[str] = mapped_column(sa.Text)
    moderated_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    application: Mapped[Application] = relationship(back_populates="moderated_scores")
    criterion: Mapped[Criterion] = relationship()
    moderated_by: Mapped[User] = relationship()

    @property
    def reference(self) -> str:
        return application_reference(self.application_id)
