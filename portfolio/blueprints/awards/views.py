"""Awards in delivery: the award page (contracted against actual, the timeline), monitoring
returns (the company submits, a fund or account manager verifies), the retention release and
the delivery PDFs."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portfolio.access import recent_second_factor, roles_allowed
from portfolio.blueprints import commit_or_refuse, form_page
from portfolio.blueprints import evidence as evidence_routes
from portfolio.blueprints.awards import bp
from portfolio.dates import financial_year_label, financial_year_of, financial_year_start_year, uk_today
from portfolio.extensions import db
from portfolio.forms.base import ActionForm
from portfolio.forms.forecasts import ForecastForm
from portfolio.forms.profiles import quarter_data, with_quarters
from portfolio.forms.monitoring import RetentionForm, ReturnForm, SendBackForm
from portfolio.models import Award, DocumentKind, MonitoringReturn, Rag
from portfolio.models.monitoring import FIGURES
from portfolio.models.roles import COMPANY, FINANCE, FUND_MANAGERS, PORTFOLIO_STAFF, VERIFIERS
from portfolio.money import money
from portfolio.services import claims, delivery, documents, evidence, forecasts, monitoring, policy, variations

READERS = roles_allowed(COMPANY, PORTFOLIO_STAFF)


@bp.route("/")
@roles_allowed(PORTFOLIO_STAFF)
def index():
    awards = delivery.in_delivery(db.session)
    varies = forecasts.flagged_ids(db.session, awards)
    only_varying = request.args.get("forecast") == "varies"
    return render_template("awards/index.html", awards=[a for a in awards if a.id in varies] if only_varying else awards,
                           varies=varies, only_varying=only_varying, work=monitoring.work_queue(db.session),
                           flagged=delivery.flagged(db.session), today=uk_today())


@bp.route("/forecasts")
@roles_allowed(FINANCE | FUND_MANAGERS)
def forecasts_overview():
    """Every accepted award's profile, forecast and actual for the current and next financial year."""
    this_year = financial_year_of(uk_today())
    years = [this_year, financial_year_label(financial_year_start_year(this_year) + 1)]
    lines = forecasts.fund_wide(db.session)
    only_varying = request.args.get("forecast") == "varies"
    shown = [line for line in lines if line.comparison.flagged] if only_varying else lines
    return render_template("awards/forecasts.html", years=years, only_varying=only_varying, lines=shown,
                           totals=forecasts.totals_by_year(shown, years),
                           flagged_count=sum(1 for line in lines if line.comparison.flagged))


def _award(award_id: int) -> Award:
    return policy.get(db.session, current_user, Award, award_id)


def _award_page(award, **forms):
    context = {"retention_form": RetentionForm(formdata=None), "action_form": ActionForm(formdata=None)}
    context.update(forms)
    status = 400 if any(form.errors for form in context.values()) else 200
    return render_template(
        "awards/detail.html", award=award, measures=delivery.measures(db.session, award),
        timeline=delivery.timeline(db.session, award), position=claims.position(db.session, award),
        rate=claims.grant_rate(award), releasable=delivery.retention_releasable(db.session, award),
        returns=monitoring.returns_of(db.session, award), today=uk_today(), show=monitoring.show_figure,
        comparison=forecasts.comparison(db.session, award),
        **variations.award_section(db.session, award, current_user), **context), status


@bp.route("/<int:award_id>")
@READERS
def detail(award_id: int):
    return _award_page(_award(award_id))


@bp.route("/<int:award_id>/forecast")
@READERS
def forecast(award_id: int):
    """Profile, forecast and actual by financial year and quarter, and the forecasts made."""
    award = _award(award_id)
    return render_template("awards/forecast.html", award=award, comparison=forecasts.comparison(db.session, award),
                           history=forecasts.history(db.session, award))


@bp.route("/<int:award_id>/forecast/new", methods=["GET", "POST"])
@roles_allowed(COMPANY)
def update_forecast(award_id: int):
    """Between claims, the company updates its forecast of the quarters still to come."""
    award = _award(award_id)
    if not policy.may_act(current_user, award):
        abort(403)
    quarters = forecasts.period(award)
    form = with_quarters(ForecastForm, quarters, what="the forecast")(
        data=quarter_data(forecasts.starting_point(award, quarters)) if request.method == "GET" else None)
    if form.validate_on_submit():
        done, _ = commit_or_refuse(lambda: forecasts.record(db.session, award=award, by=current_user,
                                                            profile=form.amounts(), note=form.note.data or ""),
                                   form=form)
        if done:
            flash("Your forecast has been updated", "success")
            return redirect(url_for("awards.forecast", award_id=award.id))
    return form_page("awards/update_forecast.html", form, award=award, left=forecasts.grant_left(db.session, award))


@bp.route("/<int:award_id>/statement", methods=["POST"])
@READERS
def statement(award_id: int):
    award = _award(award_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    document = documents.request_document(db.session, kind=DocumentKind.CLAIM_STATEMENT, record=award,
                                          by=current_user)
    db.session.commit()
    return redirect(url_for("documents.detail", document_id=document.id))


@bp.route("/<int:award_id>/retention", methods=["POST"])
@roles_allowed(FINANCE)
@recent_second_factor("awards.detail")
def release_retention(award_id: int):
    award = _award(award_id)
    form = RetentionForm()
    if form.validate_on_submit():
        done, payment = commit_or_refuse(lambda: claims.release_retention(
            db.session, award=award, by=current_user, amount=form.amount.amount, paid_on=form.paid_on.data,
            reference=form.reference.data), form=form)
        if done:
            flash(f"Retention of {money(payment.amount)} paid", "success")
            return redirect(url_for("awards.detail", award_id=award.id))
    return _award_page(award, retention_form=form)


# --- monitoring returns -----------------------------------------------------------------------------------

def _return(return_id: int) -> MonitoringReturn:
    return policy.get(db.session, current_user, MonitoringReturn, return_id)


def _return_form(monitoring_return, formdata=None):
    """The company's form, filled with what it submitted last time when the return came back."""
    data = monitoring_return.figures() | {"narrative": monitoring_return.narrative,
                                          "rag": monitoring_return.rag.value if monitoring_return.rag else None}
    data |= {f"explain_{name}": text for name, text in (monitoring_return.explanations or {}).items()}
    return ReturnForm(formdata=formdata, data=data)


def _return_page(monitoring_return, *, queried=(), **forms):
    context = {"form": _return_form(monitoring_return), "send_back_form": SendBackForm(formdata=None),
               "upload_form": evidence_routes.upload_form(formdata=None),
               "action_form": ActionForm(formdata=None)}
    context.update(forms)
    status = 400 if any(form.errors for form in context.values()) else 200
    queried = set(queried) | set(monitoring_return.explanations or {})
    return render_template(
        "awards/return.html", monitoring_return=monitoring_return, award=monitoring_return.award,
        figures=FIGURES, contracted=monitoring.contracted(monitoring_return.award), show=monitoring.show_figure,
        previous=monitoring.previous(db.session, monitoring_return), queried=queried, labels=monitoring.LABELS,
        files=evidence.files(db.session, monitoring_return), today=uk_today(), rags=Rag, **context), status


@bp.route("/returns/<int:return_id>", methods=["GET", "POST"])
@READERS
def monitoring_return(return_id: int):
    monitoring_return = _return(return_id)
    if request.method == "GET":
        return _return_page(monitoring_return)
    if not policy.may_act(current_user, monitoring_return):
        abort(403)
    form = ReturnForm()
    raised = []
    if form.validate_on_submit():
        values, explanations = form.values(), form.explanations()
        raised = monitoring.queries(db.session, monitoring_return, values)
        unanswered = [query for query in raised if not (explanations.get(query.figure) or "").strip()]
        for query in unanswered:
            form.add_error(f"explain_{query.figure}", query.message)
        if not unanswered:
            done, _ = commit_or_refuse(lambda: monitoring.submit(
                db.session, monitoring_return=monitoring_return, by=current_user, values=values,
                narrative=form.narrative.data, rag=Rag(form.rag.data), explanations=explanations), form=form)
            if done:
                flash(f"Return {monitoring_return.number} submitted: the Office for Life Sciences will verify it",
                      "success")
                return redirect(url_for("awards.monitoring_return", return_id=monitoring_return.id))
    return _return_page(monitoring_return, queried=[query.figure for query in raised], form=form)


@bp.route("/returns/<int:return_id>/verify", methods=["POST"])
@roles_allowed(VERIFIERS)
def verify(return_id: int):
    monitoring_return = _return(return_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if commit_or_refuse(lambda: monitoring.verify(db.session, monitoring_return=monitoring_return,
                                                  by=current_user))[0]:
        flash(f"Return {monitoring_return.number} verified", "success")
    return redirect(url_for("awards.monitoring_return", return_id=monitoring_return.id))


@bp.route("/returns/<int:return_id>/send-back", methods=["POST"])
@roles_allowed(VERIFIERS)
def send_back(return_id: int):
    monitoring_return = _return(return_id)
    form = SendBackForm()
    if form.validate_on_submit():
        done, _ = commit_or_refuse(lambda: monitoring.send_back(
            db.session, monitoring_return=monitoring_return, by=current_user, reason=form.reason.data), form=form)
        if done:
            flash(f"Return {monitoring_return.number} returned to the company", "success")
            return redirect(url_for("awards.monitoring_return", return_id=monitoring_return.id))
    return _return_page(monitoring_return, send_back_form=form)


@bp.route("/returns/<int:return_id>/pdf", methods=["POST"])
@READERS
def return_pdf(return_id: int):
    monitoring_return = _return(return_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    document = documents.request_document(db.session, kind=DocumentKind.MONITORING_RETURN,
                                          record=monitoring_return, by=current_user)
    db.session.commit()
    return redirect(url_for("documents.detail", document_id=document.id))


evidence_routes.register(bp, "/returns/<int:return_id>", load=_return, page=_return_page,
                         readers=(COMPANY, PORTFOLIO_STAFF),
                         back=lambda record: url_for("awards.monitoring_return", return_id=record.id))
