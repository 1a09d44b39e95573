"""Service navigation for the signed-in role."""

from flask import Flask, request, url_for
from flask_login import current_user

from portfolio.models import Role

# (label, endpoint, roles that see it, endpoints that mark it current; "blueprint." marks all of one)
NAVIGATION = [
    ("Home", "main.home", set(Role), {"main.home"}),
    ("Your organisation", "organisations.detail", {Role.APPLICANT},
     {"organisations.detail", "organisations.invite"}),
    ("Expressions of interest", "eois.index", {Role.FUND_MANAGER, Role.ADMIN},
     {"eois.index", "eois.detail", "eois.decide"}),
    ("Applications", "applications.index", {Role.FUND_MANAGER, Role.ADMIN},
     {"applications.index", "applications.detail", "applications.return_for_changes", "applications.history"}),
    ("Assessments", "assessments.index", {Role.ASSESSOR, Role.FUND_MANAGER}, {"assessments."}),
    ("Decisions", "decisions.index", {Role.FUND_MANAGER, Role.FINANCE, Role.ADMIN}, {"decisions."}),
    ("Claims", "claims.index", {Role.FINANCE}, {"claims."}),
    ("Awards", "awards.index", {Role.FUND_MANAGER, Role.ACCOUNT_MANAGER, Role.FINANCE, Role.ADMIN}, {"awards."}),
    ("Cases", "cases.index", {Role.ACCOUNT_MANAGER, Role.FUND_MANAGER, Role.FINANCE, Role.ADMIN}, {"cases."}),
    ("Partnerships", "partnerships.index", {Role.ACCOUNT_MANAGER, Role.FUND_MANAGER, Role.FINANCE, Role.ADMIN},
     {"partnerships."}),
    ("Scale-ups", "scaleups.index", {Role.ACCOUNT_MANAGER, Role.FUND_MANAGER, Role.FINANCE, Role.ADMIN},
     {"scaleups.index", "scaleups.join", "scaleups.detail", "scaleups.plan", "scaleups.snapshot"}),
    ("Reports", "reports.leverage", {Role.FUND_MANAGER, Role.ACCOUNT_MANAGER, Role.FINANCE, Role.ADMIN},
     {"reports."}),
    ("Exports", "exports.index", {Role.FUND_MANAGER, Role.FINANCE, Role.ADMIN}, {"exports."}),
    ("Organisations", "organisations.index",
     {Role.FUND_MANAGER, Role.ACCOUNT_MANAGER, Role.FINANCE, Role.ADMIN, Role.ASSESSOR},
     {"organisations.index", "organisations.detail"}),
    ("Funds", "funds.index", {Role.FUND_MANAGER, Role.ADMIN}, {"funds."}),
    ("Users", "admin.users", {Role.ADMIN}, {"admin.users", "admin.invite", "admin.change_role"}),
    ("Audit log", "admin.audit_log", {Role.ADMIN}, {"admin.audit_log"}),
    ("API tokens", "tokens.index", {Role.FINANCE, Role.ADMIN}, {"tokens."}),
]


def navigation_items() -> list[dict]:
    if not current_user.is_authenticated:
        return [{"href": url_for("auth.sign_in"), "text": "Sign in", "active": request.endpoint == "auth.sign_in"}]
    items = []
    for label, endpoint, roles, current in NAVIGATION:
        if current_user.role not in roles:
            continue
        values = {"organisation_id": current_user.organisation_id} if endpoint == "organisations.detail" else {}
        active = request.endpoint in current or (request.blueprint or "") + "." in current
        items.append({"href": url_for(endpoint, **values), "text": label, "active": active})
    return items


def register(app: Flask) -> None:
    app.add_template_global(navigation_items)
