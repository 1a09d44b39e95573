"""Assessment: fund managers assign and moderate; assessors declare conflicts and score."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portfolio.access import roles_allowed
from portfolio.blueprints import commit_or_refuse, form_page
from portfolio.blueprints.applications.views import summary_context
from portfolio.blueprints.assessments import bp
from portfolio.extensions import db
from portfolio.forms.assessments import AssignForm, DeclarationForm, moderation_form, score_form
from portfolio.forms.base import ActionForm
from portfolio.models import Application, Assignment, AssignmentStatus, Round, User
from portfolio.models.roles import ASSESSORS, FUND_MANAGERS, FUND_TEAM
from portfolio.services import assessments, funds, policy


@bp.route("/")
@roles_allowed(ASSESSORS)
def index():
    assigning = current_user.role in FUND_MANAGERS
    return render_template("assessments/index.html", mine=assessments.for_assessor(db.session, current_user),
                           in_assessment=assessments.in_assessment(db.session) if assigning else [],
                           rounds=funds.all_rounds(db.session) if assigning else [])


def _application(application_id: int) -> Application:
    """A submitted application (a draft is not assessed)."""
    application = policy.get(db.session, current_user, Application, application_id)
    if not application.status.submitted:
        abort(404)
    return application


@bp.route("/applications/<int:application_id>", methods=["GET", "POST"])
@roles_allowed(FUND_MANAGERS)
def application(application_id: int):
    """The fund manager's page: who is assigned, conflicts to reassign, the scores when allowed."""
    application = _application(application_id)
    form = AssignForm()
    form.assessor.choices = [SelectChoice("", "Choose an assessor")] + [
        SelectChoice(str(u.id), f"{u.name} ({u.role.label})")
        for u in assessments.assignable(db.session, application, current_user)]
    if form.validate_on_submit():
        assessor = db.session.get(User, int(form.assessor.data)) if form.assessor.data.isdigit() else None
        if assessor is None:
            form.add_error("assessor", "Select an assessor")
        else:
            done, _ = commit_or_refuse(lambda: assessments.assign(
                db.session, application=application, assessor=assessor, by=current_user), form=form)
            if done:
                flash(f"{assessor.name} assigned and emailed", "success")
                return redirect(url_for("assessments.application", application_id=application.id))
    can_see = assessments.may_see_scores(application, current_user)
    return form_page("assessments/application.html", form, application=application,
                     needed=assessments.assessors_needed(application), can_see=can_see,
                     spread_limit=application.rules_in_force.moderation_spread,
                     complete=assessments.scores_complete(application),
                     results=assessments.results(application) if can_see else None,
                     open_for_assignment=application.status in assessments.OPEN_FOR_ASSIGNMENT)


@bp.route("/assignments/<int:assignment_id>/remove", methods=["POST"])
@roles_allowed(FUND_MANAGERS)
def remove(assignment_id: int):
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or not policy.may_read(current_user, assignment.application):
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    application, name = assignment.application, assignment.assessor.name
    if commit_or_refuse(lambda: assessments.remove(db.session, assignment=assignment, by=current_user))[0]:
        flash(f"{name} removed from this assessment", "success")
    return redirect(url_for("assessments.application", application_id=application.id))


@bp.route("/assignments/<int:assignment_id>", methods=["GET", "POST"])
@roles_allowed(ASSESSORS)
def assignment(assignment_id: int):
    assignment = policy.get(db.session, current_user, Assignment, assignment_id)
    application = assignment.application
    if assignment.status is AssignmentStatus.AWAITING_DECLARATION:
        return _declaration(assignment)
    criteria = application.round.criteria
    saved = {s.criterion_id: s for s in assignment.scores}
    data = {f"score_{cid}": str(s.score) if s.score else "" for cid, s in saved.items()}
    data.update({f"comment_{cid}": s.comment for cid, s in saved.items()})
    form = score_form(criteria, data=data if request.method == "GET" else None)
    if assignment.submitted_at is None and form.validate_on_submit():
        submit = bool(form.submit.data)
        done, _ = commit_or_refuse(lambda: assessments.save_scores(
            db.session, assignment=assignment, by=current_user, submit=submit,
            answers={cid: assessments.Answer(*answer) for cid, answer in form.answers().items()}), form=form)
        if done:
            flash("Your scores have been submitted" if submit else "Draft saved", "success")
            return redirect(url_for("assessments.assignment", assignment_id=assignment.id))
    can_see = assessments.may_see_scores(application, current_user)
    return form_page("assessments/score.html", form, assignment=assignment, application=application,
                     criteria=criteria, results=assessments.results(application) if can_see else None,
                     **summary_context(application))


def _declaration(assignment):
    form = DeclarationForm()
    if form.validate_on_submit():
        conflict = form.conflict.data == "yes"
        done, _ = commit_or_refuse(lambda: assessments.declare(
            db.session, assignment=assignment, by=current_user, conflict=conflict, details=form.details.data),
            form=form)
        if done:
            if conflict:
                flash("Thank you: you have been removed from this assessment and the fund manager will reassign it",
                      "success")
                return redirect(url_for("assessments.index"))
            return redirect(url_for("assessments.assignment", assignment_id=assignment.id))
    return form_page("assessments/declare.html", form, assignment=assignment, application=assignment.application)


@bp.route("/applications/<int:application_id>/moderate", methods=["GET", "POST"])
@roles_allowed(FUND_MANAGERS)
def moderate(application_id: int):
    application = _application(application_id)
    if not assessments.scores_complete(application) or not assessments.may_see_scores(application, current_user):
        flash("Moderation opens once every assessor has submitted their scores", "error")
        return redirect(url_for("assessments.application", application_id=application.id))
    results = assessments.results(application)
    criteria = application.round.criteria
    data = {f"score_{r.criterion.id}": r.moderated.score if r.moderated else r.mean for r in results.criteria}
    form = moderation_form(criteria, data=data if request.method == "GET" else None)
    if form.validate_on_submit():
        done, _ = commit_or_refuse(lambda: assessments.moderate(
            db.session, application=application, by=current_user, scores=form.scores(), reason=form.reason.data),
            form=form)
        if done:
            flash(f"Moderated: weighted score {application.weighted_score}", "success")
            return redirect(url_for("assessments.ranking", round_id=application.round_id))
    return form_page("assessments/moderate.html", form, application=application, results=results)


@bp.route("/rounds/<int:round_id>/ranking")
@roles_allowed(FUND_TEAM)
def ranking(round_id: int):
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        abort(404)
    return render_template("assessments/ranking.html", round_=round_, rows=assessments.ranking(db.session, round_))
