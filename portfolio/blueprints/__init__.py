"""Helpers every blueprint's views share: one transaction per request, refusals shown to the user."""

import io
from collections.abc import Callable
from typing import Any

from flask import Response, flash, render_template, send_file

from portfolio import spreadsheets
from portfolio.extensions import db
from portfolio.services import uploads
from portfolio.services.errors import DomainError


def commit_or_refuse(action: Callable[[], Any], *, form=None) -> tuple[bool, Any]:
    """Run a service call and commit it. When a business rule refuses it, roll back and show
    the reason: on the form field it names (or the form), or as a banner when there is no form.

    Returns (done, what the service returned)."""
    try:
        result = action()
    except DomainError as error:
        db.session.rollback()
        if form is not None:
            form.add_error(error.field, error.message)
        else:
            flash(error.message, "error")
        return False, None
    db.session.commit()
    return True, result


def form_page(template: str, form, **context):
    """A page with a form: 400 while the form shows errors, so bad input is never a 200."""
    return render_template(template, form=form, **context), 400 if form.errors else 200


def send_upload(session, upload):
    """A stored upload as a download, under its (made safe) original name."""
    return send_file(io.BytesIO(uploads.load(session, upload)), mimetype=upload.content_type, as_attachment=True,
                     download_name=uploads.download_name(upload))


def send_spreadsheet(content: str | bytes, filename: str) -> Response:
    """A file made by portfolio.spreadsheets (CSV text or XLSX bytes) as a download named `filename`."""
    mimetype = spreadsheets.XLSX_MIMETYPE if filename.endswith(".xlsx") else spreadsheets.CSV_MIMETYPE
    return Response(content, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={filename}"})
