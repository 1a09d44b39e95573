"""Decisions on LSIMF applications and what follows: due diligence, subsidy control checks,
the award (the money committed in the budget ledger) and the grant offer."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.models.application import Application
from portfolio.models.base import Base, TimestampMixin, enum_column, utcnow
from portfolio.models.document import Document
from portfolio.models.fund import Fund, Round
from portfolio.models.organisation import Organisation
from portfolio.models.statuses import (
    AwardStatus,
    DecisionStatus,
    OfferStatus,
    Rag,
    SubsidyCategory,
    ThresholdKey,
)
from portfolio.models.user import User
from portfolio.references import application_reference

Fte = sa.Numeric(10, 1)
"""Jobs as full-time equivalents, to one decimal place."""


class Decision(TimestampMixin, Base):
    """The recommendation and the decision on one application.

    The recommender and the approvers are recorded so separation of duties can be checked:
    nobody approves what they assessed or recommended, and awards above the second-approval
    threshold need two different approvers."""
    __record_type__ = "decision"

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"), unique=True)
    recommended: Mapped[bool] = mapped_column()
    recommended_amount: Mapped[Decimal | None] = mapped_column()
    recommendation_note: Mapped[str] = mapped_column(sa.Text)
    recommended_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recommended_at: Mapped[datetime] = mapped_column(default=utcnow)

    status: Mapped[DecisionStatus] = mapped_column(enum_column(DecisionStatus), index=True)
    amount: Mapped[Decimal | None] = mapped_column()
    conditions: Mapped[str | None] = mapped_column(sa.Text)
    feedback: Mapped[str | None] = mapped_column(sa.Text)  # the company sees this on rejection
    first_approver_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    first_approved_at: Mapped[datetime | None] = mapped_column()
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column()

    application: Mapped[Application] = relationship(back_populates="decision")
    recommended_by: Mapped[User] = relationship(foreign_keys=[recommended_by_id])
    first_approver: Mapped[User | None] = relationship(foreign_keys=[first_approver_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def reference(self) -> str:
        return application_reference(self.application_id)

    @property
    def awaiting_second_approval(self) -> bool:
        """A first approval (above the threshold) is recorded and nobody has decided yet."""
        return self.status is DecisionStatus.AWAITING_SECOND_APPROVAL

    @property
    def approved(self) -> bool:
        return self.status is DecisionStatus.APPROVED

    @property
    def rejected(self) -> bool:
        return self.status is DecisionStatus.REJECTED


class DueDiligence(TimestampMixin, Base):
    """The credit and fraud check on the applicant: its date, RAG result and flags."""

    __tablename__ = "due_diligence_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"), unique=True)
    checked_on: Mapped[date] = mapped_column()
    result: Mapped[Rag] = mapped_column(enum_column(Rag))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    application: Mapped[Application] = relationship(back_populates="due_diligence")
    recorded_by: Mapped[User] = relationship()
    flags: Mapped[list["DueDiligenceFlag"]] = relationship(
        back_populates="check", cascade="all, delete-orphan", order_by="DueDiligenceFlag.id"
    )

    @property
    def reference(self) -> str:
        return application_reference(self.application_id)


class DueDiligenceFlag(TimestampMixin, Base):
    """A red or amber finding, and how it was resolved. A red flag left open blocks approval."""

    __tablename__ = "due_diligence_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(sa.ForeignKey("due_diligence_checks.id"), index=True)
    rag: Mapped[Rag] = mapped_column(enum_column(Rag))
    description: Mapped[str] = mapped_column(sa.Text)
    resolution: Mapped[str | None] = mapped_column(sa.Text)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column()

    check: Mapped[DueDiligence] = relationship(back_populates="flags")
    resolved_by: Mapped[User | None] = relationship()


class SubsidyThreshold(TimestampMixin, Base):
    """A subsidy control threshold in force from a date. Rows are added, never edited, so a
    decision is always judged by the threshold in force on its date."""

    __tablename__ = "subsidy_thresholds"
    __table_args__ = (sa.UniqueConstraint("key", "effective_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[ThresholdKey] = mapped_column(enum_column(ThresholdKey))
    amount: Mapped[Decimal] = mapped_column()
    effective_from: Mapped[date] = mapped_column()
    source: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class SubsidyCheck(TimestampMixin, Base):
    """What the fund manager records for subsidy control before the decision: whether the
    enterprise is in a sensitive sector, and any referral to the CMA Subsidy Advice Unit."""

    __tablename__ = "subsidy_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"), unique=True)
    sensitive_sector: Mapped[bool] = mapped_column(default=False)
    referred_to_sau: Mapped[bool | None] = mapped_column()  # None: no referral decision recorded
    referral_reason: Mapped[str | None] = mapped_column(sa.Text)
    referred_on: Mapped[date | None] = mapped_column()
    sau_reference: Mapped[str | None] = mapped_column(sa.String(64))
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    application: Mapped[Application] = relationship(back_populates="subsidy_check")
    recorded_by: Mapped[User] = relationship()

    @property
    def reference(self) -> str:
        return application_reference(self.application_id)


class Award(TimestampMixin, Base):
    """An approved grant: the money the budget ledger counts as committed, offered, accepted
    or released. Written only under the fund and round locks (portfolio.services.decisions)."""
    __record_type__ = "award"

    __tablename__ = "awards"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"), unique=True)
    fund_id: Mapped[int] = mapped_column(sa.ForeignKey("funds.id"), index=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    amount: Mapped[Decimal] = mapped_column()
    status: Mapped[AwardStatus] = mapped_column(enum_column(AwardStatus), index=True)
    decided_at: Mapped[datetime] = mapped_column()

    # Subsidy control, as assessed at the decision.
    cumulative_subsidy: Mapped[Decimal] = mapped_column()
    subsidy_category: Mapped[SubsidyCategory] = mapped_column(enum_column(SubsidyCategory))
    transparency_due_on: Mapped[date | None] = mapped_column()
    transparency_uploaded_on: Mapped[date | None] = mapped_column()
    transparency_reference: Mapped[str | None] = mapped_column(sa.String(64))
    # Set when the final monitoring return is verified short of the contract (services/monitoring.py).
    clawback_flagged_at: Mapped[datetime | None] = mapped_column()
    clawback_shortfall: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 4))
    clawback_amount: Mapped[Decimal | None] = mapped_column()
    clawback_reason: Mapped[str | None] = mapped_column(sa.Text)

    application: Mapped[Application] = relationship(back_populates="award")
    fund: Mapped[Fund] = relationship()
    round: Mapped[Round] = relationship()
    organisation: Mapped[Organisation] = relationship()
    offer: Mapped["Offer | None"] = relationship(back_populates="award", uselist=False)
    terms_versions: Mapped[list["AwardTerms"]] = relationship(  # noqa: F821
        back_populates="award", order_by="AwardTerms.version")
    variations: Mapped[list["Variation"]] = relationship(  # noqa: F821
        back_populates="award", order_by="Variation.number")

    @property
    def current_terms(self) -> "AwardTerms | None":  # noqa: F821
        """The latest version of the award's terms (None only for awards made before terms were versioned)."""
        return self.terms_versions[-1] if self.terms_versions else None

    @property
    def first_terms(self) -> "AwardTerms | None":  # noqa: F821
        """The terms as first offered."""
        return self.terms_versions[0] if self.terms_versions else None

    @property
    def reference(self) -> str:
        return application_reference(self.application_id)


class Offer(TimestampMixin, Base):
    """The grant offer letter's terms, and the company's answer."""
    __record_type__ = "offer"

    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(sa.ForeignKey("awards.id"), unique=True)
    status: Mapped[OfferStatus] = mapped_column(enum_column(OfferStatus), index=True)
    contracted_private_investment: Mapped[Decimal] = mapped_column()
    jobs_created: Mapped[Decimal] = mapped_column(Fte)
    jobs_safeguarded: Mapped[Decimal] = mapped_column(Fte)
    milestones: Mapped[str] = mapped_column(sa.Text)
    claim_schedule: Mapped[str] = mapped_column(sa.Text)
    clawback_terms: Mapped[str] = mapped_column(sa.Text)
    # The project period the monitoring schedule is generated from (None only on offers issued before it).
    project_start: Mapped[date | None] = mapped_column()
    project_completion: Mapped[date | None] = mapped_column()
    issued_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    issued_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column(index=True)
    responded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    responded_at: Mapped[datetime | None] = mapped_column()
    decline_reason: Mapped[str | None] = mapped_column(sa.Text)
    document_id: Mapped[int | None] = mapped_column(sa.ForeignKey("documents.id"))

    award: Mapped[Award] = relationship(back_populates="offer")
    issued_by: Mapped[User] = relationship(foreign_keys=[issued_by_id])
    responded_by: Mapped[User | None] = relationship(foreign_keys=[responded_by_id])
    document: Mapped[Document | None] = relationship()

    @property
    def reference(self) -> str:
        return self.award.reference

    @property
    def awaiting_answer(self) -> bool:
        return self.status is OfferStatus.ISSUED

    @property
    def is_accepted(self) -> bool:
        return self.status is OfferStatus.ACCEPTED
