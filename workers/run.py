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
"""

import argparse
import os
import sys

from rq import Worker
from rq.defaults import DEFAULT_WORKER_TTL

from portfolio import create_app
from portfolio.extensions import queue
from portfolio.pdf import warm_up

JOB_MONITORING_INTERVAL = 30
MAINTENANCE_INTERVAL = 60


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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    app = create_app()
    with app.app_context():
        if queue.embedded:
            print("REDIS_URL is not set: the embedded default runs jobs in the web process.", file=sys.stderr)
            return 2
        worker = Worker(
            [queue.queue],
            connection=queue.queue.connection,
            job_monitoring_interval=args.job_monitoring_interval,
            maintenance_interval=args.maintenance_interval,
            worker_ttl=worker_ttl_for(args.maintenance_interval),
        )
        warm_up()
        worker.work(burst=args.burst, with_scheduler=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
