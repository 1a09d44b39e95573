"""Requested PDFs: tracked in the documents table, rendered by a background job."""

import traceback
from datetime import timedelta

from flask import current_app
from rq import Retry, get_current_job
from sqlalchemy.orm import Session

from portfolio.extensions import queue
from portfolio.jobqueue import JobName
from portfolio.models import (
    Document,
    DocumentKind,
    DocumentStatus,
    Organisation,
    Role,
    User,
)
from portfolio.dates import uk_today
from portfolio.filters import money
from portfolio.models.base import utcnow
from portfolio.models.monitoring import COUNTS, FIGURES, FTES
from portfolio.pdf import render_pdf
from portfolio.services import audit
from portfolio.services.errors import NotFound
from portfolio.services.storage import get_storage

# Who may see a Large Investment Portfolio case summary (portfolio.services.lip.READERS).
LIP_READERS = (Role.ACCOUNT_MANAGER, Role.FUND_MANAGER, Role.FINANCE, Role.ADMIN)

# Back-off between attempts: 10 s, 30 s, then 60 s before the document is marked failed.
RENDER_RETRY = Retry(max=3, interval=[10, 30, 60])


def request_document(
    session: Session, *, kind: DocumentKind, organisation: Organisation | None, by: User, application=None,
    monitoring_return=None, parameters: dict | None = None,
) -> Document:
    """Record the request; the render job is handed to the queue once the transaction commits."""
    document = Document(kind=kind, organisation=organisation, requested_by=by, application=application,
                        monitoring_return=monitoring_return, parameters=parameters)
    session.add(document)
    session.flush()
    document.job_id = queue.request(session, JobName.RENDER_DOCUMENT, document.id, retry=RENDER_RETRY).job_id
    audit.record(session, actor=by, action="document.requested", entity=document,
                 after={"kind": kind.value, "organisation_id": document.organisation_id})
    return document


def retry_document(session: Session, *, document: Document, by: User) -> None:
    """Ask again for a document whose rendering failed."""
    if document.status is not DocumentStatus.FAILED:
        return
    document.status = DocumentStatus.QUEUED
    document.error = None
    document.job_id = queue.request(session, JobName.RENDER_DOCUMENT, document.id, retry=RENDER_RETRY).job_id
    audit.record(session, actor=by, action="document.retried", entity=document)


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
    if not stuck(document):
        return
    if queue.request_again(session, document.job_id) is None:  # asked for before the job outbox
        document.job_id = queue.request(session, JobName.RENDER_DOCUMENT, document.id, retry=RENDER_RETRY).job_id
    document.updated_at = utcnow()  # not stuck again until another DOCUMENT_STUCK_AFTER_SECONDS
    audit.record(session, actor=by, action="document.retried", entity=document, after={"was": "queued"})


def get_document_for(session: Session, user: User, document_id: int) -> Document:
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound()
    if user.role is Role.APPLICANT and (
        document.organisation_id is None or document.organisation_id != user.organisation_id
    ):
        raise NotFound()
    if document.kind is DocumentKind.LIP_CASE_SUMMARY and user.role not in LIP_READERS:
        raise NotFound()  # confidential: only the staff who may read cases
    if document.kind in (DocumentKind.PARTNERSHIP_REPORT, DocumentKind.SCALEUP_PROFILE) and (
            user.role not in LIP_READERS and user.role is not Role.APPLICANT):
        raise NotFound()  # the staff who may read partnerships and the scale-up service (and the company)
    return document


def _render(session: Session, document: Document) -> tuple[str, bytes]:
    if document.kind is DocumentKind.ORGANISATION_SUMMARY:
        organisation = document.organisation
        pdf = render_pdf(
            "pdf/organisation_summary.html", organisation=organisation, document=document,
            generated_at=utcnow(),
        )
        return f"organisation-summary-{organisation.company_number}.pdf", pdf
    if document.kind is DocumentKind.APPLICATION_SUMMARY:
        from portfolio.services import applications

        application = document.application
        pdf = render_pdf(
            "pdf/application_summary.html", application=application, document=document, generated_at=utcnow(),
            sections=applications.SECTIONS, totals=applications.totals(application.cost_items),
            answers={s.key: applications.answers(application, s.key) for s in applications.SECTIONS},
            rate=applications.intervention_rate(application.grant_requested, application.total_project_cost),
            documents=applications.documents(session, application),
        )
        return f"LSIMF-{application.id:05d}-v{application.version_number}-summary.pdf", pdf
    if document.kind is DocumentKind.GRANT_OFFER_LETTER:
        application = document.application
        pdf = render_pdf("pdf/grant_offer_letter.html", application=application, award=application.award,
                         offer=application.award.offer, decision=application.decision, generated_at=utcnow())
        return f"LSIMF-{application.id:05d}-grant-offer-letter.pdf", pdf
    if document.kind is DocumentKind.MONITORING_RETURN:
        from portfolio.services import monitoring

        monitoring_return = document.monitoring_return
        award = monitoring_return.award
        pdf = render_pdf("pdf/monitoring_return.html", monitoring_return=monitoring_return, award=award,
                         figures=FIGURES, labels=monitoring.LABELS, contracted=monitoring.contracted(award),
                         show=show_figure, generated_at=utcnow())
        return (f"LSIMF-{award.application_id:05d}-return-{monitoring_return.number}-"
                f"{monitoring_return.period_end:%Y-%m-%d}.pdf"), pdf
    if document.kind is DocumentKind.CLAIM_STATEMENT:
        from portfolio.services import claims

        award = document.application.award
        pdf = render_pdf("pdf/claim_statement.html", award=award, claims_=claims.claims_of(session, award),
                         payments=claims.payments_of(session, award), position=claims.position(session, award),
                         rate=claims.grant_rate(award), retention_rate=award.application.rules_in_force.retention_rate,
                         generated_at=utcnow())
        return f"LSIMF-{award.application_id:05d}-claim-statement.pdf", pdf
    if document.kind is DocumentKind.LEVERAGE_REPORT:
        from portfolio.services import leverage

        filters = leverage.Filters.from_dict(document.parameters or {})
        result = leverage.report(session, filters)
        pdf = render_pdf("pdf/leverage_report.html", report=result, chart=leverage.chart(result.by_year),
                         columns=leverage.COLUMNS, filter_labels=leverage.describe(session, filters),
                         generated_at=utcnow())
        return f"leverage-report-{utcnow():%Y-%m-%d}.pdf", pdf
    if document.kind is DocumentKind.IMPLEMENTATION_UPDATE:
        from portfolio.services import implementation_update

        year = (document.parameters or {})["financial_year"]
        update = implementation_update.build(session, year)
        pdf = render_pdf("pdf/implementation_update.html", update=update, annex=implementation_update.ANNEX_A,
                         generated_at=utcnow())
        return f"implementation-update-{year.replace('/', '-')}.pdf", pdf
    if document.kind is DocumentKind.LIP_CASE_SUMMARY:
        from portfolio.models import LipCase
        from portfolio.services import lip

        case = session.get(LipCase, (document.parameters or {})["case_id"])
        pdf = render_pdf("pdf/lip_case_summary.html", case=case, offer=lip.package(case),
                         component_amount=lip.component_amount, component_status=lip.component_status,
                         days_in_stage=lip.days_in_stage(case), problems=lip.approval_problems(session, case),
                         subsidy_required=lip.subsidy_required(case), generated_at=utcnow())
        return f"{case.reference}-case-summary.pdf", pdf
    if document.kind is DocumentKind.PARTNERSHIP_REPORT:
        from portfolio.models import Partnership
        from portfolio.services import partnerships

        partnership = session.get(Partnership, (document.parameters or {})["partnership_id"])
        today = uk_today()
        pdf = render_pdf("pdf/partnership_report.html", partnership=partnership, today=today,
                         rag=partnerships.rag, derived_rag=partnerships.derived_rag, expected=partnerships.expected,
                         latest=partnerships.latest_value, secured=partnerships.investment_secured(partnership),
                         committed=partnerships.investment_committed(partnership), generated_at=utcnow())
        return f"{partnership.reference}-partnership-report.pdf", pdf
    if document.kind is DocumentKind.SCALEUP_PROFILE:
        from portfolio.models import ScaleupCompany
        from portfolio.services import scaleups

        company = session.get(ScaleupCompany, (document.parameters or {})["company_id"])
        pdf = render_pdf("pdf/scaleup_profile.html", company=company, snapshots=scaleups.confirmed(company),
                         latest=scaleups.latest(company), quarter_label=scaleups.quarter_label, generated_at=utcnow())
        return f"{company.reference}-company-profile.pdf", pdf
    raise ValueError(f"no renderer for {document.kind}")


def show_figure(name: str, value) -> str:
    """A monitoring figure as the PDF and pages print it: money as £1,234.50, FTEs to one place, counts whole."""
    if value is None:
        return ""
    if name in FTES:
        return f"{value:,.1f}"
    if name in COUNTS:
        return f"{value:,}"
    return money(value)


def render(session: Session, document_id: int) -> None:
    """Body of the render job. Loads by id, skips finished work, commits each step.

    On failure the document goes back to queued while rq has retries left, and to failed
    (with the error) after the last one; the exception is re-raised for rq.
    """
    document = session.get(Document, document_id)
    if document is None or document.status is DocumentStatus.READY:
        return
    document.status = DocumentStatus.RENDERING
    document.attempts += 1
    session.commit()
    try:
        filename, pdf = _render(session, document)
        saved = get_storage(session).save(f"documents/{document.id}.pdf", pdf)
        document.filename = filename
        document.content_type = "application/pdf"
        document.storage_key, document.size, document.checksum = saved.key, saved.size, saved.checksum
        document.status = DocumentStatus.READY
        document.error = None
        document.completed_at = utcnow()
        audit.record(session, actor=None, actor_label="worker", action="document.ready",
                     entity=document, after={"size": saved.size, "checksum": saved.checksum})
        session.commit()
    except Exception as exc:
        session.rollback()
        document = session.get(Document, document_id)
        job = get_current_job()
        retrying = job is not None and queue.queue.is_async and (job.retries_left or 0) > 0
        document.status = DocumentStatus.QUEUED if retrying else DocumentStatus.FAILED
        document.error = f"{type(exc).__name__}: {exc}"
        current_app.logger.error("document %s failed: %s", document_id, traceback.format_exc())
        if not retrying:
            audit.record(session, actor=None, actor_label="worker", action="document.failed",
                         entity=document, after={"error": document.error})
        session.commit()
        raise


def abandoned(session: Session, document_id: int, *, retrying: bool) -> None:
    """A worker died while rendering (rq found the job abandoned). Show the document as waiting
    again while rq retries it, or as failed (so the user can ask again) once it will not."""
    document = session.get(Document, document_id)
    if document is None or document.status is not DocumentStatus.RENDERING:
        return  # the render itself recorded how it ended
    document.status = DocumentStatus.QUEUED if retrying else DocumentStatus.FAILED
    document.error = "The worker stopped while making this document"
    if not retrying:
        audit.record(session, actor=None, actor_label="worker", action="document.failed", entity=document,
                     after={"error": document.error})
    session.commit()


def load_content(session: Session, document: Document) -> bytes:
    return get_storage(session).load(document.storage_key)
