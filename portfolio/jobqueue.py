"""Background jobs through rq, enqueued only after the database commit.

With REDIS_URL set, jobs go to Redis and separate `rq worker` processes run them.
Without it (the embedded default) the same job functions run through rq's synchronous
mode on an in-memory fakeredis connection, in the web process, straight after the commit
that asked for them: nothing extra to install or start on a laptop.

Services call `queue.enqueue_after_commit(func, id)`. The job is held on the SQLAlchemy
session and handed to rq by an `after_commit` hook, so a worker never looks for a row
that is not committed yet, and a rolled-back request enqueues nothing.
"""

from dataclasses import dataclass, field
from typing import Any, Callable

import fakeredis
from flask import Flask, current_app
from redis import Redis
from rq import Queue, Retry
from sqlalchemy import event
from sqlalchemy.orm import Session

PENDING_KEY = "portfolio_pending_jobs"


@dataclass
class PendingJob:
    func: Callable
    args: tuple
    job_id: str | None = None
    retry: Retry | None = None
    options: dict = field(default_factory=dict)


class JobQueue:
    def __init__(self) -> None:
        self._listening = False

    def init_app(self, app: Flask) -> None:
        url = app.config.get("REDIS_URL")
        if url:
            connection = Redis.from_url(url)
            is_async = True
        else:
            connection = fakeredis.FakeRedis(server=fakeredis.FakeServer())
            is_async = False
        app.extensions["portfolio_queue"] = Queue(
            app.config["RQ_QUEUE"], connection=connection, is_async=is_async
        )
        if not self._listening:
            event.listen(Session, "after_commit", _after_commit)
            event.listen(Session, "after_rollback", _after_rollback)
            self._listening = True

    @property
    def queue(self) -> Queue:
        return current_app.extensions["portfolio_queue"]

    @property
    def embedded(self) -> bool:
        return not self.queue.is_async

    def enqueue_after_commit(
        self,
        session: Session,
        func: Callable,
        *args: Any,
        job_id: str | None = None,
        retry: Retry | None = None,
        **options: Any,
    ) -> None:
        pending = session.info.setdefault(PENDING_KEY, [])
        pending.append(PendingJob(func, args, job_id, retry, options))

    def ping(self) -> bool:
        return bool(self.queue.connection.ping())


def _after_rollback(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)


def _after_commit(session: Session) -> None:
    pending: list[PendingJob] = session.info.pop(PENDING_KEY, [])
    if not pending:
        return
    app = current_app._get_current_object()
    queue: Queue = app.extensions["portfolio_queue"]
    for job in pending:
        kwargs = dict(job.options)
        if job.job_id:
            kwargs["job_id"] = job.job_id
        if job.retry and queue.is_async:
            kwargs["retry"] = job.retry
        if queue.is_async:
            queue.enqueue(job.func, *job.args, **kwargs)
        else:
            # Synchronous run: a fresh app context gives the job its own database session,
            # as a worker process would have, instead of this just-committed one.
            with app.app_context():
                queue.enqueue(job.func, *job.args, **kwargs)
