"""Access tokens for the read-only JSON API (/api/v1).

Finance or an administrator creates a token with the scopes it needs. The secret is made here,
handed back once to be shown to its creator, and never stored: the database keeps its SHA-256
(to find it by) and its first characters (to recognise it by). Revoking is permanent.

A request presents the secret as `Authorization: Bearer pft_…`; `authenticate` finds the token by
the hash of what was presented, so nothing secret is ever compared character by character.
"""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from portfolio.models import ApiToken, User
from portfolio.models.base import utcnow
from portfolio.models.roles import FINANCE_TEAM
from portfolio.services import audit
from portfolio.services.errors import DomainError, NotFound

SECRET_PREFIX = "pft_"  # "Portfolio token": recognisable in logs, config files and secret scanners
PREFIX_LENGTH = 12  # what the list shows of a secret: "pft_" and 8 characters
_SECRET = re.compile(r"^pft_[A-Za-z0-9_-]{43}$")  # token_urlsafe(32) is 43 characters

# One scope per resource, all read-only. /api/v1/openapi.json needs a valid token of any scope.
SCOPES = {
    "organisations:read": "Organisations",
    "applications:read": "Applications (submitted ones only)",
    "awards:read": "Awards and their grant offers",
    "claims:read": "Claims and payments",
    "returns:read": "Monitoring returns",
    "leverage:read": "Leverage figures",
    "cases:read": "Large investment cases (headline figures)",
    "annex_a:read": "Annex A figures of strategic partnerships and the scale-up service (Actions 22 and 23)",
    "profiles:read": "Grant profiles by quarter and financial year, and every version of each award's terms",
    "forecasts:read": "Companies' forecasts of the grant they will claim, with their history",
    "variations:read": "Variations to awards: what they change, their status and the decision",
    "budget:read": "Each fund's budget by financial year, its ledger and the budget's versions",
}

# How long a new token lasts: (form value, label, days; None never expires).
EXPIRY_CHOICES = (
    ("30", "30 days", 30),
    ("90", "90 days", 90),
    ("365", "1 year", 365),
    ("never", "It does not expire", None),
)

# A token's last use is written at most this often, so reading the API is not a write per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def owner_may_use(token: ApiToken) -> bool:
    """A token works only while the person who made it can still sign in and still manages tokens:
    deactivating them, or moving them to a role that may not make tokens, stops their tokens."""
    return token.created_by.is_active and token.created_by.role in FINANCE_TEAM


def status_of(token: ApiToken, now: datetime) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and now >= token.expires_at:
        return "expired"
    if not owner_may_use(token):
        return "suspended"
    return "active"


# --- managing tokens (finance and administrators) -----------------------------------------------

def all_tokens(session: Session) -> list[ApiToken]:
    return session.scalars(
        sa.select(ApiToken).options(selectinload(ApiToken.created_by), selectinload(ApiToken.revoked_by))
        .order_by(ApiToken.id.desc())
    ).all()


def create(session: Session, *, name: str, scopes: list[str], by: User,
           expires_in_days: int | None = None) -> tuple[ApiToken, str]:
    """Make a token. Returns it and its secret: the only time the secret exists outside the
    caller's hands. The audit event records what the token may do, never the secret or its hash."""
    name = (name or "").strip()
    if not name:
        raise DomainError("Enter a name for the token", field="name")
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise DomainError("Select what the token may read", field="scopes")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        name=name,
        token_hash=hash_secret(secret),
        prefix=secret[:PREFIX_LENGTH],
        scopes=[scope for scope in SCOPES if scope in scopes],  # in a stable order
        created_by_id=by.id,
        created_at=now,
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    session.add(token)
    session.flush()
    audit.record(session, actor=by, action="api_token.created", entity=token,
                 after={"name": token.name, "prefix": token.prefix, "scopes": token.scopes,
                        "expires_at": token.expires_at})
    return token, secret


def get(session: Session, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound()
    return token


def revoke(session: Session, *, token: ApiToken, by: User) -> ApiToken:
    session.refresh(token, with_for_update=True)  # two people revoking at once: one event, not two
    if token.revoked_at is not None:
        raise DomainError(f"The token “{token.name}” was already revoked")
    token.revoked_at = utcnow()
    token.revoked_by_id = by.id
    audit.record(session, actor=by, action="api_token.revoked", entity=token,
                 before={"status": "active"}, after={"status": "revoked", "name": token.name,
                                                     "prefix": token.prefix})
    return token


# --- using tokens (every API request) -----------------------------------------------------------

class Refusal(Exception):
    """Why a request's token was refused: `http_status` is 401 (no usable token) or 403 (a usable
    token without the scope); `challenge` is the WWW-Authenticate header (RFC 6750)."""

    def __init__(self, http_status: int, message: str, challenge: str) -> None:
        super().__init__(message)
        self.http_status, self.message, self.challenge = http_status, message, challenge


@dataclass(frozen=True)
class Caller:
    token_id: int
    name: str
    scopes: tuple[str, ...]


def _refuse(message: str, error: str | None = None) -> Refusal:
    challenge = 'Bearer realm="api"' + (f', error="{error}"' if error else "")
    return Refusal(401, message, challenge)


def authenticate(session: Session, authorization: str | None, *, scope: str | None,
                 now: datetime | None = None) -> Caller:
    """The token the Authorization header presents, if it is usable and has `scope` (None: any).

    Raises Refusal. Records the token's last use (at most once a minute); the caller commits."""
    now = now or utcnow()
    if not authorization:
        raise _refuse("Send a token in the Authorization header: Bearer pft_…")
    kind, _, secret = authorization.strip().partition(" ")
    secret = secret.strip()
    if kind.lower() != "bearer" or not _SECRET.match(secret):
        raise _refuse("The Authorization header must be Bearer followed by a Portfolio API token",
                      "invalid_token")
    presented = hash_secret(secret)
    token = session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == presented))
    if token is None or not hmac.compare_digest(token.token_hash, presented):
        raise _refuse("The token is not recognised", "invalid_token")
    if token.revoked_at is not None:
        raise _refuse("The token has been revoked", "invalid_token")
    if not token.is_usable(now):
        raise _refuse("The token has expired", "invalid_token")
    if not owner_may_use(token):
        raise _refuse("The person who made this token can no longer use it: ask finance for a new one",
                      "invalid_token")
    if scope is not None and scope not in token.scopes:
        raise Refusal(403, f"The token does not have the {scope} scope",
                      f'Bearer realm="api", error="insufficient_scope", scope="{scope}"')
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
    return Caller(token_id=token.id, name=token.name, scopes=tuple(token.scopes))
