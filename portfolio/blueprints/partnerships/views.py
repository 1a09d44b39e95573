"""Strategic partnerships (issue 8): the dashboard, each partnership with its commitments, progress
(with evidence) and RAG, status changes and the partnership report PDF.

Account managers work partnerships; fund managers, finance and administrators read them. Company
users get 404 from every URL here (`confidential`): no partnership data reaches them."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from portfolio.access import roles_allowed
from portfolio.blueprints import commit_or_refuse, form_page, send_upload
from portfolio.blueprints.partnerships import bp
from portfolio.dates import uk_today
from portfolio.extensions import db
from portfolio.forms.base import ActionForm
from portfolio.forms.partnerships import (
    CommitmentForm,
    CommitmentStatusForm,
    OverrideForm,
    PartnershipForm,
    ProgressForm,
    StatusForm,
)
from portfolio.models import CommitmentMeasure, CommitmentStatus, DocumentKind, Partnership, PartnershipStatus, Rag
from portfolio.models.roles import ACCOUNT_MANAGERS, PORTFOLIO_STAFF
from portfolio.services import documents, organisations, partnerships, policy, uploads, workflow

READERS = roles_allowed(PORTFOLIO_STAFF, confidential=True)
WORKERS = roles_allowed(ACCOUNT_MANAGERS, confidential=True)


def _partnership(partnership_id: int) -> Partnership:
    return policy.get(db.session, current_user, Partnership, partnership_id)


def _back(partnership, anchor: str = ""):
    return redirect(url_for("partnerships.detail", partnership_id=partnership.id) + anchor)


@bp.route("/")
@READERS
def index():
    return render_template("partnerships/index.html", dashboard=partnerships.dashboard(db.session),
                           rag=partnerships.rag, secured=partnerships.investment_secured,
                           committed=partnerships.investment_committed,
                           can_work=workflow.can_start(Partnership, current_user))


@bp.route("/new", methods=["GET", "POST"])
@WORKERS
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
        can_work=policy.may_act(current_user, partnership), is_open=partnership.status.is_open,
        **context), 400 if refused is not None else 200


@bp.route("/<int:partnership_id>")
@READERS
def detail(partnership_id: int):
    return _page(_partnership(partnership_id))


@bp.route("/<int:partnership_id>/status", methods=["POST"])
@WORKERS
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
@WORKERS
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
               "override_form": OverrideForm(formdata=None),
               "status_form": CommitmentStatusForm(formdata=None, statuses=workflow.targets(commitment, current_user))}
    context.update(forms)
    refused = next((form for form in context.values() if form.errors), None)
    if refused is not None:
        context["form"] = refused
    return render_template(
        "partnerships/commitment.html", partnership=partnership, commitment=commitment, today=uk_today(),
        rag=partnerships.rag(commitment), derived=partnerships.derived_rag(commitment),
        expected=partnerships.expected(commitment, uk_today()), latest=partnerships.latest_value(commitment),
        files=partnerships.evidence(db.session, partnership), can_work=policy.may_act(current_user, commitment),
        is_open=partnership.status.is_open and commitment.status is CommitmentStatus.OPEN,
        **context), 400 if refused is not None else 200


@bp.route("/<int:partnership_id>/commitments/<int:commitment_id>")
@READERS
def commitment(partnership_id: int, commitment_id: int):
    partnership = _partnership(partnership_id)
    return _commitment_page(partnership, partnerships.get_commitment(partnership, commitment_id))


@bp.route("/<int:partnership_id>/commitments/<int:commitment_id>/progress", methods=["POST"])
@WORKERS
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
@WORKERS
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


@bp.route("/<int:partnership_id>/commitments/<int:commitment_id>/status", methods=["POST"])
@WORKERS
def commitment_status(partnership_id: int, commitment_id: int):
    partnership = _partnership(partnership_id)
    commitment = partnerships.get_commitment(partnership, commitment_id)
    form = CommitmentStatusForm(statuses=workflow.targets(commitment, current_user))
    if form.validate_on_submit():
        to = CommitmentStatus(form.status.data)
        done, _ = commit_or_refuse(lambda: partnerships.set_commitment_status(
            db.session, commitment=commitment, to=to, by=current_user, reason=form.status_reason.data), form=form)
        if done:
            flash(f"Commitment is now {to.label.lower()}", "success")
            return redirect(url_for("partnerships.commitment", partnership_id=partnership.id,
                                    commitment_id=commitment.id))
    return _commitment_page(partnership, commitment, status_form=form)


@bp.route("/<int:partnership_id>/evidence/<int:upload_id>")
@READERS
def download_evidence(partnership_id: int, upload_id: int):
    partnership = _partnership(partnership_id)
    upload = uploads.file_of_any(db.session, current_user, partnerships.progress_updates(partnership), upload_id)
    return send_upload(db.session, upload)


@bp.route("/<int:partnership_id>/report", methods=["POST"])
@READERS
def report_pdf(partnership_id: int):
    partnership = _partnership(partnership_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    document = documents.request_document(db.session, kind=DocumentKind.PARTNERSHIP_REPORT, record=partnership,
                                          by=current_user)
    db.session.commit()
    return redirect(url_for("documents.detail", document_id=document.id))
