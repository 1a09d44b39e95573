"""The Jinja filters and globals every template may use. Each is one of the shared rules' own
functions, registered here and defined in its home: money in `portfolio.money`, dates, financial
years and quarters in `portfolio.dates`, reference numbers in `portfolio.references`. Python code
imports them from those homes, never from here."""

from flask import Flask

from portfolio.dates import govuk_date, govuk_datetime, quarter_label, quarter_name
from portfolio.money import money
from portfolio.references import reference


def register(app: Flask) -> None:
    for function in (money, govuk_date, govuk_datetime, reference):
        app.add_template_filter(function)
    app.add_template_global(quarter_label)
    app.add_template_global(quarter_name)
