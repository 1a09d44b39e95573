"""Helpers every blueprint's views share: one transaction per request, refusals shown to the user."""

import io
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Response, abort, current_app, flash, render_template, request, send_file, url_for

from portfolio import spreadsheets
from portfolio.extensions import db
from portfolio.models.records import REPORT, record_type_of
from portfolio.services import uploads
from portfolio.services.two_factor import RelyingParty
from portfolio.services.errors import DomainError

# The page of each type of record (endpoint, its id argument, what a link back to it says); reports
# by their kind.
RECORD_PAGES = {
    "organisation": ("organisations.detail", "organisation_id", "the organisation"),
    "eoi": ("eois.detail", "eoi_id", "the expression of interest"),
    "application": ("applications.detail", "application_id", "the application"),
    "offer": ("offers.detail", "offer_id", "the offer"),
    "award": ("awards.detail", "award_id", "the award"),
    "claim": ("claims.detail", "claim_id", "the claim"),
    "monitoring_return": ("awards.monitoring_return", "return_id", "the return"),
    "variation": ("variations.detail", "variation_id", "the change"),
    "lip_case": ("cases.detail", "case_id", "the case"),
    "partnership": ("partnerships.detail", "partnership_id", "the partnership"),
    "scaleup_company": ("scaleups.detail", "company_id", "the company"),
}
REPORT_PAGES = {"leverage_report": ("reports.leverage", "the leverage report"),
                "implementation_update": ("reports.implementation_update", "the implementation update")}


LARGEST_ID = 2**31 - 1  # a PostgreSQL INTEGER: no id or page number is ever larger


def whole_number_arg(name: str, *, label: str) -> int | None:
    """A query-string argument that must be a whole number from 1 to LARGEST_ID (None when it is
    absent or blank). Anything else is a 400 that says what was wrong, never a database error."""
    text = (request.args.get(name) or "").strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= LARGEST_ID:
        abort(400, description=f"The {label} must be a whole number from 1 to {LARGEST_ID:,}")
    return int(text)


def safe_next(target: str | None) -> str:
    r"""Where to go after signing in or confirming it's you: only a path on this site, home otherwise
    (no open redirect). Browsers drop tabs and line breaks from URLs (so "/\t/evil.example" is
    "//evil.example") and read "\" as "/", and a line break in a Location header is refused by the
    server: any of them, or a scheme or host, and the target is ignored."""
    home = url_for("main.home")
    if not target or not target.startswith("/") or any(ord(c) < 32 or ord(c) == 127 or c == "\\" for c in target):
        return home
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return home
    return target


def relying_party() -> RelyingParty:
    """Where passkeys belong: WEBAUTHN_RP_ID and WEBAUTHN_ORIGIN, or else this request's host."""
    config = current_app.config
    origin = config["WEBAUTHN_ORIGIN"] or request.host_url.rstrip("/")
    return RelyingParty(id=config["WEBAUTHN_RP_ID"] or request.host.rsplit(":", 1)[0].strip("[]"),
                        origin=origin, name=config["SERVICE_NAME"])


def record_url(record) -> str | None:
    """The URL of a record's own page."""
    record_type = record_type_of(record)
    if record_type == REPORT:
        return url_for(REPORT_PAGES[record.kind][0])
    if record_type not in RECORD_PAGES:
        return None
    endpoint, argument, _ = RECORD_PAGES[record_type]
    return url_for(endpoint, **{argument: record.id})


def record_name(record) -> str:
    """What a link back to the record's page calls it: "the case", "the leverage report"."""
    record_type = record_type_of(record)
    return REPORT_PAGES[record.kind][1] if record_type == REPORT else RECORD_PAGES[record_type][2]


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
