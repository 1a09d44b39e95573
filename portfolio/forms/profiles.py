"""Grant by financial quarter as a form: one money box per quarter, grouped by financial year on the page
(templates/_macros/profile.html). The application's grant profile, the offer's agreed profile and the
company's forecast all use it; which quarters it asks about is the view's to say (the form never queries)."""

from datetime import date
from decimal import Decimal

from wtforms import HiddenField
from wtforms.validators import StopValidation

from portfolio.dates import financial_year_of, quarter_label, quarter_name
from portfolio.forms.base import BaseForm, MoneyField, parse_money

ZERO = Decimal("0.00")
MOST_QUARTERS = 60  # fifteen years: more than any project period the fund agrees


def field_name(quarter: date) -> str:
    return f"quarter_{quarter:%Y_%m}"


class QuarterMoneyField(MoneyField):
    """A quarter's amount: £0 is an answer (so is an empty box), below £0 is not."""

    def pre_validate(self, form):
        amount = parse_money(self.data) if isinstance(self.data, str) else None
        if amount is not None and amount < 0:
            raise StopValidation(f"{self.name_in_errors[0].upper()}{self.name_in_errors[1:]} must be £0 or more")
        super().pre_validate(form)


class QuarterAmounts:
    """A form with a money box for each of `quarters`, and a `profile` field on which the rules of the whole
    profile (it must add up to the grant, inside the period) report their problems."""

    quarters: list[date] = []
    profile = HiddenField()

    def quarter_fields(self) -> list[tuple[date, MoneyField]]:
        return [(quarter, getattr(self, field_name(quarter))) for quarter in self.quarters]

    def years(self) -> list[tuple[str, list[tuple[date, MoneyField]]]]:
        grouped: dict[str, list[tuple[date, MoneyField]]] = {}
        for quarter, field in self.quarter_fields():
            grouped.setdefault(financial_year_of(quarter), []).append((quarter, field))
        return list(grouped.items())

    def amounts(self) -> dict[date, Decimal]:
        """The amount typed for each quarter (a box left empty is £0)."""
        return {quarter: field.amount if field.amount is not None else ZERO
                for quarter, field in self.quarter_fields()}


def with_quarters(form_class: type[BaseForm], quarters: list[date], *, what: str = "the grant") -> type[BaseForm]:
    """`form_class` with a money box for each quarter (at most MOST_QUARTERS), labelled like
    "2027/28 Q1 (April to June 2027)"."""
    quarters = sorted(set(quarters))[:MOST_QUARTERS]
    fields = {field_name(quarter): QuarterMoneyField(quarter_name(quarter),
                                              name_in_errors=f"{what} for {quarter_label(quarter)}")
              for quarter in quarters}
    return type(form_class.__name__, (form_class,), {**fields, "quarters": quarters})


def quarter_data(profile: dict[date, Decimal]) -> dict[str, Decimal]:
    """A profile as the form's data (to prefill it)."""
    return {field_name(quarter): amount for quarter, amount in profile.items()}


def quarters_posted(text: str | None) -> list[date]:
    """The quarters a page showed, as its hidden `shown_quarters` field sent them back ("2027-04-01 2027-07-01"):
    only real quarter starts, at most MOST_QUARTERS."""
    found = []
    for part in (text or "").split()[:MOST_QUARTERS]:
        try:
            day = date.fromisoformat(part)
        except ValueError:
            continue
        if day.day == 1 and day.month in (1, 4, 7, 10):
            found.append(day)
    return sorted(set(found))
