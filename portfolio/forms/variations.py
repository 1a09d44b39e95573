"""Variation forms: the kind, each kind's proposal (with the grant profile by quarter where the kind moves
money), the query loop, the referral decision for a grant increase, approval, rejection and withdrawal."""

from datetime import date
from decimal import Decimal

from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount, GovFileInput, GovRadioInput, GovSubmitInput, \
    GovTextInput
from wtforms import RadioField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from portfolio.forms.base import BaseForm, ChoiceMessage, MoneyField, NumberField, Required, normalise_company_number
from portfolio.forms.decisions import ReferralFields
from portfolio.forms.funds import GovDateField
from portfolio.forms.profiles import QuarterAmounts, with_quarters
from portfolio.forms.uploads import ACCEPT
from portfolio.models import VariationKind

K = VariationKind


def _text(label: str, required: str | None, *, max_length: int = 5000, description: str | None = None):
    validators = [Length(max=max_length, message=f"{label} must be {max_length:,} characters or fewer")]
    if required:
        validators.insert(0, Required(required))
    return TextAreaField(label, description=description, widget=GovCharacterCount(), validators=validators)


class KindForm(BaseForm):
    kind = RadioField("What do you need to change?", choices=[SelectChoice(kind.value, kind.label) for kind in K],
                      validate_choice=False, widget=GovRadioInput(),
                      validators=[Required("Select what you need to change"),
                                  ChoiceMessage("Select what you need to change")])
    submit = SubmitField("Continue", widget=GovSubmitInput())


class _RequestForm(BaseForm, QuarterAmounts):
    """What every kind asks: why, and (on the check page) an evidence file; the grant by quarter where the
    kind moves money (portfolio.forms.profiles, as the application, offer and forecast ask it)."""

    reasons = _text("Why is the change needed?", "Enter why the change is needed",
                    description="What happened, what it affects, and what you have done about it")
    evidence = FileField("Evidence (optional)", widget=GovFileInput(), render_kw={"accept": ACCEPT})

    def proposed_profile(self) -> dict[date, Decimal] | None:
        """The grant typed for each quarter (None: the kind does not move money)."""
        return self.amounts() if self.quarters else None

    def proposal_values(self) -> dict:
        return {}


class TimeExtensionForm(_RequestForm):
    new_completion = GovDateField("New completion date", name_in_errors="the new completion date",
                                  description="For example, 31 3 2028")

    def proposal_values(self) -> dict:
        return {"new_completion": self.new_completion.data}


class ReprofileForm(_RequestForm):
    pass


class MilestonesForm(_RequestForm):
    new_milestones = _text("New milestones", "Enter the new milestones",
                           description="Every milestone of the project, with its date")

    def proposal_values(self) -> dict:
        return {"new_milestones": self.new_milestones.data}


class ScopeForm(_RequestForm):
    new_scope = _text("New scope", None, description="What the project will now deliver. Leave empty if only the "
                                                     "site changes")
    new_site = _text("New site", None, max_length=2000, description="The address of the new site. Leave empty if "
                                                                     "the site does not change")
    new_eligible_capital_cost = MoneyField("Eligible capital costs", name_in_errors="the eligible capital costs",
                                           allow_zero=False, validators=[Required("Enter the eligible capital costs")],
                                           description="For the whole project, after the change")
    new_contracted_private_investment = MoneyField(
        "Contracted private investment (optional)", name_in_errors="the contracted private investment",
        description="Only if it changes")
    new_jobs_created = NumberField("Jobs created, full-time equivalent (optional)", name_in_errors="the jobs created",
                                   places=1, description="Only if it changes")
    new_jobs_safeguarded = NumberField("Jobs safeguarded, full-time equivalent (optional)",
                                       name_in_errors="the jobs safeguarded", places=1,
                                       description="Only if it changes")

    def proposal_values(self) -> dict:
        return {"new_scope": self.new_scope.data or None, "new_site": self.new_site.data or None,
                "new_eligible_capital_cost": self.new_eligible_capital_cost.amount,
                "new_contracted_private_investment": self.new_contracted_private_investment.amount,
                "new_jobs_created": self.new_jobs_created.number,
                "new_jobs_safeguarded": self.new_jobs_safeguarded.number}


class GrantAmountForm(_RequestForm):
    new_amount = MoneyField("New grant", name_in_errors="the new grant", allow_zero=False,
                            validators=[Required("Enter the new grant")],
                            description="The whole grant after the change")

    def proposal_values(self) -> dict:
        return {"new_amount": self.new_amount.amount}


class CompanyForm(_RequestForm):
    new_company_name = StringField("New company name", widget=GovTextInput(), validators=[
        Length(max=200, message="The company name must be 200 characters or fewer")],
        description="Leave empty if only the company number changes")
    new_company_number = StringField("Company number of the company taking over the award (novation)",
                                     widget=GovTextInput(), filters=[normalise_company_number], validators=[
                                         Length(max=16, message="The company number must be 16 characters or fewer")],
                                     description="Only for a change of ownership. The company must be registered "
                                                 "in Portfolio")

    def proposal_values(self) -> dict:
        return {"new_company_name": self.new_company_name.data or None,
                "new_company_number": self.new_company_number.data or None}


FORMS = {K.TIME_EXTENSION: TimeExtensionForm, K.REPROFILE: ReprofileForm, K.MILESTONES: MilestonesForm,
         K.SCOPE: ScopeForm, K.GRANT_AMOUNT: GrantAmountForm, K.COMPANY: CompanyForm}


def request_form(kind: VariationKind, quarters: list[date], **kwargs) -> _RequestForm:
    """The kind's form, with a grant field for each quarter when the kind moves money."""
    return with_quarters(FORMS[kind], quarters)(**kwargs)


class QueryForm(BaseForm):
    body = _text("Your query", "Enter your query", max_length=3000)
    submit = SubmitField("Send the query", widget=GovSubmitInput())


class AnswerForm(BaseForm):
    body = _text("Your answer", "Enter your answer", max_length=3000)
    submit = SubmitField("Send your answer", widget=GovSubmitInput())


class ApproveForm(BaseForm):
    note = _text("Note (optional)", None, max_length=2000)
    submit = SubmitField("Approve the change", widget=GovSubmitInput())


class RejectForm(BaseForm):
    reason = _text("Why is it rejected?", "Enter why the change is rejected", max_length=3000)
    submit = SubmitField("Reject the change", widget=GovSubmitInput())


class WithdrawForm(BaseForm):
    reason = _text("Why is it withdrawn?", "Enter why the request is withdrawn", max_length=3000)
    submit = SubmitField("Withdraw the request", widget=GovSubmitInput())


class ReferralForm(ReferralFields):
    """The referral decision on a grant increase (the fields and rules of the subsidy control check's)."""

    submit = SubmitField("Save the referral decision", widget=GovSubmitInput())
