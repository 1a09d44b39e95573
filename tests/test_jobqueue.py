"""The job outbox (portfolio/jobqueue.py): a job asked for is written with the change that needs
it, handed to rq after the commit or, when Redis did not answer, by a dispatcher later; exactly
once, whoever dispatches. Real redis-servers of the tests' own; SQLite and PostgreSQL."""

import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portfolio.extensions import db, queue
from portfolio.jobqueue import JobName
from portfolio.models import Document, DocumentKind, JobIntent, OutboxMessage, OutboxStatus, Role
from portfolio.services import documents, mail
from tests.conftest import ON_POSTGRES
from tests.helpers import sent_emails
from tests.test_workers import ROOT, _worker_env
from tests.builders import Builders


def _email(session, user, n: int = 1) -> OutboxMessage:
    return mail.send_email(session, to=user.email, subject=f"Message {n}", template="password_reset", user=user,
                           link="https://portfolio.invalid/reset", hours=2)


def _count(session, model, *where) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _burst(app) -> None:
    from rq import SimpleWorker

    with app.app_context():
        SimpleWorker([queue.queue], connection=queue.queue.connection).work(burst=True)
    db.session.expire_all()


def test_a_rolled_back_request_leaves_no_intent_and_queues_nothing(app, session, make):
    user = make.user(Role.APPLICANT)
    session.commit()
    documents.request_document(session, kind=DocumentKind.ORGANISATION_SUMMARY, record=user.organisation, by=user)
    _email(session, user)
    assert _count(session, JobIntent) == 2  # written in the request's transaction...
    session.rollback()
    assert _count(session, JobIntent) == 0  # ...and gone with it
    with session.begin_nested():  # and a job asked for in a savepoint that is rolled back
        _email(session, user)
        session.rollback()
    session.commit()
    assert (_count(session, JobIntent), _count(session, Document), _count(session, OutboxMessage)) == (0, 0, 0)
    assert sent_emails(app) == []
    if not queue.embedded:
        assert queue.queue.count == 0


def test_jobs_are_handed_over_even_with_a_pool_of_one_connection(app, make_app):  # (app: an empty database)
    """The hand-over takes a connection of its own, so it waits until the committed request has
    given its connection back (a request holding two would wait for ever in a full pool)."""
    small = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 0, "pool_timeout": 1})
    with small.app_context():
        user = Builders(db.session).user(Role.FINANCE)
        _email(db.session, user)
        db.session.commit()
        intent = db.session.scalar(sa.select(JobIntent))
        assert intent.dispatched_at is not None and intent.last_error is None
        if queue.embedded:
            assert [m["Subject"] for m in sent_emails(small)] == ["Message 1"]
        else:
            assert queue.queue.job_ids == [intent.job_id]
            queue.queue.empty()
        db.session.remove()


def test_the_embedded_default_runs_jobs_at_commit_and_flask_jobs_dispatch_runs_what_was_left(app, make_app):
    """No REDIS_URL: the job runs in the web process straight after the commit. An intent left
    waiting (the process died between its commit and the hand-over) runs with `flask jobs dispatch`."""
    embedded = make_app(REDIS_URL=None)
    with embedded.app_context():
        user = Builders(db.session).user(Role.FINANCE)
        _email(db.session, user)
        db.session.commit()
        assert [m["Subject"] for m in sent_emails(embedded)] == ["Message 1"]
        intent = db.session.scalar(sa.select(JobIntent))
        assert intent.dispatched_at is not None and intent.completed_at is not None

        # What a process that died between its commit and the hand-over leaves behind (an intent
        # written without queue.request, so nothing hands it over at commit):
        message = OutboxMessage(recipient=user.email, subject="Message 2", body="Hello",
                                status=OutboxStatus.PENDING)
        db.session.add(message)
        db.session.flush()
        db.session.add(JobIntent(name=JobName.DELIVER_EMAIL.value, args=[message.id], job_id="left-behind-1"))
        db.session.commit()
        assert len(sent_emails(embedded)) == 1

        result = embedded.test_cli_runner().invoke(args=["jobs", "dispatch"])
        assert result.exit_code == 0 and "1 waiting job handed to the queue." in result.output
        assert [m["Subject"] for m in sent_emails(embedded)] == ["Message 1", "Message 2"]
        again = embedded.test_cli_runner().invoke(args=["jobs", "dispatch"])
        assert "0 waiting jobs handed to the queue." in again.output and len(sent_emails(embedded)) == 2
        db.session.remove()


@pytest.fixture
def app_config(app_config, request):
    """Tests that take `redis_server` get an app whose queue is that server."""
    if "redis_server" in request.fixturenames:
        server = request.getfixturevalue("redis_server")
        return {**app_config, "REDIS_URL": server.url}
    return app_config


def test_intents_written_while_redis_was_down_are_queued_once_by_racing_dispatchers(app, session, make,
                                                                                    redis_server):
    user = make.user(Role.FINANCE)
    session.commit()
    redis_server.stop()
    for n in range(30):
        _email(session, user, n)
    session.commit()  # Redis does not answer: committed anyway, the intents wait
    assert _count(session, JobIntent, JobIntent.dispatched_at.is_(None)) == 30
    result = app.test_cli_runner().invoke(args=["jobs", "dispatch"])
    assert result.exit_code == 1 and "The queue did not answer" in result.output

    redis_server.start()
    start, queued, errors = threading.Barrier(2), [], []

    def dispatcher():
        try:
            with app.app_context():
                start.wait()
                queued.append(queue.dispatch_waiting())
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=dispatcher) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(queued) == 30 and queue.queue.count == 30  # each intent's job once, whoever took it
    session.expire_all()
    if ON_POSTGRES:  # rows claimed FOR UPDATE SKIP LOCKED: no intent was even tried by both
        attempts = session.scalar(sa.select(sa.func.sum(JobIntent.dispatch_attempts)))
        assert attempts == 30 + 2  # (+ the first one's two tries while Redis was down)
    assert _count(session, JobIntent, JobIntent.dispatched_at.is_(None)) == 0
    assert queue.dispatch_waiting() == 0

    _burst(app)
    subjects = sorted(m["Subject"] for m in sent_emails(app))
    assert subjects == sorted(f"Message {n}" for n in range(30))  # every e-mail, each once
    assert _count(session, OutboxMessage, OutboxMessage.status != OutboxStatus.SENT) == 0
    assert _count(session, JobIntent, JobIntent.completed_at.is_(None)) == 0


def test_a_job_redis_lost_is_queued_again(app, session, make, redis_server):
    user = make.user(Role.FINANCE)
    session.commit()
    _email(session, user)
    session.commit()
    assert queue.queue.count == 1  # handed over at commit...
    redis_server.stop()
    redis_server.start()  # ...and lost: Redis restarted without its data
    assert queue.queue.count == 0
    assert queue.recover_lost() == 0  # (not yet: it might still be on its way)
    assert queue.recover_lost(older_than=timedelta(0)) == 1
    assert queue.dispatch_waiting() == 1
    _burst(app)
    assert [m["Subject"] for m in sent_emails(app)] == ["Message 1"]
    assert queue.recover_lost(older_than=timedelta(0)) == 0  # completed: nothing more to find
    assert queue.dispatch_waiting() == 0
    assert len(sent_emails(app)) == 1


def test_a_worker_process_dispatches_what_waited_once_redis_is_back(app, session, make, redis_server, tmp_path):
    """`python -m workers.run` with its default intervals: Redis goes away under it (rq may quit
    its loop: workers.run starts a new worker once Redis answers), a request commits meanwhile,
    and the e-mail goes out as soon as the worker is back in touch with Redis."""
    user = make.user(Role.FINANCE)
    session.commit()
    env = {**_worker_env(app), "REDIS_URL": redis_server.url}
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen([sys.executable, "-m", "workers.run"], cwd=ROOT, env=env, stdout=out,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while b"Listening on" not in log.read_bytes():
            assert worker.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        redis_server.stop()
        _email(session, user)
        session.commit()
        time.sleep(3)  # an outage of a few seconds, while the worker keeps trying to reconnect
        redis_server.start()
        back = time.monotonic()
        while not sent_emails(app):
            assert worker.poll() is None, log.read_text()
            # rq's pause between reconnection attempts is at most 10 s (workers/run.py), and the worker
            # dispatches as soon as it is back in touch
            assert time.monotonic() - back < 15, f"not delivered 15 s after Redis came back:\n{log.read_text()}"
            time.sleep(0.2)
        delivered_after = time.monotonic() - back
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert [m["Subject"] for m in sent_emails(app)] == ["Message 1"]
    print(f"e-mail delivered {delivered_after:.1f} s after Redis came back")  # (pytest -s)
