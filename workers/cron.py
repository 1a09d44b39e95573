"""rq's cron scheduler configuration: `rq cron workers.cron --url "$REDIS_URL"`.

Run one of these, from the project root, alongside the workers: it only enqueues the jobs and
the workers run them. Each `rq cron` process keeps its own schedule, so a second one would
enqueue every job twice: harmless here (expiry and reminders are idempotent) but wasted. Without
Redis, run `flask offers expire` and `flask returns remind` from the system's cron instead (see
the README).
"""

import os

from rq import cron

from workers import jobs

QUEUE = os.environ.get("RQ_QUEUE", "portfolio")

cron.register(jobs.expire_offers, QUEUE, cron="5 * * * *")  # five past every hour
cron.register(jobs.send_return_reminders, QUEUE, cron="0 7 * * *")  # 07:00 every day
