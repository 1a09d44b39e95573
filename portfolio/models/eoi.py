from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.models.base import Base, TimestampMixin, enum_column, utcnow
from portfolio.models.fund import Fund, FundRules, Round
from portfolio.models.organisation import Organisation
from portfolio.models.statuses import ApplicantType, EoiStatus, ProductType
from portfolio.models.user import User


class ExpressionOfInterest(TimestampMixin, Base):
    """A company's short expression of interest, checked for eligibility before a fund
    manager invites it to a full application (or declines it, with reasons)."""
    __record_type__ = "eoi"

    __tablename__ = "expressions_of_interest"

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(sa.ForeignKey("funds.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    status: Mapped[EoiStatus] = mapped_column(enum_column(EoiStatus), index=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    project_title: Mapped[str | None] = mapped_column(sa.String(200))
    project_summary: Mapped[str | None] = mapped_column(sa.Text)
    site_postcode: Mapped[str | None] = mapped_column(sa.String(8))
    applicant_type: Mapped[ApplicantType | None] = mapped_column(enum_column(ApplicantType))
    wholly_private: Mapped[bool | None] = mapped_column()
    product_type: Mapped[ProductType | None] = mapped_column(enum_column(ProductType))
    excluded_products: Mapped[list[str] | None] = mapped_column(sa.JSON)
    previous_recipient: Mapped[bool | None] = mapped_column()
    different_project: Mapped[bool | None] = mapped_column()
    total_project_cost: Mapped[Decimal | None] = mapped_column()
    grant_sought: Mapped[Decimal | None] = mapped_column()

    # Set on submission: the rules version checked against and every rule that failed.
    submitted_at: Mapped[datetime | None] = mapped_column()
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    rules_id: Mapped[int | None] = mapped_column(sa.ForeignKey("fund_rules.id"))
    eligibility_failures: Mapped[list[dict] | None] = mapped_column(sa.JSON)

    # The fund manager's own check and decision.
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decision_notes: Mapped[str | None] = mapped_column(sa.Text)
    invited_round_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rounds.id"))

    fund: Mapped[Fund] = relationship()
    organisation: Mapped[Organisation] = relationship()
    rules: Mapped[FundRules | None] = relationship()
    invited_round: Mapped[Round | None] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def auto_eligible(self) -> bool:
        return self.eligibility_failures == []
