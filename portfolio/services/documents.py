"""Requested PDFs: tracked in the documents table, rendered by a background job.

Each kind of document is registered (portfolio.services.document_kinds) with the type of record it is
made from and its renderer. A document names its record by a typed reference, and who may read the
document is exactly who may read that record (portfolio.services.policy). Its status moves through
the workflow engine: queued -> rendering -> ready, or failed (and queued again on "Try again").
"""

import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from rq import Retry, get_current_job
from sqlalchemy.orm import Session

from portfolio.extensions import queue
from portfolio.jobqueue import JobName
from portfolio.models import Document, DocumentKind, DocumentStatus, User
from portfolio.models.base import utcnow
from portfolio.models.records import Report, record_type_of
from portfolio.services import audit, policy, workflow
from portfolio.services.storage import get_storage

# Back-off between attempts: 10 s, 30 s, then 60 s before the document is marked failed.
RENDER_RETRY = Retry(max=3, interval=[10, 30, 60])

Renderer = Callable[[Session, object, Document], tuple[str, bytes]]


@dataclass(frozen=True)
class Kind:
    """A kind of document: the type of record it is made from, and how it is rendered
    (filename and PDF bytes). Who may read it is who may read that record."""

    kind: DocumentKind
    record: type
    render: Renderer


KINDS: dict[DocumentKind, Kind] = {}


def register_kind(kind: DocumentKind, record: type, render: Renderer) -> None:
    KINDS[kind] = Kind(kind, record, render)


def request_document(session: Session, *, kind: DocumentKind, record, by: User,
                     parameters: dict | None = None) -> Document:
    """Record the request for a PDF of `record` (a Report for reports); the render job is handed to
    the queue once the transaction commits. Only someone who may read the record may ask."""
    spec = KINDS[kind]
    if not isinstance(record, spec.record):
        raise TypeError(f"a {kind.value} is made from a {spec.record.__name__}, not {type(record).__name__}")
    policy.require_read(by, record)
    document = Document(kind=kind, record_type=record_type_of(record), record_id=getattr(record, "id", None),
                        organisation_id=policy.organisation_id_of(record), requested_by=by, parameters=parameters)
    workflow.start(session, document, by=by, details={
        "kind": kind.value, "record_type": document.record_type, "record_id": document.record_id,
        "organisation_id": document.organisation_id})
    _enqueue(session, document)
    return document


def request_report(session: Session, *, kind: DocumentKind, by: User, parameters: dict) -> Document:
    return request_document(session, kind=kind, record=Report(kind.value), by=by, parameters=parameters)


def _enqueue(session: Session, document: Document) -> None:
    document.job_id = queue.request(session, JobName.RENDER_DOCUMENT, document.id, retry=RENDER_RETRY).job_id


def retry_document(session: Session, *, document: Document, by: User) -> None:
    """Ask again for a document whose rendering failed."""
    workflow.lock(session, document)
    if document.status is not DocumentStatus.FAILED:
        return
    document.error = None
    workflow.transition(session, document, DocumentStatus.QUEUED, by=by)
    _enqueue(session, document)


def stuck(document: Document) -> bool:
    """Queued for longer than DOCUMENT_STUCK_AFTER_SECONDS: the user may ask again."""
    after = timedelta(seconds=current_app.config["DOCUMENT_STUCK_AFTER_SECONDS"])
    return document.status is DocumentStatus.QUEUED and document.updated_at < utcnow() - after


def waiting_for_queue(session: Session, document: Document) -> bool:
    """The render job has not reached the queue (Redis did not answer): it will once Redis is back."""
    return document.status is DocumentStatus.QUEUED and queue.waiting(session, document.job_id)


def retry_stuck_document(session: Session, *, document: Document, by: User) -> None:
    """Ask again for a document queued for too long. The same render job is handed to the queue
    again: if the queue still holds it nothing changes, if the queue lost it it is queued anew,
    so there is never a second render of the document waiting (and a render that runs twice
    still leaves one ready file)."""
    workflow.lock(session, document)
    if not stuck(document):
        return
    if queue.request_again(session, document.job_id) is None:  # asked for before the job outbox
        _enqueue(session, document)
    document.updated_at = utcnow()  # not stuck again until another DOCUMENT_STUCK_AFTER_SECONDS
    audit.record(session, actor=by, action="document.retried", entity=document, after={"was": "queued"})


def for_organisation(session: Session, user: User, organisation_id: int, *, limit: int) -> list[Document]:
    """The organisation's latest documents that `user` may read."""
    rows = session.scalars(sa.select(Document).where(Document.organisation_id == organisation_id)
                           .order_by(Document.id.desc()).limit(limit * 4))
    return policy.readable(user, rows)[:limit]


def render_content(session: Session, document: Document) -> tuple[str, bytes]:
    """The document's filename and PDF bytes, made by its kind's renderer from its record."""
    return KINDS[document.kind].render(session, document.record, document)


def render(session: Session, document_id: int) -> None:
    """Body of the render job. Loads by id, skips finished work, commits each step.

    On failure the document goes back to queued while rq has retries left, and to failed
    (with the error) after the last one; the exception is re-raised for rq.
    """
    document = session.get(Document, document_id)
    if document is None or document.status in (DocumentStatus.READY, DocumentStatus.FAILED):
        return  # made already, or failed for good (the user may ask again)
    if document.status is DocumentStatus.RENDERING:  # a render abandoned by a worker that died
        workflow.transition(session, document, DocumentStatus.QUEUED, by=None, system_label="worker")
    workflow.transition(session, document, DocumentStatus.RENDERING, by=None, system_label="worker")
    document.attempts += 1
    session.commit()
    try:
        filename, pdf = render_content(session, document)
        saved = get_storage(session).save(f"documents/{document.id}.pdf", pdf)
        document.filename = filename
        document.content_type = "application/pdf"
        document.storage_key, document.size, document.checksum = saved.key, saved.size, saved.checksum
        document.error = None
        document.completed_at = utcnow()
        workflow.transition(session, document, DocumentStatus.READY, by=None, system_label="worker",
                            details={"size": saved.size, "checksum": saved.checksum})
        session.commit()
    except Exception as exc:
        session.rollback()
        document = session.get(Document, document_id)
        job = get_current_job()
        retrying = job is not None and queue.queue.is_async and (job.retries_left or 0) > 0
        document.error = f"{type(exc).__name__}: {exc}"
        current_app.logger.error("document %s failed: %s", document_id, traceback.format_exc())
        workflow.transition(session, document, DocumentStatus.QUEUED if retrying else DocumentStatus.FAILED,
                            by=None, system_label="worker", details={"error": document.error})
        session.commit()
        raise


def abandoned(session: Session, document_id: int, *, retrying: bool) -> None:
    """A worker died while rendering (rq found the job abandoned). Show the document as waiting
    again while rq retries it, or as failed (so the user can ask again) once it will not."""
    document = session.get(Document, document_id)
    if document is None or document.status is not DocumentStatus.RENDERING:
        return  # the render itself recorded how it ended
    document.error = "The worker stopped while making this document"
    workflow.transition(session, document, DocumentStatus.QUEUED if retrying else DocumentStatus.FAILED, by=None,
                        system_label="worker", details={"error": document.error})
    session.commit()


def load_content(session: Session, document: Document) -> bytes:
    return get_storage(session).load(document.storage_key)
