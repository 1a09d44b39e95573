"""rq entry points. Each takes ids only, loads what it needs and is safe to run twice.

A job runs inside the app context that `workers/run.py` pushes once per worker process;
started by a plain `rq worker`, it creates the app once on first use instead.
"""

from contextlib import contextmanager
from functools import wraps

from flask import Flask, has_app_context

_app: Flask | None = None


@contextmanager
def _app_context():
    global _app
    if has_app_context():
        yield
        return
    if _app is None:
        from portfolio import create_app

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
def render_document(document_id: int) -> None:
    from portfolio.extensions import db
    from portfolio.services import documents

    documents.render(db.session, document_id)


@job
def render_document_failed(job, connection, exc_type, exc_value, traceback) -> None:
    """rq's failure callback for render jobs: also runs when a worker died mid-render and another
    worker's registry cleanup finds the job abandoned (the document would otherwise stay rendering)."""
    from portfolio.extensions import db
    from portfolio.services import documents

    documents.abandoned(db.session, job.args[0], retrying=(job.retries_left or 0) > 0)


@job
def deliver_email(message_id: int) -> None:
    from portfolio.extensions import db
    from portfolio.services import mail

    mail.deliver(db.session, message_id)
    db.session.commit()


@job
def expire_offers() -> int:
    """Scheduled (workers/cron.py, hourly): expire offers whose acceptance period has passed."""
    from portfolio.extensions import db
    from portfolio.services import offers

    expired = offers.expire_due(db.session)
    db.session.commit()
    return expired


@job
def send_return_reminders() -> int:
    """Scheduled (workers/cron.py, daily): remind companies of monitoring returns due soon, today or overdue."""
    from portfolio.extensions import db
    from portfolio.services import monitoring

    sent = monitoring.send_reminders(db.session)
    db.session.commit()
    return sent
