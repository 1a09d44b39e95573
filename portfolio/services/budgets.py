"""The fund's budget by financial year, and the ledger of what each year's money is doing.

    budget      the fund's budget for the year (a versioned setting: every change adds a version)
    committed   the agreed profiles of approved, offered and accepted awards, in that year (an approved
                variation not yet accepted holds the larger of its old and new profile, so accepting it
                can never over-commit a year)
    forecast    what the fund now expects to pay in the year: payments made in quarters already past,
                and for the quarters to come each award's latest forecast (its profile until it has one)
    paid        payments made in the year
    headroom    budget less committed

A year's forecast more than `budget_variance_rate` under or over its budget is flagged.

Approvals (of an award, an offer's profile or a variation) check every year of the new profile
against that year's headroom while holding the fund's row lock (portfolio.services.decisions locks
fund, round, application in that order), so racing approvals run one after another and no year is
ever over-committed. Until a fund has a budget by year, only its total is checked.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from portfolio.dates import financial_year_of, financial_year_start_year, financial_year_label, quarter_start, \
    uk_today
from portfolio.models import (
    Award,
    AwardStatus,
    AwardTerms,
    BudgetVersion,
    Forecast,
    Fund,
    Payment,
    ProfileLine,
    User,
    Variation,
    VariationStatus,
    YearBudget,
)
from portfolio import charts
from portfolio.money import money, money_compact
from portfolio.services import audit, profiles
from portfolio.services.errors import DomainError

ZERO = Decimal("0.00")
LIVE = (AwardStatus.APPROVED, AwardStatus.OFFERED, AwardStatus.ACCEPTED)
# The Spending Review years the fund's money is voted for: the budget page always shows them.
SPENDING_REVIEW_YEARS = ("2025/26", "2026/27", "2027/28", "2028/29")
LATEST_YEAR = 2049  # no budget is set for a year starting after 2049 (a mistyped year, not a plan)


# --- the budget by year (a versioned setting) -------------------------------------------------------

def set_year_budgets(session: Session, *, fund: Fund, by: User, years: dict[str, Decimal], note: str = ""
                     ) -> BudgetVersion:
    """A new version of the fund's budget by year; the fund's total budget becomes their sum.

    The error about one year names that year as its `field` ("2026/27"); nothing is saved when `years`
    are the budget already in force.

    :raise DomainError: a year already holds more committed than its new budget, or the rounds'
        allocations would pass the new total."""
    fund = session.scalar(sa.select(Fund).where(Fund.id == fund.id).with_for_update()
                          .execution_options(populate_existing=True))
    if not years:
        raise DomainError("Enter the budget for at least one financial year", field="years")
    for year, amount in sorted(years.items()):
        if amount < ZERO:
            raise DomainError(f"The budget for {year} must be £0 or more", field=year)
    committed = committed_by_year(session, fund)
    for year, amount in sorted(committed.items()):
        if amount > years.get(year, ZERO):
            raise DomainError(f"{year}: {money(amount)} is already committed, more than a budget of "
                              f"{money(years.get(year, ZERO))}", field=year)
    new_total = sum(years.values(), ZERO)
    allocated = sum((r.allocation for r in fund.rounds), ZERO)
    if new_total < allocated:
        raise DomainError(f"The years add up to {money(new_total)}, less than the {money(allocated)} already "
                          f"allocated to rounds", field="years")
    before = fund.year_budgets
    if before and before == {year: amount for year, amount in years.items()} and fund.budget == new_total:
        return fund.budget_versions[0]
    version = BudgetVersion(fund=fund, created_by_id=by.id, note=note,
                            years=[YearBudget(financial_year=year, amount=amount)
                                   for year, amount in sorted(years.items())])
    session.add(version)
    previous_total, fund.budget = fund.budget, new_total
    session.flush()
    session.expire(fund, ["budget_versions"])
    audit.record(session, actor=by, action="fund.year_budgets_set", entity=fund,
                 before={"years": before, "budget": previous_total},
                 after={"years": dict(sorted(years.items())), "budget": new_total, "version_id": version.id,
                        "note": note})
    return version


def versions(session: Session, fund: Fund) -> list[BudgetVersion]:
    """Every version of the budget by year, newest first."""
    return list(session.scalars(sa.select(BudgetVersion).where(BudgetVersion.fund_id == fund.id)
                                .options(selectinload(BudgetVersion.years)).order_by(BudgetVersion.id.desc())))


@dataclass
class VersionView:
    """A version of the budget by year as the history shows it: who, when, the note, each year's amount
    and what changed from the version before."""

    number: int
    version: BudgetVersion
    changes: list[str]


def history(session: Session, fund: Fund) -> list[VersionView]:
    """Every version of the budget by year, newest first, each with what it changed."""
    newest_first = versions(session, fund)
    oldest_first = list(reversed(newest_first))
    views = []
    for index, version in enumerate(oldest_first):
        before = oldest_first[index - 1].by_year if index else None
        views.append(VersionView(number=index + 1, version=version, changes=describe_change(before, version.by_year)))
    return list(reversed(views))


def describe_change(before: dict[str, Decimal] | None, after: dict[str, Decimal]) -> list[str]:
    """What a version changed, a line per year: '2026/27: £150,000,000.00 to £160,000,000.00'."""
    if before is None:
        return ["First budget by year"]
    lines = []
    for year in sorted({*before, *after}):
        old, new = before.get(year), after.get(year)
        if old == new:
            continue
        if old is None:
            lines.append(f"{year}: added, {money(new)}")
        elif new is None:
            lines.append(f"{year}: removed (was {money(old)})")
        else:
            lines.append(f"{year}: {money(old)} to {money(new)}")
    return lines or ["No year changed"]


def years_to_show(session: Session, fund: Fund, *, through: str | None = None) -> list[str]:
    """The financial years the budget page asks about, in order with no gap: the Spending Review years,
    every year already in the budget or touched by a committed profile, and on to `through` (a later
    year being added)."""
    years = {*SPENDING_REVIEW_YEARS, *fund.year_budgets, *committed_by_year(session, fund)}
    if through is not None and through > max(years):
        years.add(through)
    first, last = (financial_year_start_year(year) for year in (min(years), max(years)))
    return [financial_year_label(start) for start in range(first, last + 1)]


def next_year(year: str) -> str | None:
    """The financial year after `year`, or None past the latest a budget may be set for."""
    start = financial_year_start_year(year) + 1
    return financial_year_label(start) if start <= LATEST_YEAR else None


# --- what is committed ----------------------------------------------------------------------------------

def _current_terms(session: Session, fund: Fund, *, statuses=LIVE) -> list[AwardTerms]:
    """The latest terms of each of the fund's live awards."""
    latest = (sa.select(AwardTerms.award_id, sa.func.max(AwardTerms.version).label("version"))
              .group_by(AwardTerms.award_id).subquery())
    return list(session.scalars(
        sa.select(AwardTerms).join(latest, sa.and_(AwardTerms.award_id == latest.c.award_id,
                                                   AwardTerms.version == latest.c.version))
        .join(Award, Award.id == AwardTerms.award_id)
        .where(Award.fund_id == fund.id, Award.status.in_(statuses))
        .options(selectinload(AwardTerms.lines))))


def _pending_profiles(session: Session, fund: Fund) -> dict[int, profiles.Profile]:
    """Approved variations not yet accepted that propose a new profile, by award."""
    rows = session.scalars(sa.select(Variation).join(Award, Award.id == Variation.award_id)
                           .where(Award.fund_id == fund.id, Variation.status == VariationStatus.APPROVED)
                           .options(selectinload(Variation.lines)))
    return {variation.award_id: profiles.of_lines(variation.lines) for variation in rows if variation.lines}


def award_commitment(terms: AwardTerms, pending: profiles.Profile | None = None) -> dict[str, Decimal]:
    """What one award holds in each year: its agreed profile, or the larger of it and an approved
    variation's new profile, year by year."""
    agreed = profiles.by_year(profiles.of_lines(terms.lines))
    if not pending:
        return agreed
    proposed = profiles.by_year(pending)
    return {year: max(agreed.get(year, ZERO), proposed.get(year, ZERO)) for year in sorted({*agreed, *proposed})}


def committed_by_year(session: Session, fund: Fund, *, excluding_award_id: int | None = None) -> dict[str, Decimal]:
    pending = _pending_profiles(session, fund)
    years: dict[str, Decimal] = {}
    for terms in _current_terms(session, fund):
        if terms.award_id == excluding_award_id:
            continue
        for year, amount in award_commitment(terms, pending.get(terms.award_id)).items():
            years[year] = years.get(year, ZERO) + amount
    return years


def budget_problems(session: Session, *, fund: Fund, profile: profiles.Profile, award: Award | None = None,
                    verb: str = "Approving") -> list[str]:
    """Why committing `profile` (for `award`, in place of what it holds now) would over-commit a year:
    one message per year, naming the year and its figures. Empty when every year has the headroom, or
    while the fund has no budget by year. The caller holds the fund's row lock."""
    budget = fund.year_budgets
    if not budget:
        return []
    committed = committed_by_year(session, fund, excluding_award_id=award.id if award is not None else None)
    found = []
    for year, amount in profiles.by_year(profile).items():
        if amount <= ZERO:
            continue
        held, limit = committed.get(year, ZERO), budget.get(year, ZERO)
        if held + amount > limit:
            found.append(f"{verb} would over-commit {year}: {money(amount)} in that year on top of "
                         f"{money(held)} already committed passes its budget of {money(limit)} "
                         f"(headroom {money(limit - held)})")
    return found


# --- the ledger by year ----------------------------------------------------------------------------------

@dataclass
class YearRow:
    year: str
    budget: Decimal = ZERO
    committed: Decimal = ZERO
    forecast: Decimal = ZERO
    paid: Decimal = ZERO
    variance_rate: Decimal = ZERO

    @property
    def headroom(self) -> Decimal:
        return self.budget - self.committed

    @property
    def warning(self) -> str | None:
        """'under' or 'over' when the forecast misses the budget by more than the setting."""
        if self.budget <= ZERO:
            return "over" if self.forecast > ZERO else None
        gap = self.forecast - self.budget
        if abs(gap) > self.budget * self.variance_rate:
            return "over" if gap > 0 else "under"
        return None

    @property
    def gap(self) -> Decimal:
        """How far the forecast is over (positive) or under (negative) the budget."""
        return self.forecast - self.budget

    @property
    def warning_text(self) -> str | None:
        """'Forecast £4,000,000.00 under budget (6.7%)', when the forecast misses by more than the setting."""
        if self.warning is None:
            return None
        share = f" ({abs(self.gap) / self.budget:.1%})" if self.budget > ZERO else ""
        return f"Forecast {money(abs(self.gap))} {self.warning} budget{share}"


@dataclass
class HeadroomRow:
    """One year of a proposed profile against the fund's budget: what the award would take, what is
    committed without it, the budget, and the headroom left after it (below zero: refused)."""

    year: str
    this_award: Decimal
    committed: Decimal
    budget: Decimal

    @property
    def after(self) -> Decimal:
        return self.budget - self.committed - self.this_award

    @property
    def over(self) -> bool:
        return self.this_award > ZERO and self.after < ZERO


def headroom(session: Session, *, fund: Fund, profile: profiles.Profile, award: Award | None = None
             ) -> list[HeadroomRow]:
    """Each year of `profile` against the budget (what budget_problems checks, as a table); empty while
    the fund has no budget by year."""
    budget = fund.year_budgets
    if not budget:
        return []
    committed = committed_by_year(session, fund, excluding_award_id=award.id if award is not None else None)
    return [HeadroomRow(year=year, this_award=amount, committed=committed.get(year, ZERO),
                        budget=budget.get(year, ZERO))
            for year, amount in profiles.by_year(profile).items()]


@dataclass
class YearLedger:
    years: list[YearRow]
    not_profiled: Decimal = ZERO  # awards agreed before profiles existed
    by_year_budget_set: bool = False
    totals: YearRow = field(default_factory=lambda: YearRow(year="Total"))


@dataclass(frozen=True)
class PaymentMade:
    paid_on: date
    recorded_at: datetime
    amount: Decimal


def paid_by_quarter(payments: list[PaymentMade]) -> profiles.Profile:
    """Payments by the quarter of their payment date."""
    paid: profiles.Profile = {}
    for payment in payments:
        quarter = quarter_start(payment.paid_on)
        paid[quarter] = paid.get(quarter, ZERO) + payment.amount
    return paid


def award_forecast(terms: AwardTerms, forecast: Forecast | None, payments: list[PaymentMade],
                   today: date) -> profiles.Profile:
    """One award's expected spend by quarter: what was paid in quarters already past; from this quarter on its
    latest forecast (its agreed profile until it has made one).

    A forecast covers the grant not yet paid when it was made, so this quarter expects what was paid before the
    forecast was made plus what the forecast gives it, and never less than has been paid in it by now."""
    now = quarter_start(today)
    expected = {quarter: amount for quarter, amount in paid_by_quarter(payments).items() if quarter < now}
    paid_now = before_forecast = ZERO
    for payment in payments:
        if quarter_start(payment.paid_on) >= now:
            paid_now += payment.amount
            if forecast is not None and payment.recorded_at <= forecast.created_at:
                before_forecast += payment.amount
    source = profiles.of_lines(forecast.lines) if forecast is not None else profiles.of_lines(terms.lines)
    for quarter, amount in source.items():
        if quarter >= now:
            expected[quarter] = expected.get(quarter, ZERO) + amount
    if paid_now or now in expected:
        expected[now] = max(expected.get(now, ZERO) + before_forecast, paid_now)
    return dict(sorted(expected.items()))


def latest_forecasts(session: Session, award_ids: list[int]) -> dict[int, Forecast]:
    if not award_ids:
        return {}
    latest = (sa.select(sa.func.max(Forecast.id)).where(Forecast.award_id.in_(award_ids))
              .group_by(Forecast.award_id))
    return {forecast.award_id: forecast for forecast in session.scalars(
        sa.select(Forecast).where(Forecast.id.in_(latest)).options(selectinload(Forecast.lines)))}


def payments_made(session: Session, *, fund: Fund | None = None, award: Award | None = None,
                  award_ids: list[int] | None = None) -> dict[int, list[PaymentMade]]:
    """The payments of a fund's awards (or of one award, or of some), by award."""
    query = sa.select(Payment.award_id, Payment.paid_on, Payment.created_at, Payment.amount)
    if award is not None:
        query = query.where(Payment.award_id == award.id)
    if award_ids is not None:
        query = query.where(Payment.award_id.in_(award_ids))
    if fund is not None:
        query = query.join(Award, Award.id == Payment.award_id).where(Award.fund_id == fund.id)
    made: dict[int, list[PaymentMade]] = {}
    for award_id, paid_on, recorded_at, amount in session.execute(query.order_by(Payment.id)):
        made.setdefault(award_id, []).append(PaymentMade(paid_on, recorded_at, amount))
    return made


def year_ledger(session: Session, fund: Fund, *, today: date | None = None) -> YearLedger:
    """Budget, committed, forecast, paid and headroom per financial year, and in total: every year that has
    a budget, a commitment or a payment, in order, with no gap between them."""
    today = today or uk_today()
    rate = fund.rules.budget_variance_rate
    rows: dict[str, YearRow] = {}

    def row(year: str) -> YearRow:
        return rows.setdefault(year, YearRow(year=year, variance_rate=rate))

    budget = fund.year_budgets
    for year, amount in budget.items():
        row(year).budget = amount
    for year, amount in committed_by_year(session, fund).items():
        row(year).committed += amount
    terms_list = _current_terms(session, fund)
    forecasts = latest_forecasts(session, [terms.award_id for terms in terms_list])
    paid = payments_made(session, fund=fund)
    not_profiled = ZERO
    for terms in terms_list:
        if not terms.lines:
            not_profiled += terms.amount
            continue
        expected = award_forecast(terms, forecasts.get(terms.award_id), paid.get(terms.award_id, []), today)
        for year, amount in profiles.by_year(expected).items():
            row(year).forecast += amount
    for payments in paid.values():
        for payment in payments:
            row(financial_year_of(payment.paid_on)).paid += payment.amount
    if rows:
        first, last = (financial_year_start_year(year) for year in (min(rows), max(rows)))
        for start in range(first, last + 1):
            row(financial_year_label(start))
    ordered = [rows[year] for year in sorted(rows)]
    totals = YearRow(year="Total", variance_rate=rate)
    for item in ordered:
        totals.budget += item.budget
        totals.committed += item.committed
        totals.forecast += item.forecast
        totals.paid += item.paid
    return YearLedger(years=ordered, not_profiled=not_profiled, by_year_budget_set=bool(budget), totals=totals)


# --- the ledger as a chart and as a table (for the finance page and its downloads) -----------------------

SERIES = (("Budget", "budget", charts.GOVUK_DARK_GREY), ("Committed", "committed", charts.GOVUK_BLUE),
          ("Forecast", "forecast", charts.GOVUK_PURPLE), ("Paid", "paid", charts.GOVUK_GREEN))


def chart(ledger: YearLedger) -> charts.BarChart:
    """Budget, committed, forecast and paid per financial year."""
    return charts.bar_chart(
        title="Budget, committed, forecast and paid, by financial year", category_name="Financial year",
        categories=[row.year for row in ledger.years], empty="No budget, commitments or payments yet.",
        tick_label=money_compact,
        series=[charts.Series(name, [getattr(row, attribute) for row in ledger.years], colour, show=money,
                              describe=lambda value, name=name: f"{name.lower()} {money(value)}")
                for name, attribute, colour in SERIES])


TABLE_HEADINGS = ["Financial year", "Budget (£)", "Committed (£)", "Forecast (£)", "Paid (£)", "Headroom (£)",
                  "Forecast against budget"]


def table(ledger: YearLedger) -> list[list]:
    """The ledger as rows for CSV and XLSX: a header, a row per year, the total, and awards not profiled.
    Amounts stay numbers (Decimal)."""
    rows: list[list] = [TABLE_HEADINGS]
    for row in [*ledger.years, ledger.totals]:
        rows.append([row.year, row.budget, row.committed, row.forecast, row.paid, row.headroom,
                     (row.warning_text or "Within the tolerance") if row is not ledger.totals else ""])
    if ledger.not_profiled:
        rows.append(["Not profiled (awards agreed before grant profiles)", None, ledger.not_profiled, None, None,
                     None, ""])
    return rows
