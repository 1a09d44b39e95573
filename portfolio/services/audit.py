"""Append-only, hash-chained audit events.

Each event's hash is SHA-256 over its own fields and the previous event's hash. Writers
take a transaction-scoped lock (PostgreSQL advisory lock; SQLite serialises writers) so
two requests never chain onto the same predecessor.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.models import AuditCheckpoint, AuditEvent, User
from portfolio.models.base import utcnow

GENESIS_HASH = "0" * 64
_ADVISORY_LOCK_KEY = 724_520_001  # any constant shared by every writer of the chain


def _plain(value: Any) -> Any:
    """JSON-safe copy (Decimal, dates and enums become strings), as it will be stored."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=str, sort_keys=True))


def compute_hash(event: AuditEvent) -> str:
    payload = {
        "prev_hash": event.prev_hash,
        "occurred_at": event.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "entity_type": event.entity_type,
        "entity_id": event.entity_id,
        "before": event.before,
        "after": event.after,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def lock_chain(session: Session) -> None:
    """Hold the chain's writer lock until the transaction ends (SQLite serialises writers itself)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(_ADVISORY_LOCK_KEY)))


def record(
    session: Session,
    *,
    actor: User | None,
    action: str,
    entity: Any = None,
    entity_type: str | None = None,
    entity_id: Any = None,
    before: dict | None = None,
    after: dict | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    """Append one event to the chain. `entity` gives type and id from a model instance."""
    if entity is not None:
        session.flush()  # the entity needs its id
        entity_type = entity_type or entity.__tablename__
        entity_id = entity_id if entity_id is not None else getattr(entity, "id", None)
    lock_chain(session)
    prev_hash = session.scalar(
        sa.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ) or GENESIS_HASH
    event = AuditEvent(
        occurred_at=utcnow(),
        actor_id=actor.id if actor else None,
        actor_label=actor_label or (actor.email if actor else "system"),
        action=action,
        entity_type=entity_type or "",
        entity_id=None if entity_id is None else str(entity_id),
        before=_plain(before),
        after=_plain(after),
        prev_hash=prev_hash,
    )
    event.hash = compute_hash(event)
    session.add(event)
    session.flush()
    return event


def events_of(session: Session, entity: Any) -> list[AuditEvent]:
    """A record's own history, oldest first."""
    return list(session.scalars(sa.select(AuditEvent).where(
        AuditEvent.entity_type == entity.__tablename__, AuditEvent.entity_id == str(entity.id)).order_by(AuditEvent.id)))


def database_answers(session: Session) -> None:
    """Ask the database a trivial question (the health check); raises when it does not answer."""
    session.execute(sa.text("SELECT 1"))


def latest(session: Session, *, limit: int) -> list[AuditEvent]:
    """The newest events first."""
    return list(session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)))


@dataclass
class ChainReport:
    checked: int
    broken_at: int | None = None  # the first event that does not hold, when there is one
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None

    @property
    def message(self) -> str:
        if self.ok:
            return f"Audit chain intact: {self.checked} events verified."
        if self.broken_at is None:
            return f"Audit chain BROKEN: {self.reason}."
        return (f"Audit chain BROKEN at event {self.broken_at}: {self.reason} "
                f"({self.checked} events verified before it).")


def _describe(checkpoint: AuditCheckpoint) -> str:
    return (f"checkpoint {checkpoint.id} of {checkpoint.made_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC "
            f"({checkpoint.event_count} events, the newest with hash {checkpoint.head_hash[:12]}…)")


def verify_chain(session: Session) -> ChainReport:
    """Walk every event in order; report the first whose hash or link does not hold, or the first
    checkpoint the chain no longer reaches (events up to it were removed, the newest ones included)."""
    checkpoints: dict[int, list[AuditCheckpoint]] = {}
    for checkpoint in session.scalars(sa.select(AuditCheckpoint).order_by(AuditCheckpoint.id)):
        checkpoints.setdefault(checkpoint.event_count, []).append(checkpoint)
    checkpoints.pop(0, None)  # made when there were no events: every chain reaches it
    expected_prev = GENESIS_HASH
    checked = 0
    events = session.scalars(
        sa.select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=1000)
    )
    try:
        for event in events:
            if event.prev_hash != expected_prev:
                return ChainReport(checked, event.id, "link to the previous event is broken "
                                   "(an event was removed or reordered)")
            if compute_hash(event) != event.hash:
                return ChainReport(checked, event.id, "contents do not match the recorded hash "
                                   "(the event was altered)")
            expected_prev = event.hash
            checked += 1
            for checkpoint in checkpoints.pop(checked, ()):
                if checkpoint.head_hash != event.hash:
                    return ChainReport(checked - 1, event.id, f"it is event number {checked} but does not have the "
                                       f"hash of {_describe(checkpoint)}: events up to it were removed or replaced")
    finally:
        events.close()
    if checkpoints:
        checkpoint = checkpoints[min(checkpoints)][0]
        return ChainReport(checked, None, f"events are missing: {_describe(checkpoint)}, but only {checked} "
                           f"remain (the newest {checkpoint.event_count - checked} were removed)")
    return ChainReport(checked)
