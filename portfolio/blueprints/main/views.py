import sqlalchemy as sa
from flask import jsonify, redirect, render_template, url_for
from flask_login import current_user

from portfolio.access import ALL_SIGNED_IN, public, roles_allowed
from portfolio.blueprints.main import bp
from portfolio.dates import uk_today
from portfolio.extensions import db, queue
from portfolio.models import Document, EoiStatus, Role
from portfolio.services import accounts, applications, eois, lip, monitoring, organisations, scaleups


@bp.route("/")
@public
def start():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    return render_template("main/start.html")


@bp.route("/home")
@roles_allowed(*ALL_SIGNED_IN)
def home():
    if current_user.role is Role.APPLICANT:
        organisation = current_user.organisation
        recent = db.session.scalars(
            sa.select(Document).where(Document.organisation_id == organisation.id)
            .order_by(Document.id.desc()).limit(5)
        ).all()
        return render_template("main/home_company.html", organisation=organisation, documents=recent,
                               eois=eois.for_organisation(db.session, organisation),
                               applications=applications.for_organisation(db.session, organisation.id),
                               next_returns=monitoring.next_due(db.session, organisation.id), today=uk_today(),
                               scaleup=scaleups.company_of(db.session, current_user))
    context = {}
    if current_user.role in (Role.FUND_MANAGER, Role.ADMIN):
        context["eois_waiting"] = len(eois.queue(db.session, status=EoiStatus.SUBMITTED))
    if current_user.role in monitoring.VERIFIERS:
        context["returns"] = {name: len(rows) for name, rows in monitoring.work_queue(db.session).items()}
    if current_user.role in lip.WORKERS:
        context["overdue_actions"] = lip.overdue_actions(db.session, current_user)
    if current_user.role is Role.ADMIN:
        context["pending_invitations"] = accounts.pending_invitations(db.session, organisation=None)
    return render_template(
        "main/home_staff.html", organisations=organisations.list_organisations(db.session), **context
    )


@bp.route("/healthz")
@public
def healthz():
    status = {"database": "ok", "queue": "ok"}
    try:
        db.session.execute(sa.text("SELECT 1"))
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
