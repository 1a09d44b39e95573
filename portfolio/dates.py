"""UK time and financial years (April to March), used by forms, services and templates alike."""

from datetime import datetime
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")


def financial_years(now: datetime) -> list[str]:
    """The current and two previous financial years (April to March, UK time), newest first: '2026/27'."""
    local = now.astimezone(UK)
    start = local.year if local.month >= 4 else local.year - 1
    return [f"{year}/{(year + 1) % 100:02d}" for year in (start, start - 1, start - 2)]
