"""Decisions: recommendation, due diligence, subsidy control, approval or rejection, the budget
ledger and transparency uploads. Fund managers act; finance and admins read."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portfolio.access import recent_second_factor, roles_allowed
from portfolio.blueprints import commit_or_refuse, form_page
from portfolio.blueprints.decisions import bp
from portfolio.dates import uk_today
from portfolio.extensions import db
from portfolio.forms.base import ActionForm
from portfolio.forms.decisions import (
    ApproveForm,
    DueDiligenceForm,
    FlagForm,
    RecommendForm,
    RejectForm,
    ResolveFlagForm,
    SubsidyCheckForm,
    TransparencyForm,
)
from portfolio.models import Application, ApplicationStatus, Award, Rag
from portfolio.models.roles import DECISION_READERS, FUND_MANAGERS
from portfolio.money import money
from portfolio.services import budgets, decisions, due_diligence, fund_settings, policy, subsidy
from portfolio.services.errors import DomainError


def _application(application_id: int) -> Application:
    """An application in assessment or later, for those who may read it."""
    application = policy.get(db.session, current_user, Application, application_id)
    if application.status in (ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED):
        abort(404)
    return application


def _back(application: Application):
    return redirect(url_for("decisions.application", application_id=application.id))


@bp.route("/")
@roles_allowed(DECISION_READERS)
def index():
    funds = fund_settings.all_funds(db.session)
    ledgers = [(fund, [(f"{fund.code} fund", decisions.ledger(db.session, fund=fund))],
                [(round_.name, decisions.ledger(db.session, fund=fund, round_=round_)) for round_ in fund.rounds])
               for fund in funds]
    return render_template("decisions/index.html", queue=decisions.queue(db.session), ledgers=ledgers,
                           transparency=subsidy.transparency_due(db.session), today=uk_today())


@bp.route("/applications/<int:application_id>")
@roles_allowed(DECISION_READERS)
def application(application_id: int):
    application = _application(application_id)
    decision = application.decision
    amount = (decision.amount if decision and decision.amount else
              decision.recommended_amount if decision and decision.recommended_amount else
              application.grant_requested)
    try:
        assessment = subsidy.assess(db.session, application, amount) if amount else None
    except DomainError as error:  # no threshold in force: shown, and approval will refuse
        assessment = None
        flash(error.message, "error")
    round_ledger = decisions.ledger(db.session, fund=application.fund, round_=application.round)
    return render_template(
        "decisions/application.html", application=application, decision=decision, amount=amount,
        assessment=assessment, blocking=subsidy.blocking_problem(assessment, application.subsidy_check)
        if assessment else None, round_ledger=round_ledger,
        separation=decisions.separation_problem(application, current_user),
        dd_problems=due_diligence.approval_problems(application),
        awaiting_second=decisions.awaiting_second_approval(application),
        rules=application.rules_in_force,
    )


@bp.route("/applications/<int:application_id>/recommend", methods=["GET", "POST"])
@roles_allowed(FUND_MANAGERS)
def recommend(application_id: int):
    application = _application(application_id)
    if application.status is not ApplicationStatus.MODERATED:
        flash("Only a moderated application without a recommendation can be recommended", "error")
        return _back(application)
    form = RecommendForm(data={"amount": application.grant_requested} if request.method == "GET" else None)
    if form.validate_on_submit():
        recommended = form.recommendation.data == "yes"
        done, _ = commit_or_refuse(lambda: decisions.recommend(
            db.session, application=application, by=current_user, recommended=recommended,
            amount=form.amount.amount if recommended else None, note=form.note.data), form=form)
        if done:
            flash("Recommendation recorded", "success")
            return _back(application)
    return form_page("decisions/recommend.html", form, application=application)


def _saved_check(application: Application) -> dict | None:
    """The due diligence already recorded, as the form's answers."""
    check = application.due_diligence
    return {"checked_on": check.checked_on, "result": check.result.value, "summary": check.summary} if check else None


@bp.route("/applications/<int:application_id>/due-diligence", methods=["GET", "POST"])
@roles_allowed(FUND_MANAGERS)
def due_diligence_check(application_id: int):
    application = _application(application_id)
    form = DueDiligenceForm(data=_saved_check(application) if request.method == "GET" else None)
    if form.validate_on_submit():
        done, _ = commit_or_refuse(lambda: due_diligence.record_check(
            db.session, application=application, by=current_user, checked_on=form.checked_on.data,
            result=Rag(form.result.data), summary=form.summary.data or ""), form=form)
        if done:
            flash("Due diligence saved", "success")
            return redirect(url_for("decisions.due_diligence_check", application_id=application.id))
    return form_page("decisions/due_diligence.html", form, application=application, flag_form=FlagForm(formdata=None))


@bp.route("/applications/<int:application_id>/due-diligence/flags", methods=["POST"])
@roles_allowed(FUND_MANAGERS)
def add_flag(application_id: int):
    application = _application(application_id)
    flag_form = FlagForm()
    if flag_form.validate_on_submit():
        done, _ = commit_or_refuse(lambda: due_diligence.add_flag(
            db.session, application=application, by=current_user, rag=Rag(flag_form.rag.data),
            description=flag_form.description.data), form=flag_form)
        if done:
            flash("Flag added", "success")
            return redirect(url_for("decisions.due_diligence_check", application_id=application.id))
    form = DueDiligenceForm(formdata=None, data=_saved_check(application))
    return render_template("decisions/due_diligence.html", form=form, flag_form=flag_form,
                           application=application), 400


@bp.route("/applications/<int:application_id>/due-diligence/flags/<int:flag_id>", methods=["GET", "POST"])
@roles_allowed(FUND_MANAGERS)
def resolve_flag(application_id: int, flag_id: int):
    application = _application(application_id)
    flag = due_diligence.get_flag(application, flag_id)
    form = ResolveFlagForm()
    if form.validate_on_submit():
        done, _ = commit_or_refuse(lambda: due_diligence.resolve_flag(
            db.session, flag=flag, by=current_user, resolution=form.resolution.data), form=form)
        if done:
            flash("Resolution recorded", "success")
            return redirect(url_for("decisions.due_diligence_check", application_id=application.id))
    return form_page("decisions/resolve_flag.html", form, application=application, flag=flag)


@bp.route("/applications/<int:application_id>/subsidy-control", methods=["GET", "POST"])
@roles_allowed(FUND_MANAGERS)
def subsidy_check(application_id: int):
    application = _application(application_id)
    check = application.subsidy_check
    data = None
    if check and request.method == "GET":
        data = {"sensitive_sector": "yes" if check.sensitive_sector else "no",
                "referred_to_sau": {True: "yes", False: "no"}.get(check.referred_to_sau),
                "referred_on": check.referred_on, "sau_reference": check.sau_reference,
                "referral_reason": check.referral_reason}
    form = SubsidyCheckForm(data=data)
    if form.validate_on_submit():
        done, _ = commit_or_refuse(lambda: subsidy.record_check(
            db.session, application=application, by=current_user, **form.values()), form=form)
        if done:
            flash("Subsidy control check saved", "success")
            return _back(application)
    return form_page("decisions/subsidy.html", form, application=application)


@bp.route("/applications/<int:application_id>/approve", methods=["GET", "POST"])
@roles_allowed(FUND_MANAGERS)
@recent_second_factor()
def approve(application_id: int):
    application = _application(application_id)
    decision = application.decision
    second = decisions.awaiting_second_approval(application)
    if application.status is not ApplicationStatus.RECOMMENDED:
        flash("Only a recommended application can be approved", "error")
        return _back(application)
    if second:  # the second approver confirms the first approver's amount and conditions
        form = ActionForm()
        form.submit.label.text = "Give the second approval"
        action = lambda: decisions.approve(db.session, application=application, by=current_user)  # noqa: E731
    else:
        form = ApproveForm(data={"amount": decision.recommended_amount} if request.method == "GET" else None)
        action = lambda: decisions.approve(  # noqa: E731
            db.session, application=application, by=current_user, amount=form.amount.amount,
            conditions=form.conditions.data or None)
    if form.validate_on_submit():
        done, approval = commit_or_refuse(action, form=form)
        if done:
            flash("First approval recorded: a different fund manager must give the second approval"
                  if approval.needs_second_approval else
                  f"Approved: {application.organisation.name} is awarded {money(approval.award.amount)}", "success")
            return _back(application)
        # each reason it was refused (one per year short of headroom) as its own line of the summary
        form.form_errors[:] = [part for message in form.form_errors for part in message.split("; ")]
    amount = decision.amount if second else (getattr(form.amount, "amount", None) or decision.recommended_amount)
    return form_page("decisions/approve.html", form, application=application, decision=decision, second=second,
                     round_ledger=decisions.ledger(db.session, fund=application.fund, round_=application.round),
                     rules=application.rules_in_force, amount=amount,
                     years=budgets.headroom(db.session, fund=application.fund,
                                            profile=decisions.award_profile(application, amount)) if amount else [])


@bp.route("/applications/<int:application_id>/reject", methods=["GET", "POST"])
@roles_allowed(FUND_MANAGERS)
def reject(application_id: int):
    application = _application(application_id)
    form = RejectForm()
    if form.validate_on_submit():
        done, _ = commit_or_refuse(lambda: decisions.reject(
            db.session, application=application, by=current_user, feedback=form.feedback.data), form=form)
        if done:
            flash(f"{application.organisation.name}'s application was rejected and the company told", "success")
            return _back(application)
    return form_page("decisions/reject.html", form, application=application)


@bp.route("/awards/<int:award_id>/transparency", methods=["GET", "POST"])
@roles_allowed(FUND_MANAGERS)
def transparency(award_id: int):
    award = db.session.get(Award, award_id)
    if award is None or award.transparency_due_on is None or not policy.may_read(current_user, award.application):
        abort(404)
    form = TransparencyForm()
    if form.validate_on_submit():
        done, _ = commit_or_refuse(lambda: subsidy.mark_uploaded(
            db.session, award=award, by=current_user, uploaded_on=form.uploaded_on.data,
            reference=form.reference.data), form=form)
        if done:
            flash("Transparency database entry recorded", "success")
            return redirect(url_for("decisions.index"))
    return form_page("decisions/transparency.html", form, award=award)
