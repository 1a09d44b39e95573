"""Server-side sessions: one row per signed-in browser, so a session can be ended on the server.

The browser's cookie holds a random key; the database holds its hash. A request is signed in only
while its key's row is open, the person is active, and neither the idle timeout (staff sooner than
companies) nor the absolute lifetime has passed. Signing out, a password reset, a change of role or
deactivation, the person ("sign out of my other sessions") and an administrator end rows; a copied
cookie then stops working wherever it is used.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from portfolio.models import User, UserSession
from portfolio.models.base import utcnow
from portfolio.services import audit
from portfolio.services.passwords import new_token, token_hash

# last_seen_at is written at most this often, so browsing is not a write per request.
TOUCH_EVERY = timedelta(seconds=60)

# The key in the browser's (signed) Flask session that names its server-side session.
SESSION_KEY = "session_key"


class Ended:
    """Why a session ended (kept on the row and shown to the person)."""

    SIGNED_OUT = "signed out"
    IDLE = "inactive"
    EXPIRED = "too old"
    BY_OWNER = "ended by you"
    BY_ADMIN = "ended by an administrator"
    PASSWORD_CHANGED = "password changed"
    ROLE_CHANGED = "role changed"
    DEACTIVATED = "account deactivated"
    SECOND_FACTOR_RESET = "second factor reset"
    REPLACED = "replaced"


@dataclass(frozen=True)
class Check:
    """The outcome of looking a cookie's key up: the open session, or why there is none."""

    row: UserSession | None
    ended_reason: str | None = None


def idle_limit(user: User) -> timedelta:
    key = "SESSION_IDLE_MINUTES_STAFF" if user.role.is_staff else "SESSION_IDLE_MINUTES_COMPANY"
    return timedelta(minutes=current_app.config[key])


def absolute_limit() -> timedelta:
    return timedelta(hours=current_app.config["SESSION_ABSOLUTE_HOURS"])


def start(session: Session, *, user: User, user_agent: str = "", ip_address: str = "",
          second_factor_at: datetime | None = None) -> tuple[UserSession, str]:
    """Open a session for `user`; returns it and the key for the cookie (shown nowhere else)."""
    key, hashed = new_token()
    now = utcnow()
    row = UserSession(
        key_hash=hashed, user=user, created_at=now, last_seen_at=now, second_factor_at=second_factor_at,
        user_agent=(user_agent or "")[:200], ip_address=(ip_address or "")[:45],
    )
    session.add(row)
    session.flush()
    return row, key


def replace(row: UserSession) -> None:
    """The browser signs in again: its old session ends (its new one starts with a new key)."""
    _close(row, Ended.REPLACED)


def check(session: Session, key: str | None) -> Check:
    """The open session for a cookie's key. A session past its idle timeout or absolute lifetime is
    ended here (and the reason returned); recent use is recorded at most once a minute."""
    if not key:
        return Check(None)
    row = session.scalar(sa.select(UserSession).where(UserSession.key_hash == token_hash(key)))
    if row is None or row.ended_at is not None:
        return Check(None, row.ended_reason if row else None)
    if not row.user.is_active:
        _close(row, Ended.DEACTIVATED)
        return Check(None, Ended.DEACTIVATED)
    now = utcnow()
    if now - row.created_at > absolute_limit():
        _close(row, Ended.EXPIRED, at=now)
        return Check(None, Ended.EXPIRED)
    if now - row.last_seen_at > idle_limit(row.user):
        _close(row, Ended.IDLE, at=now)
        return Check(None, Ended.IDLE)
    if now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
    return Check(row)


def second_factor_given(session: Session, row: UserSession) -> None:
    """The person gave their second factor again in this session (re-authentication)."""
    row.second_factor_at = utcnow()


def second_factor_within(row: UserSession, window: timedelta) -> bool:
    """Was the second factor given in this session within `window`?"""
    return row.second_factor_at is not None and utcnow() - row.second_factor_at < window


def open_sessions(session: Session, user: User) -> list[UserSession]:
    """The person's sessions that have not ended (newest use first)."""
    return list(session.scalars(
        sa.select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    ))


def find_open(session: Session, *, user: User, session_id: int) -> UserSession | None:
    """One of the person's open sessions by its number (None when it is not theirs or has ended)."""
    row = session.get(UserSession, session_id)
    if row is None or row.user_id != user.id or row.ended_at is not None:
        return None
    return row


def sign_out(session: Session, row: UserSession | None, *, user: User) -> None:
    if row is not None:
        _close(row, Ended.SIGNED_OUT)
    audit.record(session, actor=user, action="user.logout", entity=user)


def end(session: Session, row: UserSession, *, by: User) -> None:
    """End one session: the person's own (from their list) or anyone's (an administrator)."""
    reason = Ended.BY_OWNER if by.id == row.user_id else Ended.BY_ADMIN
    _close(row, reason)
    audit.record(session, actor=by, action="session.ended", entity=row.user,
                 after={"session_id": row.id, "reason": reason})


def end_all(session: Session, user: User, *, by: User | None, reason: str,
            keep: UserSession | None = None) -> int:
    """End every open session of `user` (but `keep`); returns how many. Audited when someone asked
    for it; the password, role and deactivation changes that call this audit themselves."""
    ended = 0
    for row in open_sessions(session, user):
        if keep is not None and row.id == keep.id:
            continue
        _close(row, reason)
        ended += 1
    if reason in (Ended.BY_OWNER, Ended.BY_ADMIN) and ended:
        audit.record(session, actor=by, action="session.ended", entity=user,
                     after={"sessions": ended, "reason": reason})
    return ended


def _close(row: UserSession, reason: str, *, at: datetime | None = None) -> None:
    row.ended_at = at or utcnow()
    row.ended_reason = reason
