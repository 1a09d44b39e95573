"""Large Investment Portfolio cases (issue 7): the pipeline, each case's details, sites, UK offer,
approvals, stage, actions, meetings, risks and documents, the CSV and the case summary PDF.

Account and fund managers work cases; finance and administrators read them; company users get
404 from every URL here (`confidential`), even for a case about their own company."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portfolio import spreadsheets
from portfolio.access import roles_allowed
from portfolio.blueprints import commit_or_refuse, form_page, send_spreadsheet, send_upload
from portfolio.blueprints.cases import bp
from portfolio.blueprints.evidence import upload_form
from portfolio.dates import uk_today
from portfolio.extensions import db
from portfolio.forms.base import ActionForm
from portfolio.forms.decisions import SubsidyCheckForm
from portfolio.forms.lip import (
    ApprovalForm,
    CaseActionForm,
    CaseDetailsForm,
    ComponentForm,
    LinkAwardForm,
    MeetingForm,
    MoveForm,
    NewCaseForm,
    PipelineFilterForm,
    RiskForm,
    SiteForm,
)
from portfolio.models import (
    DocumentKind,
    LipApprovalKind,
    LipApprovalStatus,
    LipCase,
    LipComponentStatus,
    LipStage,
    Rag,
)
from portfolio.models.roles import ACCOUNT_MANAGERS, CASE_WORKERS, PORTFOLIO_STAFF
from portfolio.services import documents, lip, organisations, policy, uploads, workflow

READERS = roles_allowed(PORTFOLIO_STAFF, confidential=True)
WORKERS = roles_allowed(CASE_WORKERS, confidential=True)


def _case(case_id: int) -> LipCase:
    return policy.get(db.session, current_user, LipCase, case_id)


def _back(case, anchor: str = ""):
    return redirect(url_for("cases.detail", case_id=case.id) + anchor)


# --- the pipeline ---------------------------------------------------------------------------------

def _filters():
    form = PipelineFilterForm(request.args, account_managers=lip.staff(db.session, ACCOUNT_MANAGERS))
    if not form.validate():
        return form, None
    return form, lip.PipelineFilters(**form.filters())


@bp.route("/")
@READERS
def index():
    form, filters = _filters()
    if filters is None:
        return form_page("cases/index.html", form, rows=None, can_open=workflow.can_start(LipCase, current_user))
    rows, totals = lip.pipeline(db.session, filters)
    return form_page("cases/index.html", form, rows=rows, totals=totals, args=filters.as_args(),
                     can_open=workflow.can_start(LipCase, current_user))


@bp.route("/pipeline.csv")
@READERS
def pipeline_csv():
    form, filters = _filters()
    if filters is None:
        abort(400)
    rows, _ = lip.pipeline(db.session, filters)
    return send_spreadsheet(spreadsheets.csv_text([lip.CSV_HEADER, *lip.csv_rows(rows)]),
                            f"lip-pipeline-{uk_today():%Y-%m-%d}.csv")


# --- opening and changing a case ----------------------------------------------------------------------

def _account_managers():
    return lip.staff(db.session, ACCOUNT_MANAGERS)


@bp.route("/new", methods=["GET", "POST"])
@WORKERS
def new():
    form = NewCaseForm(account_managers=_account_managers(), organisations=organisations.list_organisations(db.session))
    if form.validate_on_submit():
        done, case = commit_or_refuse(lambda: lip.create_case(
            db.session, by=current_user, **form.organisation_values(), **form.values(),
            site_name=form.site_name.data, site_postcode=form.site_postcode.data), form=form)
        if done:
            flash(f"Case {case.reference} opened at enquiry", "success")
            return _back(case)
    return form_page("cases/new.html", form)


@bp.route("/<int:case_id>/edit", methods=["GET", "POST"])
@WORKERS
def edit(case_id: int):
    case = _case(case_id)
    data = {name: getattr(case, name) for name in lip.EDITABLE} | {
        "sector": case.sector.value, "competing_locations": ", ".join(case.competing_locations or []),
        "sro_id": str(case.sro_id), "team_ids": [str(u.id) for u in case.team]}
    form = CaseDetailsForm(data=data, account_managers=_account_managers())
    if form.validate_on_submit():
        done, _ = commit_or_refuse(lambda: lip.update_case(db.session, case=case, by=current_user, **form.values()),
                                   form=form)
        if done:
            flash("Case details saved", "success")
            return _back(case)
    return form_page("cases/edit.html", form, case=case)


# --- the case page ----------------------------------------------------------------------------------

def _case_page(case, **forms):
    context = {
        "move_form": MoveForm(formdata=None, stages=lip.next_stages(case, current_user)),
        "site_form": SiteForm(formdata=None),
        "action_form": CaseActionForm(formdata=None, owners=lip.staff(db.session)),
        "meeting_form": MeetingForm(formdata=None), "risk_form": RiskForm(formdata=None),
        "upload_form": upload_form(formdata=None), "button_form": ActionForm(formdata=None),
    }
    context.update(forms)
    refused = next((form for form in context.values() if form.errors), None)
    if refused is not None:
        context["form"] = refused  # the page's error summary
    return render_template(
        "cases/detail.html", case=case, offer=lip.package(case), days_in_stage=lip.days_in_stage(case),
        approval_problems=lip.approval_problems(db.session, case), subsidy_required=lip.subsidy_required(case),
        files=lip.documents(db.session, case), today=uk_today(), component_amount=lip.component_amount,
        component_status=lip.component_status, can_work=policy.may_act(current_user, case),
        offer_open=case.stage in lip.OFFER_OPEN, rags=Rag,
        **context), 400 if refused is not None else 200


@bp.route("/<int:case_id>")
@READERS
def detail(case_id: int):
    return _case_page(_case(case_id))


@bp.route("/<int:case_id>/move", methods=["POST"])
@WORKERS
def move(case_id: int):
    case = _case(case_id)
    form = MoveForm(stages=lip.next_stages(case, current_user))
    if form.validate_on_submit():
        to = LipStage(form.stage.data)
        done, _ = commit_or_refuse(lambda: lip.move(db.session, case=case, to=to, by=current_user,
                                                    reason=form.reason.data), form=form)
        if done:
            flash(f"Case moved to {to.label.lower()}", "success")
            return _back(case)
    return _case_page(case, move_form=form)


@bp.route("/<int:case_id>/sites", methods=["POST"])
@WORKERS
def add_site(case_id: int):
    case = _case(case_id)
    form = SiteForm()
    if form.validate_on_submit():
        done, site = commit_or_refuse(lambda: lip.add_site(db.session, case=case, by=current_user,
                                                           name=form.site_name.data, postcode=form.site_postcode.data),
                                      form=form)
        if done:
            flash(f"Site added: {site.name}", "success")
            return _back(case, "#sites")
    return _case_page(case, site_form=form)


@bp.route("/<int:case_id>/sites/<int:site_id>/remove", methods=["POST"])
@WORKERS
def remove_site(case_id: int, site_id: int):
    case = _case(case_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if commit_or_refuse(lambda: lip.remove_site(db.session, case=case, by=current_user, site_id=site_id))[0]:
        flash("Site removed", "success")
    return _back(case, "#sites")


# --- the UK offer -----------------------------------------------------------------------------------

@bp.route("/<int:case_id>/offer", methods=["GET", "POST"])
@WORKERS
def add_component(case_id: int):
    case = _case(case_id)
    form = ComponentForm()
    link_form = LinkAwardForm(formdata=None, awards=lip.linkable_awards(db.session, case))
    if form.validate_on_submit():
        done, component = commit_or_refuse(lambda: lip.add_component(db.session, case=case, by=current_user,
                                                                     **form.values()), form=form)
        if done:
            flash(f"Added to the offer: {component.kind.label}", "success")
            return _back(case, "#offer")
    return form_page("cases/component.html", form, case=case, link_form=link_form)


@bp.route("/<int:case_id>/offer/award", methods=["POST"])
@WORKERS
def link_award(case_id: int):
    case = _case(case_id)
    link_form = LinkAwardForm(awards=lip.linkable_awards(db.session, case))
    if link_form.validate_on_submit():
        done, _ = commit_or_refuse(lambda: lip.add_component(
            db.session, case=case, by=current_user, kind=None, owner_body="", amount=None, description="",
            status=LipComponentStatus.PROPOSED, is_subsidy=True, award_id=int(link_form.award_id.data)),
            form=link_form)
        if done:
            flash("Added to the offer: the LSIMF award", "success")
            return _back(case, "#offer")
    page = render_template("cases/component.html", form=ComponentForm(formdata=None), case=case, link_form=link_form)
    return page, 400


@bp.route("/<int:case_id>/offer/<int:component_id>/status", methods=["POST"])
@WORKERS
def component_status(case_id: int, component_id: int):
    case = _case(case_id)
    if not ActionForm().validate_on_submit() or request.form.get("status") not in set(LipComponentStatus):
        abort(400)
    status = LipComponentStatus(request.form["status"])
    if commit_or_refuse(lambda: lip.set_component_status(db.session, case=case, by=current_user,
                                                         component_id=component_id, status=status))[0]:
        flash(f"Marked as {status.label.lower()}", "success")
    return _back(case, "#offer")


@bp.route("/<int:case_id>/offer/<int:component_id>/remove", methods=["POST"])
@WORKERS
def remove_component(case_id: int, component_id: int):
    case = _case(case_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if commit_or_refuse(lambda: lip.remove_component(db.session, case=case, by=current_user,
                                                     component_id=component_id))[0]:
        flash("Removed from the offer", "success")
    return _back(case, "#offer")


# --- approvals ------------------------------------------------------------------------------------

def _approval_kind(kind: str) -> LipApprovalKind:
    if kind not in set(LipApprovalKind):
        abort(404)
    return LipApprovalKind(kind)


@bp.route("/<int:case_id>/approvals/<kind>", methods=["GET", "POST"])
@WORKERS
def approval(case_id: int, kind: str):
    case = _case(case_id)
    kind = _approval_kind(kind)
    form = ApprovalForm()
    if form.validate_on_submit():
        done, _ = commit_or_refuse(lambda: lip.record_approval(
            db.session, case=case, by=current_user, kind=kind, status=LipApprovalStatus(form.status.data),
            decided_on=form.decided_on.data, reference=form.reference.data, note=form.note.data), form=form)
        if done:
            flash(f"{kind.label} approval recorded", "success")
            return _back(case, "#approvals")
    assessment = lip.subsidy_assessment(db.session, case) if kind is LipApprovalKind.SUBSIDY_CONTROL else None
    return form_page("cases/approval.html", form, case=case, kind=kind, assessment=assessment,
                     notes=lip.SUBSIDY_CATEGORY_NOTES, offer=lip.package(case))


@bp.route("/<int:case_id>/subsidy-control", methods=["GET", "POST"])
@WORKERS
def subsidy_check(case_id: int):
    case = _case(case_id)
    data = None
    if request.method == "GET":
        referred = {True: "yes", False: "no"}.get(case.referred_to_sau)
        data = {"sensitive_sector": "yes" if case.sensitive_sector else "no", "referred_to_sau": referred,
                "referred_on": case.referred_on, "sau_reference": case.sau_reference,
                "referral_reason": case.referral_reason}
    form = SubsidyCheckForm(data=data)
    if form.validate_on_submit():
        done, _ = commit_or_refuse(lambda: lip.record_subsidy_check(db.session, case=case, by=current_user,
                                                                    **form.values()), form=form)
        if done:
            flash("Subsidy control check saved", "success")
            return redirect(url_for("cases.approval", case_id=case.id, kind=LipApprovalKind.SUBSIDY_CONTROL.value))
    return form_page("cases/subsidy.html", form, case=case)


# --- working the case -------------------------------------------------------------------------------

@bp.route("/<int:case_id>/actions", methods=["POST"])
@WORKERS
def add_action(case_id: int):
    case = _case(case_id)
    form = CaseActionForm(owners=lip.staff(db.session))
    if form.validate_on_submit():
        done, _ = commit_or_refuse(lambda: lip.add_action(
            db.session, case=case, by=current_user, description=form.action_description.data,
            owner_id=int(form.owner_id.data), due_on=form.due_on.data), form=form)
        if done:
            flash("Action added", "success")
            return _back(case, "#actions")
    return _case_page(case, action_form=form)


@bp.route("/<int:case_id>/actions/<int:action_id>/done", methods=["POST"])
@WORKERS
def complete_action(case_id: int, action_id: int):
    case = _case(case_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if commit_or_refuse(lambda: lip.complete_action(db.session, case=case, by=current_user, action_id=action_id))[0]:
        flash("Action done", "success")
    return _back(case, "#actions")


@bp.route("/<int:case_id>/meetings", methods=["POST"])
@WORKERS
def add_meeting(case_id: int):
    case = _case(case_id)
    form = MeetingForm()
    if form.validate_on_submit():
        done, _ = commit_or_refuse(lambda: lip.add_meeting(
            db.session, case=case, by=current_user, held_on=form.held_on.data, attendees=form.attendees.data or "",
            notes=form.notes.data), form=form)
        if done:
            flash("Meeting recorded", "success")
            return _back(case, "#meetings")
    return _case_page(case, meeting_form=form)


@bp.route("/<int:case_id>/risks", methods=["POST"])
@WORKERS
def add_risk(case_id: int):
    case = _case(case_id)
    form = RiskForm()
    if form.validate_on_submit():
        done, _ = commit_or_refuse(lambda: lip.add_risk(
            db.session, case=case, by=current_user, description=form.risk_description.data, rag=Rag(form.rag.data),
            mitigation=form.mitigation.data or ""), form=form)
        if done:
            flash("Risk added", "success")
            return _back(case, "#risks")
    return _case_page(case, risk_form=form)


@bp.route("/<int:case_id>/risks/<int:risk_id>/rating", methods=["POST"])
@WORKERS
def risk_rating(case_id: int, risk_id: int):
    case = _case(case_id)
    if not ActionForm().validate_on_submit() or request.form.get("rag") not in set(Rag):
        abort(400)
    rag = Rag(request.form["rag"])
    if commit_or_refuse(lambda: lip.set_risk_rag(db.session, case=case, by=current_user, risk_id=risk_id,
                                                 rag=rag))[0]:
        flash(f"Risk rated {rag.label.lower()}", "success")
    return _back(case, "#risks")


@bp.route("/<int:case_id>/documents", methods=["POST"])
@WORKERS
def upload_document(case_id: int):
    case = _case(case_id)
    form = upload_form()
    if form.validate_on_submit():
        done, upload = commit_or_refuse(lambda: lip.attach_document(db.session, case=case, by=current_user,
                                                                    file_storage=form.file.data), form=form)
        if done:
            flash(f"Uploaded {upload.original_filename}", "success")
            return _back(case, "#documents")
    return _case_page(case, upload_form=form)


@bp.route("/<int:case_id>/documents/<int:upload_id>")
@READERS
def download_document(case_id: int, upload_id: int):
    return send_upload(db.session, uploads.file_of(db.session, current_user, _case(case_id), upload_id))


@bp.route("/<int:case_id>/documents/<int:upload_id>/remove", methods=["POST"])
@WORKERS
def remove_document(case_id: int, upload_id: int):
    case = _case(case_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    done, upload = commit_or_refuse(lambda: lip.remove_document(db.session, case=case, by=current_user,
                                                                upload_id=upload_id))
    if done:
        flash(f"Removed {upload.original_filename}", "success")
    return _back(case, "#documents")


@bp.route("/<int:case_id>/summary", methods=["POST"])
@READERS
def summary_pdf(case_id: int):
    case = _case(case_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    # Readable by whoever may read the case: staff only (negotiations are confidential).
    document = documents.request_document(db.session, kind=DocumentKind.LIP_CASE_SUMMARY, record=case,
                                          by=current_user)
    db.session.commit()
    return redirect(url_for("documents.detail", document_id=document.id))
