"""Reporting: the additionality settings net figures use, and the API's access tokens."""

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.models.base import Base, TimestampMixin
from portfolio.models.fund import Rate
from portfolio.models.user import User


ADDITIONALITY_LABELS = {"deadweight": "Deadweight", "leakage": "Leakage", "displacement": "Displacement",
                        "substitution": "Substitution", "multiplier": "Multiplier"}


class AdditionalitySettings(TimestampMixin, Base):
    """One version of the additionality assumptions (DOMAIN-FACTS.md §3). Rows are never edited:
    a change adds a row, and the newest is in force. Every report states the version it used."""

    __tablename__ = "additionality_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    deadweight: Mapped[Decimal] = mapped_column(Rate)
    leakage: Mapped[Decimal] = mapped_column(Rate)
    displacement: Mapped[Decimal] = mapped_column(Rate)
    substitution: Mapped[Decimal] = mapped_column(Rate)
    multiplier: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    created_by: Mapped[User | None] = relationship()


class ApiToken(TimestampMixin, Base):
    """A token for the read-only API. Only the SHA-256 of the secret is stored; the secret is
    shown once, when the token is created. `scopes` lists what it may read."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))  # the start of the secret, to recognise it by
    scopes: Mapped[list[str]] = mapped_column(sa.JSON)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    expires_at: Mapped[datetime | None] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)
