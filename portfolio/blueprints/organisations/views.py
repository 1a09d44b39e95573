from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from portfolio.access import roles_allowed
from portfolio.blueprints import commit_or_refuse, form_page
from portfolio.blueprints.organisations import bp
from portfolio.extensions import db
from portfolio.forms.accounts import InviteColleagueForm
from portfolio.forms.base import ActionForm
from portfolio.models import DocumentKind, Organisation, Role
from portfolio.models.roles import ADMINS, COMPANY, EVERYONE, STAFF
from portfolio.services import accounts, documents, organisations, policy


def _organisation(organisation_id: int) -> Organisation:
    return policy.get(db.session, current_user, Organisation, organisation_id)


@bp.route("/")
@roles_allowed(STAFF)
def index():
    return render_template(
        "organisations/index.html", organisations=organisations.visible_to(db.session, current_user)
    )


@bp.route("/<int:organisation_id>")
@roles_allowed(EVERYONE)
def detail(organisation_id: int):
    organisation = _organisation(organisation_id)
    recent = documents.for_organisation(db.session, current_user, organisation.id, limit=10)
    is_member = current_user.organisation_id == organisation.id
    return render_template(
        "organisations/detail.html",
        organisation=organisation,
        documents=recent,
        is_member=is_member,
        can_manage_team=is_member and current_user.is_signatory,
        can_end_sessions=current_user.role in ADMINS,
        invitations=accounts.pending_invitations(db.session, organisation=organisation) if is_member else [],
        action_form=ActionForm(),
    )


@bp.route("/<int:organisation_id>/invite", methods=["GET", "POST"])
@roles_allowed(COMPANY)
def invite(organisation_id: int):
    organisation = _organisation(organisation_id)
    form = InviteColleagueForm()
    if form.validate_on_submit():
        done, _ = commit_or_refuse(lambda: accounts.invite(
            db.session, email=form.email.data, role=Role.APPLICANT, invited_by=current_user,
            organisation=organisation, is_signatory=form.is_signatory.data and current_user.is_signatory,
        ), form=form)
        if done:
            flash(f"Invitation sent to {form.email.data}", "success")
            return redirect(url_for("organisations.detail", organisation_id=organisation.id))
    return form_page("organisations/invite.html", form, organisation=organisation)


@bp.route("/<int:organisation_id>/members/<int:user_id>/signatory", methods=["POST"])
@roles_allowed(COMPANY)
def toggle_signatory(organisation_id: int, user_id: int):
    organisation = _organisation(organisation_id)
    member = organisations.get_member(db.session, organisation, user_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    if not current_user.is_signatory:
        abort(403)
    if member.is_signatory and len(organisation.signatories) == 1:
        flash("An organisation needs at least one signatory. Make someone else a signatory first", "error")
        return redirect(url_for("organisations.detail", organisation_id=organisation.id)), 303
    accounts.set_signatory(db.session, user=member, is_signatory=not member.is_signatory, by=current_user)
    db.session.commit()
    flash(f"{member.name} {'is now' if member.is_signatory else 'is no longer'} a signatory", "success")
    return redirect(url_for("organisations.detail", organisation_id=organisation.id))


@bp.route("/<int:organisation_id>/summary", methods=["POST"])
@roles_allowed(EVERYONE)
def request_summary(organisation_id: int):
    organisation = _organisation(organisation_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    document = documents.request_document(db.session, kind=DocumentKind.ORGANISATION_SUMMARY, record=organisation,
                                          by=current_user)
    db.session.commit()  # the render job is enqueued by this commit
    return redirect(url_for("documents.detail", document_id=document.id))
