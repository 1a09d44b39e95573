from flask import Response, abort, jsonify, redirect, render_template, url_for
from flask_login import current_user

from portfolio.access import roles_allowed
from portfolio.blueprints import commit_or_refuse
from portfolio.blueprints.documents import bp
from portfolio.extensions import db
from portfolio.forms.base import ActionForm
from portfolio.models import Document, DocumentStatus
from portfolio.models.roles import EVERYONE
from portfolio.services import documents, policy


def _document(document_id: int) -> Document:
    """The document, for whoever may read the record it was made from (404 for anyone else)."""
    return policy.get(db.session, current_user, Document, document_id)


@bp.route("/<int:document_id>")
@roles_allowed(EVERYONE)
def detail(document_id: int):
    document = _document(document_id)
    return render_template(
        "documents/detail.html", document=document, record=document.record, action_form=ActionForm(),
        stuck=documents.stuck(document), waiting_for_queue=documents.waiting_for_queue(db.session, document),
    )


@bp.route("/<int:document_id>/status.json")
@roles_allowed(EVERYONE)
def status(document_id: int):
    document = _document(document_id)
    return jsonify(
        id=document.id,
        status=document.status.value,
        label=document.status.label,
        finished=document.status.finished,
        error=document.error if document.status is DocumentStatus.FAILED else None,
        download_url=url_for("documents.download", document_id=document.id)
        if document.status is DocumentStatus.READY else None,
    )


@bp.route("/<int:document_id>/download")
@roles_allowed(EVERYONE)
def download(document_id: int):
    document = _document(document_id)
    if document.status is not DocumentStatus.READY:
        abort(404)
    content = documents.load_content(db.session, document)
    return Response(
        content,
        mimetype=document.content_type,
        headers={"Content-Disposition": f'attachment; filename="{document.filename}"'},
    )


@bp.route("/<int:document_id>/retry", methods=["POST"])
@roles_allowed(EVERYONE)
def retry(document_id: int):
    document = _document(document_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if documents.stuck(document):
        commit_or_refuse(lambda: documents.retry_stuck_document(db.session, document=document, by=current_user))
    else:
        commit_or_refuse(lambda: documents.retry_document(db.session, document=document, by=current_user))
    return redirect(url_for("documents.detail", document_id=document.id))
