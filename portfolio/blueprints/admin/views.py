from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from portfolio.access import recent_second_factor, roles_allowed
from portfolio.blueprints import commit_or_refuse, form_page
from portfolio.blueprints.admin import bp
from portfolio.extensions import db
from portfolio.forms.accounts import ChangeRoleForm, InviteStaffForm
from portfolio.forms.base import ActionForm
from portfolio.models import Role, User
from portfolio.services import accounts, audit, audit_checkpoints, sessions, two_factor


@bp.route("/users")
@roles_allowed(Role.ADMIN)
def users():
    return render_template(
        "admin/users.html", staff=accounts.staff_users(db.session), action_form=ActionForm(),
        invitations=accounts.pending_invitations(db.session, organisation=None),
    )


@bp.route("/users/invite", methods=["GET", "POST"])
@roles_allowed(Role.ADMIN)
def invite():
    form = InviteStaffForm()
    if form.validate_on_submit() and commit_or_refuse(lambda: accounts.invite(
            db.session, email=form.email.data, role=Role(form.role.data), invited_by=current_user), form=form)[0]:
        flash(f"Invitation sent to {form.email.data}", "success")
        return redirect(url_for("admin.users"))
    return form_page("admin/invite.html", form)


@bp.route("/users/<int:user_id>/role", methods=["GET", "POST"])
@roles_allowed(Role.ADMIN)
@recent_second_factor()
def change_role(user_id: int):
    user = db.session.get(User, user_id)
    if user is None or not user.role.is_staff:
        abort(404)
    form = ChangeRoleForm(data={"role": user.role.value})
    if form.validate_on_submit() and commit_or_refuse(lambda: accounts.change_role(
            db.session, user=user, role=Role(form.role.data), by=current_user), form=form)[0]:
        flash(f"{user.name} is now {user.role.label.lower()}", "success")
        return redirect(url_for("admin.users"))
    return form_page("admin/change_role.html", form, user=user)


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@roles_allowed(Role.ADMIN)
def toggle_active(user_id: int):
    user = db.session.get(User, user_id)
    if user is None or not user.role.is_staff:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    if commit_or_refuse(lambda: accounts.set_active(db.session, user=user, active=not user.is_active,
                                                    by=current_user))[0]:
        flash(f"{user.name} {'can sign in again' if user.is_active else 'can no longer sign in'}", "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/sessions")
@roles_allowed(Role.ADMIN)
def user_sessions(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    return render_template("account/sessions.html", subject=user, rows=sessions.open_sessions(db.session, user),
                           this_session=None)


@bp.route("/users/<int:user_id>/sessions/end", methods=["POST"])
@roles_allowed(Role.ADMIN)
def end_sessions(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    ended = sessions.end_all(db.session, user, by=current_user, reason=sessions.Ended.BY_ADMIN)
    db.session.commit()
    flash(f"{user.name} is signed out of {ended} session{'s' if ended != 1 else ''}", "success")
    return redirect(url_for("admin.user_sessions", user_id=user.id))
@bp.route("/users/<int:user_id>/second-factor", methods=["GET", "POST"])
@roles_allowed(Role.ADMIN)
@recent_second_factor()
def reset_second_factor(user_id: int):
    """Reset someone's second factor (a lost phone): they set one up again at their next sign-in."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    form = ActionForm()
    form.submit.label.text = "Reset second factor"
    if form.validate_on_submit() and commit_or_refuse(
            lambda: two_factor.reset(db.session, user=user, by=current_user), form=form)[0]:
        flash(f"{user.name}'s second factor is reset: they have been emailed, and set one up again when they "
              "next sign in", "success")
        return redirect(url_for("admin.users") if user.role.is_staff else url_for(
            "organisations.detail", organisation_id=user.organisation_id))
    return form_page("admin/reset_second_factor.html", form, user=user)


@bp.route("/audit")
@roles_allowed(Role.ADMIN)
def audit_log():
    return render_template("admin/audit.html", events=audit.latest(db.session, limit=100),
                           chain=audit.verify_chain(db.session),
                           checkpoints=audit_checkpoints.latest(db.session, limit=5))
