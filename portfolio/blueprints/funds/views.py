from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape

from portfolio.access import recent_second_factor, roles_allowed
from portfolio.blueprints import commit_or_refuse, form_page
from portfolio.blueprints.funds import bp
from portfolio.dates import financial_year_start_year, govuk_date, is_financial_year, uk_today
from portfolio.extensions import db
from portfolio.forms.funds import (
    MAX_CRITERIA,
    RULE_CHOICES,
    RULE_LABELS,
    CriteriaForm,
    FundRulesForm,
    RoundForm,
    ThresholdForm,
    YearBudgetsForm,
    choice_label,
    default_label,
    percent,
    rule_value,
)
from portfolio.models import Fund, Round, ThresholdKey
from portfolio.models.base import utcnow
from portfolio.models.roles import ADMINS, FINANCE, FUND_TEAM
from portfolio.money import money
from portfolio.services import budgets, criteria, decisions, fund_settings, funds, subsidy


def _fund(fund_id: int) -> Fund:
    """The fund; locked for the request when the request is about to change it."""
    fund = fund_settings.get_fund(db.session, fund_id, for_update=request.method == "POST")
    if fund is None:
        abort(404)
    return fund


@bp.route("/")
@roles_allowed(FUND_TEAM)
def index():
    every_fund = fund_settings.all_funds(db.session)
    if len(every_fund) == 1:
        return _overview(every_fund[0])
    return render_template("funds/index.html", funds=every_fund)


@bp.route("/<int:fund_id>")
@roles_allowed(FUND_TEAM)
def overview(fund_id: int):
    return _overview(_fund(fund_id))


def _overview(fund: Fund):
    can_change = current_user.role in ADMINS
    return render_template(
        "funds/overview.html", fund=fund, can_change=can_change, now=utcnow(),
        allocated=funds.allocated(fund), rule_rows=rule_rows(fund, can_change=can_change),
        history=fund_settings.rule_history(db.session, fund), describe=describe_change,
        ledger=decisions.ledger(db.session, fund=fund),
    )


@bp.route("/<int:fund_id>/rules", methods=["GET", "POST"])
@roles_allowed(ADMINS)
@recent_second_factor()
def rules(fund_id: int):
    fund = _fund(fund_id)
    form = FundRulesForm(data=FundRulesForm.data_from(fund.rules) if request.method == "GET" else None,
                         defaults=funds.DEFAULT_RULES)
    if form.validate_on_submit():
        in_force = fund.rules
        done, saved = commit_or_refuse(
            lambda: funds.update_rules(db.session, fund=fund, by=current_user, **form.rules()), form=form)
        if done:
            flash("You did not change any rules" if saved is in_force else
                  "Rules saved. They apply to anything submitted from now on", "success")
            return redirect(url_for("funds.overview", fund_id=fund.id))
    return form_page("funds/rules.html", form, fund=fund)


@bp.route("/<int:fund_id>/budget", methods=["GET", "POST"])
@roles_allowed(ADMINS)
@recent_second_factor()
def budget(fund_id: int):
    """The budget by financial year: a new version each time it is saved; the fund's total is their sum."""
    fund = _fund(fund_id)
    through = _later_year(request.form.get("through")) if request.method == "POST" else None
    adding = request.method == "POST" and "add_year" in request.form
    if adding:  # one more year on the form; nothing is saved yet
        through = budgets.next_year(budgets.years_to_show(db.session, fund, through=through)[-1]) or through
    years = budgets.years_to_show(db.session, fund, through=through)
    form = YearBudgetsForm.for_years(
        years, data=YearBudgetsForm.data_from(fund.year_budgets) if request.method == "GET" else None)
    form.through.data = through or ""
    if not adding and form.validate_on_submit():
        in_force = fund.budget_versions[0] if fund.budget_versions else None
        done, saved = commit_or_refuse(lambda: budgets.set_year_budgets(
            db.session, fund=fund, by=current_user, years=form.amounts(), note=form.note.data or ""), form=form)
        if done:
            flash("You did not change the budget" if saved is in_force else
                  f"Budget by financial year saved: the fund's budget is now {money(fund.budget)}", "success")
            return redirect(url_for("funds.overview", fund_id=fund.id))
    return form_page("funds/budget.html", form, fund=fund, allocated=funds.allocated(fund),
                     committed=budgets.committed_by_year(db.session, fund), history=budgets.history(db.session, fund))


def _later_year(text: str | None) -> str | None:
    """A later year the form was showing (posted back in a hidden field); ignored unless it is one."""
    text = (text or "").strip()
    if not is_financial_year(text) or financial_year_start_year(text) > budgets.LATEST_YEAR:
        return None
    return text


@bp.route("/<int:fund_id>/rounds/new", methods=["GET", "POST"])
@roles_allowed(ADMINS)
@recent_second_factor()
def new_round(fund_id: int):
    return _round_form(_fund(fund_id), None)


@bp.route("/<int:fund_id>/rounds/<int:round_id>", methods=["GET", "POST"])
@roles_allowed(ADMINS)
@recent_second_factor()
def edit_round(fund_id: int, round_id: int):
    fund = _fund(fund_id)
    round_ = db.session.get(Round, round_id)
    if round_ is None or round_.fund_id != fund.id:
        abort(404)
    return _round_form(fund, round_)


def _round_form(fund: Fund, round_: Round | None):
    form = RoundForm(data=RoundForm.data_from(round_) if round_ and request.method == "GET" else None)
    if form.validate_on_submit():
        done, saved = commit_or_refuse(lambda: fund_settings.save_round(
            db.session, fund=fund, by=current_user, round_=round_, **form.values()), form=form)
        if done:
            flash(f"{saved.name} saved", "success")
            return redirect(url_for("funds.overview", fund_id=fund.id))
    return form_page("funds/round.html", form, fund=fund, round_=round_, allocated=funds.allocated(fund))


# --- a round's assessment criteria (PRODUCT.md §2.2) --------------------------------------------

def _round(fund: Fund, round_id: int) -> Round:
    round_ = criteria.get_round(db.session, fund, round_id, for_update=request.method == "POST")
    if round_ is None:
        abort(404)
    return round_


@bp.route("/<int:fund_id>/rounds/<int:round_id>/criteria")
@roles_allowed(FUND_TEAM)
def round_criteria(fund_id: int, round_id: int):
    fund = _fund(fund_id)
    round_ = _round(fund, round_id)
    return render_template("funds/criteria.html", fund=fund, round_=round_, percent=percent,
                           locked=criteria.locked_reason(db.session, round_), defaults=criteria.DEFAULT_CRITERIA)


@bp.route("/<int:fund_id>/rounds/<int:round_id>/criteria/change", methods=["GET", "POST"])
@roles_allowed(FUND_TEAM)
@recent_second_factor()
def change_criteria(fund_id: int, round_id: int):
    fund = _fund(fund_id)
    round_ = _round(fund, round_id)
    form = CriteriaForm(data=CriteriaForm.data_from(round_.criteria) if request.method == "GET" else None)
    if form.is_submitted() and form.add_another.data:  # another blank row; nothing is saved yet
        form.add_row()
    elif form.validate_on_submit():
        done, changed = commit_or_refuse(lambda: criteria.save_criteria(
            db.session, round_=round_, by=current_user, rows=form.criterion_rows()), form=form)
        if done:
            flash(f"Criteria for {round_.name} saved" if changed else "You did not change the criteria", "success")
            return redirect(url_for("funds.round_criteria", fund_id=fund.id, round_id=round_.id))
    return form_page("funds/change_criteria.html", form, fund=fund, round_=round_, max_criteria=MAX_CRITERIA,
                     locked=criteria.locked_reason(db.session, round_))


# --- subsidy control thresholds (dated settings) ---------------------------------------------------

@bp.route("/subsidy-thresholds")
@roles_allowed(FUND_TEAM, FINANCE)
def thresholds():
    rows = subsidy.threshold_rows(db.session)
    today = uk_today()
    in_force = {}
    for row in rows:  # oldest first within each key: the last that has started is in force
        if row.effective_from <= today:
            in_force[row.key] = row.id
    groups = [(key, [row for row in rows if row.key == key]) for key in ThresholdKey]
    return render_template("funds/thresholds.html", groups=groups, in_force=set(in_force.values()), today=today,
                           can_change=current_user.role in ADMINS,
                           back=current_user.role in FUND_TEAM)


@bp.route("/subsidy-thresholds/new", methods=["GET", "POST"])
@roles_allowed(ADMINS)
@recent_second_factor()
def add_threshold():
    form = ThresholdForm()
    if form.validate_on_submit():
        done, row = commit_or_refuse(lambda: subsidy.add_threshold(
            db.session, by=current_user, **form.values()), form=form)
        if done:
            flash(f"{row.key.label} {money(row.amount)} from {govuk_date(row.effective_from)} added", "success")
            return redirect(url_for("funds.thresholds"))
    return form_page("funds/add_threshold.html", form)


def rule_rows(fund: Fund, *, can_change: bool) -> list[dict]:
    """The rules in force as GOV.UK summary list rows, each with its default and a Change link."""
    rows = []
    for name, label in RULE_LABELS.items():
        value = getattr(fund.rules, name)
        if name in RULE_CHOICES:
            shown = Markup("<br>").join(escape(choice_label(name, item)) for item in value) or "None"
        else:
            shown = escape(rule_value(name, value))
        default = funds.DEFAULT_RULES[name]
        called = default_label(name)
        note = f"(the {called.lower()})" if value == default else f"{called}: {rule_value(name, default)}"
        row = {"key": {"text": label},
               "value": {"html": Markup('{}<br><span class="govuk-hint govuk-!-font-size-16">{}</span>').format(
                   shown, note)}}
        if can_change:
            row["actions"] = {"items": [{"href": url_for("funds.rules", fund_id=fund.id) + "#" + name,
                                         "text": "Change", "visuallyHiddenText": label.lower()}]}
        rows.append(row)
    return rows


def describe_change(version: fund_settings.RuleVersion) -> list[str]:
    """What a rules version changed, one line per setting, e.g. 'Minimum grant: £1m to £2m'."""
    if version.previous is None:
        return ["First version of the rules"]
    lines = []
    for name in version.changed:
        before, after = getattr(version.previous, name), getattr(version.rules, name)
        if isinstance(after, list):
            added = [choice_label(name, v) for v in after if v not in before]
            removed = [choice_label(name, v) for v in before if v not in after]
            parts = ([f"added {'; '.join(added)}"] if added else []) + (
                [f"removed {'; '.join(removed)}"] if removed else [])
            lines.append(f"{RULE_LABELS[name]}: {', '.join(parts) or 'reordered'}")
        else:
            lines.append(f"{RULE_LABELS[name]}: {rule_value(name, before)} to {rule_value(name, after)}")
    return lines
