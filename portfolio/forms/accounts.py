from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovPasswordInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, EqualTo, Length

from portfolio.forms.base import BaseForm, Required, company_number, uk_postcode
from portfolio.models.roles import STAFF, Role
from portfolio.models.statuses import REGION_LABELS

EMAIL_FORMAT = Email("Enter an email address in the correct format, like name@example.com")


def _email_field(label: str = "Email address", required: str = "Enter your email address") -> EmailField:
    return EmailField(
        label,
        # Length before format, so a too-long address is told what is wrong with it.
        validators=[Required(required), Length(max=254, message="Email address must be 254 characters or fewer"), EMAIL_FORMAT],
        widget=GovTextInput(),
    )


def _new_password_fields():
    password = PasswordField(
        "Create a password",
        description=("Use 12 characters or more. Three or four unrelated words make a strong password that is "
                     "easy to remember. Do not use your name, email address or a common password."),
        validators=[Required("Enter a password")],
        widget=GovPasswordInput(),
    )
    confirm = PasswordField(
        "Confirm password",
        validators=[Required("Confirm your password"), EqualTo("password", "Passwords do not match")],
        widget=GovPasswordInput(),
    )
    return password, confirm


def _name_field() -> StringField:
    return StringField(
        "Full name",
        validators=[Required("Enter your full name"), Length(max=200, message="Full name must be 200 characters or fewer")],
        widget=GovTextInput(),
    )


class RegisterForm(BaseForm):
    organisation_name = StringField(
        "Organisation name",
        description="The registered name of the company, as on Companies House",
        validators=[
            Required("Enter the organisation name"),
            Length(max=200, message="Organisation name must be 200 characters or fewer"),
        ],
        widget=GovTextInput(),
    )
    company_number = StringField(
        "Companies House number",
        description="8 characters, like 01234567 or SC123456",
        validators=[Required("Enter the Companies House number"), company_number],
        widget=GovTextInput(),
    )
    postcode = StringField(
        "Registered office postcode",
        validators=[Required("Enter the registered office postcode"), uk_postcode()],
        widget=GovTextInput(),
    )
    region = SelectField(
        "Region",
        description="The UK region of the registered office",
        choices=[SelectChoice("", "Select a region")]
        + [SelectChoice(region.value, label) for region, label in REGION_LABELS.items()],
        validators=[Required("Select the region")],  # the placeholder's "" is no answer
        invalid_choice_message="Select the region",
        widget=GovSelect(),
    )
    name = _name_field()
    email = _email_field()
    password, confirm_password = _new_password_fields()
    submit = SubmitField("Create account", widget=GovSubmitInput())


class SignInForm(BaseForm):
    email = _email_field()
    password = PasswordField(
        "Password", validators=[Required("Enter your password")], widget=GovPasswordInput()
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class ResetRequestForm(BaseForm):
    email = _email_field()
    submit = SubmitField("Send reset link", widget=GovSubmitInput())


class NewPasswordForm(BaseForm):
    password, confirm_password = _new_password_fields()
    submit = SubmitField("Save password", widget=GovSubmitInput())


class AcceptInvitationForm(BaseForm):
    name = _name_field()
    password, confirm_password = _new_password_fields()
    submit = SubmitField("Create account", widget=GovSubmitInput())


class InviteColleagueForm(BaseForm):
    email = _email_field("Colleague's email address", "Enter your colleague's email address")
    is_signatory = BooleanField(
        "This person can sign and accept grant offers for the organisation", widget=GovCheckboxInput()
    )
    submit = SubmitField("Send invitation", widget=GovSubmitInput())


STAFF_ROLE_CHOICES = [SelectChoice(role.value, role.label) for role in Role if role in STAFF]


class InviteStaffForm(BaseForm):
    email = _email_field("Email address", "Enter their email address")
    role = RadioField(
        "Role", choices=STAFF_ROLE_CHOICES, validators=[Required("Select a role")],
        invalid_choice_message="Select a role", widget=GovRadioInput(),
    )
    submit = SubmitField("Send invitation", widget=GovSubmitInput())


class ChangeRoleForm(BaseForm):
    role = RadioField(
        "Role", choices=STAFF_ROLE_CHOICES, validators=[Required("Select a role")],
        invalid_choice_message="Select a role", widget=GovRadioInput(),
    )
    submit = SubmitField("Save role", widget=GovSubmitInput())
