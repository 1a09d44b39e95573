"""Strategic partnerships (issue 8): the dashboard, each partnership with its commitments, progress
(with evidence) and RAG, status changes and the partnership report PDF.

Account managers work partnerships; fund managers, finance and administrators read them. Company
users get 404 from every URL here (`hidden_from_applicants`): no partnership data reaches them."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from portfolio.access import hidden_from_applicants, roles_allowed
from portfolio.blueprints import commit_or_refuse, form_page, send_upload
from portfolio.blueprints.partnerships import bp
from portfolio.dates import uk_today
from portfolio.extensions import db
from portfolio.forms.base import ActionForm
from portfolio.forms.partnerships import CommitmentForm, OverrideForm, PartnershipForm, ProgressForm, StatusForm
from portfolio.models import CommitmentMeasure, DocumentKind, PartnershipStatus, Rag, Role
from portfolio.services import documents, organisations, partnerships, uploads


def _roles(*roles: Role):
    """Declare the roles, and hide the endpoint from company users (404, not 403)."""
    def decorate(view):
        return roles_allowed(*roles)(hidden_from_applicants(view))

    return decorate


def _partnership(partnership_id: int):
    return partnerships.get_partnership_for(db.session, current_user, partnership_id)


def _back(partnership, anchor: str = ""):
    return redirect(url_for("partnerships.detail", partnership_id=partnership.id) + anchor)


@bp.route("/")
@_roles(*partnerships.READERS)
def index():
    return render_template("partnerships/index.html", dashboard=partnerships.dashboard(db.session),
                           rag=partnerships.rag, secured=partnerships.investment_secured,
                           committed=partnerships.investment_committed,
                           can_work=current_user.role in partnerships.WORKERS)


@bp.route("/new", methods=["GET", "POST"])
@_roles(*partnerships.WORKERS)
def new():
    form = PartnershipForm(organisations=organisations.list_organisations(db.session),
                           account_managers=partnerships.account_managers(db.session),
                           departments=partnerships.DEPARTMENTS)
    if form.validate_on_submit():
        done, partnership = commit_or_refuse(lambda: partnerships.create_partnership(
            db.session, by=current_user, **form.values()), form=form)
        if done:
            flash(f"Partnership {partnership.reference} recorded as negotiating", "success")
            return _back(partnership)
    return form_page("partnerships/new.html", form)


def _page(partnership, **forms):
    context = {"status_form": StatusForm(formdata=None, statuses=partnerships.next_statuses(partnership,
                                                                                            current_user))}
    context.update(forms)
    refused = next((form for form in context.values() if form.errors), None)
    if refused is not None:
        context["form"] = refused
    today = uk_today()
    return render_template(
        "partnerships/detail.html", partnership=partnership, today=today, rag=partnerships.rag,
        derived_rag=partnerships.derived_rag, expected=partnerships.expected, latest=partnerships.latest_value,
        secured=partnerships.investment_secured(partnership), committed=partnerships.investment_committed(partnership),
        can_work=current_user.role in partnerships.WORKERS,
        is_open=partnership.status in (PartnershipStatus.NEGOTIATING, PartnershipStatus.ACTIVE),
        **context), 400 if refused is not None else 200


@bp.route("/<int:partnership_id>")
@_roles(*partnerships.READERS)
def detail(partnership_id: int):
    return _page(_partnership(partnership_id))


@bp.route("/<int:partnership_id>/status", methods=["POST"])
@_roles(*partnerships.WORKERS)
def status(partnership_id: int):
    partnership = _partnership(partnership_id)
    form = StatusForm(statuses=partnerships.next_statuses(partnership, current_user))
    if form.validate_on_submit():
        to = PartnershipStatus(form.status.data)
        done, _ = commit_or_refuse(lambda: partnerships.move(
            db.session, partnership=partnership, to=to, by=current_user, signed_on=form.signed_on.data,
            reason=form.reason.data), form=form)
        if done:
            flash(f"Partnership is now {to.label.lower()}", "success")
            return _back(partnership)
    return _page(partnership, status_form=form)


@bp.route("/<int:partnership_id>/commitments", methods=["GET", "POST"])
@_roles(*partnerships.WORKERS)
def add_commitment(partnership_id: int):
    partnership = _partnership(partnership_id)
    form = CommitmentForm()
    if form.validate_on_submit():
        done, commitment = commit_or_refuse(lambda: partnerships.add_commitment(
            db.session, partnership=partnership, by=current_user, measure=CommitmentMeasure(form.measure.data),
            description=form.commitment_description.data, target_value=form.target_value.number,
            unit=form.unit.data or "", start_on=form.start_on.data, target_on=form.target_on.data), form=form)
        if done:
            flash(f"Commitment added: {commitment.description}", "success")
            return _back(partnership, "#commitments")
    return form_page("partnerships/commitment_new.html", form, partnership=partnership)


def _commitment_page(partnership, commitment, **forms):
    context = {"progress_form": ProgressForm(formdata=None, max_size_text=uploads.size_text(uploads.max_bytes())),
               "override_form": OverrideForm(formdata=None)}
    context.update(forms)
    refused = next((form for form in context.values() if form.errors), None)
    if refused is not None:
        context["form"] = refused
    return render_template(
        "partnerships/commitment.html", partnership=partnership, commitment=commitment, today=uk_today(),
        rag=partnerships.rag(commitment), derived=partnerships.derived_rag(commitment),
        expected=partnerships.expected(commitment, uk_today()), latest=partnerships.latest_value(commitment),
        files=partnerships.evidence(db.session, partnership), can_work=current_user.role in partnerships.WORKERS,
        is_open=partnership.status in (PartnershipStatus.NEGOTIATING, PartnershipStatus.ACTIVE),
        **context), 400 if refused is not None else 200


@bp.route("/<int:partnership_id>/commitments/<int:commitment_id>")
@_roles(*partnerships.READERS)
def commitment(partnership_id: int, commitment_id: int):
    partnership = _partnership(partnership_id)
    return _commitment_page(partnership, partnerships.get_commitment(partnership, commitment_id))


@bp.route("/<int:partnership_id>/commitments/<int:commitment_id>/progress", methods=["POST"])
@_roles(*partnerships.WORKERS)
def record_progress(partnership_id: int, commitment_id: int):
    partnership = _partnership(partnership_id)
    commitment = partnerships.get_commitment(partnership, commitment_id)
    form = ProgressForm(max_size_text=uploads.size_text(uploads.max_bytes()))
    if form.validate_on_submit():
        done, _ = commit_or_refuse(lambda: partnerships.record_progress(
            db.session, commitment=commitment, by=current_user, on=form.on.data, value=form.value.number,
            note=form.note.data or "", file_storage=form.file.data), form=form)
        if done:
            flash("Progress recorded", "success")
            return redirect(url_for("partnerships.commitment", partnership_id=partnership.id,
                                    commitment_id=commitment.id))
    return _commitment_page(partnership, commitment, progress_form=form)


@bp.route("/<int:partnership_id>/commitments/<int:commitment_id>/rag", methods=["POST"])
@_roles(*partnerships.WORKERS)
def override_rag(partnership_id: int, commitment_id: int):
    partnership = _partnership(partnership_id)
    commitment = partnerships.get_commitment(partnership, commitment_id)
    form = OverrideForm()
    if form.validate_on_submit():
        chosen = None if form.rag.data == "derived" else Rag(form.rag.data)
        done, _ = commit_or_refuse(lambda: partnerships.override_rag(
            db.session, commitment=commitment, by=current_user, rag=chosen, reason=form.reason.data), form=form)
        if done:
            flash("RAG status saved", "success")
            return redirect(url_for("partnerships.commitment", partnership_id=partnership.id,
                                    commitment_id=commitment.id))
    return _commitment_page(partnership, commitment, override_form=form)


@bp.route("/<int:partnership_id>/evidence/<int:upload_id>")
@_roles(*partnerships.READERS)
def download_evidence(partnership_id: int, upload_id: int):
    partnership = _partnership(partnership_id)
    return send_upload(db.session, partnerships.get_evidence(db.session, partnership, upload_id))


@bp.route("/<int:partnership_id>/report", methods=["POST"])
@_roles(*partnerships.READERS)
def report_pdf(partnership_id: int):
    partnership = _partnership(partnership_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    # No organisation: a staff-only document.
    document = documents.request_document(db.session, kind=DocumentKind.PARTNERSHIP_REPORT, organisation=None,
                                          by=current_user, parameters={"partnership_id": partnership.id})
    db.session.commit()
    return redirect(url_for("documents.detail", document_id=document.id))
