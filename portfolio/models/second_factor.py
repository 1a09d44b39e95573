"""A person's second factors: one-time recovery codes and passkeys (the authenticator app's secret
is a column of the user). Who must have one: portfolio.models.roles.needs_second_factor."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.models.base import Base, TimestampMixin


class RecoveryCode(TimestampMixin, Base):
    """One of the ten codes shown once at enrolment; only its hash is kept, and it works once."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column()


class Passkey(TimestampMixin, Base):
    """A WebAuthn credential the person registered, by the name they gave it."""

    __tablename__ = "passkeys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    credential_id: Mapped[str] = mapped_column(sa.String(1400), unique=True)  # base64url, as browsers send it
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary)
    sign_count: Mapped[int] = mapped_column(default=0)
    last_used_at: Mapped[datetime | None] = mapped_column()

    user = relationship("User", back_populates="passkeys")
