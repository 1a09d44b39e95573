"""Evidence routes shared by the records that carry files (a claim, a monitoring return):
the company uploads and removes while the record is open; whoever may see the record downloads.

    register(bp, "/<int:claim_id>", load=..., page=..., back=..., readers=...)

adds `<bp>.upload_evidence` (POST), `<bp>.download_evidence` and `<bp>.remove_evidence` (POST)."""

from collections.abc import Callable

from flask import abort, flash, redirect

from portfolio.access import roles_allowed
from portfolio.blueprints import commit_or_refuse, send_upload
from portfolio.extensions import db
from portfolio.forms.base import ActionForm
from portfolio.forms.uploads import UploadForm
from flask_login import current_user

from portfolio.models.roles import COMPANY
from portfolio.services import evidence, uploads


def upload_form(**kwargs) -> UploadForm:
    return UploadForm(max_size_text=uploads.size_text(uploads.max_bytes()), **kwargs)


def register(bp, rule: str, *, load: Callable, page: Callable, back: Callable, readers: tuple) -> None:
    """`load(**ids)` gets the record (404 for other organisations), `page(record, upload_form=form)` shows
    it with the form's errors, `back(record)` is the URL to return to."""

    @bp.route(f"{rule}/evidence", methods=["POST"], endpoint="upload_evidence")
    @roles_allowed(COMPANY)
    def upload_evidence(**ids):
        record = load(**ids)
        form = upload_form()
        if form.validate_on_submit():
            done, upload = commit_or_refuse(lambda: evidence.attach(db.session, record, by=current_user,
                                                                    file_storage=form.file.data), form=form)
            if done:
                flash(f"Uploaded {upload.original_filename}", "success")
                return redirect(back(record) + "#evidence")
        return page(record, upload_form=form)

    @bp.route(f"{rule}/evidence/<int:upload_id>", endpoint="download_evidence")
    @roles_allowed(*readers)
    def download_evidence(upload_id: int, **ids):
        return send_upload(db.session, uploads.file_of(db.session, current_user, load(**ids), upload_id))

    @bp.route(f"{rule}/evidence/<int:upload_id>/remove", methods=["POST"], endpoint="remove_evidence")
    @roles_allowed(COMPANY)
    def remove_evidence(upload_id: int, **ids):
        record = load(**ids)
        if not ActionForm().validate_on_submit():
            abort(400)
        done, upload = commit_or_refuse(lambda: evidence.remove(db.session, record, by=current_user,
                                                                upload_id=upload_id))
        if done:
            flash(f"Removed {upload.original_filename}", "success")
        return redirect(back(record) + "#evidence")
