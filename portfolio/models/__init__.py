"""Every model, imported here so Alembic's autogenerate sees the whole schema."""

from portfolio.models.application import (
    Application,
    ApplicationSection,
    ApplicationVersion,
    CostItem,
)
from portfolio.models.assessment import Assignment, Criterion, ModeratedScore, Score
from portfolio.models.audit import AuditEvent
from portfolio.models.award import (
    Award,
    Decision,
    DueDiligence,
    DueDiligenceFlag,
    Offer,
    SubsidyCheck,
    SubsidyThreshold,
)
from portfolio.models.base import Base
from portfolio.models.claim import Claim, ClaimItem, Payment
from portfolio.models.document import Document, StoredFile
from portfolio.models.eoi import ExpressionOfInterest
from portfolio.models.fund import Fund, FundRules, Round
from portfolio.models.monitoring import MonitoringReturn
from portfolio.models.organisation import Organisation
from portfolio.models.outbox import OutboxMessage
from portfolio.models.reporting import AdditionalitySettings, ApiToken
from portfolio.models.statuses import (
    ApplicantType,
    ApplicationStatus,
    AssignmentStatus,
    AwardStatus,
    ClaimStatus,
    Cluster,
    DocumentKind,
    DocumentStatus,
    EoiStatus,
    ExcludedProduct,
    OfferStatus,
    OutboxStatus,
    PaymentKind,
    ProductType,
    Rag,
    Region,
    ReturnKind,
    ReturnStatus,
    Role,
    SubsidyCategory,
    ThresholdKey,
)
from portfolio.models.upload import Upload
from portfolio.models.user import Invitation, PasswordReset, User

__all__ = [
    "AdditionalitySettings",
    "ApiToken",
    "ApplicantType",
    "Application",
    "ApplicationSection",
    "ApplicationStatus",
    "ApplicationVersion",
    "Assignment",
    "AssignmentStatus",
    "AuditEvent",
    "Award",
    "MonitoringReturn",
    "ReturnKind",
    "ReturnStatus",
    "AwardStatus",
    "Base",
    "Claim",
    "ClaimItem",
    "ClaimStatus",
    "Cluster",
    "CostItem",
    "Criterion",
    "Decision",
    "Document",
    "DocumentKind",
    "DocumentStatus",
    "DueDiligence",
    "DueDiligenceFlag",
    "EoiStatus",
    "ExcludedProduct",
    "ExpressionOfInterest",
    "Fund",
    "FundRules",
    "Invitation",
    "ModeratedScore",
    "Offer",
    "OfferStatus",
    "Organisation",
    "OutboxMessage",
    "OutboxStatus",
    "PasswordReset",
    "Payment",
    "PaymentKind",
    "ProductType",
    "Rag",
    "Region",
    "Role",
    "Round",
    "Score",
    "StoredFile",
    "SubsidyCategory",
    "SubsidyCheck",
    "SubsidyThreshold",
    "ThresholdKey",
    "Upload",
    "User",
]
