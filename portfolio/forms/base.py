"""The form every page uses: CSRF (Flask-WTF), trimmed input, GOV.UK widgets."""

import re

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from wtforms import SubmitField
from wtforms.validators import ValidationError


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class BaseForm(FlaskForm):
    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = unbound_field.kwargs.get("filters", [])
            if _strip not in filters:
                unbound_field.kwargs["filters"] = [_strip, *filters]
            return unbound_field.bind(form=form, **options)

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
