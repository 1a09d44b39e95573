"""Variations: the company (or a fund manager on its behalf) requests a change to an accepted award
(kind -> the kind's form -> check answers -> requested); the fund manager queries it, approves or rejects it;
a company signatory accepts the amendment letter. The award's terms history shows every version."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.validators import StopValidation

from portfolio.access import recent_second_factor, roles_allowed
from portfolio.blueprints import commit_or_refuse, form_page, send_upload
from portfolio.blueprints.evidence import upload_form
from portfolio.blueprints.variations import bp
from portfolio.dates import add_months
from portfolio.extensions import db
from portfolio.forms.base import ActionForm
from portfolio.forms.profiles import quarter_data
from portfolio.forms.variations import AnswerForm, ApproveForm, KindForm, QueryForm, ReferralForm, RejectForm, \
    WithdrawForm, request_form
from portfolio.models import Award, Role, Variation, VariationKind, VariationStatus
from portfolio.models.roles import COMPANY, FUND_MANAGERS, PORTFOLIO_STAFF
from portfolio.services import award_terms, policy, profiles, variations, workflow

READERS = roles_allowed(COMPANY, PORTFOLIO_STAFF)
REQUESTERS = roles_allowed(COMPANY, FUND_MANAGERS)


@bp.route("/")
@roles_allowed(FUND_MANAGERS)
def index():
    return render_template("variations/index.html", queue=variations.queue(db.session, current_user))


def _award(award_id: int) -> Award:
    return policy.get(db.session, current_user, Award, award_id)


def _refused(award: Award):
    """The award page with the reason, when this person cannot request a change now (None: they can)."""
    problem = variations.request_problem(db.session, award, current_user)
    if problem:
        flash(problem, "error")
        return redirect(url_for("awards.detail", award_id=award.id) + "#changes")
    return None


# --- requesting a change --------------------------------------------------------------------------------

@bp.route("/awards/<int:award_id>/new", methods=["GET", "POST"])
@REQUESTERS
def choose_kind(award_id: int):
    award = _award(award_id)
    if refused := _refused(award):
        return refused
    form = KindForm()
    if form.validate_on_submit():
        return redirect(url_for("variations.new", award_id=award.id, kind=form.kind.data))
    return form_page("variations/kind.html", form, award=award)


def _kind(value: str) -> VariationKind:
    try:
        return VariationKind(value)
    except ValueError:
        abort(404)


def _quarters(award: Award, kind: VariationKind, form=None) -> list:
    """The quarters the profile table shows: the project period, and for a time extension the year after it
    (or up to the completion date typed in, when that is later)."""
    if kind not in variations.WITH_PROFILE:
        return []
    start, completion = variations.project_period(award)
    if start is None or completion is None:
        return []  # refused with the reason when posted (services.variations.proposal_problems)
    last = completion
    if kind is VariationKind.TIME_EXTENSION:
        last = add_months(completion, 12)
        typed = form.new_completion.data if form is not None else None
        if typed is not None and typed > last:
            last = typed
    return profiles.quarters(start, last)


def _prefill(award: Award, kind: VariationKind, quarters: list) -> dict:
    current = variations.current_profile(award)
    return quarter_data({quarter: current.get(quarter, profiles.ZERO) for quarter in quarters})


def _carried() -> list[tuple[str, str]]:
    """The answers posted, to carry through the check-answers page as hidden fields."""
    return [(name, value) for name, values in request.form.lists() if name not in ("csrf_token", "action")
            for value in values]


@bp.route("/awards/<int:award_id>/new/<kind>", methods=["GET", "POST"])
@REQUESTERS
def new(award_id: int, kind: str):
    award = _award(award_id)
    if refused := _refused(award):
        return refused
    kind = _kind(kind)
    if request.method == "GET":
        quarters = _quarters(award, kind)
        form = request_form(kind, quarters, formdata=None, data=_prefill(award, kind, quarters) | (
            {"new_eligible_capital_cost": variations.eligible_capital_cost(award)} if kind is VariationKind.SCOPE
            else {}))
        return _kind_page(award, kind, form)
    # The table follows the completion date typed in: read it first, then build the form with its quarters.
    probe = request_form(kind, [])
    if kind is VariationKind.TIME_EXTENSION:
        try:
            probe.new_completion.pre_validate(probe)
        except StopValidation:
            pass
    form = request_form(kind, _quarters(award, kind, probe))
    action = request.form.get("action", "check")
    if action == "change":  # back from the check-answers page: the answers as they were
        return _kind_page(award, kind, form, status=200)
    valid = form.validate_on_submit()
    if not valid and (form.csrf_token.errors or any(field.errors for _, field in form.quarter_fields())):
        return _kind_page(award, kind, form)
    # Every problem at once: the fields' own, then the proposal's against the current terms.
    proposal = variations.Proposal(**form.proposal_values(), profile=form.proposed_profile())
    for field, message in variations.proposal_problems(db.session, award, kind, proposal):
        if field not in form or not form[field].errors:
            form.add_error(field if field in form else None, message)
    if form.errors:
        return _kind_page(award, kind, form)
    if action != "submit":
        return render_template("variations/check.html", award=award, kind=kind, form=form, carried=_carried(),
                               proposal=proposal, preview=_preview(award, kind, proposal))
    done, variation = commit_or_refuse(lambda: variations.request(
        db.session, award=award, by=current_user, kind=kind, reasons=form.reasons.data, proposal=proposal,
        evidence=form.evidence.data), form=form)
    if not done:
        return render_template("variations/check.html", award=award, kind=kind, form=form, carried=_carried(),
                               proposal=proposal, preview=_preview(award, kind, proposal)), 400
    flash(f"Change {variation.reference} requested: the fund manager will review it", "success")
    return redirect(url_for("variations.detail", variation_id=variation.id))


def _kind_page(award, kind, form, status=None):
    page = render_template("variations/new.html", award=award, kind=kind, form=form,
                           start_end=variations.project_period(award),
                           current=award_terms.current_profile(award))
    return page, status or (400 if form.errors else 200)


def _preview(award: Award, kind: VariationKind, proposal: variations.Proposal) -> dict:
    """What the check-answers page shows: the changes, old -> new, and the profile by year."""
    year_rows = variations.profile_by_year(variations.current_profile(award), proposal.profile) \
        if proposal.profile is not None else []
    return {"changes": variations.preview_changes(db.session, award, kind, proposal), "years": year_rows,
            "second": variations.needs_second_approval(award, kind, proposal)}


# --- the variation ---------------------------------------------------------------------------------------

def _variation(variation_id: int) -> Variation:
    return policy.get(db.session, current_user, Variation, variation_id)


TAG_COLOURS = {VariationStatus.REQUESTED: "blue", VariationStatus.QUERIED: "yellow",
               VariationStatus.AWAITING_SECOND_APPROVAL: "purple", VariationStatus.APPROVED: "turquoise",
               VariationStatus.ACCEPTED: "green", VariationStatus.REJECTED: "red", VariationStatus.WITHDRAWN: "grey"}
FORMS = {"query_form": QueryForm, "answer_form": AnswerForm, "approve_form": ApproveForm,
         "reject_form": RejectForm, "withdraw_form": WithdrawForm, "referral_form": ReferralForm,
         "action_form": ActionForm}


def _detail_page(variation: Variation, **forms):
    context = {name: form(formdata=None) for name, form in FORMS.items() if name not in forms}
    context.update(forms)
    context.setdefault("upload_form", upload_form(formdata=None))
    status = 400 if any(form.errors for form in context.values()) else 200
    assessment = variations.subsidy_assessment(db.session, variation) \
        if variation.status in (VariationStatus.REQUESTED, VariationStatus.QUERIED,
                                VariationStatus.AWAITING_SECOND_APPROVAL) else None
    moves = {rule.name: rule for rule in workflow.available(variation, current_user, guarded=False)}
    return render_template(
        "variations/detail.html", variation=variation, award=variation.award, changes=variations.changes(variation),
        years=variations.profile_changes(variation), files=variations.files(db.session, variation),
        evidence_open=variations.open_for_evidence(variation) and policy.may_read(current_user, variation)
        and current_user.role in (Role.APPLICANT, Role.FUND_MANAGER),
        moves=moves, blocked={name: rule.guard(variation, current_user) if rule.guard else None
                              for name, rule in moves.items()},
        assessment=assessment, referral_problem=variations.referral_problem(assessment, variation),
        tag_colour=TAG_COLOURS[variation.status], approval_move=variations.approval_move(variation),
        **context), status


@bp.route("/<int:variation_id>")
@READERS
def detail(variation_id: int):
    return _detail_page(_variation(variation_id))


def _act(variation_id: int, form_name: str, action, success: str):
    variation = _variation(variation_id)
    form = FORMS[form_name]()
    if form.validate_on_submit():
        done, _ = commit_or_refuse(lambda: action(variation, form), form=form)
        if done:
            flash(success.format(reference=variation.reference), "success")
            return redirect(url_for("variations.detail", variation_id=variation.id))
    return _detail_page(variation, **{form_name: form})


@bp.route("/<int:variation_id>/query", methods=["POST"])
@roles_allowed(FUND_MANAGERS)
def query(variation_id: int):
    return _act(variation_id, "query_form", lambda v, f: variations.query(
        db.session, variation=v, by=current_user, body=f.body.data), "Query sent to the company")


@bp.route("/<int:variation_id>/answer", methods=["POST"])
@roles_allowed(COMPANY)
def answer(variation_id: int):
    return _act(variation_id, "answer_form", lambda v, f: variations.answer(
        db.session, variation=v, by=current_user, body=f.body.data), "Answer sent to the fund manager")


@bp.route("/<int:variation_id>/referral", methods=["POST"])
@roles_allowed(FUND_MANAGERS)
def referral(variation_id: int):
    return _act(variation_id, "referral_form", lambda v, f: variations.record_referral(
        db.session, variation=v, by=current_user, **f.values()), "Referral decision saved")


@bp.route("/<int:variation_id>/approve", methods=["POST"])
@roles_allowed(FUND_MANAGERS)
@recent_second_factor("variations.detail")
def approve(variation_id: int):
    def approve_it(variation, form):
        variations.approve(db.session, variation=variation, by=current_user, note=form.note.data or None)
        return variation

    variation = _variation(variation_id)
    if variations.approval_move(variation) == "first_approval":
        message = "First approval given: a second fund manager must approve {reference}"
    else:
        message = "Change {reference} approved: the amendment letter is on its way to the company"
    return _act(variation_id, "approve_form", approve_it, message)


@bp.route("/<int:variation_id>/reject", methods=["POST"])
@roles_allowed(FUND_MANAGERS)
def reject(variation_id: int):
    return _act(variation_id, "reject_form", lambda v, f: variations.reject(
        db.session, variation=v, by=current_user, reason=f.reason.data), "Change {reference} rejected")


@bp.route("/<int:variation_id>/withdraw", methods=["POST"])
@REQUESTERS
def withdraw(variation_id: int):
    return _act(variation_id, "withdraw_form", lambda v, f: variations.withdraw(
        db.session, variation=v, by=current_user, reason=f.reason.data), "Change {reference} withdrawn")


@bp.route("/<int:variation_id>/accept", methods=["POST"])
@roles_allowed(COMPANY)
def accept(variation_id: int):
    return _act(variation_id, "action_form", lambda v, f: variations.accept(
        db.session, variation=v, by=current_user), "Amendment {reference} accepted: the award's terms have changed")


# --- evidence ------------------------------------------------------------------------------------------

@bp.route("/<int:variation_id>/evidence", methods=["POST"])
@REQUESTERS
def upload_evidence(variation_id: int):
    variation = _variation(variation_id)
    form = upload_form()
    if form.validate_on_submit():
        done, upload = commit_or_refuse(lambda: variations.attach(db.session, variation, by=current_user,
                                                                  file_storage=form.file.data), form=form)
        if done:
            flash(f"Uploaded {upload.original_filename}", "success")
            return redirect(url_for("variations.detail", variation_id=variation.id) + "#evidence")
    return _detail_page(variation, upload_form=form)


@bp.route("/<int:variation_id>/evidence/<int:upload_id>")
@READERS
def download_evidence(variation_id: int, upload_id: int):
    variation = _variation(variation_id)
    return send_upload(db.session, variations.uploads.file_of(db.session, current_user, variation, upload_id))


@bp.route("/<int:variation_id>/evidence/<int:upload_id>/remove", methods=["POST"])
@REQUESTERS
def remove_evidence(variation_id: int, upload_id: int):
    variation = _variation(variation_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    done, upload = commit_or_refuse(lambda: variations.remove(db.session, variation, by=current_user,
                                                              upload_id=upload_id))
    if done:
        flash(f"Removed {upload.original_filename}", "success")
    return redirect(url_for("variations.detail", variation_id=variation.id) + "#evidence")


# --- the terms history -------------------------------------------------------------------------------------

@bp.route("/awards/<int:award_id>/terms")
@READERS
def terms_history(award_id: int):
    award = _award(award_id)
    versions = list(reversed(award.terms_versions))
    return render_template("variations/terms.html", award=award, versions=versions, fields=award_terms.FIELDS,
                           profile_of=award_terms.profile_of, by_year=profiles.by_year)
