"""Fund settings (admin): the fund's rules, its budget and its rounds."""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from govuk_frontend_wtf.gov_form_base import GovFormBase
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovDateInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    HiddenField,
    RadioField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, StopValidation

from portfolio.dates import UK
from portfolio.forms.base import BaseForm, ChoiceMessage, MoneyField, Required
from portfolio.models.statuses import ApplicantType, ExcludedProduct, ProductType, ThresholdKey
from portfolio.money import money

# How each rule is named on the settings pages (the form's labels, the summary, the history).
RULE_LABELS = {
    "min_project_cost": "Minimum total project cost",
    "min_grant": "Minimum grant",
    "justification_rate": "Intervention rate that needs a written justification",
    "hard_cap_rate": "Highest intervention rate (hard cap)",
    "applicant_types": "Eligible applicant types",
    "product_types": "Eligible products",
    "excluded_products": "Excluded products",
    "min_assessors": "Assessors needed per application",
    "moderation_spread": "Score spread that flags moderation (points)",
    "second_approval_threshold": "Awards above this need a second approver",
    "offer_validity_days": "Days a company has to accept an offer",
    "retention_rate": "Share of each claim's grant held back until the project is complete",
    "build_return_months": "Months between monitoring returns during the build",
    "monitoring_years": "Years of annual monitoring returns after completion",
    "return_due_days": "Days after its period ends that a monitoring return is due",
    "reminder_days_before": "Days before the due date that companies are reminded",
    "query_over_contract": "Reported figures this far above the contract are queried",
    "clawback_tolerance": "Shortfall against the contract that flags clawback",
    "variation_change_rate": "Grant change that needs a second approver (share of the grant)",
    "variation_change_amount": "Grant change that needs a second approver (amount)",
    "variation_extension_months": "Time extension that needs a second approver (months)",
    "forecast_variance_rate": "Forecast against profile that flags an award",
    "budget_variance_rate": "Forecast against a year's budget that is flagged",
}

# PRODUCT.md §2.2: nothing has been published for these, so their defaults are only illustrative.
ILLUSTRATIVE_RULES = ("min_assessors", "moderation_spread", "second_approval_threshold", "offer_validity_days",
                      "retention_rate", "build_return_months", "monitoring_years", "return_due_days",
                      "reminder_days_before", "query_over_contract", "clawback_tolerance",
                      "variation_change_rate", "variation_change_amount", "variation_extension_months",
                      "forecast_variance_rate", "budget_variance_rate")
MONEY_RULES = ("min_project_cost", "min_grant", "second_approval_threshold", "variation_change_amount")
RATE_RULES = ("justification_rate", "hard_cap_rate", "retention_rate", "query_over_contract", "clawback_tolerance",
              "variation_change_rate", "forecast_variance_rate", "budget_variance_rate")
COUNT_UNITS = {"min_assessors": "assessor", "moderation_spread": "point", "offer_validity_days": "day",
               "build_return_months": "month", "monitoring_years": "year", "return_due_days": "day",
               "reminder_days_before": "day", "variation_extension_months": "month"}

RULE_CHOICES = {
    "applicant_types": ApplicantType,
    "product_types": ProductType,
    "excluded_products": ExcludedProduct,
}


def percent(rate: Decimal | None) -> str:
    """Decimal('0.2000') -> '20%'; Decimal('0.1250') -> '12.5%'."""
    return "" if rate is None else f"{_percent_number(rate)}%"


def _percent_number(rate: Decimal) -> str:
    return format((Decimal(rate) * 100).normalize(), "f")


def choice_label(rule: str, value: str) -> str:
    """The label of a ticked value, or the value itself if the enum no longer has it."""
    try:
        return RULE_CHOICES[rule](value).label
    except ValueError:
        return value


def rule_value(name: str, value) -> str:
    """One rule's value as the settings pages show it: '£1,000,000.00', '20%', '3 points'."""
    if name in MONEY_RULES:
        return money(value)
    if name in RATE_RULES:
        return percent(value)
    if name in COUNT_UNITS:
        return f"{value} {COUNT_UNITS[name]}{'' if value == 1 else 's'}"
    return "; ".join(choice_label(name, item) for item in value) or "None"


def default_label(name: str) -> str:
    return "Illustrative default" if name in ILLUSTRATIVE_RULES else "Default"


_PERCENT = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


class PercentField(StringField):
    """A percentage typed as text ('20' or '12.5%'), kept as a rate: '20' -> Decimal('0.2000').

    0 to 100, at most 2 decimal places (a rate is NUMERIC(5, 4))."""

    widget = GovTextInput()

    def __init__(self, label=None, validators=None, *, name_in_errors: str, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.name_in_errors = name_in_errors
        self.rate: Decimal | None = None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if isinstance(self.data, Decimal):  # a rate from the rules in force
            return _percent_number(self.data)
        return self.data or ""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.rate = None

    def pre_validate(self, form):
        text = self.data if isinstance(self.data, str) else ""
        if not text:
            return
        compact = text.replace("%", "").replace(" ", "")
        name = self.name_in_errors
        if not _PERCENT.match(compact):
            raise StopValidation(f"Enter {name} as a percentage, like 20")
        try:
            number = Decimal(compact)
        except InvalidOperation:  # pragma: no cover - the pattern only lets numbers through
            raise StopValidation(f"Enter {name} as a percentage, like 20") from None
        if not Decimal(0) <= number <= Decimal(100):
            raise StopValidation(f"{name.capitalize()} must be between 0% and 100%")
        if -number.as_tuple().exponent > 2:
            raise StopValidation(f"{name.capitalize()} must have no more than 2 decimal places, like 12.5")
        self.rate = (number / 100).quantize(Decimal("0.0001"))


_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


class WholeNumberField(StringField):
    """A whole number typed as text, from `minimum` to `maximum`; kept as `number` (int)."""

    widget = GovTextInput()

    def __init__(self, label=None, validators=None, *, name_in_errors: str, minimum: int, maximum: int,
                 example: int, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.name_in_errors, self.minimum, self.maximum, self.example = name_in_errors, minimum, maximum, example
        self.number: int | None = None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.number = None

    def pre_validate(self, form):
        text = self.data if isinstance(self.data, str) else ""
        if not text:
            return
        name = self.name_in_errors
        if not _NUMBER.match(text):
            raise StopValidation(f"Enter {name} as a whole number, like {self.example}")
        if "." in text:
            raise StopValidation(f"{name.capitalize()} must be a whole number, like {self.example}")
        between = f"{name.capitalize()} must be between {self.minimum} and {self.maximum}"
        if len(text) > 9:  # far out of range (and int() refuses thousands of digits)
            raise StopValidation(between)
        number = int(text)
        if not self.minimum <= number <= self.maximum:
            raise StopValidation(between)
        self.number = number


class AtLeastOne:
    """Checkboxes where at least one box must stay ticked."""

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, form, field):
        if not [value for value in field.data or [] if value]:
            field.errors[:] = []
            raise StopValidation(self.message)


def _choices(enum_cls) -> list[SelectChoice]:
    return [SelectChoice(member.value, member.label) for member in enum_cls]


def _ticked(field: SelectMultipleField) -> list[str]:
    """Ticked values in the order of the choices, each once."""
    chosen = set(field.data or [])
    return [choice.value for choice in field.choices if choice.value in chosen]


def _money_rule(name: str, required: str, name_in_errors: str) -> MoneyField:
    return MoneyField(RULE_LABELS[name], validators=[Required(required)], name_in_errors=name_in_errors,
                      allow_zero=False)


def _percent_rule(name: str, required: str, name_in_errors: str, description: str) -> PercentField:
    return PercentField(RULE_LABELS[name], description=description, validators=[Required(required)],
                        name_in_errors=name_in_errors)


def _count_rule(name: str, required: str, name_in_errors: str, description: str, *, minimum: int,
                maximum: int, example: int) -> WholeNumberField:
    return WholeNumberField(RULE_LABELS[name], description=description, validators=[Required(required)],
                            name_in_errors=name_in_errors, minimum=minimum, maximum=maximum, example=example)


class FundRulesForm(BaseForm):
    """Every eligibility rule of PRODUCT.md §2.1 as a setting. `defaults` (the rules a new fund
    starts with) are shown in each hint."""

    min_project_cost = _money_rule("min_project_cost", "Enter the minimum project cost",
                                   "the minimum project cost")
    min_grant = _money_rule("min_grant", "Enter the minimum grant", "the minimum grant")
    justification_rate = _percent_rule(
        "justification_rate", "Enter the justification threshold", "the justification threshold",
        "Grant as a percentage of the total project cost. Above this rate the company must justify "
        "why it needs that much (the minimum grant necessary).",
    )
    hard_cap_rate = _percent_rule(
        "hard_cap_rate", "Enter the hard cap", "the hard cap",
        "Grant as a percentage of the total project cost. Above this rate the application is refused. "
        "It must be at or above the justification threshold.",
    )
    applicant_types = SelectMultipleField(
        RULE_LABELS["applicant_types"], description="Select all that are eligible",
        choices=_choices(ApplicantType), validate_choice=False,
        validators=[AtLeastOne("Select at least one eligible applicant type"),
                    ChoiceMessage("Select applicant types from the list")],
        widget=GovCheckboxesInput(),
    )
    product_types = SelectMultipleField(
        RULE_LABELS["product_types"], description="Select all that are eligible",
        choices=_choices(ProductType), validate_choice=False,
        validators=[AtLeastOne("Select at least one eligible product"),
                    ChoiceMessage("Select products from the list")],
        widget=GovCheckboxesInput(),
    )
    excluded_products = SelectMultipleField(
        RULE_LABELS["excluded_products"],
        description="A project making any of these is not eligible. Select all that apply",
        choices=_choices(ExcludedProduct), validate_choice=False,
        validators=[ChoiceMessage("Select excluded products from the list")],
        widget=GovCheckboxesInput(),
    )
    min_assessors = _count_rule(
        "min_assessors", "Enter how many assessors each application needs", "the number of assessors",
        "Each application is scored independently by at least this many assessors. From 1 to 10.",
        minimum=1, maximum=10, example=2,
    )
    moderation_spread = _count_rule(
        "moderation_spread", "Enter the score spread that flags moderation", "the score spread",
        "Assessors score each criterion from 1 to 10. If their scores for any criterion differ by more "
        "than this many points, the application is flagged for moderation. From 1 to 9.",
        minimum=1, maximum=9, example=3,
    )
    second_approval_threshold = MoneyField(
        RULE_LABELS["second_approval_threshold"],
        description="Awards above this amount need a second approval from a different fund manager. "
                    "Enter 0 if every award needs two approvers.",
        validators=[Required("Enter the amount above which awards need a second approver")],
        name_in_errors="the second approval amount",
    )
    offer_validity_days = _count_rule(
        "offer_validity_days", "Enter how many days a company has to accept an offer",
        "the number of days to accept an offer",
        "A grant offer expires if a company signatory has not accepted it within this many days. "
        "From 1 to 365.",
        minimum=1, maximum=365, example=30,
    )
    retention_rate = _percent_rule(
        "retention_rate", "Enter the retention", "the retention",
        "Held back from each claim's grant and paid when the completion monitoring return is verified.")
    build_return_months = _count_rule(
        "build_return_months", "Enter the months between returns during the build", "the months between returns",
        "During the build a return covers this many months, counted from 1 April. From 1 to 12.",
        minimum=1, maximum=12, example=3,
    )
    monitoring_years = _count_rule(
        "monitoring_years", "Enter the years of monitoring after completion", "the years of monitoring",
        "One annual return is due for each year after completion. From 1 to 10.",
        minimum=1, maximum=10, example=5,
    )
    return_due_days = _count_rule(
        "return_due_days", "Enter how many days after its period a return is due", "the days until a return is due",
        "From 1 to 90.", minimum=1, maximum=90, example=30,
    )
    reminder_days_before = _count_rule(
        "reminder_days_before", "Enter how many days before the due date companies are reminded",
        "the days of notice", "Companies are emailed this many days before a return is due, and again on the day. "
        "From 1 to 90.", minimum=1, maximum=90, example=7,
    )
    query_over_contract = _percent_rule(
        "query_over_contract", "Enter how far over the contract a figure is queried", "the query margin",
        "A return reporting capital spent, private investment or jobs more than this far above the contracted "
        "figure must be corrected or explained.")
    clawback_tolerance = _percent_rule(
        "clawback_tolerance", "Enter the shortfall that flags clawback", "the clawback tolerance",
        "When the final verified return falls short of the contracted jobs or private investment by more than "
        "this, the award is flagged for finance with the pro-rata amount to recover.")
    variation_change_rate = _percent_rule(
        "variation_change_rate", "Enter the share of the grant a change may move before a second approval",
        "the grant change share",
        "A variation that changes the grant by more than this share of it needs a second fund manager's approval "
        "(as does one above the amount below).")
    variation_change_amount = MoneyField(
        RULE_LABELS["variation_change_amount"],
        description="A variation that changes the grant by more than this amount needs a second fund manager's "
                    "approval. Enter 0 if every change of grant needs two approvers.",
        validators=[Required("Enter the grant change that needs a second approver")],
        name_in_errors="the grant change amount",
    )
    variation_extension_months = _count_rule(
        "variation_extension_months", "Enter the time extension that needs a second approver",
        "the time extension",
        "A variation that moves the completion date by more than this many months needs a second fund manager's "
        "approval. From 1 to 60.", minimum=1, maximum=60, example=6,
    )
    forecast_variance_rate = _percent_rule(
        "forecast_variance_rate", "Enter how far a forecast may move from the profile", "the forecast variance",
        "An award whose latest forecast differs from its agreed profile by more than this share (in any "
        "financial year) is flagged on the fund manager's list.")
    budget_variance_rate = _percent_rule(
        "budget_variance_rate", "Enter how far the forecast may miss a year's budget", "the budget variance",
        "A financial year whose forecast spend is more than this share under or over its budget is flagged on "
        "the budget and spend by financial year page.")
    submit = SubmitField("Save rules", widget=GovSubmitInput())

    def __init__(self, *args, defaults: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        for name, default in (defaults or {}).items():
            field = getattr(self, name, None)
            if field is None:
                continue
            if name in RULE_CHOICES:
                shown = ", ".join(choice_label(name, value) for value in default) or "none"
            else:
                shown = rule_value(name, default)
            field.description = " ".join(filter(None, [field.description, f"{default_label(name)}: {shown}."]))

    def rules(self) -> dict:
        """The answers as the values `funds.update_rules` takes."""
        return {
            "min_project_cost": self.min_project_cost.amount,
            "min_grant": self.min_grant.amount,
            "justification_rate": self.justification_rate.rate,
            "hard_cap_rate": self.hard_cap_rate.rate,
            "applicant_types": _ticked(self.applicant_types),
            "product_types": _ticked(self.product_types),
            "excluded_products": _ticked(self.excluded_products),
            "min_assessors": self.min_assessors.number,
            "moderation_spread": self.moderation_spread.number,
            "second_approval_threshold": self.second_approval_threshold.amount,
            "offer_validity_days": self.offer_validity_days.number,
            "retention_rate": self.retention_rate.rate,
            "build_return_months": self.build_return_months.number,
            "monitoring_years": self.monitoring_years.number,
            "return_due_days": self.return_due_days.number,
            "reminder_days_before": self.reminder_days_before.number,
            "query_over_contract": self.query_over_contract.rate,
            "clawback_tolerance": self.clawback_tolerance.rate,
            "variation_change_rate": self.variation_change_rate.rate,
            "variation_change_amount": self.variation_change_amount.amount,
            "variation_extension_months": self.variation_extension_months.number,
            "forecast_variance_rate": self.forecast_variance_rate.rate,
            "budget_variance_rate": self.budget_variance_rate.rate,
        }

    @classmethod
    def data_from(cls, rules) -> dict:
        return {name: getattr(rules, name) for name in RULE_LABELS}


def year_field_name(year: str) -> str:
    """The form field of a financial year's budget: "2026/27" -> "year_2026_27"."""
    return "year_" + year.replace("/", "_")


class YearBudgetsForm(BaseForm):
    """The fund's budget by financial year: an amount for each year `years` names, and a note. Make it
    with `for_years`, which adds a field per year."""

    note = TextAreaField(
        "Note (optional)", description="Why the budget changes, for example the Spending Review settlement letter",
        validators=[Length(max=2000, message="The note must be 2,000 characters or fewer")], widget=GovTextArea(),
    )
    through = HiddenField()  # the last year shown, when a later one has been added
    add_year = SubmitField("Add the next financial year", widget=GovSubmitInput())
    submit = SubmitField("Save budget", widget=GovSubmitInput())

    years: list[str] = []

    @classmethod
    def for_years(cls, years: list[str], **kwargs) -> "YearBudgetsForm":
        form_class = type("YearBudgetsFormFor", (cls,), {"years": list(years)})
        for year in years:
            setattr(form_class, year_field_name(year), MoneyField(
                year, validators=[Required(f"Enter the budget for {year} (0 if there is none)")],
                name_in_errors=f"the budget for {year}"))
        return form_class(**kwargs)

    @classmethod
    def data_from(cls, budget: dict[str, Decimal]) -> dict:
        return {year_field_name(year): amount for year, amount in budget.items()}

    def year_fields(self) -> list:
        return [getattr(self, year_field_name(year)) for year in self.years]

    def amounts(self) -> dict[str, Decimal]:
        """Each year's budget, as `budgets.set_year_budgets` takes them."""
        return {year: getattr(self, year_field_name(year)).amount for year in self.years}

    def add_error(self, field_name: str | None, message: str) -> None:
        """The service names a year ("2026/27") for an error about it; "years" (them all) is the form's."""
        super().add_error(year_field_name(field_name) if field_name in self.years else None, message)


# --- GOV.UK date input --------------------------------------------------------------------

DATE_PARTS = ("day", "month", "year")
_DAY_OR_MONTH = re.compile(r"^[0-9]{1,2}$")
_YEAR = re.compile(r"^[0-9]{4}$")
EARLIEST_YEAR, LATEST_YEAR = 2000, 2099


class SafeGovDateInput(GovDateInput):
    """GovDateInput that does not crash when the POST leaves the field out or sends it an
    unexpected number of times (GovDateInput unpacks `raw_data` into exactly three), and that
    highlights only the boxes a "must include a …" error is about."""

    def map_gov_params(self, field, **kwargs):
        params = GovFormBase.map_gov_params(self, field, **kwargs)
        if field.raw_data is not None:
            values = (list(field.raw_data) + ["", "", ""])[:3]
        elif isinstance(field.data, date):
            values = [str(field.data.day), str(field.data.month), str(field.data.year)]
        else:
            values = ["", "", ""]
        flagged = set(getattr(field, "error_parts", ()) or DATE_PARTS) if field.errors else set()
        params.setdefault("fieldset", {"legend": {"text": field.label.text}})
        params.setdefault("items", [
            {
                "label": part.capitalize(),
                "id": f"{field.name}-{part}",
                "name": field.name,
                "classes": " ".join(filter(None, [
                    "govuk-input--width-4" if part == "year" else "govuk-input--width-2",
                    "govuk-input--error" if part in flagged else "",
                ])),
                "value": value if isinstance(value, str) else "",
            }
            for part, value in zip(DATE_PARTS, values, strict=True)
        ])
        return params


class GovDateField(DateField):
    """A date typed into the three GOV.UK boxes (day, month, year), all posted under the
    field's name. Always required. Messages follow the GOV.UK date input pattern:
    "Enter the deadline", "The deadline must include a month", "The deadline must be a real date"."""

    widget = SafeGovDateInput()

    def __init__(self, label=None, validators=None, *, name_in_errors: str, **kwargs):
        super().__init__(label, validators, format="%d %m %Y", **kwargs)
        self.name_in_errors = name_in_errors
        self.error_parts: tuple[str, ...] = ()

    def _value(self):
        if self.raw_data:
            return " ".join(value for value in self.raw_data if isinstance(value, str))
        return self.data.strftime("%d %m %Y") if isinstance(self.data, date) else ""

    def process_formdata(self, valuelist):
        # The three boxes, trimmed; anything but text (an uploaded file) counts as empty.
        # Normalising raw_data here is what keeps the widget from crashing on a POST
        # without the field (raw_data == []).
        self.raw_data = [value.strip() if isinstance(value, str) else "" for value in valuelist]
        self.data = None

    def pre_validate(self, form):
        self.error_parts = ()
        if self.raw_data is None:  # not submitted: nothing to check
            return
        name = self.name_in_errors
        parts = dict(zip(DATE_PARTS, (self.raw_data + ["", "", ""])[:3], strict=True))
        missing = tuple(part for part in DATE_PARTS if not parts[part])
        if len(missing) == 3:
            raise StopValidation(f"Enter {name}")
        if missing:
            self.error_parts = missing
            raise StopValidation(f"{name.capitalize()} must include a {' and '.join(missing)}")
        if len(self.raw_data) > 3:
            raise StopValidation(f"{name.capitalize()} must be a real date")
        if not (_DAY_OR_MONTH.match(parts["day"]) and _DAY_OR_MONTH.match(parts["month"])
                and _YEAR.match(parts["year"])):
            raise StopValidation(f"{name.capitalize()} must be a real date")
        try:
            day = date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
        except ValueError:
            raise StopValidation(f"{name.capitalize()} must be a real date") from None
        if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
            self.error_parts = ("year",)
            raise StopValidation(f"{name.capitalize()} must be between {EARLIEST_YEAR} and {LATEST_YEAR}")
        self.data = day


class RoundForm(BaseForm):
    name = StringField(
        "Round name", description="For example, Round 3",
        validators=[Required("Enter the round name"),
                    Length(max=100, message="Round name must be 100 characters or fewer")],
        widget=GovTextInput(),
    )
    opens_on = GovDateField(
        "Opening date", description="Applications can be submitted from this date. For example, 1 4 2027",
        name_in_errors="the opening date",
    )
    deadline = GovDateField(
        "Deadline", description="Applications close at 12pm (midday) UK time on this date. For example, 30 6 2027",
        name_in_errors="the deadline",
    )
    allocation = MoneyField(
        "Allocation", description="How much of the fund's budget this round can award, in pounds",
        validators=[Required("Enter the allocation")], name_in_errors="the allocation", allow_zero=False,
    )
    submit = SubmitField("Save round", widget=GovSubmitInput())

    def values(self) -> dict:
        return {
            "name": self.name.data,
            "opens_on": self.opens_on.data,
            "deadline_on": self.deadline.data,
            "allocation": self.allocation.amount,
        }

    @classmethod
    def data_from(cls, round_) -> dict:
        return {
            "name": round_.name,
            "opens_on": round_.opens_on,
            "deadline": round_.deadline.astimezone(UK).date(),
            "allocation": round_.allocation,
        }


# --- a round's assessment criteria ---------------------------------------------------------

MAX_CRITERIA = 12


class CriterionRowForm(BaseForm):
    """One criterion on the criteria page (a part of CriteriaForm, which carries the CSRF token)."""

    class Meta:
        csrf = False

    criterion_id = HiddenField()
    title = StringField("Title", widget=GovTextInput())
    guidance = TextAreaField("Guidance for assessors (optional)", widget=GovTextArea())
    weight = PercentField("Weight", name_in_errors="the weight")
    remove = BooleanField("Remove this criterion", description="The other criteria's weights must then total 100%",
                          widget=GovCheckboxInput())

    @property
    def existing_id(self) -> int | None:
        """The criterion this row edits; -1 when the page sent something that is not an id."""
        value = self.criterion_id.data or ""
        if not value:
            return None
        return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else -1

    @property
    def blank(self) -> bool:
        return self.existing_id is None and not (self.title.data or self.guidance.data or self.weight.data)


class _CriterionList(FieldList):
    """Rows posted as criteria-0-title, criteria-1-title...; only plain, short indices count
    (FieldList would try int() on any Unicode digits, or on thousands of them)."""

    def _extract_indices(self, prefix, formdata):
        offset = len(prefix) + 1
        for key in formdata:
            if key.startswith(prefix):
                part = key[offset:].split("-", 1)[0]
                if part.isascii() and part.isdigit() and len(part) <= 3:
                    yield int(part)


class CriteriaForm(BaseForm):
    """A round's criteria: change titles, guidance and weights, remove rows, add rows."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            if issubclass(unbound_field.field_class, (FieldList, FormField)):  # they take no filters
                return unbound_field.bind(form=form, **options)
            return BaseForm.Meta.bind_field(self, form, unbound_field, options)

    criteria = _CriterionList(FormField(CriterionRowForm), max_entries=MAX_CRITERIA)
    add_another = SubmitField("Add another criterion", widget=GovSubmitInput())
    submit = SubmitField("Save criteria", widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.name_rows()

    @classmethod
    def data_from(cls, criteria) -> dict:
        rows = [{"criterion_id": str(c.id), "title": c.title, "guidance": c.guidance, "weight": c.weight}
                for c in criteria]
        return {"criteria": [*rows, {}]}  # and a blank row to add one

    @property
    def rows(self) -> list:
        return [entry.form for entry in self.criteria.entries]

    def name_rows(self) -> None:
        for number, row in enumerate(self.rows, start=1):
            row.weight.name_in_errors = f"the weight of criterion {number}"

    def add_row(self) -> bool:
        if len(self.criteria.entries) >= MAX_CRITERIA:
            return False
        self.criteria.append_entry({})
        self.name_rows()
        return True

    def validate(self, extra_validators=None):
        super().validate(extra_validators)
        titles: dict[str, int] = {}
        for number, row in enumerate(self.rows, start=1):
            if row.remove.data or row.blank:  # whatever a removed row says no longer matters
                for field in row:
                    field.errors = []
                continue
            if not row.title.errors and not row.title.data:
                self._row_error(row.title, f"Enter the title of criterion {number}")
            elif not row.title.errors and len(row.title.data) > 200:
                self._row_error(row.title, f"The title of criterion {number} must be 200 characters or fewer")
            if not row.guidance.errors and len(row.guidance.data or "") > 2000:
                self._row_error(row.guidance,
                                f"The guidance for criterion {number} must be 2,000 characters or fewer")
            if not row.weight.errors:
                if not row.weight.data:
                    self._row_error(row.weight, f"Enter the weight of criterion {number}")
                elif row.weight.rate == 0:
                    self._row_error(row.weight, f"The weight of criterion {number} must be more than 0%")
            title = (row.title.data or "").casefold()
            if title and title in titles and not row.title.errors:
                self._row_error(row.title, f"Criterion {number} has the same title as criterion {titles[title]}")
            titles.setdefault(title, number)
        self._collect_errors()
        return not self.errors

    def criterion_rows(self) -> list[dict]:
        """The criteria to keep or add, in order, as `criteria.save_criteria` takes them."""
        return [{"id": row.existing_id, "title": row.title.data, "guidance": row.guidance.data or "",
                 "weight": row.weight.rate}
                for row in self.rows if not (row.remove.data or row.blank)]

    def add_error(self, field_name: str | None, message: str) -> None:
        """The service names "weights" for their total: shown by the first weight kept."""
        kept = [row for row in self.rows if not (row.remove.data or row.blank)]
        if field_name == "weights" and kept:
            self._row_error(kept[0].weight, message)
            self._collect_errors()
        else:
            super().add_error(field_name, message)

    def _row_error(self, field, message: str) -> None:
        field.errors = [*field.errors, message] if isinstance(field.errors, list) else [message]

    def _collect_errors(self) -> None:
        """FieldList keeps its rows' errors from when it validated: bring them up to date."""
        errors = [entry.errors for entry in self.criteria.entries]
        self.criteria.errors = errors if any(errors) else []


# --- subsidy control thresholds --------------------------------------------------------------

class ThresholdForm(BaseForm):
    key = RadioField(
        "Which threshold", choices=_choices(ThresholdKey), validate_choice=False,
        validators=[Required("Select which threshold"), ChoiceMessage("Select which threshold")],
        widget=GovRadioInput(),
    )
    amount = MoneyField("Amount", description="In pounds, for example 25,000,000",
                        validators=[Required("Enter the amount")], name_in_errors="the amount", allow_zero=False)
    effective_from = GovDateField(
        "In force from", description="Decisions made on or after this date use the new amount. For example, 4 8 2025",
        name_in_errors="the date it is in force from",
    )
    source = StringField(
        "Source", description="The legislation or guidance that sets it, for example the statutory instrument",
        validators=[Required("Enter the source of the threshold"),
                    Length(max=500, message="The source must be 500 characters or fewer")],
        widget=GovTextInput(),
    )
    submit = SubmitField("Add threshold", widget=GovSubmitInput())

    def values(self) -> dict:
        return {"key": ThresholdKey(self.key.data), "amount": self.amount.amount,
                "effective_from": self.effective_from.data, "source": self.source.data}
