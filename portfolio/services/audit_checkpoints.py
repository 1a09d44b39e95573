"""Checkpoints of the audit chain's head, so that removing the newest events is noticed.

The hash chain (services/audit.py) shows an event altered or removed in the middle, but not the
newest ones removed: what is left is still a valid chain. A checkpoint records how many events there
were and the newest one's hash. It is made daily (workers/cron.py) and on demand
(`flask audit checkpoint`), kept in `audit_checkpoints` (append-only; the application's database
role may only add to it) and e-mailed to every active administrator, so a copy lives outside the
database. `audit.verify_chain` then fails when the chain no longer reaches a checkpoint.
"""

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.models import AuditCheckpoint, AuditEvent, Role, User
from portfolio.models.base import utcnow
from portfolio.services import audit, mail


def make(session: Session, *, made_by: str) -> tuple[AuditCheckpoint, list[str]]:
    """Record the chain's head now (under the chain's writer lock, so no event is half-counted),
    audit it and e-mail it to the active administrators. Returns the checkpoint and the addresses
    it goes to. Flushes; the caller commits."""
    audit.lock_chain(session)
    count = session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    head = session.execute(sa.select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).first()
    checkpoint = AuditCheckpoint(made_at=utcnow(), made_by=made_by, event_count=count,
                                 head_event_id=head.id if head else None,
                                 head_hash=head.hash if head else audit.GENESIS_HASH)
    session.add(checkpoint)
    session.flush()
    audit.record(session, actor=None, actor_label=made_by, action="audit.checkpointed", entity=checkpoint,
                 after={"event_count": count, "head_event_id": checkpoint.head_event_id,
                        "head_hash": checkpoint.head_hash})
    administrators = list(session.scalars(sa.select(User).where(User.role == Role.ADMIN, User.is_active.is_(True))
                                          .order_by(User.id)))
    for administrator in administrators:
        mail.send_email(session, to=administrator.email, subject=f"Audit checkpoint {checkpoint.id}: "
                        f"{count} event{'' if count == 1 else 's'}", template="audit_checkpoint",
                        user=administrator, checkpoint=checkpoint,
                        link=mail.external_url("admin.audit_log"))
    return checkpoint, [administrator.email for administrator in administrators]


def latest(session: Session, *, limit: int) -> list[AuditCheckpoint]:
    """The newest checkpoints first."""
    return list(session.scalars(sa.select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(limit)))
