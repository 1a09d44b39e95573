"""Scale-up company service forms. Choices (companies, account managers, quarters) come from the view."""

from datetime import date
from decimal import Decimal

from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput
from wtforms import SelectField, SubmitField
from wtforms.fields.choices import SelectChoice

from portfolio.forms.base import BaseForm, known_choice, MoneyField, NumberField, Required
from portfolio.forms.decisions import _radios, _text_area
from portfolio.forms.funds import GovDateField
from portfolio.forms.lip import RAG_CHOICES, _text
from portfolio.forms.partnerships import OptionalDateField
from portfolio.models import EngagementKind, IpoVenue, ListingStatus, Rag, ReferralBody


class JoinForm(BaseForm):
    organisation_id = SelectField("Company", widget=GovSelect(), validate_choice=False)
    account_manager_id = SelectField("Account manager", widget=GovSelect(), validate_choice=False)
    joined_on = GovDateField("Date it joined", name_in_errors="the date it joined")
    reason = _text_area("Why it is joining", "Enter why the company is joining", max_length=2000)
    submit = SubmitField("Add to the cohort", widget=GovSubmitInput())

    def __init__(self, *args, organisations: list, account_managers: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation_id.choices = [SelectChoice("", "Select the company")] + [
            SelectChoice(str(o.id), f"{o.name} ({o.company_number})") for o in organisations]
        self.organisation_id.validators = [Required("Select the company"), known_choice("Select the company")]
        self.account_manager_id.choices = [SelectChoice("", "Select an account manager")] + [
            SelectChoice(str(u.id), u.name) for u in account_managers]
        self.account_manager_id.validators = [Required("Select the account manager"),
                                              known_choice("Select the account manager")]


class LeaveForm(BaseForm):
    left_on = GovDateField("Date it left", name_in_errors="the date it left")
    reason = _text_area("Why it is leaving", "Enter why the company is leaving", max_length=2000)
    submit = SubmitField("Remove from the cohort", widget=GovSubmitInput())


class PlanForm(BaseForm):
    account_manager_id = SelectField("Account manager", widget=GovSelect(), validate_choice=False)
    support_needs = _text_area("Support needs", None, max_length=5000)
    agreed_actions = _text_area("Agreed actions", None, max_length=5000)
    submit = SubmitField("Save the support plan", widget=GovSubmitInput())

    def __init__(self, *args, account_managers: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.account_manager_id.choices = [SelectChoice(str(u.id), u.name) for u in account_managers]
        self.account_manager_id.validators = [Required("Select the account manager"),
                                              known_choice("Select the account manager")]


class EngagementForm(BaseForm):
    kind = _radios("Type", [SelectChoice(k.value, k.label) for k in EngagementKind], "Select the type")
    on = GovDateField("Date of the engagement", name_in_errors="the date of the engagement")
    summary = _text_area("Summary", "Enter a summary", max_length=5000)
    referred_to = SelectField("Referred to", widget=GovSelect(), validate_choice=False,
                              choices=[SelectChoice("", "Not a referral")]
                              + [SelectChoice(b.value, b.label) for b in ReferralBody])
    other_body = _text("Other body", None, description="Only when referred to another body")
    outcome = _text_area("Outcome of the referral", None, max_length=3000,
                         description="If it is known. You can record it later")
    submit = SubmitField("Log it", widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.referred_to.validators = [known_choice("Select who the company was referred to")]


class OutcomeForm(BaseForm):
    outcome = _text_area("Outcome", "Enter the outcome of the referral", max_length=3000)
    submit = SubmitField("Record the outcome", widget=GovSubmitInput())


def _enum_select(label: str, enum, first: str | None = None) -> SelectField:
    choices = ([SelectChoice("", first)] if first else []) + [SelectChoice(m.value, m.label) for m in enum]
    return SelectField(label, widget=GovSelect(), validate_choice=False, choices=choices)


class SnapshotForm(BaseForm):
    quarter_start = SelectField("Quarter", widget=GovSelect(), validate_choice=False)
    uk_employees = NumberField("UK employees", name_in_errors="UK employees", maximum=Decimal("10000000"),
                               validators=[Required("Enter the number of UK employees")])
    revenue = MoneyField("Revenue in the quarter", name_in_errors="the revenue",
                         validators=[Required("Enter the revenue")])
    capital_raised = MoneyField("Capital raised in the quarter", name_in_errors="the capital raised",
                                validators=[Required("Enter the capital raised (0 if none)")])
    funding_round = _text("Funding round", None, max_length=100, description="For example, Series B")
    uk_investor_share = NumberField("Share from UK investors (%)", name_in_errors="the share from UK investors",
                                    places=2, maximum=Decimal("100"),
                                    description="The rest came from overseas investors")
    valuation = MoneyField("Valuation", name_in_errors="the valuation")
    listing_status = _enum_select("Listing status", ListingStatus)
    ipo_venue = _enum_select("IPO in the quarter", IpoVenue, "No IPO in the quarter")
    ipo_exchange = _text("Overseas exchange", None, max_length=100, description="For example, Nasdaq")
    ipo_on = OptionalDateField("Date of the IPO", name_in_errors="the date of the IPO")
    ipo_amount = MoneyField("Amount raised by the IPO", name_in_errors="the amount raised by the IPO")
    domicile_rag = _radios("Risk of leaving the UK (domicile)", RAG_CHOICES, "Select the domicile risk")
    domicile_reason = _text_area("Reason for the domicile risk", None, max_length=3000,
                                 description="Needed for red or amber")
    submit = SubmitField("Submit the snapshot", widget=GovSubmitInput())

    def __init__(self, *args, quarters: list[tuple], **kwargs):
        """`quarters`: (first day, label) pairs."""
        super().__init__(*args, **kwargs)
        self.quarter_start.choices = [SelectChoice(q.isoformat(), label) for q, label in quarters]
        self.quarter_start.validators = [Required("Select the quarter"), known_choice("Select the quarter")]
        self.listing_status.validators = [Required("Select the listing status"),
                                          known_choice("Select the listing status")]
        self.ipo_venue.validators = [known_choice("Select where the IPO was")]

    def values(self) -> dict:
        return {"quarter_start": date.fromisoformat(self.quarter_start.data),
                "uk_employees": int(self.uk_employees.number), "revenue": self.revenue.amount,
                "capital_raised": self.capital_raised.amount, "funding_round": self.funding_round.data or None,
                "uk_investor_share": self.uk_investor_share.number, "valuation": self.valuation.amount,
                "listing_status": ListingStatus(self.listing_status.data),
                "ipo_venue": IpoVenue(self.ipo_venue.data) if self.ipo_venue.data else None,
                "ipo_exchange": self.ipo_exchange.data or None, "ipo_on": self.ipo_on.data,
                "ipo_amount": self.ipo_amount.amount, "domicile_rag": Rag(self.domicile_rag.data),
                "domicile_reason": self.domicile_reason.data or ""}
