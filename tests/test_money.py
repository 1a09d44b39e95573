"""Money as people read it (portfolio.money): one format for pages, PDFs, e-mails and messages."""

from decimal import Decimal

import pytest
from babel.numbers import format_currency
from flask import render_template_string
from hypothesis import given
from hypothesis import strategies as st

from portfolio.money import money, money_compact


@pytest.mark.parametrize(("value", "shown"), [
    (Decimal("1234.5"), "£1,234.50"),
    (Decimal("1234.50"), "£1,234.50"),
    (Decimal("0.05"), "£0.05"),
    (Decimal("0"), "£0.00"),
    (Decimal("520000000.00"), "£520,000,000.00"),
    (Decimal("-42"), "-£42.00"),
    (Decimal("-1234.56"), "-£1,234.56"),
    (Decimal("0.125"), "£0.13"),  # to the penny, half up: as the services round money
    (Decimal("0.135"), "£0.14"),
    (Decimal("-0.125"), "-£0.13"),
    (Decimal("-0.004"), "£0.00"),  # rounds to nothing: no "-£0.00"
    (Decimal("1E+3"), "£1,000.00"),
    (7, "£7.00"),
    ("1234.5", "£1,234.50"),  # a JSON or form answer
])
def test_money_is_pounds_with_separators_and_pence(value, shown):
    assert money(value) == shown


def test_nothing_shows_as_nothing():
    assert money(None) == ""


def test_whole_pounds_can_drop_the_pence():
    assert money(Decimal("250000.00"), drop_zero_pence=True) == "£250,000"
    assert money(Decimal("250000.50"), drop_zero_pence=True) == "£250,000.50"
    assert money(Decimal("-5"), drop_zero_pence=True) == "-£5"


@pytest.mark.parametrize(("value", "shown"), [
    (Decimal("0"), "£0"), (Decimal("750"), "£750"), (Decimal("500000"), "£500k"), (Decimal("1000"), "£1k"),
    (Decimal("5000000"), "£5m"), (Decimal("2500000"), "£2.5m"), (Decimal("25000000"), "£25m"),
])
def test_compact_money_for_a_chart_axis(value, shown):
    assert money_compact(value) == shown


@given(st.decimals(min_value=Decimal("-99999999999.99"), max_value=Decimal("99999999999.99"), places=2,
                   allow_nan=False, allow_infinity=False))
def test_amounts_in_pence_read_exactly_as_babel_wrote_them(amount):
    """The pages used babel's en_GB format before this module: every amount held in pence (all money
    in the database is NUMERIC(14, 2)) still reads the same, negative amounts included."""
    assert money(amount) == format_currency(amount, "GBP", locale="en_GB")


def test_the_jinja_filter_is_this_function(app):
    with app.test_request_context():
        assert render_template_string("{{ value | money }}", value=Decimal("-1234.5")) == "-£1,234.50"
        assert render_template_string("{{ value | money }}", value=None) == ""
