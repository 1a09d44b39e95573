from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.models.base import Base, TimestampMixin, enum_column
from portfolio.models.organisation import Organisation
from portfolio.models.roles import needs_second_factor
from portfolio.models.statuses import Region, Role


class User(UserMixin, TimestampMixin, Base):
    __record_type__ = "user"
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    is_signatory: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None] = mapped_column()
    # The authenticator app's shared secret (base32), set once the person confirmed a code from it.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_enrolled_at: Mapped[datetime | None] = mapped_column()

    organisation: Mapped[Organisation | None] = relationship(back_populates="users")
    passkeys: Mapped[list["Passkey"]] = relationship(  # noqa: F821
        back_populates="user", order_by="Passkey.created_at", cascade="all, delete-orphan")

    @property
    def needs_second_factor(self) -> bool:
        return needs_second_factor(self.role, is_signatory=self.is_signatory)

    @property
    def has_second_factor(self) -> bool:
        return self.totp_secret is not None or bool(self.passkeys)

    def get_id(self) -> str:
        return str(self.id)

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class Invitation(TimestampMixin, Base):
    """A single-use, expiring invitation: staff from an admin, colleagues from a company user."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    is_signatory: Mapped[bool] = mapped_column(default=False)
    invited_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    expires_at: Mapped[datetime] = mapped_column()
    accepted_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()

    organisation: Mapped[Organisation | None] = relationship()
    invited_by: Mapped[User] = relationship()

    def is_usable(self, now: datetime) -> bool:
        return self.accepted_at is None and self.revoked_at is None and now < self.expires_at


class PasswordReset(TimestampMixin, Base):
    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship()

    def is_usable(self, now: datetime) -> bool:
        return self.used_at is None and now < self.expires_at


class UserSession(Base):
    """One signed-in browser. Its cookie holds a random key; only the key's hash is kept here, so
    signing out (or an administrator, or a password change) ends the session on the server and a
    copied cookie stops working wherever it is used."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column()
    last_seen_at: Mapped[datetime] = mapped_column()
    # When the person last gave their second factor in this session (re-authentication).
    second_factor_at: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
    ended_reason: Mapped[str | None] = mapped_column(sa.String(40))
    user_agent: Mapped[str] = mapped_column(sa.String(200), default="")
    ip_address: Mapped[str] = mapped_column(sa.String(45), default="")

    user: Mapped[User] = relationship()
class Registration(TimestampMixin, Base):
    """A company's registration, waiting for its email address to be confirmed. Nothing is created
    (and nothing is said about who is registered already) until the emailed link is followed: then
    the organisation and its first user are made from these answers, once."""

    __tablename__ = "registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    organisation_name: Mapped[str] = mapped_column(sa.String(200))
    company_number: Mapped[str] = mapped_column(sa.String(8))
    postcode: Mapped[str] = mapped_column(sa.String(8))
    region: Mapped[Region] = mapped_column(enum_column(Region))
    expires_at: Mapped[datetime] = mapped_column()
    confirmed_at: Mapped[datetime | None] = mapped_column()
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    user: Mapped[User | None] = relationship()

    def is_usable(self, now: datetime) -> bool:
        return self.confirmed_at is None and now < self.expires_at
