"""UK time, financial years and quarters: the one home of these rules, for forms, services, SQL and templates.

A financial year runs from 1 April to 31 March and is labelled by its two calendar years, "2025/26".
A moment (a datetime) falls in the year of its UK date: 31 March 23:59 UK time is still in the old
year, 1 April 00:00 UK time (23:00 UTC the evening before, in summer time) is in the new one. Its
quarters start on 1 April (Q1), 1 July (Q2), 1 October (Q3) and 1 January (Q4).

`financial_year_sql` states the same rule in SQL (a CASE over the years' starts as UK-time instants),
so a query can group by the year on SQLite and PostgreSQL alike.

Also here: dates and times the GOV.UK way ("5 January 2027", "… at 9:30am"), used by the Jinja
filters, services' messages and e-mails.
"""

import calendar
import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.dates import format_date

from portfolio.models.base import utcnow

UK = ZoneInfo("Europe/London")

FIRST_MONTH = 4  # April
EARLIEST_YEAR = 2015  # the SQL expression names years from 2015/16; anything before is "earlier"
_LABEL = re.compile(r"(\d{4})/(\d{2})")


# --- today in the UK ----------------------------------------------------------------------------------

def uk_today() -> date:
    """Today's date in the UK (after midnight UK time it is already tomorrow in UTC terms in summer)."""
    return utcnow().astimezone(UK).date()


def uk_date(value: date | datetime) -> date:
    """The UK date of a moment (an aware datetime); a date is returned as it is.

    :raise ValueError: a naive datetime, whose zone nobody knows."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("a naive datetime has no UK date: give it a time zone")
        return value.astimezone(UK).date()
    return value


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day (31 May + 3 months = 31 August;
    30 November + 3 months = 28 or 29 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- financial years ----------------------------------------------------------------------------------

def financial_year_label(start_year: int) -> str:
    """The label of the financial year starting on 1 April of `start_year`: 2025 -> "2025/26"."""
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def is_financial_year(label: object) -> bool:
    """Whether `label` names a financial year: "2025/26" does, "2025/27", "2025-26" and "25/26" do not."""
    if not isinstance(label, str):
        return False
    match = _LABEL.fullmatch(label)
    return match is not None and financial_year_label(int(match[1])) == label


def financial_year_start_year(label: str) -> int:
    """The calendar year a financial year starts in: "2025/26" -> 2025.

    :raise ValueError: `label` is not a financial year like 2025/26."""
    if not is_financial_year(label):
        raise ValueError(f"{label!r} is not a financial year like 2025/26")
    return int(label[:4])


def financial_year_of(value: date | datetime) -> str:
    """The financial year a date, or a moment (by its UK date), falls in: "2025/26"."""
    day = uk_date(value)
    return financial_year_label(day.year if day.month >= FIRST_MONTH else day.year - 1)


def financial_year_dates(label: str) -> tuple[date, date]:
    """First and last day of a financial year: 1 April to 31 March."""
    start = financial_year_start_year(label)
    return date(start, FIRST_MONTH, 1), date(start + 1, 3, 31)


def financial_year_bounds(label: str) -> tuple[datetime, datetime]:
    """The year as instants: from 1 April 00:00 UK time up to (not including) the next 1 April 00:00."""
    start = financial_year_start_year(label)
    return (datetime.combine(date(start, FIRST_MONTH, 1), time(), UK),
            datetime.combine(date(start + 1, FIRST_MONTH, 1), time(), UK))


def financial_year_start(value: date | datetime) -> date:
    """1 April of the financial year a date (or a moment's UK date) falls in."""
    return financial_year_dates(financial_year_of(value))[0]


def financial_years(now: date | datetime, count: int = 3) -> list[str]:
    """The current financial year (UK time) and the `count - 1` before it, newest first: "2026/27", ..."""
    start = financial_year_start_year(financial_year_of(now))
    return [financial_year_label(year) for year in range(start, start - count, -1)]


def financial_years_since(first_year: int, now: date | datetime) -> list[str]:
    """Every financial year from the current one back to the one starting in `first_year`, newest first."""
    start = financial_year_start_year(financial_year_of(now))
    return [financial_year_label(year) for year in range(start, first_year - 1, -1)]


def financial_year_sql(column, *, first_year: int = EARLIEST_YEAR, last_year: int | None = None,
                       earlier: str = "earlier"):
    """The financial year of a timestamp column as SQL any database runs: a CASE over the years' starts
    (1 April 00:00 UK time, bound as instants, so summer time is the database's no concern).

    Years from `first_year` to `last_year` (by default the one after the current) are named; a time
    before them is `earlier`. The column's type binds the instants (UTCDateTime: stored as UTC)."""
    last_year = last_year if last_year is not None else datetime.now(UK).year + 1
    whens = [(column >= financial_year_bounds(financial_year_label(year))[0], financial_year_label(year))
             for year in range(last_year, first_year - 1, -1)]
    return sa.case(*whens, else_=earlier)


# --- quarters of the financial year ------------------------------------------------------------------

def quarter_start(value: date | datetime) -> date:
    """The first day of the financial quarter holding a date (1 April, 1 July, 1 October, 1 January)."""
    day = uk_date(value)
    return date(day.year, ((day.month - 1) // 3) * 3 + 1, 1)


def quarter_number(value: date | datetime) -> int:
    """1 for April to June, ..., 4 for January to March."""
    return (quarter_start(value).month - FIRST_MONTH) % 12 // 3 + 1


def quarter_label(value: date | datetime) -> str:
    """The quarter holding a date, with its financial year: "2025/26 Q1"."""
    return f"{financial_year_of(value)} Q{quarter_number(value)}"


def quarter_name(value: date | datetime) -> str:
    """The quarter holding a date as people read it: "2027/28 Q1 (April to June 2027)"."""
    first = quarter_start(value)
    return f"{quarter_label(first)} ({first:%B} to {add_months(first, 2):%B %Y})"


def previous_quarter(start: date) -> date:
    """The first day of the quarter before the one holding `start`."""
    return add_months(quarter_start(start), -3)


def recent_quarters(today: date | None = None, count: int = 6) -> list[date]:
    """The current quarter and the ones before it, as their first days, newest first."""
    start = quarter_start(today or uk_today())
    quarters = []
    for _ in range(count):
        quarters.append(start)
        start = previous_quarter(start)
    return quarters


# --- dates the GOV.UK way ---------------------------------------------------------------------------

def govuk_date(value: date | datetime | None) -> str:
    """'5 January 2027' (a moment by its UK date); '' for None."""
    if value is None:
        return ""
    return format_date(uk_date(value), "d MMMM yyyy", locale="en_GB")


def govuk_datetime(value: datetime | None) -> str:
    """GOV.UK style: '5 January 2027 at 9:30am', '… at 3pm', '… at midday', '… at midnight'."""
    if value is None:
        return ""
    local = value.astimezone(UK)
    if (local.hour, local.minute) == (12, 0):
        moment = "midday"
    elif (local.hour, local.minute) == (0, 0):
        moment = "midnight"
    else:
        hour = local.hour % 12 or 12
        moment = f"{hour}{'' if local.minute == 0 else f':{local.minute:02d}'}{'am' if local.hour < 12 else 'pm'}"
    return f"{format_date(local.date(), 'd MMMM yyyy', locale='en_GB')} at {moment}"
