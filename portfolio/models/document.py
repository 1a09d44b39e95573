from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from portfolio.models.base import Base, TimestampMixin, enum_column, utcnow
from portfolio.models.organisation import Organisation
from portfolio.models.records import REPORT, Report, load_record
from portfolio.models.statuses import DocumentKind, DocumentStatus
from portfolio.models.user import User


class Document(TimestampMixin, Base):
    """A requested PDF, tracked from queued to ready (or failed) so the UI can poll it."""
    __record_type__ = "document"

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DocumentKind] = mapped_column(enum_column(DocumentKind))
    status: Mapped[DocumentStatus] = mapped_column(enum_column(DocumentStatus))
    # The record the document is about (portfolio.models.records names the types): who may read the
    # document is exactly who may read that record (portfolio.services.policy). A report about many
    # records names its kind of report: record_type "report", record_id None.
    record_type: Mapped[str] = mapped_column(sa.String(32))
    record_id: Mapped[int | None] = mapped_column()
    # The company it is about, to list it with the company's other documents (None: reports and
    # records of no one company). Never used to decide who may read it.
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    # What a report covers (its filters, its financial year): never ids of records.
    parameters: Mapped[dict | None] = mapped_column(sa.JSON)
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

    __table_args__ = (sa.Index("ix_documents_record", "record_type", "record_id"),)

    @property
    def is_ready(self) -> bool:
        return self.status is DocumentStatus.READY

    @property
    def record(self):
        """The record it is about, loaded by its typed reference (a report: its kind)."""
        if self.record_type == REPORT:
            return Report(self.kind.value)
        return load_record(object_session(self), self.record_type, self.record_id)


class StoredFile(TimestampMixin, Base):
    """File content kept in the database: the storage backend shared by every machine."""

    __tablename__ = "stored_files"

    key: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)
    size: Mapped[int] = mapped_column()
    checksum: Mapped[str] = mapped_column(sa.String(64))
