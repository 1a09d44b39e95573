"""Grant profiles: grant by financial quarter (and so by financial year), the one home of their rules.

A profile is a mapping of quarter starts (1 April, 1 July, 1 October, 1 January) to amounts, stored as
ProfileLine rows owned by an application (what it asks for), a version of an award's terms (what was
agreed), a variation (what it proposes) or a forecast (what the company now expects).

    quarters(start, completion)   the quarters a project period touches
    problems(profile, ...)        why a profile cannot be agreed: it must add up to the grant to the penny
                                  and lie inside the project period, with no amount below zero
    spread / scale / fit          a profile made from an amount, or an existing one made to another amount
                                  or period, to the penny
    by_year                       the profile summed by financial year
    table                         how pages and letters show a profile: by financial year, Q1 to Q4
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, Decimal

from portfolio.dates import add_months, financial_year_of, quarter_label, quarter_number, quarter_start
from portfolio.models import ProfileLine
from portfolio.money import money

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

Profile = dict[date, Decimal]


def quarters(start: date, completion: date) -> list[date]:
    """The first days of the financial quarters from the one holding `start` to the one holding `completion`."""
    first, last = quarter_start(start), quarter_start(completion)
    result = []
    while first <= last:
        result.append(first)
        first = add_months(first, 3)
    return result


def of_lines(lines: Iterable[ProfileLine]) -> Profile:
    """The profile some stored lines hold (summed per quarter, in quarter order)."""
    profile: Profile = {}
    for line in sorted(lines, key=lambda line: line.quarter_start):
        profile[line.quarter_start] = profile.get(line.quarter_start, ZERO) + line.amount
    return profile


def to_lines(profile: Mapping[date, Decimal], **owner) -> list[ProfileLine]:
    """Rows for a profile, owned by `owner` (application=, terms_id=, variation=...): quarters with no
    money are left out."""
    return [ProfileLine(quarter_start=quarter, amount=amount, **owner)
            for quarter, amount in sorted(profile.items()) if amount != ZERO]


def total(profile: Mapping[date, Decimal]) -> Decimal:
    return sum(profile.values(), ZERO)


def by_year(profile: Mapping[date, Decimal]) -> dict[str, Decimal]:
    years: dict[str, Decimal] = {}
    for quarter, amount in sorted(profile.items()):
        year = financial_year_of(quarter)
        years[year] = years.get(year, ZERO) + amount
    return years


@dataclass
class YearOfQuarters:
    """One financial year of a profile: its four quarters (None where the period does not reach) and total."""

    year: str
    quarters: list[Decimal | None] = field(default_factory=lambda: [None] * 4)
    total: Decimal = ZERO
    starts: list[date | None] = field(default_factory=lambda: [None] * 4)  # each quarter's first day


def table(profile: Mapping[date, Decimal], period: Iterable[date] = ()) -> list[YearOfQuarters]:
    """The profile by financial year and quarter, for a table with a row per year and columns Q1 to Q4: every
    quarter of `period` (quarter starts) is shown (£0 when it has no money), and every quarter with money."""
    years: dict[str, YearOfQuarters] = {}
    for quarter in sorted({*period, *profile}):
        row = years.setdefault(financial_year_of(quarter), YearOfQuarters(financial_year_of(quarter)))
        amount = profile.get(quarter, ZERO)
        index = quarter_number(quarter) - 1
        row.quarters[index], row.starts[index] = (row.quarters[index] or ZERO) + amount, quarter
        row.total += amount
    return [years[year] for year in sorted(years)]


def problems(profile: Mapping[date, Decimal], *, grant: Decimal, start: date | None, completion: date | None,
             noun: str = "profile") -> list[str]:
    """Why the profile cannot stand: every amount £0 or more, every quarter inside the project period, and
    the total equal to the grant to the penny. Empty when it can."""
    found = []
    negative = [quarter for quarter, amount in profile.items() if amount < ZERO]
    if negative:
        found.append(f"The {noun} for {quarter_label(negative[0])} must be £0 or more")
    if any(amount != amount.quantize(CENT) for amount in profile.values()):
        found.append(f"Enter the {noun} in pounds and pence")
    if start is not None and completion is not None:
        inside = set(quarters(start, completion))
        outside = sorted(quarter for quarter, amount in profile.items() if amount and quarter not in inside)
        if outside:
            found.append(f"The {noun} has {money(profile[outside[0]])} in {quarter_label(outside[0])}, outside the "
                         f"project period ({quarter_label(start)} to {quarter_label(completion)})")
    added = total(profile)
    if added != grant:
        difference = added - grant
        found.append(f"The {noun} adds up to {money(added)}, {money(abs(difference))} "
                     f"{'more' if difference > 0 else 'less'} than the grant of {money(grant)}: it must add up "
                     f"to the grant to the penny")
    return found


def spread(amount: Decimal, start: date, completion: date) -> Profile:
    """`amount` spread evenly over the project's quarters, to the penny (the last quarter takes the pennies)."""
    periods = quarters(start, completion)
    share = (amount / len(periods)).quantize(CENT, ROUND_DOWN)
    profile = {quarter: share for quarter in periods}
    profile[periods[-1]] += amount - share * len(periods)
    return profile


def scale(profile: Mapping[date, Decimal], amount: Decimal) -> Profile:
    """The profile's shape at another total, to the penny (the largest quarter takes the pennies)."""
    whole = total(profile)
    if not profile or whole <= ZERO:
        return {}
    scaled = {quarter: (value * amount / whole).quantize(CENT, ROUND_DOWN) for quarter, value in profile.items()}
    largest = max(scaled, key=lambda quarter: (scaled[quarter], quarter))
    scaled[largest] += amount - total(scaled)
    return dict(sorted(scaled.items()))


def fit(profile: Mapping[date, Decimal], amount: Decimal, start: date, completion: date) -> Profile:
    """A profile of `amount` inside the project period: `profile` scaled when it already lies inside it,
    else `amount` spread evenly over the period."""
    inside = set(quarters(start, completion))
    if profile and total(profile) > ZERO and all(q in inside for q, value in profile.items() if value):
        return scale(profile, amount)
    return spread(amount, start, completion)
