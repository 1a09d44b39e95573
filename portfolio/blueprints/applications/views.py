from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portfolio.access import roles_allowed
from portfolio.blueprints import commit_or_refuse, form_page, send_upload, whole_number_arg
from portfolio.blueprints.applications import bp
from portfolio.dates import financial_years
from portfolio.extensions import db
from portfolio.forms.applications import (
    COST_CATEGORY_LABELS,
    SECTION_FORMS,
    CostItemForm,
    ProfileDatesForm,
    ProfileQuartersForm,
    ReturnForm,
)
from portfolio.forms.profiles import quarter_data, with_quarters
from portfolio.forms.base import ActionForm
from portfolio.forms.uploads import UploadForm
from portfolio.models import (
    Application,
    ApplicationSection,
    ApplicationStatus,
    Cluster,
    DocumentKind,
    ProductType,
    Region,
)
from portfolio.models.base import utcnow
from portfolio.models.roles import ASSESSORS, COMPANY, DECISION_READERS, FUND_MANAGERS, FUND_TEAM
from portfolio.services import applications, audit, documents, funds, policy, profiles, uploads, workflow
from portfolio.services.errors import DomainError

PER_PAGE = 25


def _application(application_id: int) -> Application:
    return policy.get(db.session, current_user, Application, application_id)


def _editable(application):
    if not applications.editable(application):
        flash("This application has been submitted and can no longer be changed", "error")
        return False
    return True


@bp.route("/")
@roles_allowed(FUND_TEAM)
def index():
    args = request.args
    statuses = {s.value: s for s in ApplicationStatus}
    filters = applications.Filters(
        round_id=whole_number_arg("round", label="round"),
        status=statuses.get(args.get("status", "")),
        region=args.get("region") if args.get("region") in {r.value for r in Region} else None,
        cluster=args.get("cluster") if args.get("cluster") in {c.value for c in Cluster} else None,
        product_type=args.get("product_type") if args.get("product_type") in {p.value for p in ProductType} else None,
    )
    page = whole_number_arg("page", label="page number") or 1
    rows, total = applications.search(db.session, filters, page=page, per_page=PER_PAGE)
    pages = max(1, -(-total // PER_PAGE))
    rounds = funds.all_rounds(db.session)
    return render_template(
        "applications/index.html", rows=rows, total=total, page=page, pages=pages, filters=filters, rounds=rounds,
        completeness=applications.completeness(db.session, rows), section_count=len(applications.SECTIONS),
        args={k: v for k, v in args.items() if k != "page"},
        region_labels=[(r.value, r.label) for r in Region], cluster_labels=[(c.value, c.label) for c in Cluster],
        product_labels=[(p.value, p.label) for p in ProductType])


@bp.route("/<int:application_id>")
@roles_allowed(COMPANY, FUND_TEAM, ASSESSORS, DECISION_READERS)
def detail(application_id: int):
    application = _application(application_id)
    if policy.may_act(current_user, application) and applications.editable(application):
        complete = {s.key: applications.is_complete(application, s.key) for s in applications.SECTIONS}
        return render_template("applications/task_list.html", application=application,
                               sections=applications.SECTIONS, complete=complete)
    back = (url_for("main.home") if not current_user.role.is_staff else url_for("applications.index")
            if current_user.role in FUND_TEAM else url_for("decisions.application", application_id=application.id)
            if current_user.role in DECISION_READERS else url_for("assessments.index"))
    return render_template("applications/summary.html", application=application, back=back,
                           **summary_context(application), action_form=ActionForm())


def summary_context(application) -> dict:
    return {
        "sections": applications.SECTIONS,
        "answers": {s.key: applications.answers(application, s.key) for s in applications.SECTIONS},
        "forms": SECTION_FORMS,
        "totals": applications.totals(application.cost_items),
        "rate": applications.intervention_rate(application.grant_requested, application.total_project_cost),
        "categories": COST_CATEGORY_LABELS,
        "files": applications.documents(db.session, application),
        "profile": applications.profile_summary(application),
    }


@bp.route("/<int:application_id>/sections/<key>", methods=["GET", "POST"])
@roles_allowed(COMPANY)
def section(application_id: int, key: str):
    application = _application(application_id)
    spec, section_form = applications.SECTIONS_BY_KEY.get(key), SECTION_FORMS.get(key)
    if spec is None or section_form is None:
        abort(404)
    if not _editable(application):
        return redirect(url_for("applications.detail", application_id=application.id))
    saved = application.section(key)
    if request.method == "GET":
        form = section_form(data={**applications.initial_answers(application, key),
                                  "revision": saved.revision if saved else 0})
    else:
        form = section_form()
    _label_financial_years(form)
    conflict = None
    if form.validate_on_submit():
        saved, stale = _save_revision(form, lambda revision: applications.save_section(
            db.session, application=application, key=key, data=form.answers(), revision=revision, by=current_user))
        if stale is not None:
            conflict = _conflict(form, stale)
        elif saved:
            flash(f"{spec.title}: saved", "success")
            return redirect(url_for("applications.detail", application_id=application.id))
    status = 409 if conflict else 400 if form.errors else 200
    return render_template("applications/section.html", application=application, spec=spec, form=form,
                           conflict=conflict, funding=_funding_context(application) if key == "funding" else None
                           ), status


def _save_revision(form, save) -> tuple[bool, ApplicationSection | None]:
    """Save a section's form with optimistic locking: `save(revision)` with the revision the form was
    based on. Returns (saved, the colleague's newer section when someone saved it first); a refusal is
    put on the form. Either way nothing is half-saved."""
    revision = int(form.revision.data) if (form.revision.data or "").isdigit() else None
    try:
        save(revision)
    except applications.StaleSection as stale:
        db.session.rollback()
        return False, stale.section
    except DomainError as error:
        db.session.rollback()
        form.add_error(error.field, error.message)
        return False, None
    db.session.commit()
    return True, None


def _conflict(form, section) -> dict:
    """What the colleague saved that differs from what this user typed. The user's input stays
    in the form; the next save is based on the colleague's revision."""
    theirs = section.data
    mine = form.answers()
    form.revision.data = str(section.revision)
    changed = [(getattr(form, name).label.text, theirs.get(name)) for name in theirs
               if name in form._fields and theirs.get(name) != mine.get(name)]
    return {"by": section.updated_by, "at": section.updated_at, "changed": changed}


def _label_financial_years(form) -> None:
    if not hasattr(form, "public_funding_year_1"):
        return
    for field, label in zip((form.public_funding_year_1, form.public_funding_year_2, form.public_funding_year_3),
                            financial_years(utcnow()), strict=True):
        field.label.text = f"{field.label.text} ({label})"


def _funding_context(application) -> dict:
    rules = application.fund.rules
    return {"totals": applications.totals(application.cost_items), "rules": rules,
            "rate": applications.intervention_rate(application.grant_requested, application.total_project_cost)}


@bp.route("/<int:application_id>/costs", methods=["GET", "POST"])
@roles_allowed(COMPANY)
def costs(application_id: int):
    application = _application(application_id)
    if not _editable(application):
        return redirect(url_for("applications.detail", application_id=application.id))
    form = CostItemForm()
    if form.validate_on_submit():
        applications.add_cost_item(
            db.session, application=application, by=current_user, category=form.category.data,
            description=form.description.data, amount=form.amount.amount,
            is_capital=form.is_capital.data == "yes", is_eligible=form.is_eligible.data == "yes")
        db.session.commit()
        flash(f"Cost added: {form.description.data}", "success")
        return redirect(url_for("applications.costs", application_id=application.id))
    return form_page("applications/costs.html", form, application=application,
                     totals=applications.totals(application.cost_items), categories=COST_CATEGORY_LABELS,
                     action_form=ActionForm())


@bp.route("/<int:application_id>/costs/<int:item_id>/remove", methods=["POST"])
@roles_allowed(COMPANY)
def remove_cost(application_id: int, item_id: int):
    application = _application(application_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if commit_or_refuse(lambda: applications.remove_cost_item(db.session, application=application, item_id=item_id,
                                                              by=current_user))[0]:
        flash("Cost removed", "success")
    return redirect(url_for("applications.costs", application_id=application.id))


@bp.route("/<int:application_id>/profile", methods=["GET", "POST"])
@roles_allowed(COMPANY)
def profile_dates(application_id: int):
    """The grant profile, first page: the project period."""
    application = _application(application_id)
    if not _editable(application):
        return redirect(url_for("applications.detail", application_id=application.id))
    saved = application.section("profile")
    start, completion = applications.project_period(application)
    form = ProfileDatesForm(data={"project_start": start, "project_completion": completion,
                                  "revision": saved.revision if saved else 0} if request.method == "GET" else None)
    conflict = None
    if form.validate_on_submit():
        saved, stale = _save_revision(form, lambda revision: applications.save_project_period(
            db.session, application=application, start=form.project_start.data,
            completion=form.project_completion.data, revision=revision, by=current_user))
        if stale is not None:
            conflict, form.revision.data = stale, str(stale.revision)
        elif saved:
            return redirect(url_for("applications.profile_quarters", application_id=application.id))
    return render_template("applications/profile_dates.html", application=application, form=form,
                           conflict=conflict), 409 if conflict else 400 if form.errors else 200


@bp.route("/<int:application_id>/profile/quarters", methods=["GET", "POST"])
@roles_allowed(COMPANY)
def profile_quarters(application_id: int):
    """The grant profile, second page: the grant the company will claim in each quarter of the project."""
    application = _application(application_id)
    if not _editable(application):
        return redirect(url_for("applications.detail", application_id=application.id))
    saved = application.section("profile")
    start, completion = applications.project_period(application)
    if saved is None or start is None or completion is None:
        return redirect(url_for("applications.profile_dates", application_id=application.id))
    form_class = with_quarters(ProfileQuartersForm, profiles.quarters(start, completion))
    form = form_class(data={**quarter_data(applications.profile_of(application)), "revision": saved.revision}
                      if request.method == "GET" else None)
    conflict = None
    if form.validate_on_submit():
        saved, stale = _save_revision(form, lambda revision: applications.save_profile(
            db.session, application=application, profile=form.amounts(), revision=revision, by=current_user))
        if stale is not None:
            conflict, form.revision.data = stale, str(stale.revision)
        elif saved:
            flash("Grant profile: saved", "success")
            return redirect(url_for("applications.detail", application_id=application.id))
    return render_template("applications/profile_quarters.html", application=application, form=form,
                           conflict=conflict, start=start, completion=completion,
                           ), 409 if conflict else 400 if form.errors else 200


@bp.route("/<int:application_id>/documents", methods=["GET", "POST"])
@roles_allowed(COMPANY)
def supporting_documents(application_id: int):
    application = _application(application_id)
    if not _editable(application):
        return redirect(url_for("applications.detail", application_id=application.id))
    form = UploadForm(max_size_text=uploads.size_text(uploads.max_bytes()))
    if form.validate_on_submit():
        done, upload = commit_or_refuse(lambda: applications.attach_document(
            db.session, application=application, file_storage=form.file.data, by=current_user), form=form)
        if done:
            flash(f"Uploaded {upload.original_filename}", "success")
            return redirect(url_for("applications.supporting_documents", application_id=application.id))
    return form_page("applications/documents.html", form, application=application,
                     files=applications.documents(db.session, application), action_form=ActionForm())


@bp.route("/<int:application_id>/documents/<int:upload_id>")
@roles_allowed(COMPANY, FUND_TEAM, ASSESSORS, DECISION_READERS)
def download_document(application_id: int, upload_id: int):
    return send_upload(db.session, uploads.file_of(db.session, current_user, _application(application_id), upload_id))


@bp.route("/<int:application_id>/documents/<int:upload_id>/remove", methods=["POST"])
@roles_allowed(COMPANY)
def remove_document(application_id: int, upload_id: int):
    application = _application(application_id)
    upload = uploads.file_of(db.session, current_user, application, upload_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if commit_or_refuse(lambda: applications.remove_document(db.session, application=application, upload=upload,
                                                             by=current_user))[0]:
        flash(f"Removed {upload.original_filename}", "success")
    return redirect(url_for("applications.supporting_documents", application_id=application.id))


@bp.route("/<int:application_id>/check")
@roles_allowed(COMPANY)
def check(application_id: int):
    application = _application(application_id)
    if not applications.editable(application):
        return redirect(url_for("applications.detail", application_id=application.id))
    problems = applications.submission_problems(application, application.fund.rules, now=utcnow())
    return render_template("applications/check.html", application=application, problems=problems,
                           **summary_context(application), action_form=ActionForm())


@bp.route("/<int:application_id>/submit", methods=["POST"])
@roles_allowed(COMPANY)
def submit(application_id: int):
    application = _application(application_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        applications.submit(db.session, application=application, by=current_user)
    except DomainError:
        db.session.rollback()
        flash("The application cannot be submitted yet: see the problems listed", "error")
        return redirect(url_for("applications.check", application_id=application.id))
    db.session.commit()
    return render_template("applications/submitted.html", application=application)


@bp.route("/<int:application_id>/return", methods=["GET", "POST"])
@roles_allowed(FUND_MANAGERS)
def return_for_changes(application_id: int):
    application = _application(application_id)
    if not workflow.can(application, "return", current_user):
        abort(404)
    form = ReturnForm()
    if form.validate_on_submit():
        done, _ = commit_or_refuse(lambda: applications.return_for_changes(
            db.session, application=application, by=current_user, reason=form.reason.data), form=form)
        if done:
            flash(f"{application.organisation.name}'s application was returned for changes: it is theirs to change "
                  "until they submit it again", "success")
            return redirect(url_for("applications.index"))
    return form_page("applications/return.html", form, application=application)


@bp.route("/<int:application_id>/history")
@roles_allowed(COMPANY, FUND_TEAM)
def history(application_id: int):
    application = _application(application_id)
    return render_template("applications/history.html", application=application,
                           events=audit.events_of(db.session, application))


@bp.route("/<int:application_id>/summary-pdf", methods=["POST"])
@roles_allowed(COMPANY, FUND_TEAM, ASSESSORS, DECISION_READERS)
def request_summary(application_id: int):
    application = _application(application_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    document = documents.request_document(db.session, kind=DocumentKind.APPLICATION_SUMMARY, record=application,
                                          by=current_user)
    db.session.commit()
    return redirect(url_for("documents.detail", document_id=document.id))
