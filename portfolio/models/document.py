from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.models.base import Base, TimestampMixin, enum_column, utcnow
from portfolio.models.organisation import Organisation
from portfolio.models.statuses import DocumentKind, DocumentStatus
from portfolio.models.user import User


class Document(TimestampMixin, Base):
    """A requested PDF, tracked from queued to ready (or failed) so the UI can poll it."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DocumentKind] = mapped_column(enum_column(DocumentKind))
    status: Mapped[DocumentStatus] = mapped_column(
        enum_column(DocumentStatus), default=DocumentStatus.QUEUED
    )
    # Who may see it: the organisation's users and staff; None for staff-only documents.
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    # What the document is about, when it is about more than the organisation.
    application_id: Mapped[int | None] = mapped_column(sa.ForeignKey("applications.id"), index=True)
    # What a report covers (its filters, its financial year), for documents about more than one record.
    parameters: Mapped[dict | None] = mapped_column(sa.JSON)
    monitoring_return_id: Mapped[int | None] = mapped_column(sa.ForeignKey("monitoring_returns.id"), index=True)
    job_id: Mapped[str | None] = mapped_column(sa.String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    filename: Mapped[str | None] = mapped_column(sa.String(200))
    content_type: Mapped[str | None] = mapped_column(sa.String(100))
    storage_key: Mapped[str | None] = mapped_column(sa.String(100))
    size: Mapped[int | None] = mapped_column()
    checksum: Mapped[str | None] = mapped_column(sa.String(64))
    error: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()

    organisation: Mapped[Organisation | None] = relationship()
    requested_by: Mapped[User] = relationship()
    application: Mapped["Application | None"] = relationship()  # noqa: F821
    monitoring_return: Mapped["MonitoringReturn | None"] = relationship()  # noqa: F821


class StoredFile(TimestampMixin, Base):
    """File content kept in the database: the storage backend shared by every machine."""

    __tablename__ = "stored_files"

    key: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)
    size: Mapped[int] = mapped_column()
    checksum: Mapped[str] = mapped_column(sa.String(64))
