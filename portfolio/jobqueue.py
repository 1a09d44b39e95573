"""Background jobs through rq, behind a transactional outbox: a job is never lost.

Services ask for a job by its name, `queue.request(session, JobName.DELIVER_EMAIL, message.id)`.
That writes a `job_intents` row in the same transaction as the change that needs the job, so a
rolled-back request asks for nothing and a committed one cannot lose its job:

- After the commit the intent is handed to rq at once and marked dispatched. If Redis does not
  answer, the error is logged and the intent waits (`dispatched_at` NULL): the user's request
  still succeeds.
- The dispatcher (`JobQueue.dispatch_waiting`) hands waiting intents to rq once Redis is back.
  Every worker runs it (workers/run.py), and so do `flask jobs dispatch` and the rq cron
  schedule (workers/cron.py). `recover_lost` finds intents whose rq job vanished (Redis restarted
  without its data) and lets the dispatcher queue them again.
- Each intent has its own rq job id, fixed when it is written, and is handed over with rq's
  `unique=True`: two dispatchers, a web process and a dispatcher, or a user's *Try again* never
  make a second rq job for one intent. Rows are claimed with `FOR UPDATE SKIP LOCKED` on
  PostgreSQL. The jobs themselves stay idempotent.

Every rq job runs one entry point, `workers.jobs.run(name, *args)`, named by its dotted path and
never imported here: workers/jobs.py registers a function under each `JobName`
(`@registry.job(JobName.X)`), so nothing under portfolio/ imports `workers`, and jobs queued
before a deploy find their code after it.

Without REDIS_URL (the embedded default) the queue is rq's synchronous mode on an in-memory
fakeredis connection: the jobs run in the web process straight after the commit that asked for
them, each in a fresh app context (its own database session, as in a worker).
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any, Callable

import fakeredis
import sqlalchemy as sa
from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Callback, Queue, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import event
from sqlalchemy.orm import Session

from portfolio.models.base import utcnow
from portfolio.models.job_intent import JobIntent


class JobName(StrEnum):
    """Every background job. workers/jobs.py registers the function behind each name."""

    RENDER_DOCUMENT = "render_document"
    DELIVER_EMAIL = "deliver_email"
    EXPIRE_OFFERS = "expire_offers"
    SEND_RETURN_REMINDERS = "send_return_reminders"
    DISPATCH_JOBS = "dispatch_jobs"
    CHECKPOINT_AUDIT = "checkpoint_audit"


# What rq calls, by dotted path: the same for every job and every release.
ENTRY_POINT = "workers.jobs.run"
FAILURE_CALLBACK = "workers.jobs.failed"

PENDING_KEY = "portfolio_job_intents"
COMMITTED_KEY = "portfolio_job_intents_committed"
DISPATCH_BATCH = 100
# An intent handed over this long ago, not completed and with no rq job left, was lost by Redis.
LOST_AFTER = timedelta(minutes=2)
# Web processes talk to Redis only to hand jobs over: fail fast, the intent waits instead.
REDIS_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
# rq statuses of a job that will still run.
_ALIVE = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED, JobStatus.DEFERRED}


class UnknownJob(LookupError):
    """No function is registered under this job name."""


class JobRegistry:
    """The functions behind the job names, filled by workers/jobs.py."""

    def __init__(self) -> None:
        self._jobs: dict[str, Callable] = {}
        self._failure_handlers: dict[str, Callable] = {}

    def job(self, name: JobName) -> Callable[[Callable], Callable]:
        def register(func: Callable) -> Callable:
            self._jobs[JobName(name)] = func
            return func

        return register

    def on_failure(self, name: JobName) -> Callable[[Callable], Callable]:
        """Register `handler(*args, retrying: bool)`, called when a run of the job fails or its
        worker died in the middle of it."""

        def register(handler: Callable) -> Callable:
            self._failure_handlers[JobName(name)] = handler
            return handler

        return register

    def get(self, name: str) -> Callable:
        try:
            return self._jobs[name]
        except KeyError:
            raise UnknownJob(f"no job is registered as {name!r}") from None

    def failure_handler(self, name: str) -> Callable | None:
        return self._failure_handlers.get(name)


registry = JobRegistry()


@dataclass(frozen=True)
class _Handover:
    """What rq needs to run one intent, read while its row is loaded."""

    id: int
    name: str
    args: list
    job_id: str
    retry_max: int
    retry_intervals: list | None

    @classmethod
    def of(cls, intent: JobIntent) -> "_Handover":
        return cls(intent.id, intent.name, list(intent.args), intent.job_id, intent.retry_max,
                   intent.retry_intervals)


def _engine() -> sa.Engine:
    return current_app.extensions["sqlalchemy"].engine


class JobQueue:
    def __init__(self) -> None:
        self._listening = False

    def init_app(self, app: Flask) -> None:
        url = app.config.get("REDIS_URL")
        if url:
            connection = Redis.from_url(url, **REDIS_OPTIONS)
            is_async = True
        else:
            connection = fakeredis.FakeRedis(server=fakeredis.FakeServer())
            is_async = False
        app.extensions["portfolio_queue"] = Queue(
            app.config["RQ_QUEUE"], connection=connection, is_async=is_async
        )
        if not self._listening:
            event.listen(Session, "after_commit", self._after_commit)
            event.listen(Session, "after_rollback", self._after_rollback)
            event.listen(Session, "after_transaction_end", self._after_transaction_end)
            self._listening = True

    @property
    def queue(self) -> Queue:
        return current_app.extensions["portfolio_queue"]

    @property
    def embedded(self) -> bool:
        return not self.queue.is_async

    def ping(self) -> bool:
        return bool(self.queue.connection.ping())

    # Asking for jobs (services) ------------------------------------------------------------

    def request(self, session: Session, name: JobName, *args: Any, retry: Retry | None = None) -> JobIntent:
        """Ask for a job in the caller's transaction; it is handed to rq once that commits.
        `args` must be JSON values (ids, not objects)."""
        name = JobName(name)
        intent = JobIntent(name=name.value, args=list(args), job_id=f"{name.value}-{uuid.uuid4().hex}",
                           retry_max=retry.max if retry else 0,
                           retry_intervals=list(retry.intervals) if retry else None)
        session.add(intent)
        session.flush()
        session.info.setdefault(PENDING_KEY, {})[intent.id] = False
        return intent

    def request_again(self, session: Session, job_id: str | None) -> JobIntent | None:
        """Hand an intent to rq again once the caller commits (a user's *Try again*). If its rq job
        is still queued, scheduled or running nothing changes; if it vanished or ended, the same job
        id is queued anew. Returns None when there is no intent with this job id."""
        intent = session.scalar(sa.select(JobIntent).where(JobIntent.job_id == job_id)) if job_id else None
        if intent is None:
            return None
        intent.dispatched_at = None
        intent.completed_at = None
        session.flush()
        session.info.setdefault(PENDING_KEY, {})[intent.id] = True
        return intent

    def waiting(self, session: Session, job_id: str | None) -> bool:
        """True while the intent with this job id has not reached rq (Redis did not answer)."""
        if not job_id:
            return False
        return session.scalar(sa.select(sa.func.count()).select_from(JobIntent).where(
            JobIntent.job_id == job_id, JobIntent.dispatched_at.is_(None),
            JobIntent.completed_at.is_(None))) > 0

    # Handing intents to rq --------------------------------------------------------------------

    def _after_rollback(self, session: Session) -> None:
        session.info.pop(PENDING_KEY, None)

    def _after_commit(self, session: Session) -> None:
        pending = session.info.pop(PENDING_KEY, None)
        if pending:
            session.info[COMMITTED_KEY] = pending

    def _after_transaction_end(self, session: Session, transaction) -> None:
        # Handed over once the committed transaction has given its connection back to the pool:
        # the hand-over takes one of its own, and a request must never hold two (a pool full of
        # requests each waiting for a second connection would wait for ever).
        if transaction.parent is not None:
            return
        session.info.pop(PENDING_KEY, None)  # asked for in a transaction that ended uncommitted
        pending: dict[int, bool] = session.info.pop(COMMITTED_KEY, None)
        if not pending:
            return
        try:
            self._hand_over(_engine(), ids=list(pending), force={i for i, forced in pending.items() if forced})
        except RedisError:
            pass  # logged by _hand_over: the intents wait for the dispatcher
        except Exception:  # the change is committed: never turn it into an error page
            current_app.logger.exception("could not hand jobs %s to the queue; the dispatcher will", list(pending))

    def dispatch_waiting(self) -> int:
        """Hand every waiting intent to rq, oldest first; returns how many jobs rq took (an intent
        whose job rq already had counts as dispatched, not as taken).

        :raise redis.exceptions.RedisError: Redis did not answer (what was handed over before
            stays dispatched; the rest keeps waiting).
        """
        total = 0
        while True:
            seen, queued = self._hand_over(_engine(), limit=DISPATCH_BATCH)
            total += queued
            if seen < DISPATCH_BATCH:
                return total

    def _hand_over(self, engine: sa.Engine, *, ids: list[int] | None = None, force: set[int] = frozenset(),
                   limit: int | None = None) -> tuple[int, int]:
        """Hand waiting intents to rq: (how many were dispatched, how many jobs rq took)."""
        waiting = sa.select(JobIntent).where(JobIntent.dispatched_at.is_(None), JobIntent.completed_at.is_(None))
        if ids is not None:
            waiting = waiting.where(JobIntent.id.in_(ids))
        waiting = waiting.order_by(JobIntent.id).limit(limit)
        if not self.queue.is_async:
            return self._run_inline(engine, waiting, force)
        seen = queued = 0
        with Session(engine) as session:
            # Claimed rows are skipped by other dispatchers until this transaction ends.
            for intent in session.scalars(waiting.with_for_update(skip_locked=True)).all():
                intent.dispatch_attempts += 1
                try:
                    queued += self._enqueue(_Handover.of(intent), force=intent.id in force)
                except RedisError as error:
                    intent.last_error = f"The queue did not answer: {type(error).__name__}: {error}"
                    session.commit()
                    current_app.logger.warning("queue unavailable (%s): job %s waits for the dispatcher",
                                               error, intent.job_id)
                    raise
                intent.dispatched_at = utcnow()
                seen += 1
            session.commit()
        return seen, queued

    def _run_inline(self, engine: sa.Engine, waiting: sa.Select, force: set[int]) -> tuple[int, int]:
        """Embedded mode: rq's synchronous queue runs each job as it is handed over. No row stays
        locked meanwhile: the job writes to the database on its own connection."""
        with Session(engine) as session:
            handovers = [_Handover.of(intent) for intent in session.scalars(waiting)]
        app = current_app._get_current_object()
        queued = 0
        for handover in handovers:
            with app.app_context():  # the job's own database session, as in a worker
                queued += self._enqueue(handover, force=handover.id in force)
            with Session(engine) as session, session.begin():
                session.execute(sa.update(JobIntent).where(JobIntent.id == handover.id).values(
                    dispatched_at=utcnow(), dispatch_attempts=JobIntent.dispatch_attempts + 1))
        return len(handovers), queued

    def _enqueue(self, handover: _Handover, *, force: bool = False) -> bool:
        """Give rq the intent's job; False if rq already had it."""
        queue = self.queue
        options: dict[str, Any] = {"job_id": handover.job_id, "unique": True,
                                   "on_failure": Callback(FAILURE_CALLBACK)}
        if handover.retry_max and queue.is_async:
            options["retry"] = Retry(max=handover.retry_max, interval=handover.retry_intervals or 0)
        try:
            queue.enqueue(ENTRY_POINT, handover.name, *handover.args, **options)
            return True
        except DuplicateJobError:
            # rq already has this intent's job: handed over before (another dispatcher, or a
            # hand-over whose mark was lost). Only a forced hand-over replaces one that ended.
            if not force:
                return False
            try:
                existing = Job.fetch(handover.job_id, connection=queue.connection)
            except NoSuchJobError:
                existing = None
            if existing is not None:
                if existing.get_status() in _ALIVE:
                    return False
                existing.delete()
            queue.enqueue(ENTRY_POINT, handover.name, *handover.args, **options)
            return True

    def recover_lost(self, *, older_than: timedelta = LOST_AFTER) -> int:
        """Intents handed to rq a while ago that never completed: if rq no longer has their job
        (Redis restarted without its data, or evicted it), they wait again for the dispatcher; if
        rq finished it or failed it for good, they are marked completed. Returns how many were lost.

        :raise redis.exceptions.RedisError: Redis did not answer.
        """
        if self.embedded:
            return 0  # jobs run at hand-over: nothing is ever left in the embedded queue
        lost = 0
        with Session(_engine()) as session:
            intents = session.scalars(
                sa.select(JobIntent)
                .where(JobIntent.dispatched_at < utcnow() - older_than, JobIntent.completed_at.is_(None))
                .order_by(JobIntent.dispatched_at).limit(DISPATCH_BATCH).with_for_update(skip_locked=True)
            ).all()
            for intent in intents:
                try:
                    status = Job.fetch(intent.job_id, connection=self.queue.connection).get_status()
                except NoSuchJobError:
                    intent.dispatched_at = None
                    intent.last_error = "The queue lost this job; it was queued again"
                    current_app.logger.warning("job %s was lost by the queue: queued again", intent.job_id)
                    lost += 1
                    continue
                if status not in _ALIVE:
                    intent.completed_at = utcnow()
                    if status is not JobStatus.FINISHED:
                        intent.last_error = intent.last_error or f"The job ended as {status.value}"
            session.commit()
        return lost

    # Outcomes (workers/jobs.py) --------------------------------------------------------------

    def record_outcome(self, session: Session, job_id: str, *, error: str | None = None,
                       final: bool = True) -> None:
        """A run of the intent's job ended: completed (final), or failed with retries left. Commits."""
        values: dict[str, Any] = {"last_error": error}
        if final:
            values["completed_at"] = utcnow()
        session.execute(sa.update(JobIntent).where(JobIntent.job_id == job_id).values(**values))
        session.commit()
