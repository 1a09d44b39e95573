"""Reports for finance and OLS: the leverage report (page, CSV, XLSX, PDF), the additionality
settings its net figures use, the annual implementation update, and the fund's budget and spend by
financial year (page, CSV, XLSX)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portfolio import spreadsheets
from portfolio.access import recent_second_factor, roles_allowed
from portfolio.blueprints import commit_or_refuse, form_page, send_spreadsheet, whole_number_arg
from portfolio.blueprints.reports import bp
from portfolio.dates import uk_today
from portfolio.extensions import db
from portfolio.forms.base import ActionForm
from portfolio.forms.funds import percent
from portfolio.forms.reports import AdditionalityForm, ImplementationUpdateForm, LeverageFilterForm
from portfolio.models import DocumentKind
from portfolio.models.roles import DECISION_READERS, FINANCE_TEAM, PORTFOLIO_STAFF
from portfolio.services import budgets, documents, fund_settings, leverage

READERS = PORTFOLIO_STAFF
EDITORS = FINANCE_TEAM
BUDGET_READERS = DECISION_READERS  # finance, fund managers and admins


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


# --- budget and spend by financial year ----------------------------------------------------------------

def _ledger_fund():
    """The fund asked for (?fund=<id>), or the first fund; 404 when there is no such fund."""
    every_fund = fund_settings.all_funds(db.session)
    fund_id = whole_number_arg("fund", label="fund")
    fund = next((f for f in every_fund if f.id == fund_id), None) if fund_id else next(iter(every_fund), None)
    if fund is None:
        abort(404)
    return fund, every_fund


@bp.route("/budget-by-year")
@roles_allowed(BUDGET_READERS)
def budget_by_year():
    fund, every_fund = _ledger_fund()
    ledger = budgets.year_ledger(db.session, fund)
    return render_template("reports/budget_by_year.html", fund=fund, funds=every_fund, ledger=ledger,
                           chart=budgets.chart(ledger), rate=percent(fund.rules.budget_variance_rate))


def _ledger_rows(fund) -> tuple[list, list]:
    ledger = budgets.year_ledger(db.session, fund)
    notes = [["Fund", f"{fund.name} ({fund.code})"], ["As at", uk_today()],
             ["Flagged when the forecast misses a year's budget by more than",
              percent(fund.rules.budget_variance_rate)]]
    return budgets.table(ledger), notes


@bp.route("/budget-by-year.csv")
@roles_allowed(BUDGET_READERS)
def budget_by_year_csv():
    fund, _ = _ledger_fund()
    rows, notes = _ledger_rows(fund)
    return send_spreadsheet(spreadsheets.csv_text(rows + [[]] + notes),
                            f"budget-by-year-{uk_today():%Y-%m-%d}.csv")


@bp.route("/budget-by-year.xlsx")
@roles_allowed(BUDGET_READERS)
def budget_by_year_xlsx():
    fund, _ = _ledger_fund()
    rows, notes = _ledger_rows(fund)
    return send_spreadsheet(spreadsheets.xlsx_bytes(spreadsheets.Sheet("Budget by year", rows),
                                                    spreadsheets.Sheet("About", notes)),
                            f"budget-by-year-{uk_today():%Y-%m-%d}.xlsx")
