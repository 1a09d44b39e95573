"""The fund manager's offer terms, and the company's answer."""

from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount, GovCheckboxInput, GovSubmitInput
from wtforms import BooleanField, SubmitField, TextAreaField
from wtforms.validators import Length

from portfolio.forms.base import BaseForm, MoneyField, NumberField, Required
from portfolio.forms.funds import GovDateField
from portfolio.forms.profiles import QuarterAmounts


def _text(label: str, required: str, *, description: str | None = None) -> TextAreaField:
    return TextAreaField(label, description=description, widget=GovCharacterCount(), validators=[
        Required(required), Length(max=5000, message=f"{label} must be 5,000 characters or fewer")])


class OfferForm(BaseForm, QuarterAmounts):
    """The offer's terms, and the agreed grant for each quarter (portfolio.forms.profiles.with_quarters)."""

    contracted_private_investment = MoneyField(
        "Contracted private investment", name_in_errors="the contracted private investment",
        validators=[Required("Enter the contracted private investment")])
    jobs_created = NumberField("Jobs created (full-time equivalent)", name_in_errors="the jobs created", places=1,
                               validators=[Required("Enter the jobs created")])
    jobs_safeguarded = NumberField("Jobs safeguarded (full-time equivalent)", name_in_errors="the jobs safeguarded",
                                   places=1, validators=[Required("Enter the jobs safeguarded")])
    project_start = GovDateField("Project start", name_in_errors="the project start date",
                                 description="Monitoring returns are due every quarter from this date")
    project_completion = GovDateField("Planned completion", name_in_errors="the planned completion date",
                                      description="The completion return covers the quarter ending on this "
                                                  "date; annual returns follow for the monitoring years")
    milestones = _text("Milestones", "Enter the milestones")
    claim_schedule = _text("Claim schedule", "Enter the claim schedule")
    clawback_terms = _text("Clawback terms", "Enter the clawback terms")
    submit = SubmitField("Issue the offer", widget=GovSubmitInput())

    def terms(self) -> dict:
        """The offer's terms (portfolio.services.offers.Terms takes them)."""
        return dict(contracted_private_investment=self.contracted_private_investment.amount,
                     jobs_created=self.jobs_created.number, jobs_safeguarded=self.jobs_safeguarded.number,
                     milestones=self.milestones.data, claim_schedule=self.claim_schedule.data,
                     clawback_terms=self.clawback_terms.data, project_start=self.project_start.data,
                     project_completion=self.project_completion.data, profile=self.amounts())


class AcceptForm(BaseForm):
    # The view names the company in the label.
    confirm = BooleanField("I confirm I am authorised to accept this offer and accept its terms and conditions",
                           widget=GovCheckboxInput(), validators=[
                               Required("Confirm that you are authorised to accept the offer and accept its terms")])
    submit = SubmitField("Accept the offer", widget=GovSubmitInput())


class DeclineForm(BaseForm):
    reason = _text("Why are you declining the offer?", "Enter why you are declining the offer")
    submit = SubmitField("Decline the offer", widget=GovSubmitInput())
