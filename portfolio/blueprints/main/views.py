from flask import jsonify, redirect, render_template, url_for
from flask_login import current_user

from portfolio.access import public, roles_allowed
from portfolio.blueprints.main import bp
from portfolio.dates import uk_today
from portfolio.extensions import db, queue
from portfolio.models import EoiStatus
from portfolio.models.roles import ADMINS, CASE_WORKERS, EVERYONE, FUND_TEAM, VERIFIERS
from portfolio.services import (
    accounts,
    applications,
    audit,
    documents,
    eois,
    lip,
    monitoring,
    organisations,
    scaleups,
)


@bp.route("/")
@public
def start():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    return render_template("main/start.html")


@bp.route("/home")
@roles_allowed(EVERYONE)
def home():
    if not current_user.role.is_staff:
        organisation = current_user.organisation
        recent = documents.for_organisation(db.session, current_user, organisation.id, limit=5)
        return render_template("main/home_company.html", organisation=organisation, documents=recent,
                               eois=eois.for_organisation(db.session, organisation),
                               applications=applications.for_organisation(db.session, organisation.id),
                               next_returns=monitoring.next_due(db.session, organisation.id), today=uk_today(),
                               scaleup=scaleups.company_of(db.session, current_user),
                               next_step=applications.next_step, eoi_next_step=eois.next_step)
    context = {}
    if current_user.role in FUND_TEAM:
        context["eois_waiting"] = len(eois.queue(db.session, status=EoiStatus.SUBMITTED))
    if current_user.role in VERIFIERS:
        context["returns"] = {name: len(rows) for name, rows in monitoring.work_queue(db.session).items()}
    if current_user.role in CASE_WORKERS:
        context["overdue_actions"] = lip.overdue_actions(db.session, current_user)
    if current_user.role in ADMINS:
        context["pending_invitations"] = accounts.pending_invitations(db.session, organisation=None)
    return render_template(
        "main/home_staff.html", organisations=organisations.visible_to(db.session, current_user), **context
    )


@bp.route("/healthz")
@public
def healthz():
    status = {"database": "ok", "queue": "ok"}
    try:
        audit.database_answers(db.session)
    except Exception as exc:  # report, never raise: this is what the load balancer reads
        status["database"] = f"error: {type(exc).__name__}"
    try:
        queue.ping()
    except Exception as exc:
        status["queue"] = f"error: {type(exc).__name__}"
    status["queue_mode"] = "embedded" if queue.embedded else "redis"
    healthy = status["database"] == "ok" and status["queue"] == "ok"
    status["status"] = "ok" if healthy else "unavailable"
    return jsonify(status), 200 if healthy else 503
