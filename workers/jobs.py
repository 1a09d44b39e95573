"""rq entry points. Each job takes ids only, loads what it needs and is safe to run twice.

rq runs every job through `run(name, *args)`, which calls the function registered under that
`JobName` (portfolio/jobqueue.py): services name jobs and never import this module. A job runs
inside the app context that `workers/run.py` pushes once per worker process; started by a plain
`rq worker`, it creates the app once on first use instead.
"""

import traceback as tracebacks
from contextlib import contextmanager
from functools import wraps

from flask import Flask, has_app_context
from rq import get_current_job

from portfolio import create_app
from portfolio.extensions import db, queue
from portfolio.jobqueue import JobName, registry
from portfolio.services import audit_checkpoints, documents, mail, monitoring, offers

_app: Flask | None = None


@contextmanager
def _app_context():
    global _app
    if has_app_context():
        yield
        return
    if _app is None:
        _app = create_app()
    with _app.app_context():
        yield


def job(func):
    @wraps(func)
    def wrapper(*args, **kwargs):
        with _app_context():
            return func(*args, **kwargs)

    return wrapper


@job
def run(name: str, *args):
    """What rq runs for every job: the function registered as `name`, then the job's intent is
    marked completed (a job asked for through the outbox has one; a cron job has none)."""
    result = registry.get(name)(*args)
    current = get_current_job()
    if current is not None:
        queue.record_outcome(db.session, current.id)
    return result


@job
def failed(job, connection, exc_type, exc_value, traceback) -> None:
    """rq's failure callback for every job: a run raised, or its worker died in the middle of it
    (another worker's registry cleanup found the job abandoned). Lets the job's own failure
    handler react, and records the error on its intent (completed once no retry is left)."""
    name, *args = job.args
    retrying = (job.retries_left or 0) > 0
    db.session.rollback()  # whatever the failed run left unfinished
    handler = registry.failure_handler(name)
    if handler is not None:
        handler(*args, retrying=retrying)
    error = "".join(tracebacks.format_exception_only(exc_type, exc_value)).strip() if exc_type else "failed"
    queue.record_outcome(db.session, job.id, error=error, final=not retrying)


@registry.job(JobName.RENDER_DOCUMENT)
@job
def render_document(document_id: int) -> None:
    documents.render(db.session, document_id)


@registry.on_failure(JobName.RENDER_DOCUMENT)
@job
def render_document_abandoned(document_id: int, *, retrying: bool) -> None:
    """A render failed or its worker died mid-render: a render that died is shown as waiting
    again while rq retries it, or as failed once it will not (it would otherwise stay rendering)."""
    documents.abandoned(db.session, document_id, retrying=retrying)


@job
def render_document_failed(job, connection, exc_type, exc_value, traceback) -> None:
    """The failure callback of render jobs queued before jobs had names (kept for one release)."""
    render_document_abandoned(job.args[0], retrying=(job.retries_left or 0) > 0)


@registry.job(JobName.DELIVER_EMAIL)
@job
def deliver_email(message_id: int) -> None:
    mail.deliver(db.session, message_id)
    db.session.commit()


@registry.job(JobName.EXPIRE_OFFERS)
@job
def expire_offers() -> int:
    """Scheduled (workers/cron.py, hourly): expire offers whose acceptance period has passed."""
    expired = offers.expire_due(db.session)
    db.session.commit()
    return expired


@registry.job(JobName.SEND_RETURN_REMINDERS)
@job
def send_return_reminders() -> int:
    """Scheduled (workers/cron.py, daily): remind companies of monitoring returns due soon, today or overdue."""
    sent = monitoring.send_reminders(db.session)
    db.session.commit()
    return sent


@registry.job(JobName.DISPATCH_JOBS)
@job
def dispatch_jobs() -> int:
    """Scheduled (workers/cron.py, every minute): hand waiting job intents to rq, after finding
    any that Redis lost. Every worker also does this itself (workers/run.py)."""
    queue.recover_lost()
    return queue.dispatch_waiting()


@registry.job(JobName.CHECKPOINT_AUDIT)
@job
def checkpoint_audit() -> int:
    """Scheduled (workers/cron.py, daily): record the audit chain's head and e-mail it to the administrators."""
    checkpoint, _ = audit_checkpoints.make(db.session, made_by="daily checkpoint")
    db.session.commit()
    return checkpoint.id
