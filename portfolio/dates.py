"""UK time and financial years (April to March), used by forms, services and templates alike."""

import calendar
from datetime import date, datetime
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")


def financial_years(now: datetime) -> list[str]:
    """The current and two previous financial years (April to March, UK time), newest first: '2026/27'."""
    local = now.astimezone(UK)
    start = local.year if local.month >= 4 else local.year - 1
    return [f"{year}/{(year + 1) % 100:02d}" for year in (start, start - 1, start - 2)]


def uk_today() -> date:
    """Today's date in the UK (after midnight UK time it is already tomorrow in UTC terms in summer)."""
    from portfolio.models.base import utcnow

    return utcnow().astimezone(UK).date()


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day (31 May + 3 months = 31 August;
    30 November + 3 months = 28 or 29 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
