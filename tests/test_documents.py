"""Requested PDFs: tracked, rendered by a job after commit, downloaded, retried on failure."""

import io

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from portfolio.extensions import db, queue
from portfolio.models import Document, DocumentKind, DocumentStatus, Role, StoredFile
from portfolio.services import document_kinds, documents
from portfolio.services.storage import DatabaseStorage, LocalStorage
from workers import jobs
from portfolio.models import AuditEvent
from portfolio.models.base import utcnow
from tests.helpers import work_burst


def _request_summary(client, organisation_id: int):
    page = client.submit(f"/organisations/{organisation_id}/summary", form_url=f"/organisations/{organisation_id}")
    assert page.status == 302
    return page.location


def test_company_user_gets_a_real_summary_pdf(client, make, session, run_jobs):
    applicant = make.user(Role.APPLICANT, name="Priya Shah")
    organisation = applicant.organisation
    session.commit()
    client.sign_in(applicant.email)
    document_url = _request_summary(client, organisation.id)
    run_jobs()
    page = client.get(document_url)
    assert "Your PDF is ready" in page.text
    status = client.get(document_url + "/status.json").response.get_json()
    assert status["status"] == "ready" and status["finished"] is True
    download = client.get(status["download_url"]).response
    assert download.status_code == 200
    assert download.mimetype == "application/pdf"
    assert f"organisation-summary-{organisation.company_number}.pdf" in download.headers["Content-Disposition"]
    assert download.data.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(download.data)).pages)
    assert organisation.name in text and organisation.company_number in text and "Priya Shah" in text


def test_status_endpoint_reports_progress_before_the_job_runs(app, client, make, session):
    """A committed request is queued until a worker takes it (Redis mode keeps it queued)."""
    if queue.embedded:
        pytest.skip("the embedded runner renders at commit: there is no waiting state to observe")
    applicant = make.user(Role.APPLICANT)
    session.commit()
    client.sign_in(applicant.email)
    document_url = _request_summary(client, applicant.organisation_id)
    status = client.get(document_url + "/status.json").response.get_json()
    assert status == {"id": status["id"], "status": "queued", "label": "waiting to be made", "finished": False,
                      "error": None, "download_url": None}
    page = client.get(document_url)
    assert page.html.find(attrs={"data-document-status-url": document_url + "/status.json"})


def test_nothing_is_enqueued_when_the_transaction_rolls_back(app, session, make):
    applicant = make.user(Role.APPLICANT)
    session.commit()
    document = documents.request_document(
        session, kind=DocumentKind.ORGANISATION_SUMMARY, record=applicant.organisation, by=applicant
    )
    job_id = document.job_id
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(Document)) == 0
    assert queue.queue.fetch_job(job_id) is None


def test_job_is_enqueued_only_after_commit(app, session, make):
    if queue.embedded:
        pytest.skip("checks the Redis queue")
    applicant = make.user(Role.APPLICANT)
    session.commit()
    document = documents.request_document(
        session, kind=DocumentKind.ORGANISATION_SUMMARY, record=applicant.organisation, by=applicant
    )
    assert queue.queue.count == 0
    session.commit()
    assert queue.queue.job_ids == [document.job_id]
    job = queue.queue.fetch_job(document.job_id)
    assert (job.func, job.args) == (jobs.run, ("render_document", document.id))  # by name, through one entry point
    assert (job.retries_left, job.retry_intervals) == (3, [10, 30, 60])
    assert job.failure_callback is jobs.failed  # an abandoned render is not left rendering


def test_a_render_abandoned_by_a_dead_worker_waits_again_then_fails(app, client, session, make):
    """rq's failure callback for a job whose worker died: queued while retries are left, then failed
    with a message, and the user can ask again. A render that ended by itself is left alone."""
    applicant = make.user(Role.APPLICANT)
    document = Document(kind=DocumentKind.ORGANISATION_SUMMARY, record_type="organisation",
                        record_id=applicant.organisation_id, requested_by=applicant, status=DocumentStatus.RENDERING,
                        attempts=1)
    session.add(document)
    session.commit()
    documents.abandoned(session, document.id, retrying=True)
    assert document.status is DocumentStatus.QUEUED
    document.status = DocumentStatus.RENDERING
    session.commit()
    documents.abandoned(session, document.id, retrying=False)
    assert (document.status, document.error) == (DocumentStatus.FAILED, "The worker stopped while making this document")
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "document.failed", AuditEvent.entity_id == str(document.id))) == 1
    client.sign_in(applicant.email)
    page = client.get(f"/documents/{document.id}")
    assert "We could not create this PDF" in page.text and page.html.select_one(
        f'form[action="/documents/{document.id}/retry"]') is not None
    document.status = DocumentStatus.READY
    session.commit()
    documents.abandoned(session, document.id, retrying=False)  # finished meanwhile: nothing changes
    assert document.status is DocumentStatus.READY


def test_a_document_stuck_in_the_queue_can_be_asked_for_again(app, client, session, make, run_jobs):
    """Queued for longer than DOCUMENT_STUCK_AFTER_SECONDS (here, one left queued before the job
    outbox existed, its job lost with nothing to hand it over again): the page offers Try again,
    which queues the render; a fresh queued document offers nothing."""
    from datetime import timedelta

    applicant = make.user(Role.APPLICANT)
    stuck = Document(kind=DocumentKind.ORGANISATION_SUMMARY, record_type="organisation",
                     record_id=applicant.organisation_id, organisation=applicant.organisation, requested_by=applicant,
                     status=DocumentStatus.QUEUED, job_id="document-1-0",
                     updated_at=utcnow() - timedelta(seconds=601))
    session.add(stuck)
    session.commit()
    client.sign_in(applicant.email)
    page = client.get(f"/documents/{stuck.id}")
    assert "taking longer than it should" in page.text
    assert client.submit(f"/documents/{stuck.id}/retry", form_url=f"/documents/{stuck.id}").status == 302
    run_jobs()
    assert "Your PDF is ready" in client.get(f"/documents/{stuck.id}").text

    fresh = documents.request_document(session, kind=DocumentKind.ORGANISATION_SUMMARY,
                                       record=applicant.organisation, by=applicant)
    session.commit()
    if not queue.embedded:
        assert "taking longer than it should" not in client.get(f"/documents/{fresh.id}").text


def test_rendering_twice_keeps_one_ready_document(app, session, make, run_jobs):
    applicant = make.user(Role.APPLICANT)
    session.commit()
    document = documents.request_document(
        session, kind=DocumentKind.ORGANISATION_SUMMARY, record=applicant.organisation, by=applicant
    )
    session.commit()
    run_jobs()
    session.expire_all()
    first_checksum = session.get(Document, document.id).checksum
    documents.render(session, document.id)  # a re-run (say, after a worker restart)
    session.expire_all()
    again = session.get(Document, document.id)
    assert again.status is DocumentStatus.READY and again.checksum == first_checksum and again.attempts == 1


def test_a_failed_render_is_shown_and_can_be_retried(app, client, make, session, monkeypatch, run_jobs):
    applicant = make.user(Role.APPLICANT)
    session.commit()
    client.sign_in(applicant.email)

    def broken(*args, **kwargs):
        raise RuntimeError("fonts missing")

    monkeypatch.setattr(document_kinds, "render_pdf", broken)
    document_url = _request_summary(client, applicant.organisation_id)
    if not queue.embedded:
        # rq retries with back-off; run the job as its last attempt would.
        job = queue.queue.fetch_job(queue.queue.job_ids[0])
        job.retries_left = 0
        job.save()
    run_jobs()
    page = client.get(document_url)
    assert "We could not create this PDF" in page.text
    status = client.get(document_url + "/status.json").response.get_json()
    assert status["status"] == "failed" and "fonts missing" in status["error"]
    assert client.get(document_url + "/download").status == 404

    monkeypatch.undo()
    assert client.submit(document_url + "/retry", form_url=document_url).status == 302
    run_jobs()
    assert "Your PDF is ready" in client.get(document_url).text


def test_retries_left_keep_the_document_queued(app, session, make):
    """While rq still has retries, a failure shows as queued (with the error), not failed."""
    from rq import Retry

    if queue.embedded:
        pytest.skip("retries belong to real rq workers")
    applicant = make.user(Role.APPLICANT)
    session.commit()
    document = documents.request_document(
        session, kind=DocumentKind.ORGANISATION_SUMMARY, record=applicant.organisation, by=applicant
    )
    document.record_id = 2**31 - 1  # names an organisation that does not exist: the renderer fails
    session.commit()
    queue.queue.empty()
    queue.queue.enqueue(jobs.run, "render_document", document.id, retry=Retry(max=1, interval=60))
    with app.app_context():
        work_burst(queue.queue)
    session.expire_all()
    waiting = session.get(Document, document.id)
    assert waiting.status is DocumentStatus.QUEUED and "has no attribute" in waiting.error


@pytest.mark.parametrize("backend", ["local", "database"])
def test_storage_backends_round_trip(app, session, tmp_path, backend):
    storage = LocalStorage(tmp_path) if backend == "local" else DatabaseStorage(session)
    saved = storage.save("documents/1.pdf", b"%PDF-1.7 first")
    saved = storage.save("documents/1.pdf", b"%PDF-1.7 second")  # overwrite: jobs are re-runnable
    assert storage.load("documents/1.pdf") == b"%PDF-1.7 second"
    assert saved.size == len(b"%PDF-1.7 second") and len(saved.checksum) == 64
    storage.delete("documents/1.pdf")
    with pytest.raises(FileNotFoundError):
        storage.load("documents/1.pdf")
    with pytest.raises(ValueError):
        storage.save("../../etc/passwd", b"x")


def test_database_storage_serves_pdfs_across_machines(app, app_config, client, make, session, run_jobs):
    """With STORAGE_BACKEND=database the PDF lives in the database, not on the web machine."""
    app.config["STORAGE_BACKEND"] = "database"
    applicant = make.user(Role.APPLICANT)
    session.commit()
    client.sign_in(applicant.email)
    document_url = _request_summary(client, applicant.organisation_id)
    run_jobs()
    stored = db.session.scalar(sa.select(StoredFile))
    assert stored is not None and stored.content.startswith(b"%PDF")
    assert client.get(document_url + "/download").response.data == stored.content
