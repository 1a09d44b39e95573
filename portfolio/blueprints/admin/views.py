import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from portfolio.access import roles_allowed
from portfolio.blueprints.admin import bp
from portfolio.extensions import db
from portfolio.forms.accounts import ChangeRoleForm, InviteStaffForm
from portfolio.forms.base import ActionForm
from portfolio.models import AuditEvent, Role, User
from portfolio.services import accounts, audit
from portfolio.services.errors import DomainError


@bp.route("/users")
@roles_allowed(Role.ADMIN)
def users():
    staff = db.session.scalars(
        sa.select(User).where(User.role != Role.APPLICANT).order_by(User.name)
    ).all()
    return render_template(
        "admin/users.html", staff=staff, action_form=ActionForm(),
        invitations=accounts.pending_invitations(db.session, organisation=None),
    )


@bp.route("/users/invite", methods=["GET", "POST"])
@roles_allowed(Role.ADMIN)
def invite():
    form = InviteStaffForm()
    if form.validate_on_submit():
        try:
            accounts.invite(db.session, email=form.email.data, role=Role(form.role.data), invited_by=current_user)
        except DomainError as error:
            db.session.rollback()
            form.add_error(error.field, error.message)
        else:
            db.session.commit()
            flash(f"Invitation sent to {form.email.data}", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/invite.html", form=form), 400 if form.errors else 200


@bp.route("/users/<int:user_id>/role", methods=["GET", "POST"])
@roles_allowed(Role.ADMIN)
def change_role(user_id: int):
    user = db.session.get(User, user_id)
    if user is None or not user.role.is_staff:
        abort(404)
    form = ChangeRoleForm(data={"role": user.role.value})
    if form.validate_on_submit():
        try:
            accounts.change_role(db.session, user=user, role=Role(form.role.data), by=current_user)
        except DomainError as error:
            db.session.rollback()
            form.add_error(error.field, error.message)
        else:
            db.session.commit()
            flash(f"{user.name} is now {user.role.label.lower()}", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/change_role.html", form=form, user=user), 400 if form.errors else 200


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@roles_allowed(Role.ADMIN)
def toggle_active(user_id: int):
    user = db.session.get(User, user_id)
    if user is None or not user.role.is_staff:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        accounts.set_active(db.session, user=user, active=not user.is_active, by=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("admin.users"))
    db.session.commit()
    flash(f"{user.name} {'can sign in again' if user.is_active else 'can no longer sign in'}", "success")
    return redirect(url_for("admin.users"))


@bp.route("/audit")
@roles_allowed(Role.ADMIN)
def audit_log():
    events = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(100)).all()
    return render_template("admin/audit.html", events=events, chain=audit.verify_chain(db.session))
