"""Forms of two-factor sign-in: a code (authenticator app or recovery code), a passkey's answer."""

from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import Length

from portfolio.forms.base import BaseForm, Required


class CodeForm(BaseForm):
    """The second-factor step (at sign-in, and again before a sensitive action)."""

    code = StringField("Code", validators=[Required("Enter the code from your authenticator app, or a recovery code"),
                                           Length(max=40, message="The code must be 40 characters or fewer")],
                       widget=GovTextInput())
    submit = SubmitField("Continue", widget=GovSubmitInput())


class EnrolAppForm(BaseForm):
    code = StringField("Code from your authenticator app",
                       validators=[Required("Enter the 6-digit code from your authenticator app"),
                                   Length(max=20, message="Enter the 6-digit code from your authenticator app")],
                       widget=GovTextInput())
    submit = SubmitField("Continue", widget=GovSubmitInput())


class PasskeyForm(BaseForm):
    """Add a passkey: its name, and the browser's answer (filled in by passkeys.js)."""

    name = StringField("Name of the passkey", validators=[
        Required("Enter a name for the passkey, like the device it is on"),
        Length(max=100, message="The name must be 100 characters or fewer")], widget=GovTextInput())
    credential = HiddenField()
    submit = SubmitField("Add a passkey", widget=GovSubmitInput())


class PasskeyUseForm(BaseForm):
    """Sign in with a passkey: the browser's answer (filled in by passkeys.js)."""

    credential = HiddenField()
    submit = SubmitField("Use a passkey", widget=GovSubmitInput())
