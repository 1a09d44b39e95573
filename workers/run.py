"""Run an rq worker with the Flask app created once for the whole process.

    python -m workers.run            # work until stopped (with rq's scheduler for retries)
    python -m workers.run --burst    # work until the queue is empty, then exit

Any number of these may run, on any machines that reach the same Redis and database.

Recovery from a worker that dies mid-job (SIGKILL, OOM, lost machine): rq keeps the job in
its StartedJobRegistry with an expiry that the worker renews every job monitoring interval
(rq adds a fixed 60 s). Once the entry has expired, the next maintenance pass of any worker
(`clean_registries` -> `StartedJobRegistry.cleanup`) treats the job as abandoned and retries
it through the job's `Retry`. Two options set how soon that happens:

    --job-monitoring-interval N   (env WORKER_JOB_MONITORING_INTERVAL, default 30 s)
    --maintenance-interval N      (env WORKER_MAINTENANCE_INTERVAL, default 60 s)

An abandoned job is picked up at most about monitoring + 60 + 1.5 x maintenance seconds after
its worker died (3 minutes with the defaults), then re-run after its retry back-off.

Every worker is also a dispatcher of the job outbox (portfolio/jobqueue.py): when it starts and
then every dispatch interval while idle, it hands to rq the job intents that web processes could
not (Redis did not answer when they committed), and every maintenance interval it looks for
intents whose rq job Redis lost. Many workers may do this at once.

    --dispatch-interval N         (env WORKER_DISPATCH_INTERVAL, default 10 s)
"""

import argparse
import logging
import os
import signal
import sys
import time

import rq
from redis.exceptions import RedisError
from rq.defaults import DEFAULT_WORKER_TTL

from portfolio import create_app
from portfolio.extensions import db, queue
from portfolio.pdf import warm_up

JOB_MONITORING_INTERVAL = 30
MAINTENANCE_INTERVAL = 60
DISPATCH_INTERVAL = 10


class Dispatching:
    """An rq worker that also runs the job outbox's dispatcher, from rq's maintenance hook
    (`run_maintenance_tasks`, which rq calls at start and whenever `should_run_maintenance_tasks`
    says so, also right after Redis comes back)."""

    dispatch_interval: int = DISPATCH_INTERVAL
    # rq waits up to this long between reconnection attempts while Redis is down (its default is
    # 60 s): the time from Redis coming back to the waiting jobs being dispatched.
    max_connection_wait_time = 10.0
    _dispatched_at: float | None = None
    _redis_was_down = False
    stopping = False  # asked to stop (SIGTERM, SIGINT), as opposed to quitting on an error

    def request_stop(self, signum, frame) -> None:
        self.stopping = True
        super().request_stop(signum, frame)

    @property
    def should_run_maintenance_tasks(self) -> bool:
        return super().should_run_maintenance_tasks or self._dispatch_due()

    def _dispatch_due(self) -> bool:
        return (self._dispatched_at is None or self._redis_was_down
                or time.monotonic() - self._dispatched_at >= self.dispatch_interval)

    def heartbeat(self, *args, **kwargs) -> None:
        # rq's wait for work starts with a heartbeat: when it fails Redis is down, and once it
        # works again the jobs that waited are dispatched straight away, not an interval later.
        try:
            super().heartbeat(*args, **kwargs)
        except RedisError:
            self._redis_was_down = True
            raise

    def run_maintenance_tasks(self) -> None:
        maintenance = super().should_run_maintenance_tasks
        try:
            if maintenance:
                try:
                    super().run_maintenance_tasks()
                except RedisError as error:
                    # rq calls this outside its reconnection loop too (after a job, at start), and
                    # would quit on the error: carry on, its next Redis call waits for Redis instead.
                    self.log.warning("Worker %s: maintenance skipped, Redis did not answer: %s", self.name, error)
                    return
            self.dispatch(recover=maintenance)
        finally:
            self.release_database()

    def dispatch(self, *, recover: bool) -> None:
        self._dispatched_at = time.monotonic()
        self._redis_was_down = False
        try:
            if recover:
                queue.recover_lost()
            handed = queue.dispatch_waiting()
        except RedisError as error:
            self.log.warning("Worker %s: queue unavailable, job intents keep waiting: %s", self.name, error)
        except Exception:
            self.log.exception("Worker %s: could not dispatch job intents", self.name)
        else:
            if handed:
                self.log.info("Worker %s: dispatched %d waiting job(s)", self.name, handed)

    def release_database(self) -> None:
        """Work-horses are forked from this process: leave them no database connection of ours."""
        db.session.remove()
        db.engine.dispose()


class Worker(Dispatching, rq.Worker):
    pass


class SimpleWorker(Dispatching, rq.SimpleWorker):
    """Runs jobs in its own process (tests): nothing is forked, so the connections stay."""

    def release_database(self) -> None:
        pass


def _seconds(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of seconds >= 1, not {value!r}")
    return number


def _env_seconds(name: str, default: int) -> int:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        return _seconds(value)
    except (ValueError, argparse.ArgumentTypeError):
        raise SystemExit(f"{name} must be a whole number of seconds >= 1, not {value!r}") from None


def worker_ttl_for(maintenance_interval: int) -> int:
    """rq's worker_ttl, chosen so that an idle worker really runs maintenance on time.

    An idle rq worker blocks on Redis for `worker_ttl - 15` seconds between checks (405 s with
    rq's default worker_ttl of 420), so a shorter maintenance interval alone would not be
    honoured. Waking every half maintenance interval keeps passes at most 1.5 intervals apart.
    (Pass the shorter of the maintenance and dispatch intervals.)
    """
    return min(DEFAULT_WORKER_TTL, max(maintenance_interval // 2, 1) + 15)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    parser.add_argument(
        "--job-monitoring-interval", type=_seconds, metavar="SECONDS",
        default=_env_seconds("WORKER_JOB_MONITORING_INTERVAL", JOB_MONITORING_INTERVAL),
        help="how often a busy worker renews its job's heartbeat; a dead worker's job is "
             "abandoned this + 60 s after its last heartbeat "
             "(env WORKER_JOB_MONITORING_INTERVAL, default %(default)s)",
    )
    parser.add_argument(
        "--maintenance-interval", type=_seconds, metavar="SECONDS",
        default=_env_seconds("WORKER_MAINTENANCE_INTERVAL", MAINTENANCE_INTERVAL),
        help="how often an idle worker cleans rq's registries, re-running abandoned jobs "
             "(env WORKER_MAINTENANCE_INTERVAL, default %(default)s)",
    )
    parser.add_argument(
        "--dispatch-interval", type=_seconds, metavar="SECONDS",
        default=_env_seconds("WORKER_DISPATCH_INTERVAL", DISPATCH_INTERVAL),
        help="how often an idle worker hands job intents that are still waiting to rq "
             "(env WORKER_DISPATCH_INTERVAL, default %(default)s)",
    )
    return parser


def wait_for_redis(log: logging.Logger) -> None:
    """Return once Redis answers, trying again with a growing pause (at most
    `Worker.max_connection_wait_time`). SIGTERM stops the process meanwhile."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # no worker to shut down warmly yet
    pause = 1.0
    while True:
        try:
            queue.ping()
            return
        except RedisError as error:
            log.warning("Redis did not answer (%s): trying again in %.0f s", error, pause)
        time.sleep(pause)
        pause = min(pause * 2, Worker.max_connection_wait_time)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    app = create_app()
    log = logging.getLogger("rq.worker")
    with app.app_context():
        if queue.embedded:
            print("REDIS_URL is not set: the embedded default runs jobs in the web process.", file=sys.stderr)
            return 2
        warm_up()
        while True:
            wait_for_redis(log)
            worker = Worker(
                [queue.queue],
                connection=queue.queue.connection,
                job_monitoring_interval=args.job_monitoring_interval,
                maintenance_interval=args.maintenance_interval,
                worker_ttl=worker_ttl_for(min(args.maintenance_interval, args.dispatch_interval)),
            )
            worker.dispatch_interval = args.dispatch_interval
            try:
                worker.work(burst=args.burst, with_scheduler=True)
            except RedisError as error:  # from rq's own start or teardown
                log.warning("Worker %s: Redis did not answer: %s", worker.name, error)
            if args.burst or worker.stopping:
                return 0
            # rq quits when Redis fails outside its own reconnection loop (after a job, between
            # maintenance and waiting): then start a new worker once Redis answers. Any other
            # reason to quit is a real fault, for the process manager to see.
            try:
                queue.ping()
            except RedisError:
                if worker.pubsub_thread is not None:
                    worker.pubsub_thread.stop()  # (its UNSUBSCRIBE would need Redis)
                continue
            return 1


if __name__ == "__main__":
    sys.exit(main())
