"""Grant offers: the fund manager issues them, a company signatory accepts or declines."""

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from portfolio.access import roles_allowed
from portfolio.blueprints import commit_or_refuse, form_page
from portfolio.blueprints.offers import bp
from portfolio.extensions import db
from portfolio.forms.offers import AcceptForm, DeclineForm, OfferForm
from portfolio.forms.profiles import quarter_data, quarters_posted, with_quarters
from portfolio.models import Application, Offer
from portfolio.models.roles import COMPANY, DECISION_READERS, FUND_MANAGERS
from portfolio.services import offers, policy, profiles, workflow


@bp.route("/new/<int:application_id>", methods=["GET", "POST"])
@roles_allowed(FUND_MANAGERS)
def issue(application_id: int):
    application = policy.get(db.session, current_user, Application, application_id)
    if application.award is None:
        abort(404)
    if not workflow.has_move(application, "issue_offer"):
        flash("An offer has already been issued for this award", "error")
        return redirect(url_for("decisions.application", application_id=application.id))
    if request.method == "GET":
        defaults = vars(offers.default_terms(application))
        profile = defaults.pop("profile")
        form = with_quarters(OfferForm, profiles.quarters(defaults["project_start"], defaults["project_completion"])
                             )(data={**defaults, **quarter_data(profile)})
    else:
        form = with_quarters(OfferForm, quarters_posted(request.form.get("shown_quarters")))()
    if form.validate_on_submit():
        start, completion = form.project_start.data, form.project_completion.data
        period = profiles.quarters(start, completion) if start < completion else form.quarters
        if period != form.quarters:
            # New dates, new quarters: ask for the grant in each quarter of the new period before issuing.
            form = with_quarters(OfferForm, period)()
            form.validate()
            form.add_error("profile", "The project period has changed: check the agreed grant for each quarter of "
                                      "the new period, then issue the offer")
        else:
            done, offer = commit_or_refuse(lambda: offers.issue(
                db.session, application=application, by=current_user, terms=offers.Terms(**form.terms())), form=form)
            if done:
                flash(f"Offer issued to {application.organisation.name}: the letter is being made", "success")
                return redirect(url_for("offers.detail", offer_id=offer.id))
    return form_page("offers/issue.html", form, application=application, award=application.award,
                     rules=application.rules_in_force)


def _offer(offer_id: int) -> Offer:
    return policy.get(db.session, current_user, Offer, offer_id)


def _offer_page(template: str, form, offer: Offer):
    """The offer, with the answer form for the company while it can still be answered (or why not)."""
    answerable = policy.may_act(current_user, offer) and workflow.has_move(offer, "accept")
    return form_page(template, form, offer=offer, answerable=answerable, agreed=offers.agreed_profile(offer),
                     problem=offers.response_problem(offer, current_user))


def _accept_form(offer, **kwargs) -> AcceptForm:
    form = AcceptForm(**kwargs)
    form.confirm.label.text = (f"I confirm I am authorised to accept this offer on behalf of "
                               f"{offer.award.organisation.name} and accept its terms and conditions")
    return form


@bp.route("/<int:offer_id>")
@roles_allowed(COMPANY, DECISION_READERS)
def detail(offer_id: int):
    offer = _offer(offer_id)
    return _offer_page("offers/detail.html", _accept_form(offer, formdata=None), offer)


@bp.route("/<int:offer_id>/accept", methods=["POST"])
@roles_allowed(COMPANY)
def accept(offer_id: int):
    offer = _offer(offer_id)
    form = _accept_form(offer)
    if form.validate_on_submit():
        done, _ = commit_or_refuse(lambda: offers.accept(db.session, offer=offer, by=current_user), form=form)
        if done:
            flash("You have accepted the grant offer", "success")
            return redirect(url_for("offers.detail", offer_id=offer.id))
    return _offer_page("offers/detail.html", form, offer)


@bp.route("/<int:offer_id>/decline", methods=["GET", "POST"])
@roles_allowed(COMPANY)
def decline(offer_id: int):
    offer = _offer(offer_id)
    form = DeclineForm()
    if form.validate_on_submit():
        done, _ = commit_or_refuse(lambda: offers.decline(db.session, offer=offer, by=current_user,
                                                          reason=form.reason.data), form=form)
        if done:
            flash("You have declined the grant offer", "success")
            return redirect(url_for("offers.detail", offer_id=offer.id))
    return _offer_page("offers/decline.html", form, offer)
