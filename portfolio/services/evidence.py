"""Evidence files on a claim or a monitoring return: uploaded by the company while the record is
open, read by staff and the company, kept (hidden) when removed. The upload rules are
portfolio.services.uploads'."""

from sqlalchemy.orm import Session

from portfolio.models import Claim, MonitoringReturn, Upload, User
from portfolio.services import uploads
from portfolio.services.errors import DomainError, NotFound

OWNER_TYPES = {Claim: "claim", MonitoringReturn: "monitoring_return"}


def files(session: Session, owner: Claim | MonitoringReturn) -> list[Upload]:
    return uploads.uploads_for(session, owner_type=OWNER_TYPES[type(owner)], owner_id=owner.id)


def get(session: Session, owner: Claim | MonitoringReturn, upload_id: int) -> Upload:
    """One of the record's files; the caller has already checked the user may see the record."""
    upload = next((u for u in files(session, owner) if u.id == upload_id), None)
    if upload is None:
        raise NotFound()
    return upload


def _require_open(owner: Claim | MonitoringReturn) -> None:
    if not owner.open_for_evidence:
        raise DomainError(f"This {'claim' if isinstance(owner, Claim) else 'return'} has been submitted: "
                          "its evidence can no longer be changed")


def attach(session: Session, owner: Claim | MonitoringReturn, *, by: User, file_storage) -> Upload:
    _require_open(owner)
    kind = OWNER_TYPES[type(owner)]
    return uploads.save_upload(session, file_storage=file_storage, organisation=owner.award.organisation, by=by,
                               purpose=f"{kind}_evidence", owner_type=kind, owner_id=owner.id)


def remove(session: Session, owner: Claim | MonitoringReturn, *, by: User, upload_id: int) -> Upload:
    _require_open(owner)
    upload = get(session, owner, upload_id)
    uploads.delete_upload(session, upload=upload, by=by)
    return upload
