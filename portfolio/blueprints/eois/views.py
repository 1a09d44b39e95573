from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portfolio.access import roles_allowed
from portfolio.blueprints import commit_or_refuse, form_page
from portfolio.blueprints.eois import bp
from portfolio.extensions import db
from portfolio.forms.base import ActionForm
from portfolio.forms.eois import EoiDecisionForm, EoiForm
from portfolio.models import EoiStatus, ExcludedProduct, ExpressionOfInterest, Round
from portfolio.models.roles import COMPANY, FUND_MANAGERS, FUND_TEAM
from portfolio.money import money
from portfolio.services import eois, funds, policy, workflow
from portfolio.services.errors import DomainError


def _eoi(eoi_id: int) -> ExpressionOfInterest:
    return policy.get(db.session, current_user, ExpressionOfInterest, eoi_id)


@bp.route("/")
@roles_allowed(FUND_TEAM)
def index():
    choices = {s.value: s for s in EoiStatus if s is not EoiStatus.DRAFT}
    status_filter = request.args.get("status", EoiStatus.SUBMITTED.value)
    if status_filter not in choices:
        status_filter = "all"
    status = choices.get(status_filter)
    return render_template("eois/index.html", eois=eois.queue(db.session, status=status),
                           status_filter=status_filter, statuses=list(choices.values()))


@bp.route("/new", methods=["GET", "POST"])
@roles_allowed(COMPANY)
def new():
    return _edit(None)


@bp.route("/<int:eoi_id>/edit", methods=["GET", "POST"])
@roles_allowed(COMPANY)
def edit(eoi_id: int):
    eoi = _eoi(eoi_id)
    if eoi.status not in eois.EDITABLE:
        flash("This expression of interest has been submitted and can no longer be changed", "error")
        return redirect(url_for("eois.detail", eoi_id=eoi.id))
    return _edit(eoi)


def _edit(eoi):
    form = EoiForm(data=EoiForm.data_from(eoi) if eoi and request.method == "GET" else None)
    if form.validate_on_submit():
        done, saved = commit_or_refuse(lambda: eois.save_draft(
            db.session, fund=funds.get_fund(db.session), organisation=current_user.organisation,
            by=current_user, answers=form.answers(), eoi=eoi), form=form)
        if done:
            return redirect(url_for("eois.detail", eoi_id=saved.id))
    return form_page("eois/form.html", form, eoi=eoi)


@bp.route("/<int:eoi_id>")
@roles_allowed(COMPANY, FUND_TEAM)
def detail(eoi_id: int):
    eoi = _eoi(eoi_id)
    can_change = eoi.status in eois.EDITABLE and policy.may_act(current_user, eoi)
    return render_template("eois/detail.html", eoi=eoi, rows=answer_rows(eoi, can_change=can_change),
                           can_change=can_change, action_form=ActionForm())


@bp.route("/<int:eoi_id>/submit", methods=["POST"])
@roles_allowed(COMPANY)
def submit(eoi_id: int):
    eoi = _eoi(eoi_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        eois.submit(db.session, eoi=eoi, by=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("eois.detail", eoi_id=eoi_id))
    db.session.commit()
    flash("Your expression of interest has been submitted", "success")
    return redirect(url_for("eois.detail", eoi_id=eoi.id))


@bp.route("/<int:eoi_id>/decision", methods=["GET", "POST"])
@roles_allowed(FUND_MANAGERS)
def decide(eoi_id: int):
    eoi = _eoi(eoi_id)
    if not workflow.can(eoi, "invite", current_user):
        abort(404)
    rounds = funds.upcoming_or_open_rounds(db.session, eoi.fund)
    form = EoiDecisionForm(rounds=rounds)
    if form.validate_on_submit() and commit_or_refuse(lambda: _record_decision(eoi, form), form=form)[0]:
        flash(f"Decision recorded for {eoi.organisation.name}", "success")
        return redirect(url_for("eois.index"))
    return form_page("eois/decide.html", form, eoi=eoi, rows=answer_rows(eoi, can_change=False))


def _record_decision(eoi, form) -> None:
    if form.decision.data == "invite":
        round_ = db.session.get(Round, int(form.round_id.data))
        eois.invite(db.session, eoi=eoi, by=current_user, round_=round_, notes=form.notes.data)
    else:
        eois.decline(db.session, eoi=eoi, by=current_user, reasons=form.notes.data)


def answer_rows(eoi, *, can_change: bool) -> list[dict]:
    """The EOI's answers as GOV.UK summary list rows, with Change links on a draft."""
    def yes_no(value):
        return "" if value is None else ("Yes" if value else "No")

    answers = [
        ("Project title", eoi.project_title, "project_title"),
        ("Project summary", eoi.project_summary, "project_summary"),
        ("Manufacturing site postcode", eoi.site_postcode, "site_postcode"),
        ("Applicant", eoi.applicant_type.label if eoi.applicant_type else "", "applicant_type"),
        ("Wholly private sector", yes_no(eoi.wholly_private), "wholly_private"),
        ("Product", eoi.product_type.label if eoi.product_type else "", "product_type"),
        ("Excluded products", "; ".join(ExcludedProduct(e).label for e in eoi.excluded_products or []) or "None",
         "excluded_products"),
        ("Received a grant from this fund before", yes_no(eoi.previous_recipient), "previous_recipient"),
        ("A different project", yes_no(eoi.different_project) or "Not applicable", "different_project"),
        ("Total project cost", money(eoi.total_project_cost), "total_project_cost"),
        ("Grant asked for", money(eoi.grant_sought), "grant_sought"),
    ]
    rows = []
    for key, value, anchor in answers:
        row = {"key": {"text": key}, "value": {"text": value or ""}}
        if can_change:
            row["actions"] = {"items": [{"href": url_for("eois.edit", eoi_id=eoi.id) + "#" + anchor,
                                         "text": "Change", "visuallyHiddenText": key.lower()}]}
        rows.append(row)
    return rows
