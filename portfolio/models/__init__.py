"""Every model, imported here so Alembic's autogenerate sees the whole schema."""

from portfolio.models.audit import AuditEvent
from portfolio.models.base import Base
from portfolio.models.document import Document, StoredFile
from portfolio.models.organisation import Fund, Organisation
from portfolio.models.outbox import OutboxMessage
from portfolio.models.statuses import (
    DocumentKind,
    DocumentStatus,
    OutboxStatus,
    Region,
    Role,
)
from portfolio.models.user import Invitation, PasswordReset, User

__all__ = [
    "AuditEvent",
    "Base",
    "Document",
    "DocumentKind",
    "DocumentStatus",
    "Fund",
    "Invitation",
    "Organisation",
    "OutboxMessage",
    "OutboxStatus",
    "PasswordReset",
    "Region",
    "Role",
    "StoredFile",
    "User",
]
