"""Claims: the company claims against its accepted award; finance approves and pays."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portfolio.access import recent_second_factor, roles_allowed
from portfolio.blueprints import commit_or_refuse, form_page
from portfolio.blueprints import evidence as evidence_routes
from portfolio.blueprints.claims import bp
from portfolio.extensions import db
from portfolio.forms.base import ActionForm
from portfolio.forms.claims import ClaimItemForm, PaymentForm, RejectClaimForm, StartClaimForm, review_form
from portfolio.forms.forecasts import ForecastForm
from portfolio.forms.profiles import quarter_data, with_quarters
from portfolio.models import Award, Claim
from portfolio.models.roles import COMPANY, DECISION_READERS, FINANCE, PORTFOLIO_STAFF
from portfolio.money import money
from portfolio.services import claims, evidence, forecasts, policy

READERS = roles_allowed(COMPANY, PORTFOLIO_STAFF)


@bp.route("/")
@roles_allowed(DECISION_READERS)
def index():
    return render_template("claims/index.html", queue=claims.queue(db.session))


def _award(award_id: int) -> Award:
    return policy.get(db.session, current_user, Award, award_id)


def _editor(record) -> None:
    """Only the company whose record it is changes it (staff read it: 403)."""
    if not policy.may_act(current_user, record):
        abort(403)


@bp.route("/awards/<int:award_id>", methods=["GET", "POST"])
@READERS
def award(award_id: int):
    award = _award(award_id)
    form = StartClaimForm()
    if request.method == "POST":
        _editor(award)
    if form.validate_on_submit():
        done, claim = commit_or_refuse(lambda: claims.start(
            db.session, award=award, by=current_user, period_start=form.period_start.data,
            period_end=form.period_end.data), form=form)
        if done:
            return redirect(url_for("claims.detail", claim_id=claim.id))
    return form_page("claims/award.html", form, award=award, claims_=claims.claims_of(db.session, award),
                     position=claims.position(db.session, award), rate=claims.grant_rate(award))


def _claim(claim_id: int) -> Claim:
    return policy.get(db.session, current_user, Claim, claim_id)


@bp.route("/<int:claim_id>", methods=["GET", "POST"])
@READERS
def detail(claim_id: int):
    claim = _claim(claim_id)
    item_form = ClaimItemForm(formdata=None)
    if request.method == "POST":
        _editor(claim)
        item_form = ClaimItemForm()
        if item_form.validate_on_submit():
            done, _ = commit_or_refuse(lambda: claims.add_item(
                db.session, claim=claim, by=current_user, description=item_form.description.data,
                invoice_reference=item_form.invoice_reference.data, defrayed_on=item_form.defrayed_on.data,
                amount=item_form.amount.amount), form=item_form)
            if done:
                flash(f"Cost added: {item_form.description.data}", "success")
                return redirect(url_for("claims.detail", claim_id=claim.id))
    return _detail_page(claim, item_form=item_form)


def _detail_page(claim, **forms):
    defaults = {"item_form": ClaimItemForm(formdata=None),
                "review": review_form(claim.items, formdata=None, data={f"item_{i.id}": i.amount for i in claim.items}),
                "reject_form": RejectClaimForm(formdata=None), "payment": PaymentForm(formdata=None),
                "action_form": ActionForm(formdata=None),
                "upload_form": evidence_routes.upload_form(formdata=None)}
    defaults.update(forms)
    errors = any(form.errors for form in defaults.values())
    return render_template("claims/detail.html", claim=claim, award=claim.award, **defaults,
                           files=evidence.files(db.session, claim),
                           forecast=forecasts.made_with(db.session, claim),
                           forecast_due=forecasts.due_with(db.session, claim),
                           form=next((f for f in defaults.values() if f.errors), defaults["item_form"])
                           ), 400 if errors else 200


@bp.route("/<int:claim_id>/items/<int:item_id>/remove", methods=["POST"])
@roles_allowed(COMPANY)
def remove_item(claim_id: int, item_id: int):
    claim = _claim(claim_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if commit_or_refuse(lambda: claims.remove_item(db.session, claim=claim, by=current_user, item_id=item_id))[0]:
        flash("Cost removed", "success")
    return redirect(url_for("claims.detail", claim_id=claim.id))


@bp.route("/<int:claim_id>/submit", methods=["POST"])
@roles_allowed(COMPANY)
def submit(claim_id: int):
    claim = _claim(claim_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if commit_or_refuse(lambda: claims.submit(db.session, claim=claim, by=current_user))[0]:
        flash(f"Claim {claim.number} submitted: finance will review it", "success")
    return redirect(url_for("claims.detail", claim_id=claim.id))


@bp.route("/<int:claim_id>/forecast", methods=["GET", "POST"])
@roles_allowed(COMPANY)
def forecast(claim_id: int):
    """The claim's forecast step: the grant the company now expects to claim in each quarter still to come."""
    claim = _claim(claim_id)
    _editor(claim)
    if not claims.is_draft(claim):
        flash(f"Claim {claim.number} has been submitted: update your forecast from the award's page", "error")
        return redirect(url_for("claims.detail", claim_id=claim.id))
    quarters = forecasts.period(claim.award, claim=claim)
    form = with_quarters(ForecastForm, quarters, what="the forecast")(
        data=quarter_data(forecasts.starting_point(claim.award, quarters)) if request.method == "GET" else None)
    if form.validate_on_submit():
        done, _ = commit_or_refuse(lambda: forecasts.record(
            db.session, award=claim.award, by=current_user, profile=form.amounts(), claim=claim,
            note=form.note.data or ""), form=form)
        if done:
            flash("Forecast saved: you can now submit the claim", "success")
            return redirect(url_for("claims.detail", claim_id=claim.id))
    return form_page("claims/forecast.html", form, claim=claim, award=claim.award,
                     left=forecasts.grant_left(db.session, claim.award))


@bp.route("/<int:claim_id>/review", methods=["POST"])
@roles_allowed(FINANCE)
def review(claim_id: int):
    claim = _claim(claim_id)
    form = review_form(claim.items)
    if form.validate_on_submit():
        done, result = commit_or_refuse(lambda: claims.review(
            db.session, claim=claim, by=current_user, approved=form.approved(), reason=form.reason.data or None),
            form=form)
        if done:
            flash(f"Claim {claim.number} approved: {money(result.payable)} to pay", "success")
            return redirect(url_for("claims.detail", claim_id=claim.id))
    return _detail_page(claim, review=form)


@bp.route("/<int:claim_id>/reject", methods=["POST"])
@roles_allowed(FINANCE)
def reject(claim_id: int):
    claim = _claim(claim_id)
    form = RejectClaimForm()
    if form.validate_on_submit():
        done, _ = commit_or_refuse(lambda: claims.reject(db.session, claim=claim, by=current_user,
                                                         reason=form.reason.data), form=form)
        if done:
            flash(f"Claim {claim.number} rejected", "success")
            return redirect(url_for("claims.detail", claim_id=claim.id))
    return _detail_page(claim, reject_form=form)


@bp.route("/<int:claim_id>/payment", methods=["POST"])
@roles_allowed(FINANCE)
@recent_second_factor("claims.detail")
def pay(claim_id: int):
    claim = _claim(claim_id)
    form = PaymentForm()
    if form.validate_on_submit():
        done, _ = commit_or_refuse(lambda: claims.record_payment(
            db.session, claim=claim, by=current_user, amount=form.amount.amount, paid_on=form.paid_on.data,
            reference=form.reference.data), form=form)
        if done:
            flash(f"Payment of {money(form.amount.amount)} recorded", "success")
            return redirect(url_for("claims.detail", claim_id=claim.id))
    return _detail_page(claim, payment=form)


evidence_routes.register(bp, "/<int:claim_id>", load=_claim, page=_detail_page, readers=(COMPANY, PORTFOLIO_STAFF),
                         back=lambda claim: url_for("claims.detail", claim_id=claim.id))
