"""The form every page uses: CSRF (Flask-WTF), trimmed input, GOV.UK widgets."""

import re
from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from werkzeug.datastructures import FileStorage
from wtforms import FileField, PasswordField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, StopValidation, ValidationError

# Control characters (NUL, escape...) have no place in a one-line answer, and PostgreSQL
# refuses NUL in text outright. Tab, line feed and carriage return are left to the field.
_HIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _strip(value):
    """Trim text answers. A file posted where text was expected counts as no answer."""
    if isinstance(value, FileStorage):
        return None
    return value.strip() if isinstance(value, str) else value


class Required(InputRequired):
    """InputRequired that also refuses an answer of only spaces (the data is already trimmed)."""

    def __call__(self, form, field):
        if field.raw_data and field.raw_data[0] and field.data not in (None, ""):
            return
        field.errors[:] = []
        raise StopValidation(self.message)


def no_hidden_characters(form, field):
    if isinstance(field.data, str) and _HIDDEN.search(field.data):
        raise ValidationError(f"{field.label.text} must not include hidden characters")


class BaseForm(FlaskForm):
    class Meta:
        def bind_field(self, form, unbound_field, options):
            if not issubclass(unbound_field.field_class, FileField):  # uploads keep their file
                filters = unbound_field.kwargs.get("filters", [])
                if _strip not in filters:
                    unbound_field.kwargs["filters"] = [_strip, *filters]
            return unbound_field.bind(form=form, **options)

    def validate(self, extra_validators=None):
        """Every text answer is also checked for hidden characters (passwords are only
        ever hashed, so any character is allowed in them)."""
        extra = {name: list(validators) for name, validators in (extra_validators or {}).items()}
        for name, field in self._fields.items():
            if isinstance(field, StringField) and not isinstance(field, PasswordField):
                extra.setdefault(name, []).append(no_hidden_characters)
        return super().validate(extra_validators=extra)

    def add_error(self, field_name: str | None, message: str) -> None:
        """Attach a service's error to a field (or to the form when it names none)."""
        field = getattr(self, field_name, None) if field_name else None
        if field is None:
            self.form_errors.append(message)
        else:
            field.errors = [*field.errors, message] if isinstance(field.errors, list) else [message]


class ActionForm(BaseForm):
    """A button that changes something: CSRF-protected, no fields."""

    submit = SubmitField("Continue", widget=GovSubmitInput())


POSTCODE = re.compile(r"^(GIR ?0AA|[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2})$")
COMPANY_NUMBER = re.compile(r"^([0-9]{2}|[A-Z]{2}|R0)[0-9]{6}$")


def normalise_postcode(value: str | None) -> str:
    compact = re.sub(r"\s+", "", (value or "").upper())
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


def normalise_company_number(value: str | None) -> str:
    compact = re.sub(r"\s+", "", (value or "").upper())
    if compact.isdigit() and 6 <= len(compact) < 8:
        compact = compact.zfill(8)  # Companies House drops leading zeros in some listings
    return compact


def uk_postcode(message: str = "Enter a real postcode, like SW1A 1AA"):
    def check(form, field):
        if field.data and not POSTCODE.match(normalise_postcode(field.data)):
            raise ValidationError(message)

    return check


def company_number(form, field):
    if field.data and not COMPANY_NUMBER.match(normalise_company_number(field.data)):
        raise ValidationError(
            "Enter a Companies House number in the correct format, like 01234567 or SC123456"
        )


def error_summary(form) -> dict:
    """Params for govukErrorSummary: each field error links to its field; an error that
    belongs to no field (a service's form-level refusal) is listed without a link."""
    from govuk_frontend_wtf.main import wtforms_errors

    params = wtforms_errors(form)
    form_level = f"#{getattr(form, '_form_error_key', None) or ''}"  # WTForms 3.3 keys them "", not None
    params["errorList"] = [item for item in params["errorList"] if item.get("href") not in {"#None", form_level}]
    params["errorList"] += [{"text": message} for message in form.form_errors]
    return params


MAX_MONEY = Decimal("999999999999.99")  # NUMERIC(14, 2)
_MONEY = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def parse_money(text: str | None) -> Decimal | None:
    """'£1,234.50' -> Decimal('1234.50'); None when it is not a plain amount of money."""
    compact = (text or "").replace(",", "").replace("£", "").replace(" ", "")
    if not _MONEY.match(compact):
        return None
    try:
        return Decimal(compact)
    except InvalidOperation:
        return None


class MoneyField(StringField):
    """An amount in pounds typed as text ('8,000,000' or '£8,000,000.00'), kept as Decimal.

    `label_for_errors` is how messages name it, e.g. "the total project cost"."""

    widget = GovTextInput()

    def __init__(self, label=None, validators=None, *, name_in_errors: str, allow_zero: bool = True, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.name_in_errors = name_in_errors
        self.allow_zero = allow_zero
        self.amount: Decimal | None = None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else f"{Decimal(self.data):,.2f}"

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.amount = None

    def pre_validate(self, form):
        text = self.data if isinstance(self.data, str) else ("" if self.data is None else str(self.data))
        if not text:
            return
        amount = parse_money(text)
        if amount is None:
            raise StopValidation(f"Enter {self.name_in_errors} as a number, like 8,000,000")
        if amount < 0 or (amount == 0 and not self.allow_zero):
            raise StopValidation(f"{self.name_in_errors.capitalize()} must be more than £0")
        if -amount.as_tuple().exponent > 2:
            raise StopValidation(f"{self.name_in_errors.capitalize()} must be in pounds and pence, like 1,250.50")
        if amount > MAX_MONEY:
            raise StopValidation(f"{self.name_in_errors.capitalize()} must be £999,999,999,999.99 or less")
        self.amount = amount.quantize(Decimal("0.01"))


class NumberField(StringField):
    """A count or quantity typed as text: whole numbers, or up to `places` decimal places."""

    widget = GovTextInput()

    def __init__(self, label=None, validators=None, *, name_in_errors: str, places: int = 0,
                 maximum: Decimal = Decimal("1000000"), **kwargs):
        super().__init__(label, validators, **kwargs)
        self.name_in_errors, self.places, self.maximum = name_in_errors, places, maximum
        self.number: Decimal | None = None

    def pre_validate(self, form):
        text = (self.data or "").replace(",", "") if isinstance(self.data, str) else str(self.data or "")
        if not text:
            return
        kind = "a whole number" if self.places == 0 else "a number"
        if not re.match(r"^-?[0-9]+(\.[0-9]+)?$", text):
            raise StopValidation(f"Enter {self.name_in_errors} as {kind}, like 12")
        number = Decimal(text)
        if number < 0:
            raise StopValidation(f"{self.name_in_errors.capitalize()} must be 0 or more")
        if -number.as_tuple().exponent > self.places:
            raise StopValidation(f"Enter {self.name_in_errors} as {kind}"
                                 + ("" if self.places == 0 else f" with up to {self.places} decimal places"))
        if number > self.maximum:
            raise StopValidation(f"{self.name_in_errors.capitalize()} must be {self.maximum:,} or less")
        self.number = number


class ChoiceMessage:
    """Radios and checkboxes: an unknown value gets the same message as no answer."""

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, form, field):
        valid = {choice.value for choice in field.choices}
        values = field.data if isinstance(field.data, list) else [field.data]
        if any(value not in valid for value in values if value not in (None, "")):
            raise ValidationError(self.message)


def known_choice(message: str):
    """A select, radios or checkboxes answered only from its own choices (an empty answer must be
    one of them too): anything else, such as a hand-made request, gets `message`."""
    def check(form, field):
        values = field.data if isinstance(field.data, list) else [field.data]
        valid = {choice.value if isinstance(choice, SelectChoice) else str(choice[0]) for choice in field.choices}
        if any((value or "") not in valid for value in values):
            raise ValidationError(message)

    return check
