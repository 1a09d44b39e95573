"""Email through an outbox table, delivered by the deliver_email job after commit."""

import smtplib
from email.message import EmailMessage
from pathlib import Path

from flask import current_app, render_template
from sqlalchemy.orm import Session

from portfolio.extensions import queue
from portfolio.jobqueue import JobName
from portfolio.models import OutboxMessage, OutboxStatus
from portfolio.models.base import utcnow
from portfolio.services import workflow


def send_email(session: Session, *, to: str, subject: str, template: str, **context) -> OutboxMessage:
    """Write the message to the outbox; it is delivered once the transaction commits."""
    body = render_template(f"email/{template}.txt", **context)
    message = OutboxMessage(recipient=to, subject=subject, body=body)
    workflow.start(session, message, by=None, system_label="mail")
    queue.request(session, JobName.DELIVER_EMAIL, message.id)
    return message


def _as_email(message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_SENDER"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Message-ID"] = f"<outbox-{message.id}@portfolio>"
    email.set_content(message.body)
    return email


def deliver(session: Session, message_id: int) -> None:
    """Send one outbox message (SMTP when configured, otherwise a file). Safe to re-run."""
    message = session.get(OutboxMessage, message_id)
    if message is None or message.status is OutboxStatus.SENT:
        return
    config = current_app.config
    message.attempts += 1
    email = _as_email(message)
    if config.get("MAIL_SERVER"):
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(email)
    else:
        folder = Path(config["MAIL_FOLDER"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{message.id:06d}.eml").write_bytes(bytes(email))
    message.sent_at = utcnow()
    workflow.transition(session, message, OutboxStatus.SENT, by=None, system_label="mail")
    message.last_error = None


def external_url(endpoint: str, **values) -> str:
    """A link for an e-mail: built from SERVER_BASE_URL, so it works outside a request too (a job)."""
    base = current_app.config["SERVER_BASE_URL"].rstrip("/")
    return base + current_app.url_map.bind("").build(endpoint, values)
