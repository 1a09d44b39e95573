"""Every endpoint declares who may use it; anything undeclared is refused.

    @roles_allowed(ADMINS)              staff endpoint (named role sets: portfolio.models.roles)
    @roles_allowed(EVERYONE)            any signed-in user
    @roles_allowed(PORTFOLIO_STAFF, confidential=True)
                                        staff only, and a company user is told it does not exist (404)
    @public                             no sign-in needed (start page, sign-in, register...)
    @recent_second_factor()             a sensitive action: the second factor again unless it was
                                        given in the last REAUTH_MINUTES (after the roles decorator)
    @before_second_factor               open to a signed-in person who must still set up a second
                                        factor (every other page sends them to set one up)
    @token_scope("awards:read")         the JSON API: a bearer token with that scope, never a session

The endpoint's roles are the coarse first check; which records a user may read or change is the
record's access rule (portfolio.services.policy), applied when the view loads it.

`enforce_declared_roles` runs before every request and is the single place the rule is
checked, so forgetting the decorator denies access instead of opening a hole. A test walks
`app.url_map` and fails on any endpoint without a declaration.
"""

from datetime import timedelta
from collections.abc import Callable
from dataclasses import dataclass

from flask import abort, current_app, flash, g, jsonify, redirect, request, url_for
from flask_login import current_user

from portfolio.extensions import db, login_manager
from portfolio.models.roles import Role
from portfolio.services import api_tokens, policy, sessions, workflow

PUBLIC = frozenset({"public"})

# Endpoints registered by extensions rather than by our views.
_EXTENSION_PUBLIC_ENDPOINTS = {"static"}


def roles_allowed(*roles: Role | frozenset[Role], confidential: bool = False) -> Callable:
    """Declare the roles (or named role sets) that may use the endpoint. `confidential`: a company
    user refused it gets 404, as for something that does not exist, rather than a 403 that says it
    does (Large Investment Portfolio cases, partnerships)."""
    allowed = frozenset(role for item in roles for role in ((item,) if isinstance(item, Role) else item))
    if not allowed:
        raise ValueError("roles_allowed needs at least one role")

    def decorate(view: Callable) -> Callable:
        view.allowed_roles = allowed
        if confidential:
            view.hidden_from_applicants = True
        return view

    return decorate


def public(view: Callable) -> Callable:
    view.allowed_roles = PUBLIC
    return view


def second_factor_given() -> None:
    """The signed-in person has just given their second factor again (to confirm it's them): their
    server-side session remembers when (sign-in records it when the session starts)."""
    sessions.second_factor_given(db.session, g.user_session)
    db.session.commit()


def second_factor_is_recent() -> bool:
    row = g.get("user_session")
    return row is not None and sessions.second_factor_within(
        row, timedelta(minutes=current_app.config["REAUTH_MINUTES"]))


def recent_second_factor(form_page: str | None = None) -> Callable:
    """Declare a sensitive action (approving an award, recording a payment...): it needs the second
    factor given in the last REAUTH_MINUTES. Otherwise a GET goes to "Confirm it's you" and comes back;
    a POST does nothing and goes there too, then back to the page with the form: `form_page`, an
    endpoint taking the same URL arguments (default: this endpoint, for a page that shows and posts
    its own form)."""
    def decorate(view: Callable) -> Callable:
        view.recent_second_factor = form_page or True
        return view

    return decorate


def before_second_factor(view: Callable) -> Callable:
    view.before_second_factor = True
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
    if scope is not None and scope not in api_tokens.SCOPES:
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
    view = current_app.view_functions.get(request.endpoint)
    back = request.full_path.rstrip("?") if request.method == "GET" else None
    if current_user.needs_second_factor and not current_user.has_second_factor \
            and not getattr(view, "before_second_factor", False):
        # Before anything else (even a 403 tells something), someone who must have one sets one up.
        return redirect(url_for("account.authenticator", next=back))
    if current_user.role not in allowed:
        hidden = getattr(view, "hidden_from_applicants", False)
        abort(404 if hidden and current_user.role is Role.APPLICANT else 403)
    return _enforce_recent_second_factor(view, back)


def _enforce_recent_second_factor(view: Callable, back: str | None):
    """A sensitive action needs a second factor given in the last REAUTH_MINUTES."""
    form_page = getattr(view, "recent_second_factor", None)
    if not form_page or second_factor_is_recent():
        return None
    if back is None:  # a form was posted: nothing is done, and they come back to the form
        endpoint = request.endpoint if form_page is True else form_page
        back = url_for(endpoint, **(request.view_args or {}))
        flash("Nothing has been saved yet. Confirm it's you, then try again", "error")
    if not current_user.has_second_factor:
        return redirect(url_for("account.authenticator", next=back))
    return redirect(url_for("auth.confirm", next=back))


def _enforce_token(scope: str | None):
    """Let the request through with `g.api_caller` set, or answer 401/403 in JSON."""
    try:
        g.api_caller = api_tokens.authenticate(db.session, request.headers.get("Authorization"), scope=scope)
    except api_tokens.Refusal as refusal:
        db.session.rollback()
        name = "Unauthorized" if refusal.http_status == 401 else "Forbidden"
        response = jsonify(error=name, status=refusal.http_status, message=refusal.message)
        response.status_code = refusal.http_status
        response.headers["WWW-Authenticate"] = refusal.challenge
        return response
    db.session.commit()  # the token's last use
    return None


def register_template_globals(app) -> None:
    """Questions templates ask instead of testing role and status names:
    `can(record, "verify")`   may the signed-in user make that move now (the workflow tables)
    `targets(record)`         the states they may move it to now
    `has_move(record, m)`     is there a move `m` from the record's current state (whoever makes it)
    `blocked_by(record, m)`   why move `m` from the current state is refused (its guard), or None
    `may(record, "act")`      may they change the record / `may(record)` read it (its access rule)
    `allowed("endpoint")`     may their role use that page at all (to show a link to it)"""
    def can(record, move: str) -> bool:
        return (current_user.is_authenticated and record is not None and policy.may_read(current_user, record)
                and workflow.can(record, move, current_user))

    def may(record, what: str = "read") -> bool:
        if not current_user.is_authenticated or record is None:
            return False
        return policy.may_act(current_user, record) if what == "act" else policy.may_read(current_user, record)

    def allowed(endpoint: str) -> bool:
        """May the signed-in user's role use this endpoint at all (to show a link to it)?"""
        roles = declared_roles(endpoint)
        return current_user.is_authenticated and roles is not None and roles is not PUBLIC and \
            current_user.role in roles

    def blocked_by(record, move: str) -> str | None:
        return workflow.blocked_by(record, move)

    def has_move(record, move: str) -> bool:
        return workflow.has_move(record, move)

    def targets(record) -> list:
        return workflow.targets(record, current_user) if current_user.is_authenticated else []

    app.add_template_global(can)
    app.add_template_global(may)
    app.add_template_global(allowed)
    app.add_template_global(blocked_by)
    app.add_template_global(has_move)
    app.add_template_global(targets)
