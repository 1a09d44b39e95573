from flask import Response, abort, jsonify, redirect, render_template, url_for
from flask_login import current_user

from portfolio.access import ALL_SIGNED_IN, roles_allowed
from portfolio.blueprints.documents import bp
from portfolio.extensions import db
from portfolio.forms.base import ActionForm
from portfolio.models import DocumentStatus
from portfolio.services import documents


def _document(document_id: int):
    return documents.get_document_for(db.session, current_user, document_id)


@bp.route("/<int:document_id>")
@roles_allowed(*ALL_SIGNED_IN)
def detail(document_id: int):
    document = _document(document_id)
    return render_template(
        "documents/detail.html", document=document, action_form=ActionForm(), stuck=documents.stuck(document),
        waiting_for_queue=documents.waiting_for_queue(db.session, document),
    )


@bp.route("/<int:document_id>/status.json")
@roles_allowed(*ALL_SIGNED_IN)
def status(document_id: int):
    document = _document(document_id)
    return jsonify(
        id=document.id,
        status=document.status.value,
        finished=document.status.finished,
        error=document.error if document.status is DocumentStatus.FAILED else None,
        download_url=url_for("documents.download", document_id=document.id)
        if document.status is DocumentStatus.READY else None,
    )


@bp.route("/<int:document_id>/download")
@roles_allowed(*ALL_SIGNED_IN)
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
@roles_allowed(*ALL_SIGNED_IN)
def retry(document_id: int):
    document = _document(document_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if documents.stuck(document):
        documents.retry_stuck_document(db.session, document=document, by=current_user)
    else:
        documents.retry_document(db.session, document=document, by=current_user)
    db.session.commit()
    return redirect(url_for("documents.detail", document_id=document.id))
