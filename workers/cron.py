"""rq's cron scheduler configuration: `rq cron workers.cron --url "$REDIS_URL"`.

Run one of these, from the project root, alongside the workers: it only enqueues the jobs and
the workers run them. Each `rq cron` process keeps its own schedule, so a second one would
enqueue every job twice: harmless here (every job is idempotent) but wasted. Without Redis, run
`flask offers expire`, `flask returns remind`, `flask audit checkpoint` and `flask jobs dispatch` from the system's cron
instead (see the README). Every entry runs through `workers.jobs.run` under its job name.
"""

import os

from rq import cron

from portfolio.jobqueue import JobName
from workers import jobs

QUEUE = os.environ.get("RQ_QUEUE", "portfolio")



def _register(name: JobName, **schedule) -> None:
    cron.register(jobs.run, QUEUE, args=(name.value,), name=name.value, **schedule)


_register(JobName.EXPIRE_OFFERS, cron="5 * * * *")  # five past every hour
_register(JobName.SEND_RETURN_REMINDERS, cron="0 7 * * *")  # 07:00 every day
_register(JobName.CHECKPOINT_AUDIT, cron="30 6 * * *")  # 06:30 every day: the audit chain's head, e-mailed
# Job intents still waiting for Redis, or lost by it (every worker does this too, more often).
_register(JobName.DISPATCH_JOBS, interval=60)
