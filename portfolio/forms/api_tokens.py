"""Creating an API token (finance and administrators)."""

from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovRadioInput, GovSubmitInput, GovTextInput
from wtforms import HiddenField, RadioField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from portfolio.forms.base import BaseForm, ChoiceMessage, Required
from portfolio.forms.funds import AtLeastOne


class CreateTokenForm(BaseForm):
    """`scope_choices` and `expiry_choices` come from the service (forms never import it)."""

    name = StringField(
        "Name", description="Say what will use it, like “Finance reconciliation (nightly)”",
        validators=[Required("Enter a name for the token"),
                    Length(max=100, message="The name must be 100 characters or fewer")],
        widget=GovTextInput(),
    )
    scopes = SelectMultipleField(
        "What may it read?", description="Select all that it needs", validate_choice=False,
        validators=[AtLeastOne("Select what the token may read"),
                    ChoiceMessage("Select what the token may read from the list")],
        widget=GovCheckboxesInput(),
    )
    expires = RadioField(
        "When should it expire?", validators=[Required("Select when the token should expire")],
        invalid_choice_message="Select when the token should expire", widget=GovRadioInput(),
    )
    # A one-time key for this form: submitting the same page twice (a reload, a double click)
    # makes one token, and never shows its secret again.
    once = HiddenField()
    submit = SubmitField("Create token", widget=GovSubmitInput())

    def __init__(self, *args, scope_choices, expiry_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.scopes.choices = [SelectChoice(value, label) for value, label in scope_choices]
        self.expires.choices = [SelectChoice(value, label) for value, label in expiry_choices]
