"""Every endpoint declares who may use it; anything undeclared is refused.

    @roles_allowed(Role.ADMIN)          staff endpoint
    @roles_allowed(*ALL_SIGNED_IN)      any signed-in user
    @public                             no sign-in needed (start page, sign-in, register...)
    @token_scope("awards:read")         the JSON API: a bearer token with that scope, never a session

`enforce_declared_roles` runs before every request and is the single place the rule is
checked, so forgetting the decorator denies access instead of opening a hole. A test walks
`app.url_map` and fails on any endpoint without a declaration.
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask import abort, current_app, g, jsonify, request
from flask_login import current_user

from portfolio.extensions import login_manager
from portfolio.models import Role

PUBLIC = frozenset({"public"})
ALL_SIGNED_IN = tuple(Role)
STAFF = tuple(role for role in Role if role.is_staff)

# Endpoints registered by extensions rather than by our views.
_EXTENSION_PUBLIC_ENDPOINTS = {"static"}


def roles_allowed(*roles: Role) -> Callable:
    if not roles:
        raise ValueError("roles_allowed needs at least one role")

    def decorate(view: Callable) -> Callable:
        view.allowed_roles = frozenset(roles)
        return view

    return decorate


def public(view: Callable) -> Callable:
    view.allowed_roles = PUBLIC
    return view


def hidden_from_applicants(view: Callable) -> Callable:
    """Company users refused this staff endpoint get 404, as for something that does not exist,
    rather than a 403 that tells them it does (Large Investment Portfolio cases are confidential)."""
    view.hidden_from_applicants = True
    return view


@dataclass(frozen=True)
class TokenScope:
    """The declaration of a token-authenticated endpoint: which scope its token needs (None: any
    valid token). No signed-in role grants access to it, so `role in TokenScope(...)` is False."""

    scope: str | None

    def __contains__(self, role) -> bool:
        return False


def token_scope(scope: str | None) -> Callable:
    """Declare a JSON API endpoint. The request must carry `Authorization: Bearer <token>` for a
    usable token with `scope`; a session cookie counts for nothing. Refusals are JSON: 401 without
    a usable token, 403 for a token without the scope."""
    from portfolio.services.api_tokens import SCOPES

    if scope is not None and scope not in SCOPES:
        raise ValueError(f"unknown API scope {scope!r}")

    def decorate(view: Callable) -> Callable:
        view.allowed_roles = TokenScope(scope)
        return view

    return decorate


def declared_roles(endpoint: str) -> frozenset | TokenScope | None:
    if endpoint in _EXTENSION_PUBLIC_ENDPOINTS:
        return PUBLIC
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "allowed_roles", None)


def enforce_declared_roles():
    if request.endpoint is None:  # no route matched: the 404/405 handlers answer
        return None
    allowed = declared_roles(request.endpoint)
    if allowed is None:
        current_app.logger.error("endpoint %s declares no roles: refused", request.endpoint)
        abort(403)
    if allowed is PUBLIC:
        return None
    if isinstance(allowed, TokenScope):
        return _enforce_token(allowed.scope)
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role not in allowed:
        hidden = getattr(current_app.view_functions.get(request.endpoint), "hidden_from_applicants", False)
        abort(404 if hidden and current_user.role is Role.APPLICANT else 403)
    return None


def _enforce_token(scope: str | None):
    """Let the request through with `g.api_caller` set, or answer 401/403 in JSON."""
    from portfolio.extensions import db
    from portfolio.services import api_tokens

    try:
        g.api_caller = api_tokens.authenticate(db.session, request.headers.get("Authorization"), scope=scope)
    except api_tokens.Refusal as refusal:
        db.session.rollback()
        name = "Unauthorized" if refusal.status == 401 else "Forbidden"
        response = jsonify(error=name, status=refusal.status, message=refusal.message)
        response.status_code = refusal.status
        response.headers["WWW-Authenticate"] = refusal.challenge
        return response
    db.session.commit()  # the token's last use
    return None
