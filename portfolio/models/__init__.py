"""Every model, imported here so Alembic's autogenerate sees the whole schema."""

from portfolio.models.application import (
    Application,
    ApplicationSection,
    ApplicationVersion,
    CostItem,
)
from portfolio.models.audit import AuditEvent
from portfolio.models.base import Base
from portfolio.models.document import Document, StoredFile
from portfolio.models.eoi import ExpressionOfInterest
from portfolio.models.fund import Fund, FundRules, Round
from portfolio.models.organisation import Organisation
from portfolio.models.outbox import OutboxMessage
from portfolio.models.statuses import (
    ApplicantType,
    ApplicationStatus,
    Cluster,
    DocumentKind,
    DocumentStatus,
    EoiStatus,
    ExcludedProduct,
    OutboxStatus,
    ProductType,
    Region,
    Role,
)
from portfolio.models.upload import Upload
from portfolio.models.user import Invitation, PasswordReset, User

__all__ = [
    "ApplicantType",
    "Application",
    "ApplicationSection",
    "ApplicationStatus",
    "ApplicationVersion",
    "Cluster",
    "CostItem",
    "AuditEvent",
    "Base",
    "Document",
    "DocumentKind",
    "DocumentStatus",
    "EoiStatus",
    "ExcludedProduct",
    "ExpressionOfInterest",
    "Fund",
    "FundRules",
    "Invitation",
    "Organisation",
    "OutboxMessage",
    "OutboxStatus",
    "PasswordReset",
    "ProductType",
    "Region",
    "Role",
    "Round",
    "StoredFile",
    "Upload",
    "User",
]
