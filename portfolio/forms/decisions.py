"""Recommendation, due diligence, subsidy control, approval and rejection forms."""

from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount, GovRadioInput, GovSubmitInput, GovTextInput
from wtforms import RadioField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, ValidationError

from portfolio.forms.base import BaseForm, ChoiceMessage, MoneyField, Required
from portfolio.forms.funds import GovDateField
from portfolio.models import Rag


def _text_area(label: str, required: str | None, *, max_length: int = 5000, description: str | None = None):
    validators = [Length(max=max_length, message=f"{label} must be {max_length:,} characters or fewer")]
    if required:
        validators.insert(0, Required(required))
    return TextAreaField(label, description=description, widget=GovCharacterCount(), validators=validators)


def _radios(label: str, choices: list[SelectChoice], message: str, *, required: bool = True) -> RadioField:
    validators = [Required(message), ChoiceMessage(message)] if required else [ChoiceMessage(message)]
    return RadioField(label, choices=choices, validate_choice=False, widget=GovRadioInput(), validators=validators)


YES_NO = [SelectChoice("yes", "Yes"), SelectChoice("no", "No")]


class RecommendForm(BaseForm):
    recommendation = _radios("Do you recommend funding this application?",
                             [SelectChoice("yes", "Yes, recommend it"), SelectChoice("no", "No, do not recommend it")],
                             "Select whether you recommend funding it")
    amount = MoneyField("Recommended grant", name_in_errors="the recommended grant", allow_zero=False,
                        description="No more than the grant requested")
    note = _text_area("Reasons for the recommendation", "Enter the reasons for the recommendation")
    submit = SubmitField("Record recommendation", widget=GovSubmitInput())

    def validate_amount(self, field):
        if self.recommendation.data == "yes" and field.amount is None and not field.errors:
            raise ValidationError("Enter the recommended grant")


class DueDiligenceForm(BaseForm):
    checked_on = GovDateField("Date of the credit and fraud check", name_in_errors="the date of the check")
    result = _radios("Result", [SelectChoice(r.value, r.label) for r in Rag], "Select the result of the check")
    summary = _text_area("Summary of the findings", None)
    submit = SubmitField("Save due diligence", widget=GovSubmitInput())


class FlagForm(BaseForm):
    rag = _radios("Flag", [SelectChoice(Rag.RED.value, "Red: blocks approval until resolved"),
                           SelectChoice(Rag.AMBER.value, "Amber")], "Select red or amber")
    description = _text_area("What was found?", "Enter what was found", max_length=2000)
    submit = SubmitField("Add flag", widget=GovSubmitInput())


class ResolveFlagForm(BaseForm):
    resolution = _text_area("How was it resolved?", "Enter how the flag was resolved", max_length=2000)
    submit = SubmitField("Record resolution", widget=GovSubmitInput())


class ReferralFields(BaseForm):
    """The referral decision on a subsidy: referred to the CMA Subsidy Advice Unit (its date and reference)
    or not (why). The subsidy control check asks it of an application; a grant increase asks it again."""

    referred_to_sau = _radios(
        "Has the subsidy been referred to the CMA Subsidy Advice Unit?",
        [SelectChoice("yes", "Yes, referred"), SelectChoice("no", "No, not referred")],
        "Select whether the subsidy was referred", required=False)
    referred_on = GovDateField("Date of the referral", name_in_errors="the date of the referral")
    sau_reference = StringField("Subsidy Advice Unit reference", widget=GovTextInput(), validators=[
        Length(max=64, message="The reference must be 64 characters or fewer")])
    referral_reason = _text_area("Why was it not referred?", None, max_length=2000)

    def validate(self, extra_validators=None):
        if self.referred_to_sau.data != "yes":
            self.referred_on.raw_data = None  # the date is only asked for (and checked) with a referral
        return super().validate(extra_validators)

    def values(self) -> dict:
        referred = {"yes": True, "no": False}.get(self.referred_to_sau.data)
        return {"referred_to_sau": referred, "referred_on": self.referred_on.data if referred else None,
                "sau_reference": self.sau_reference.data or None, "referral_reason": self.referral_reason.data or None}


class SubsidyCheckForm(ReferralFields):
    sensitive_sector = _radios(
        "Is the enterprise in a sensitive sector?", YES_NO, "Select whether the enterprise is in a sensitive sector")
    submit = SubmitField("Save subsidy control check", widget=GovSubmitInput())

    def values(self) -> dict:
        return {"sensitive_sector": self.sensitive_sector.data == "yes", **super().values()}


class ApproveForm(BaseForm):
    amount = MoneyField("Grant awarded", name_in_errors="the grant awarded", allow_zero=False,
                        validators=[Required("Enter the grant awarded")],
                        description="No more than the grant requested")
    conditions = _text_area("Conditions of the award", None,
                            description="For example conditions to meet before the first claim")
    submit = SubmitField("Approve", widget=GovSubmitInput())


class RejectForm(BaseForm):
    feedback = _text_area("Feedback for the company", "Enter feedback for the company",
                          description="The company will see this")
    submit = SubmitField("Reject the application", widget=GovSubmitInput())


class TransparencyForm(BaseForm):
    uploaded_on = GovDateField("Date it was uploaded", name_in_errors="the upload date")
    reference = StringField("Transparency database reference", widget=GovTextInput(), validators=[
        Required("Enter the transparency database reference"),
        Length(max=64, message="The reference must be 64 characters or fewer")])
    submit = SubmitField("Mark as uploaded", widget=GovSubmitInput())
