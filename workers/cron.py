"""rq's cron scheduler configuration: `rq cron workers.cron --url "$REDIS_URL"`.

Run one of these alongside the workers (any number of `rq cron` processes may run: rq keeps
one job per schedule). It enqueues the jobs; the workers run them. Without Redis, run
`flask offers expire` from the system's cron instead (see the README).
"""

import os

from rq import cron

from workers import jobs

QUEUE = os.environ.get("RQ_QUEUE", "portfolio")

cron.register(jobs.expire_offers, QUEUE, cron="5 * * * *")  # five past every hour
