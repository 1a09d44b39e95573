"""Jinja filters: money and dates the GOV.UK way."""

from datetime import date, datetime
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency
from flask import Flask

from portfolio.dates import UK


def money(value: Decimal | None) -> str:
    if value is None:
        return ""
    return format_currency(Decimal(value), "GBP", locale="en_GB")


def govuk_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(UK).date()
    return format_date(value, "d MMMM yyyy", locale="en_GB")


def govuk_datetime(value: datetime | None) -> str:
    """GOV.UK style: '5 January 2027 at 9:30am', '… at 3pm', '… at midday', '… at midnight'."""
    if value is None:
        return ""
    local = value.astimezone(UK)
    if (local.hour, local.minute) == (12, 0):
        time = "midday"
    elif (local.hour, local.minute) == (0, 0):
        time = "midnight"
    else:
        hour = local.hour % 12 or 12
        time = f"{hour}{'' if local.minute == 0 else f':{local.minute:02d}'}{'am' if local.hour < 12 else 'pm'}"
    return f"{format_date(local.date(), 'd MMMM yyyy', locale='en_GB')} at {time}"


def register(app: Flask) -> None:
    app.add_template_filter(money)
    app.add_template_filter(govuk_date)
    app.add_template_filter(govuk_datetime)
