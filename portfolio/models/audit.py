from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portfolio.models.base import Base, utcnow


class AuditEvent(Base):
    """One append-only, hash-chained audit record.

    `hash` covers every other field and the previous event's hash, so editing or deleting
    any event breaks the chain from that point (`flask audit verify`). Database triggers
    (see the migration) refuse UPDATE and DELETE on this table.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column()
    actor_label: Mapped[str] = mapped_column(sa.String(254))
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    entity_type: Mapped[str] = mapped_column(sa.String(64))
    entity_id: Mapped[str | None] = mapped_column(sa.String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)

    __table_args__ = (sa.Index("ix_audit_events_entity", "entity_type", "entity_id"),)


class AuditCheckpoint(Base):
    """The audit chain's head at a moment: how many events there were and the newest one's hash.

    Made daily and on demand (`flask audit checkpoint`), e-mailed to the administrators so a copy
    lives outside the database, and append-only like the events (triggers; on PostgreSQL the
    application role may only INSERT and SELECT). `flask audit verify` fails when the chain no
    longer reaches a checkpoint: events behind it were removed, even the newest ones.
    """

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    made_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    made_by: Mapped[str] = mapped_column(sa.String(254))
    event_count: Mapped[int] = mapped_column()
    head_event_id: Mapped[int | None] = mapped_column()
    head_hash: Mapped[str] = mapped_column(sa.String(64))
