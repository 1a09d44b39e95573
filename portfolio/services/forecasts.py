"""Forecasts: the company's expectation of the grant it will claim in each quarter still to come, and how it
compares with the agreed profile and what has been paid.

    record      a forecast for the quarters still to come: from the current financial quarter (with a claim:
                from the quarter after the one its period ends in, if that is later) to the quarter of the
                project's completion; amounts £0 or more, in pounds and pence, together no more than the
                grant not yet paid. Made with each claim (a claim cannot be submitted without one while
                quarters remain) or on its own between claims. The latest one counts.
    comparison  per financial year and quarter: the agreed profile (the current terms), the forecast, what
                was paid, and the variance (forecast less profile)
    flagged     whether, once the company has made a forecast, any year from the current financial year on
                has a forecast differing from its profile by more than the fund's forecast_variance_rate
                (rules in force). Years already past are history (paid against profile), and an award with no
                forecast yet expects its profile: neither is a forecast that varies.

"Forecast" in a comparison is the award's expected spend as the budget ledger counts it
(portfolio.services.budgets.award_forecast): what was paid in quarters already past, and from this quarter
on the latest forecast (the agreed profile until the company has made one), this quarter never less than
what has been paid in it. "Actual" is the payments
made, by the quarter of their payment date (retention releases included): money that has left the fund.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session, object_session, selectinload

from portfolio.dates import add_months, financial_year_of, quarter_label, quarter_start, uk_today
from portfolio.models import Application, Award, AwardStatus, AwardTerms, Claim, ClaimStatus, Forecast, Fund, Payment, User
from portfolio.money import money
from portfolio.services import audit, award_terms, budgets, profiles
from portfolio.services.errors import DomainError

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


# --- the quarters still to come ---------------------------------------------------------------------

def completion_of(award: Award) -> date | None:
    terms = award.current_terms
    if terms is not None and terms.project_completion is not None:
        return terms.project_completion
    return award.offer.project_completion if award.offer is not None else None


def period(award: Award, *, claim: Claim | None = None, today: date | None = None) -> list[date]:
    """The quarters a forecast covers now: from the current quarter (or the quarter after the one the claim's
    period ends in, when that is later) to the quarter of the project's completion. Empty once it has passed."""
    completion = completion_of(award)
    if completion is None:
        return []
    first = quarter_start(today or uk_today())
    if claim is not None:
        first = max(first, add_months(quarter_start(claim.period_end), 3))
    return profiles.quarters(first, completion) if first <= quarter_start(completion) else []


def paid(session: Session, award: Award) -> Decimal:
    return session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Payment.amount), 0))
                          .where(Payment.award_id == award.id)) or ZERO


def grant_left(session: Session, award: Award) -> Decimal:
    """The grant not yet paid: the most a forecast may add up to."""
    return award.amount - Decimal(paid(session, award))


# --- reading -----------------------------------------------------------------------------------------

def latest(award: Award) -> Forecast | None:
    session = object_session(award)
    return session.scalar(sa.select(Forecast).where(Forecast.award_id == award.id)
                          .order_by(Forecast.id.desc()).limit(1))


def history(session: Session, award: Award) -> list[Forecast]:
    return list(session.scalars(sa.select(Forecast).where(Forecast.award_id == award.id)
                                .order_by(Forecast.id.desc())))


def made_with(session: Session, claim: Claim) -> Forecast | None:
    return session.scalar(sa.select(Forecast).where(Forecast.claim_id == claim.id)
                          .order_by(Forecast.id.desc()).limit(1))


def due_with(session: Session, claim: Claim) -> bool:
    """Whether the claim still needs its forecast: quarters remain and none has been made with it."""
    return bool(period(claim.award, claim=claim)) and made_with(session, claim) is None


def starting_point(award: Award, quarters: list[date]) -> profiles.Profile:
    """What the forecast form starts from: the latest forecast, or (before the first) the agreed profile, for
    the quarters still to come."""
    forecast = latest(award)
    source = profiles.of_lines(forecast.lines) if forecast else award_terms.current_profile(award)
    start = {quarter: source.get(quarter, ZERO) for quarter in quarters}
    left = grant_left(object_session(award), award)
    if profiles.total(start) > left:  # more was paid early than profiled: no more than the grant left
        start = {quarter: start.get(quarter, ZERO) for quarter in quarters} | profiles.scale(start, max(left, ZERO))
    return start


# --- writing -----------------------------------------------------------------------------------------

def problems(session: Session, award: Award, profile: dict[date, Decimal], quarters: list[date]) -> list[str]:
    found = []
    if not quarters:
        return ["The project period has ended: there are no quarters left to forecast"]
    first, last = quarters[0], quarters[-1]
    earlier = sorted(quarter for quarter, amount in profile.items() if amount and quarter < first)
    if earlier:
        found.append(f"{quarter_label(earlier[0])} has passed: forecast from {quarter_label(first)}")
    later = sorted(quarter for quarter, amount in profile.items() if amount and quarter > last)
    if later:
        found.append(f"{quarter_label(later[0])} is after the project completes ({quarter_label(last)})")
    negative = sorted(quarter for quarter, amount in profile.items() if amount < ZERO)
    if negative:
        found.append(f"The forecast for {quarter_label(negative[0])} must be £0 or more")
    if any(amount != amount.quantize(CENT) for amount in profile.values()):
        found.append("Enter the forecast in pounds and pence")
    left = grant_left(session, award)
    total = profiles.total(profile)
    if total > left:
        found.append(f"The forecast adds up to {money(total)}, {money(total - left)} more than the "
                     f"{money(left)} of the grant not yet paid")
    return found


def record(session: Session, *, award: Award, by: User, profile: dict[date, Decimal], claim: Claim | None = None,
           note: str = "") -> Forecast:
    """The company's forecast for the quarters still to come (see the module docstring).

    :raise DomainError: (field "profile") why the forecast cannot stand; nothing is saved."""
    session.refresh(award, with_for_update=True)  # payments and other forecasts of the award wait for this one
    if award.status is not AwardStatus.ACCEPTED:
        raise DomainError("Forecasts are made for awards in delivery")
    if claim is not None and (claim.award_id != award.id or claim.status is not ClaimStatus.DRAFT):
        raise DomainError("A forecast is made with a claim before the claim is submitted")
    quarters = period(award, claim=claim)
    found = problems(session, award, profile, quarters)
    if found:
        raise DomainError("; ".join(found), field="profile")
    forecast = Forecast(award=award, claim_id=claim.id if claim else None, note=note or "", created_by_id=by.id)
    forecast.lines = profiles.to_lines(profile)
    session.add(forecast)
    session.flush()
    audit.record(session, actor=by, action="forecast.recorded", entity=forecast, after={
        "award_id": award.id, "claim_id": claim.id if claim else None, "note": note,
        "total": profiles.total(profile), "by_year": profiles.by_year(profile),
        "quarters": {quarter.isoformat(): amount for quarter, amount in sorted(profile.items()) if amount}})
    return forecast


# --- profile, forecast and actual --------------------------------------------------------------------

@dataclass
class Figures:
    profile: Decimal = ZERO
    forecast: Decimal = ZERO
    actual: Decimal = ZERO

    @property
    def variance(self) -> Decimal:
        return self.forecast - self.profile


@dataclass
class QuarterFigures(Figures):
    quarter: date | None = None


@dataclass
class YearFigures(Figures):
    year: str = ""
    variance_rate: Decimal = ZERO
    quarters: list[QuarterFigures] = field(default_factory=list)
    forecast_made: bool = False  # the company has forecast, and the year is not over (see the module docstring)

    @property
    def flagged(self) -> bool:
        """The forecast differs from the profile by more than the setting (any forecast in a year with no
        profile counts)."""
        if not self.forecast_made:
            return False
        if self.profile <= ZERO:
            return self.forecast > ZERO
        return abs(self.variance) > self.profile * self.variance_rate


@dataclass
class Comparison:
    years: list[YearFigures]
    totals: Figures
    forecast: Forecast | None
    variance_rate: Decimal

    @property
    def flagged(self) -> bool:
        return any(year.flagged for year in self.years)

    def year(self, label: str) -> YearFigures:
        return next((year for year in self.years if year.year == label),
                    YearFigures(year=label, variance_rate=self.variance_rate))


def comparison(session: Session, award: Award, *, today: date | None = None) -> Comparison:
    """Profile, forecast, actual and variance per financial year and quarter (see the module docstring)."""
    return comparisons(session, [award], today=today)[award.id]


def comparisons(session: Session, awards: list[Award], *, today: date | None = None) -> dict[int, Comparison]:
    """The comparison of each award, by award id: a handful of statements however many awards there are."""
    today = today or uk_today()
    ids = [award.id for award in awards]
    if not ids:
        return {}
    session.scalars(sa.select(Award).where(Award.id.in_(ids)).options(  # their terms, rules and companies at once
        selectinload(Award.terms_versions).selectinload(AwardTerms.lines), selectinload(Award.organisation),
        selectinload(Award.application).selectinload(Application.rules),
        selectinload(Award.application).selectinload(Application.fund).selectinload(Fund.rule_sets))).all()
    forecasts = budgets.latest_forecasts(session, ids)
    payments = budgets.payments_made(session, award_ids=ids)
    return {award.id: _compare(award, forecasts.get(award.id), payments.get(award.id, []), today)
            for award in awards}


def _compare(award: Award, forecast: Forecast | None, payments: list, today: date) -> Comparison:
    rate = award.application.rules_in_force.forecast_variance_rate
    terms = award.current_terms
    profile = award_terms.profile_of(terms)
    actual = budgets.paid_by_quarter(payments)
    expected = budgets.award_forecast(terms, forecast, payments, today) if terms is not None else {}
    quarters = sorted({*profile, *expected, *actual})
    years: dict[str, YearFigures] = {}
    totals = Figures()
    for quarter in quarters:
        row = QuarterFigures(quarter=quarter, profile=profile.get(quarter, ZERO),
                             forecast=expected.get(quarter, ZERO), actual=actual.get(quarter, ZERO))
        label = financial_year_of(quarter)
        year = years.setdefault(label, YearFigures(year=label, variance_rate=rate, forecast_made=(
            forecast is not None and label >= financial_year_of(today))))
        year.quarters.append(row)
        for figures in (year, totals):
            figures.profile += row.profile
            figures.forecast += row.forecast
            figures.actual += row.actual
    return Comparison(years=[years[label] for label in sorted(years)], totals=totals, forecast=forecast,
                      variance_rate=rate)


def flagged(award: Award) -> bool:
    """Whether any year's forecast differs from the agreed profile by more than the fund's setting."""
    return comparison(object_session(award), award).flagged


def flagged_ids(session: Session, awards: list[Award]) -> set[int]:
    return {award_id for award_id, compared in comparisons(session, awards).items() if compared.flagged}


@dataclass
class AwardLine:
    award: Award
    comparison: Comparison


def fund_wide(session: Session, *, today: date | None = None) -> list[AwardLine]:
    """Every accepted award with its comparison (the fund-wide profile, forecast and actual page)."""
    awards = list(session.scalars(sa.select(Award).where(Award.status == AwardStatus.ACCEPTED).order_by(Award.id)))
    compared = comparisons(session, awards, today=today)
    return [AwardLine(award, compared[award.id]) for award in awards]


def totals_by_year(lines: list[AwardLine], years: list[str]) -> dict[str, Figures]:
    """The awards' profile, forecast and actual added up for each of `years`."""
    totals = {year: Figures() for year in years}
    for line in lines:
        for year in years:
            figures = line.comparison.year(year)
            totals[year].profile += figures.profile
            totals[year].forecast += figures.forecast
            totals[year].actual += figures.actual
    return totals
