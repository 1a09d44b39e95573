from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from portfolio.models.base import Base, TimestampMixin
from portfolio.models.organisation import Organisation
from portfolio.models.records import load_record
from portfolio.models.user import User


class Upload(TimestampMixin, Base):
    """A file a user gave us, checked by its content and stored under a random key.

    `original_filename` is only ever shown to people; storage never sees it. `owner_type`
    and `owner_id` attach the file to a record (an application, say) without a foreign key
    per kind of owner.
    """
    __record_type__ = "upload"

    __tablename__ = "uploads"
    __table_args__ = (sa.Index("ix_uploads_owner", "owner_type", "owner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    original_filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    kind: Mapped[str] = mapped_column(sa.String(10))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(sa.String(64))
    storage_key: Mapped[str] = mapped_column(sa.String(100), unique=True)
    purpose: Mapped[str] = mapped_column(sa.String(50))
    owner_type: Mapped[str | None] = mapped_column(sa.String(50))
    owner_id: Mapped[int | None] = mapped_column()
    deleted_at: Mapped[datetime | None] = mapped_column()

    organisation: Mapped[Organisation] = relationship()
    uploaded_by: Mapped[User] = relationship()

    @property
    def owner(self):
        """The record the file belongs to (its typed reference: owner_type names the record type)."""
        if self.owner_type is None:
            return None
        return load_record(object_session(self), self.owner_type, self.owner_id)

    def __repr__(self) -> str:
        return f"<Upload {self.id} {self.kind}>"
