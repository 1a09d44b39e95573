"""Exports of awarded grants: the 360Giving JSON and the UK Subsidy Database upload file. Finance
and administrators publish and reconcile; fund managers make the transparency entries."""

from flask import Response, flash, redirect, render_template, url_for

from portfolio.access import roles_allowed
from portfolio.blueprints.exports import bp
from portfolio.extensions import db
from portfolio.models.roles import DECISION_READERS
from portfolio.services import exports

READERS = DECISION_READERS


def _attempt(export):
    """(the export, None) or (None, its problems)."""
    try:
        return export(db.session), None
    except exports.ExportError as error:
        return None, error.problems


@bp.route("/")
@roles_allowed(READERS)
def index():
    giving, giving_problems = _attempt(exports.export_360giving)
    subsidy_file, subsidy_problems = _attempt(exports.export_subsidy_csv)
    return render_template("exports/index.html", giving=giving, giving_problems=giving_problems,
                           subsidy_file=subsidy_file, subsidy_problems=subsidy_problems,
                           subsidy_awards=exports.subsidy_awards(db.session), funder=exports.FUNDER,
                           template_columns=exports.TEMPLATE_COLUMNS)


def _download(export, filename: str, mimetype: str):
    made, problems = _attempt(export)
    if made is None:
        flash(f"The file was not made: {problems[0]}" + (f" (and {len(problems) - 1} more problems, listed below)"
                                                          if len(problems) > 1 else ""), "error")
        return redirect(url_for("exports.index"))
    return Response(made.content, mimetype=mimetype,
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


@bp.route("/360giving.json")
@roles_allowed(READERS)
def giving_json():
    return _download(exports.export_360giving, exports.filename_360giving(), "application/json")


@bp.route("/uk-subsidy-database.csv")
@roles_allowed(READERS)
def subsidy_csv():
    return _download(exports.export_subsidy_csv, exports.filename_subsidy_csv(), "text/csv")
