"""Every endpoint declares who may use it; anything undeclared is refused.

    @roles_allowed(Role.ADMIN)          staff endpoint
    @roles_allowed(*ALL_SIGNED_IN)      any signed-in user
    @public                             no sign-in needed (start page, sign-in, register...)

`enforce_declared_roles` runs before every request and is the single place the rule is
checked, so forgetting the decorator denies access instead of opening a hole. A test walks
`app.url_map` and fails on any endpoint without a declaration.
"""

from collections.abc import Callable

from flask import abort, current_app, request
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


def declared_roles(endpoint: str) -> frozenset | None:
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
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role not in allowed:
        abort(403)
    return None
