"""Jinja filters: money and dates the GOV.UK way."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency
from flask import Flask

LONDON = ZoneInfo("Europe/London")


def money(value: Decimal | None) -> str:
    if value is None:
        return ""
    return format_currency(Decimal(value), "GBP", locale="en_GB")


def govuk_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(LONDON).date()
    return format_date(value, "d MMMM yyyy", locale="en_GB")


def govuk_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return format_datetime(value.astimezone(LONDON), "d MMMM yyyy 'at' h:mma", locale="en_GB").replace(
        "AM", "am").replace("PM", "pm")


def register(app: Flask) -> None:
    app.add_template_filter(money)
    app.add_template_filter(govuk_date)
    app.add_template_filter(govuk_datetime)
