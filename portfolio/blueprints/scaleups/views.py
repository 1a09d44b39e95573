"""The scale-up company service (issue 8): the cohort view (trend chart, the 10–20 warning,
snapshots waiting for confirmation), joining and leaving, each company's dashboard (support plan,
engagement log with referrals and outcomes, quarterly KPI snapshots) and its profile PDF.

Account managers run it; fund managers, finance and administrators read it; those staff pages are
404 for company users. A cohort company's own users have /scale-ups/company: their company only,
where they submit a quarterly snapshot for the account manager to confirm."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from portfolio.access import roles_allowed
from portfolio.blueprints import commit_or_refuse, form_page
from portfolio.blueprints.scaleups import bp
from portfolio.dates import quarter_label, recent_quarters
from portfolio.extensions import db
from portfolio.forms.base import ActionForm
from portfolio.forms.scaleups import EngagementForm, JoinForm, LeaveForm, OutcomeForm, PlanForm, SnapshotForm
from portfolio.models import DocumentKind, EngagementKind, ReferralBody, ScaleupCompany
from portfolio.models.roles import ACCOUNT_MANAGERS, COMPANY, PORTFOLIO_STAFF
from portfolio.services import documents, organisations, policy, scaleups, workflow
from portfolio.services.errors import NotFound

READERS = roles_allowed(PORTFOLIO_STAFF, confidential=True)
WORKERS = roles_allowed(ACCOUNT_MANAGERS, confidential=True)


def _company(company_id: int) -> ScaleupCompany:
    return policy.get(db.session, current_user, ScaleupCompany, company_id)


def _back(company, anchor: str = ""):
    return redirect(url_for("scaleups.detail", company_id=company.id) + anchor)


def _quarters():
    return [(q, quarter_label(q)) for q in recent_quarters()]


@bp.route("/")
@READERS
def index():
    companies = scaleups.active_companies(db.session)
    trend = scaleups.cohort_trend(db.session)
    return render_template("scaleups/index.html", companies=companies, former=scaleups.former_companies(db.session),
                           warning=scaleups.cohort_warning(len(companies)), maximum=scaleups.MAX_ACTIVE,
                           trend=trend, chart=scaleups.employees_chart(trend), waiting=scaleups.waiting(db.session),
                           latest=scaleups.latest, can_work=workflow.can_start(ScaleupCompany, current_user))


@bp.route("/join", methods=["GET", "POST"])
@WORKERS
def join():
    form = JoinForm(organisations=organisations.list_organisations(db.session),
                    account_managers=scaleups.account_managers(db.session))
    if form.validate_on_submit():
        done, company = commit_or_refuse(lambda: scaleups.join(
            db.session, by=current_user, organisation_id=int(form.organisation_id.data),
            account_manager_id=int(form.account_manager_id.data), joined_on=form.joined_on.data,
            reason=form.reason.data), form=form)
        if done:
            flash(f"{company.organisation.name} joined the cohort", "success")
            return _back(company)
    return form_page("scaleups/join.html", form, active=scaleups.active_count(db.session),
                     maximum=scaleups.MAX_ACTIVE)


def _page(company, **forms):
    context = {"leave_form": LeaveForm(formdata=None), "engagement_form": EngagementForm(formdata=None),
               "outcome_form": OutcomeForm(formdata=None)}
    context.update(forms)
    refused = next((form for form in context.values() if form.errors), None)
    if refused is not None:
        context["form"] = refused
    return render_template("scaleups/detail.html", company=company, latest=scaleups.latest(company),
                           can_work=policy.may_act(current_user, company),
                           **context), 400 if refused is not None else 200


@bp.route("/<int:company_id>")
@READERS
def detail(company_id: int):
    return _page(_company(company_id))


@bp.route("/<int:company_id>/leave", methods=["POST"])
@WORKERS
def leave(company_id: int):
    company = _company(company_id)
    form = LeaveForm()
    if form.validate_on_submit():
        done, _ = commit_or_refuse(lambda: scaleups.leave(db.session, company=company, by=current_user,
                                                          left_on=form.left_on.data, reason=form.reason.data),
                                   form=form)
        if done:
            flash(f"{company.organisation.name} left the cohort", "success")
            return _back(company)
    return _page(company, leave_form=form)


@bp.route("/<int:company_id>/plan", methods=["GET", "POST"])
@WORKERS
def plan(company_id: int):
    company = _company(company_id)
    data = {"account_manager_id": str(company.account_manager_id), "support_needs": company.support_needs,
            "agreed_actions": company.agreed_actions}
    form = PlanForm(data=data, account_managers=scaleups.account_managers(db.session))
    if form.validate_on_submit():
        done, _ = commit_or_refuse(lambda: scaleups.update_plan(
            db.session, company=company, by=current_user, account_manager_id=int(form.account_manager_id.data),
            support_needs=form.support_needs.data or "", agreed_actions=form.agreed_actions.data or ""), form=form)
        if done:
            flash("Support plan saved", "success")
            return _back(company, "#plan")
    return form_page("scaleups/plan.html", form, company=company)


@bp.route("/<int:company_id>/engagements", methods=["POST"])
@WORKERS
def log_engagement(company_id: int):
    company = _company(company_id)
    form = EngagementForm()
    if form.validate_on_submit():
        done, engagement = commit_or_refuse(lambda: scaleups.log_engagement(
            db.session, company=company, by=current_user, kind=EngagementKind(form.kind.data), on=form.on.data,
            summary=form.summary.data,
            referred_to=ReferralBody(form.referred_to.data) if form.referred_to.data else None,
            other_body=form.other_body.data, outcome=form.outcome.data), form=form)
        if done:
            flash(f"{engagement.kind.label} logged", "success")
            return _back(company, "#engagements")
    return _page(company, engagement_form=form)


@bp.route("/<int:company_id>/engagements/<int:engagement_id>/outcome", methods=["POST"])
@WORKERS
def record_outcome(company_id: int, engagement_id: int):
    company = _company(company_id)
    form = OutcomeForm()
    if form.validate_on_submit():
        done, _ = commit_or_refuse(lambda: scaleups.record_outcome(
            db.session, company=company, by=current_user, engagement_id=engagement_id, outcome=form.outcome.data),
            form=form)
        if done:
            flash("Referral outcome recorded", "success")
            return _back(company, "#engagements")
    return _page(company, outcome_form=form)


@bp.route("/<int:company_id>/snapshot", methods=["GET", "POST"])
@WORKERS
def snapshot(company_id: int):
    company = _company(company_id)
    form = SnapshotForm(quarters=_quarters())
    if form.validate_on_submit():
        done, saved = commit_or_refuse(lambda: scaleups.submit_snapshot(
            db.session, company=company, by=current_user, **form.values()), form=form)
        if done:
            flash(f"Snapshot for {quarter_label(saved.quarter_start)} saved and confirmed", "success")
            return _back(company, "#snapshots")
    return form_page("scaleups/snapshot.html", form, company=company,
                     back=url_for("scaleups.detail", company_id=company.id))


@bp.route("/<int:company_id>/snapshots/<int:snapshot_id>/confirm", methods=["POST"])
@WORKERS
def confirm(company_id: int, snapshot_id: int):
    company = _company(company_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    done, saved = commit_or_refuse(lambda: scaleups.confirm_snapshot(db.session, company=company, by=current_user,
                                                                     snapshot_id=snapshot_id))
    if done:
        flash(f"Snapshot for {quarter_label(saved.quarter_start)} confirmed", "success")
    return _back(company, "#snapshots")


@bp.route("/<int:company_id>/profile", methods=["POST"])
@roles_allowed(PORTFOLIO_STAFF, COMPANY)
def profile_pdf(company_id: int):
    company = _company(company_id)  # a company user: its own company only
    if not ActionForm().validate_on_submit():
        abort(400)
    # Readable by whoever may read the company's cohort place: its own users too.
    document = documents.request_document(db.session, kind=DocumentKind.SCALEUP_PROFILE, record=company,
                                          by=current_user)
    db.session.commit()
    return redirect(url_for("documents.detail", document_id=document.id))


# --- the company's own page -----------------------------------------------------------------------

def _own_company():
    company = scaleups.company_of(db.session, current_user)
    if company is None:
        raise NotFound()
    return company


@bp.route("/company")
@roles_allowed(COMPANY)
def own():
    company = _own_company()
    return render_template("scaleups/company.html", company=company, latest=scaleups.latest(company))


@bp.route("/company/snapshot", methods=["GET", "POST"])
@roles_allowed(COMPANY)
def own_snapshot():
    company = _own_company()
    form = SnapshotForm(quarters=_quarters())
    if form.validate_on_submit():
        done, saved = commit_or_refuse(lambda: scaleups.submit_snapshot(
            db.session, company=company, by=current_user, **form.values()), form=form)
        if done:
            flash(f"Snapshot for {quarter_label(saved.quarter_start)} sent to your account manager",
                  "success")
            return redirect(url_for("scaleups.own"))
    return form_page("scaleups/snapshot.html", form, company=company, back=url_for("scaleups.own"))
