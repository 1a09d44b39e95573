"""Run an rq worker with the Flask app created once for the whole process.

    python -m workers.run            # work until stopped (with rq's scheduler for retries)
    python -m workers.run --burst    # work until the queue is empty, then exit

Any number of these may run, on any machines that reach the same Redis and database.
"""

import argparse
import sys

from rq import Worker

from portfolio import create_app
from portfolio.extensions import queue


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    args = parser.parse_args(argv)
    app = create_app()
    with app.app_context():
        if queue.embedded:
            print("REDIS_URL is not set: the embedded default runs jobs in the web process.", file=sys.stderr)
            return 2
        worker = Worker([queue.queue], connection=queue.queue.connection)
        worker.work(burst=args.burst, with_scheduler=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
