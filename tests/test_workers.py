"""Real rq worker processes render PDFs from Redis (runs when REDIS_URL is set, as in CI)."""

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from portfolio.extensions import queue
from portfolio.models import Document, DocumentStatus, Role
from tests.conftest import REDIS_URL, needs_redis
from portfolio.models import OutboxMessage, OutboxStatus
from tests.helpers import sent_emails

ROOT = Path(__file__).resolve().parent.parent


def _worker_env(app) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL=REDIS_URL,
        SECRET_KEY=app.config["SECRET_KEY"],
        PORTFOLIO_INSTANCE_PATH=app.config["INSTANCE_PATH"],
        STORAGE_BACKEND=app.config["STORAGE_BACKEND"],
        STORAGE_PATH=app.config["STORAGE_PATH"],
        MAIL_FOLDER=app.config["MAIL_FOLDER"],
        RQ_QUEUE=app.config["RQ_QUEUE"],
    )
    return env


def _request_pdf(client, make, session) -> str:
    applicant = make.user(Role.APPLICANT)
    session.commit()
    client.sign_in(applicant.email)
    url = f"/organisations/{applicant.organisation_id}"
    page = client.submit(url + "/summary", form_url=url)
    return page.location


def _ready(session, document_url: str) -> Document:
    session.expire_all()
    return session.get(Document, int(document_url.rsplit("/", 1)[1]))


@needs_redis
def test_rq_worker_burst_process_renders_the_pdf(app, client, make, session):
    app.config["STORAGE_BACKEND"] = "database"  # the worker is another process: share files via the DB
    document_url = _request_pdf(client, make, session)
    assert _ready(session, document_url).status is DocumentStatus.QUEUED
    assert queue.queue.count == 1

    result = subprocess.run(
        [sys.executable, "-m", "rq.cli", "worker", "--burst", "--url", REDIS_URL, app.config["RQ_QUEUE"]],
        cwd=ROOT, env=_worker_env(app), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr

    document = _ready(session, document_url)
    assert document.status is DocumentStatus.READY, document.error
    download = client.get(document_url + "/download").response
    assert download.data.startswith(b"%PDF")
    assert queue.queue.count == 0


@needs_redis
def test_workers_run_module_processes_the_queue(app, client, make, session):
    app.config["STORAGE_BACKEND"] = "database"
    document_url = _request_pdf(client, make, session)
    result = subprocess.run(
        [sys.executable, "-m", "workers.run", "--burst"],
        cwd=ROOT, env=_worker_env(app), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert _ready(session, document_url).status is DocumentStatus.READY


def test_emails_are_delivered_by_the_job(app, client, make, session, run_jobs):
    user = make.user(Role.FINANCE)
    session.commit()
    client.submit("/reset-password", {"email": user.email})
    run_jobs()
    session.expire_all()
    message = session.scalar(sa.select(OutboxMessage))
    assert message.status is OutboxStatus.SENT and message.attempts == 1
    assert [m["Subject"] for m in sent_emails(app)] == ["Reset your Portfolio password"]


def test_emails_go_through_smtp_when_configured(app, client, make, session, run_jobs):
    """A real SMTP conversation with a server on loopback (aiosmtpd)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Collect(Message):
        def handle_message(self, message):
            received.append(message)

    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False)
        user = make.user(Role.FINANCE)
        session.commit()
        client.submit("/reset-password", {"email": user.email})
        run_jobs()
    finally:
        controller.stop()
    [message] = received
    assert message["To"] == user.email
    assert "/reset-password/" in message.get_payload()
