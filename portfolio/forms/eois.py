from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import (
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, ValidationError

from portfolio.forms.base import (
    BaseForm,
    ChoiceMessage,
    MoneyField,
    Required,
    normalise_postcode,
    uk_postcode,
)
from portfolio.models import ApplicantType, ExcludedProduct, ProductType

YES_NO = [SelectChoice("yes", "Yes"), SelectChoice("no", "No")]


def _choices(enum_cls) -> list[SelectChoice]:
    return [SelectChoice(member.value, member.label) for member in enum_cls]


def _yes_no(label: str, message: str, **kwargs) -> RadioField:
    return RadioField(label, choices=YES_NO, validators=[Required(message)], validate_choice=False,
                      widget=GovRadioInput(), **kwargs)


class EoiForm(BaseForm):
    project_title = StringField(
        "Project title",
        validators=[Required("Enter the project title"),
                    Length(max=200, message="Project title must be 200 characters or fewer")],
        widget=GovTextInput(),
    )
    project_summary = TextAreaField(
        "Summarise the project",
        description="What you will manufacture, where, and what the investment will pay for",
        validators=[Required("Summarise the project"),
                    Length(max=2000, message="Project summary must be 2,000 characters or fewer")],
        widget=GovCharacterCount(),
    )
    site_postcode = StringField(
        "Postcode of the manufacturing site",
        validators=[Required("Enter the postcode of the manufacturing site"), uk_postcode()],
        widget=GovTextInput(),
    )
    applicant_type = RadioField(
        "What kind of business is the applicant?", choices=_choices(ApplicantType), validate_choice=False,
        validators=[Required("Select what kind of business the applicant is"),
                    ChoiceMessage("Select what kind of business the applicant is")],
        widget=GovRadioInput(),
    )
    wholly_private = _yes_no("Is the applicant wholly private sector?",
                             "Select yes if the applicant is wholly private sector")
    product_type = RadioField(
        "What will the project manufacture?", choices=_choices(ProductType), validate_choice=False,
        validators=[Required("Select what the project will manufacture"),
                    ChoiceMessage("Select what the project will manufacture")],
        widget=GovRadioInput(),
    )
    excluded_products = SelectMultipleField(
        "Do any of these describe the product?",
        description="Select all that apply. Leave them all unticked if none apply",
        choices=_choices(ExcludedProduct), validate_choice=False,
        validators=[ChoiceMessage("Select only products from the list")],
        widget=GovCheckboxesInput(),
    )
    previous_recipient = _yes_no("Has the applicant received a grant from this fund before?",
                                 "Select yes if the applicant has received a grant from this fund before")
    different_project = RadioField(
        "If so, is this a different project?", choices=YES_NO, validate_choice=False,
        description="Answer only if the applicant has received a grant from this fund before",
        widget=GovRadioInput(),
    )
    total_project_cost = MoneyField(
        "Total project cost", description="Capital and non-capital costs, in pounds",
        validators=[Required("Enter the total project cost")], name_in_errors="the total project cost",
        allow_zero=False,
    )
    grant_sought = MoneyField(
        "Grant you are asking for", description="Only the amount you need for the investment to go ahead",
        validators=[Required("Enter the grant you are asking for")], name_in_errors="the grant you are asking for",
        allow_zero=False,
    )
    submit = SubmitField("Save and continue", widget=GovSubmitInput())

    def validate_different_project(self, field):
        if self.previous_recipient.data == "yes" and field.data not in ("yes", "no"):
            raise ValidationError("Select yes if this is a different project")

    def answers(self) -> dict:
        previous = self.previous_recipient.data == "yes"
        return {
            "project_title": self.project_title.data,
            "project_summary": self.project_summary.data,
            "site_postcode": normalise_postcode(self.site_postcode.data),
            "applicant_type": ApplicantType(self.applicant_type.data),
            "wholly_private": self.wholly_private.data == "yes",
            "product_type": ProductType(self.product_type.data),
            "excluded_products": list(self.excluded_products.data or []),
            "previous_recipient": previous,
            "different_project": (self.different_project.data == "yes") if previous else None,
            "total_project_cost": self.total_project_cost.amount,
            "grant_sought": self.grant_sought.amount,
        }

    @classmethod
    def data_from(cls, eoi) -> dict:
        def yes_no(value):
            return None if value is None else ("yes" if value else "no")

        return {
            "project_title": eoi.project_title,
            "project_summary": eoi.project_summary,
            "site_postcode": eoi.site_postcode,
            "applicant_type": eoi.applicant_type.value if eoi.applicant_type else None,
            "wholly_private": yes_no(eoi.wholly_private),
            "product_type": eoi.product_type.value if eoi.product_type else None,
            "excluded_products": eoi.excluded_products or [],
            "previous_recipient": yes_no(eoi.previous_recipient),
            "different_project": yes_no(eoi.different_project),
            "total_project_cost": eoi.total_project_cost,
            "grant_sought": eoi.grant_sought,
        }


class EoiDecisionForm(BaseForm):
    decision = RadioField(
        "Decision", choices=[SelectChoice("invite", "Invite to a full application"),
                             SelectChoice("decline", "Do not invite")],
        validate_choice=False,
        validators=[Required("Select whether to invite the company"), ChoiceMessage("Select whether to invite the company")],
        widget=GovRadioInput(),
    )
    round_id = SelectField(
        "Round to apply in", description="Needed when you invite the company", validate_choice=False,
        widget=GovSelect(),
    )
    notes = TextAreaField(
        "Your eligibility check",
        description="What you checked and found. If you do not invite the company, give the reasons: "
                    "the company will see them",
        validators=[Required("Enter your eligibility check"),
                    Length(max=5000, message="Your eligibility check must be 5,000 characters or fewer")],
        widget=GovCharacterCount(),
    )
    submit = SubmitField("Record decision", widget=GovSubmitInput())

    def __init__(self, *args, rounds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.round_id.choices = [SelectChoice("", "Select a round")] + [
            SelectChoice(str(r.id), f"{r.name} (deadline {r.deadline:%d %B %Y})") for r in rounds
        ]

    def validate_round_id(self, field):
        if self.decision.data != "invite":
            return
        if field.data not in {choice.value for choice in field.choices if choice.value}:
            raise ValidationError("Select the round the company will apply in")
