"""Reports for finance and OLS: the leverage report (page, CSV, XLSX, PDF), the additionality
settings its net figures use, and the annual implementation update."""

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from portfolio import spreadsheets
from portfolio.access import recent_second_factor, roles_allowed
from portfolio.blueprints import commit_or_refuse, form_page, send_spreadsheet
from portfolio.blueprints.reports import bp
from portfolio.dates import uk_today
from portfolio.extensions import db
from portfolio.forms.base import ActionForm
from portfolio.forms.reports import AdditionalityForm, ImplementationUpdateForm, LeverageFilterForm
from portfolio.models import DocumentKind
from portfolio.models.roles import FINANCE_TEAM, PORTFOLIO_STAFF
from portfolio.services import documents, leverage

READERS = PORTFOLIO_STAFF
EDITORS = FINANCE_TEAM


def _filter_form() -> LeverageFilterForm:
    return LeverageFilterForm(request.args, programmes=leverage.programme_choices(db.session),
                              rounds=leverage.round_choices(db.session))


def _filters_or_400() -> tuple[LeverageFilterForm, leverage.Filters | None]:
    form = _filter_form()
    if not form.validate():
        return form, None
    return form, leverage.Filters.from_dict(form.filters())


@bp.route("/leverage", endpoint="leverage")
@roles_allowed(READERS)
def leverage_report():
    form, filters = _filters_or_400()
    if filters is None:
        return form_page("reports/leverage.html", form, report=None)
    result = leverage.report(db.session, filters)
    return form_page("reports/leverage.html", form, report=result, chart=leverage.chart(result.by_year),
                     filter_words=leverage.describe(db.session, filters), args=filters.as_dict())


def _table_or_400():
    form, filters = _filters_or_400()
    if filters is None:
        abort(400, description="; ".join(e for errors in form.errors.values() for e in errors))
    result = leverage.report(db.session, filters)
    settings = [["Net figures use", result.settings.description], ["Terms", leverage.AS_VARIED]]
    words = [["Filter", f"{label}: {value}"] for label, value in leverage.describe(db.session, filters)]
    return list(leverage.table(result)), settings + (words or [["Filter", "None: every award"]])


@bp.route("/leverage.csv")
@roles_allowed(READERS)
def leverage_csv():
    rows, notes = _table_or_400()
    return send_spreadsheet(spreadsheets.csv_text(rows + [[]] + notes), f"leverage-report-{uk_today():%Y-%m-%d}.csv")


@bp.route("/leverage.xlsx")
@roles_allowed(READERS)
def leverage_xlsx():
    rows, notes = _table_or_400()
    return send_spreadsheet(spreadsheets.xlsx_bytes(spreadsheets.Sheet("Leverage", rows),
                                                    spreadsheets.Sheet("About", notes)),
                            f"leverage-report-{uk_today():%Y-%m-%d}.xlsx")


@bp.route("/leverage/pdf", methods=["POST"])
@roles_allowed(READERS)
def leverage_pdf():
    form, filters = _filters_or_400()
    if filters is None or not ActionForm().validate_on_submit():
        abort(400)
    document = documents.request_report(db.session, kind=DocumentKind.LEVERAGE_REPORT, by=current_user,
                                        parameters=filters.as_dict())
    db.session.commit()
    return redirect(url_for("documents.detail", document_id=document.id))


@bp.route("/additionality", methods=["GET", "POST"])
@roles_allowed(EDITORS)
@recent_second_factor()
def additionality():
    current = leverage.additionality(db.session)
    form = AdditionalityForm(data={name: getattr(current, name) for name in leverage.DEFAULT_ADDITIONALITY})
    if form.validate_on_submit():
        done, _ = commit_or_refuse(lambda: leverage.save_additionality(db.session, by=current_user,
                                                                       **form.values()), form=form)
        if done:
            flash("Additionality settings saved: net figures now use them", "success")
            return redirect(url_for("reports.additionality"))
    return form_page("reports/additionality.html", form, current=current, history=leverage.history(db.session))


@bp.route("/implementation-update", methods=["GET", "POST"])
@roles_allowed(READERS)
def implementation_update():
    form = ImplementationUpdateForm()
    if form.validate_on_submit():
        document = documents.request_report(db.session, kind=DocumentKind.IMPLEMENTATION_UPDATE, by=current_user,
                                            parameters={"financial_year": form.financial_year.data})
        db.session.commit()
        return redirect(url_for("documents.detail", document_id=document.id))
    return form_page("reports/implementation_update.html", form)
