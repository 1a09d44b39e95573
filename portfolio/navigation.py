"""Service navigation for the signed-in role."""

from flask import Flask, request, url_for
from flask_login import current_user

from portfolio.models.roles import (
    ADMINS,
    ASSESSORS,
    COMPANY,
    DECISION_READERS,
    EVERYONE,
    FINANCE,
    FINANCE_TEAM,
    FUND_TEAM,
    PORTFOLIO_STAFF,
    STAFF,
)

# (label, endpoint, roles that see it, endpoints that mark it current; "blueprint." marks all of one)
NAVIGATION = [
    ("Home", "main.home", EVERYONE, {"main.home"}),
    ("Your organisation", "organisations.detail", COMPANY, {"organisations.detail", "organisations.invite"}),
    ("Expressions of interest", "eois.index", FUND_TEAM, {"eois.index", "eois.detail", "eois.decide"}),
    ("Applications", "applications.index", FUND_TEAM,
     {"applications.index", "applications.detail", "applications.return_for_changes", "applications.history"}),
    ("Assessments", "assessments.index", ASSESSORS, {"assessments."}),
    ("Decisions", "decisions.index", DECISION_READERS, {"decisions."}),
    ("Claims", "claims.index", FINANCE, {"claims."}),
    ("Awards", "awards.index", PORTFOLIO_STAFF, {"awards."}),
    ("Cases", "cases.index", PORTFOLIO_STAFF, {"cases."}),
    ("Partnerships", "partnerships.index", PORTFOLIO_STAFF, {"partnerships."}),
    ("Scale-ups", "scaleups.index", PORTFOLIO_STAFF,
     {"scaleups.index", "scaleups.join", "scaleups.detail", "scaleups.plan", "scaleups.snapshot"}),
    ("Reports", "reports.leverage", PORTFOLIO_STAFF,
     {"reports.leverage", "reports.additionality", "reports.implementation_update"}),
    ("Budget by year", "reports.budget_by_year", DECISION_READERS, {"reports.budget_by_year"}),
    ("Exports", "exports.index", DECISION_READERS, {"exports."}),
    ("Organisations", "organisations.index", STAFF, {"organisations.index", "organisations.detail"}),
    ("Funds", "funds.index", FUND_TEAM, {"funds."}),
    ("Users", "admin.users", ADMINS, {"admin.users", "admin.invite", "admin.change_role", "admin.user_sessions"}),
    ("Audit log", "admin.audit_log", ADMINS, {"admin.audit_log"}),
    ("API tokens", "tokens.index", FINANCE_TEAM, {"tokens."}),
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
