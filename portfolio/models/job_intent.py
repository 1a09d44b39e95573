from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portfolio.models.base import Base, TimestampMixin


class JobIntent(TimestampMixin, Base):
    """A background job asked for by a change, written in the same transaction (the transactional
    outbox, portfolio/jobqueue.py). Handed to rq after the commit, or later by the dispatcher when
    Redis did not answer. Where it is comes from its timestamps: dispatched_at NULL = waiting for
    Redis; completed_at set = the job ran to its end (succeeded, or failed with no retries left)."""

    __tablename__ = "job_intents"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64))  # a portfolio.jobqueue.JobName value
    args: Mapped[list] = mapped_column(sa.JSON)
    # The rq job id, fixed when the intent is written: every hand-over of this intent uses it,
    # and rq refuses a second job with the same id (unique=True).
    job_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    retry_max: Mapped[int] = mapped_column(default=0)
    retry_intervals: Mapped[list | None] = mapped_column(sa.JSON)  # seconds before each retry
    dispatched_at: Mapped[datetime | None] = mapped_column(index=True)
    dispatch_attempts: Mapped[int] = mapped_column(default=0)
    completed_at: Mapped[datetime | None] = mapped_column(index=True)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
