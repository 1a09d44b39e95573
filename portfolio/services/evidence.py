"""Evidence files on a claim or a monitoring return: uploaded by the company while the record is
open, read by staff and the company, kept (hidden) when removed. The upload rules are
portfolio.services.uploads'."""

from sqlalchemy.orm import Session

from portfolio.models import Claim, MonitoringReturn, Upload, User
from portfolio.services import uploads, workflow
from portfolio.services.errors import DomainError

def files(session: Session, owner: Claim | MonitoringReturn) -> list[Upload]:
    return uploads.files_of(session, owner)


def _require_open(owner: Claim | MonitoringReturn) -> None:
    if not owner.open_for_evidence:
        raise DomainError(f"This {'claim' if isinstance(owner, Claim) else 'return'} has been submitted: "
                          "its evidence can no longer be changed")


def attach(session: Session, owner: Claim | MonitoringReturn, *, by: User, file_storage) -> Upload:
    workflow.lock(session, owner)  # not while the record is being submitted
    _require_open(owner)
    return uploads.save_upload(session, file_storage=file_storage, organisation=owner.award.organisation, by=by,
                               purpose=f"{owner.__record_type__}_evidence", owner=owner)


def remove(session: Session, owner: Claim | MonitoringReturn, *, by: User, upload_id: int) -> Upload:
    workflow.lock(session, owner)
    _require_open(owner)
    upload = uploads.file_of(session, by, owner, upload_id)
    uploads.delete_upload(session, upload=upload, by=by)
    return upload
