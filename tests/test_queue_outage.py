"""Redis down for a while loses nothing and shows no error (issue 13, parts 3 and 5).

Each test runs its own redis-server (tests/conftest.py `redis_server`) as the app's queue and
rate-limit store, stops it, uses the service as a person would, then starts it again on the same
port with none of its data (as after a crash) and lets a worker catch up: first the worker's
dispatcher hands over the jobs Redis missed, then it runs them. Runs on SQLite and PostgreSQL.
"""

import logging
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portfolio.extensions import db, queue
from portfolio.models import (
    AuditEvent,
    ClaimStatus,
    Document,
    DocumentStatus,
    JobIntent,
    OutboxMessage,
    OutboxStatus,
    Payment,
    Role,
)
from portfolio.services import claims, offers
from tests.helpers import DEMO_PASSWORD, PageClient, sent_emails
from tests.builders import forecast_with
from portfolio.extensions import limiter
from workers.run import SimpleWorker

YESTERDAY = date.today() - timedelta(days=1)


@pytest.fixture
def app_config(app_config, redis_server):
    """The app under test keeps its queue and its sign-in counters in the test's own Redis."""
    return {**app_config, "REDIS_URL": redis_server.url, "RATELIMIT_STORAGE_URI": redis_server.url}


@pytest.fixture(autouse=True)
def limiter_on_its_storage():
    """flask-limiter remembers "storage down" on the extension that every test's app shares (and
    notices Redis is back only at its next check): each test starts, and leaves, with it on its
    storage, so each sees the fall-back happen and counts in its own storage."""
    limiter._storage_dead = False
    yield
    limiter._storage_dead = False


def work(app) -> None:
    """One worker process's worth of catching up, in this process: `workers.run`'s worker in burst
    mode (its dispatcher runs when it starts, then it runs every job on the queue)."""
    with app.app_context():
        SimpleWorker([queue.queue], connection=queue.queue.connection).work(burst=True)
    db.session.expire_all()


@pytest.fixture
def approved_claim(session, make, fund):
    """An approved £1m claim on a £4m award, and the finance officer who will pay it."""
    people = {"recommender": make.user(Role.FUND_MANAGER), "assessor": make.user(Role.ASSESSOR),
              "approver": make.user(Role.FUND_MANAGER), "finance": make.user(Role.FINANCE)}
    session.commit()
    application = make.approved_application(fund, recommender=people["recommender"], assessor=people["assessor"],
                                            approver=people["approver"])
    offer = offers.issue(session, application=application, by=people["approver"],
                         terms=offers.default_terms(application))
    company = application.organisation.users[0]
    offers.accept(session, offer=offer, by=company)
    claim = claims.start(session, award=application.award, by=company, period_start=YESTERDAY - timedelta(days=30),
                         period_end=YESTERDAY)
    claims.add_item(session, claim=claim, by=company, description="Isolator", invoice_reference="INV-1",
                    defrayed_on=YESTERDAY, amount=Decimal("1000000.00"))
    forecast_with(session, claim, company)
    claims.submit(session, claim=claim, by=company)
    claims.review(session, claim=claim, by=people["finance"], reason=None,
                  approved={claim.items[0].id: Decimal("1000000.00")})
    session.commit()
    return claim, people["finance"]


def _paid_emails(app) -> list:
    return [m for m in sent_emails(app) if m["Subject"] == "LSIMF claim 1 paid"]


def test_a_payment_and_a_pdf_asked_for_while_redis_is_down_are_saved_and_done_once_it_is_back(
        app, client, session, approved_claim, redis_server, run_jobs):
    claim, finance = approved_claim
    run_jobs()  # the e-mails of the decision and the offer, before the outage
    award_id, claim_url = claim.award_id, f"/claims/{claim.id}"

    redis_server.stop()
    client.sign_in(finance.email)  # sign-in counts attempts in Redis: now in this process's memory
    day = [str(YESTERDAY.day), str(YESTERDAY.month), str(YESTERDAY.year)]
    paid = client.submit(f"{claim_url}/payment", {"amount": "225,000", "paid_on": day, "reference": "BACS-7"},
                         form_url=claim_url)
    assert paid.status == 302 and paid.location == claim_url
    assert "Payment of £225,000.00 recorded" in client.get(claim_url).text
    requested = client.submit(f"/awards/{award_id}/statement", form_url=f"/awards/{award_id}")
    assert requested.status == 302
    document_url = requested.location
    page = client.get(document_url)
    assert page.status == 200
    assert "your PDF will be made when it is back" in page.text and "You do not need to ask again" in page.text

    session.expire_all()
    assert session.get(type(claim), claim.id).status is ClaimStatus.PAID
    assert session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 1
    message = session.scalar(sa.select(OutboxMessage).where(OutboxMessage.subject == "LSIMF claim 1 paid"))
    assert message.status is OutboxStatus.PENDING
    waiting = session.scalars(sa.select(JobIntent).where(JobIntent.dispatched_at.is_(None))).all()
    assert sorted(intent.name for intent in waiting) == ["deliver_email", "render_document"]
    assert all("did not answer" in intent.last_error for intent in waiting)
    assert _paid_emails(app) == []

    redis_server.start()  # empty: it kept nothing
    work(app)
    document = session.get(Document, int(document_url.rsplit("/", 1)[1]))
    assert document.status is DocumentStatus.READY and document.attempts == 1
    assert client.get(document_url + "/download").response.data.startswith(b"%PDF")
    assert [m["To"] for m in _paid_emails(app)] == [claim.award.organisation.users[0].email]
    assert session.get(OutboxMessage, message.id).status is OutboxStatus.SENT
    assert session.scalar(sa.select(sa.func.count()).select_from(JobIntent)
                          .where(JobIntent.completed_at.is_(None))) == 0

    work(app)  # a second worker, or the next pass: nothing is done twice
    assert len(_paid_emails(app)) == 1
    assert session.get(Document, document.id).attempts == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "document.ready", AuditEvent.entity_id == str(document.id))) == 1


def test_signing_in_works_while_redis_is_down_and_still_counts_attempts(app, session, make, redis_server, caplog):
    app.config["LOGIN_RATE_LIMIT"] = app.config["LOGIN_ADDRESS_RATE_LIMIT"] = "3 per minute"
    user = make.user(Role.FINANCE)
    session.commit()
    redis_server.stop()
    person = PageClient(app)
    with caplog.at_level(logging.WARNING, logger="flask-limiter"):
        assert person.sign_in(user.email).status == 302
    assert "Rate limit storage unreachable - falling back to in-memory storage" in caplog.text
    assert "Home" in person.get("/home").text

    guesser = PageClient(app)  # the same address: three refused attempts this minute (signing in never counts)
    wrong = [guesser.submit("/sign-in", {"email": user.email, "password": "not-the-password"}).status
             for _ in range(3)]
    assert wrong == [400, 400, 400]
    refused = guesser.submit("/sign-in", {"email": user.email, "password": DEMO_PASSWORD})
    assert refused.status == 429  # the limit still holds, counted in this process's memory
    redis_server.start()


def test_try_again_on_a_stuck_document_never_renders_it_twice(app, client, session, make, redis_server):
    app.config["DOCUMENT_STUCK_AFTER_SECONDS"] = 0  # every queued document counts as stuck at once
    applicant = make.user(Role.APPLICANT)
    session.commit()
    client.sign_in(applicant.email)
    organisation_url = f"/organisations/{applicant.organisation_id}"

    redis_server.stop()
    document_url = client.submit(organisation_url + "/summary", form_url=organisation_url).location
    page = client.get(document_url)
    assert "will be made when it is back" in page.text and "taking longer than it should" in page.text
    assert client.submit(document_url + "/retry", form_url=document_url).status == 302  # still down: waits

    redis_server.start()
    for _ in range(2):  # the queue is back but no worker runs: asking again adds nothing
        assert client.submit(document_url + "/retry", form_url=document_url).status == 302
        page = client.get(document_url)
        assert "We are creating your PDF" in page.text and "will be made when it is back" not in page.text
        assert queue.queue.count == 1

    redis_server.stop()
    redis_server.start()  # Redis restarted and lost the job: asking again queues it anew
    assert queue.queue.count == 0
    assert client.submit(document_url + "/retry", form_url=document_url).status == 302
    assert queue.queue.count == 1
    work(app)
    document = session.get(Document, int(document_url.rsplit("/", 1)[1]))
    assert (document.status, document.attempts) == (DocumentStatus.READY, 1)
    assert "Your PDF is ready" in client.get(document_url).text
    retried = session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "document.retried", AuditEvent.entity_id == str(document.id)))
    assert retried == 4
