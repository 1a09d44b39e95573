"""Claim forms: the period, each cost, finance's review and the payment."""

from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount, GovSubmitInput, GovTextInput
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import Length

from portfolio.forms.base import BaseForm, MoneyField, Required
from portfolio.forms.funds import GovDateField


class StartClaimForm(BaseForm):
    period_start = GovDateField("Start of the claim period", name_in_errors="the start of the claim period")
    period_end = GovDateField("End of the claim period", name_in_errors="the end of the claim period")
    submit = SubmitField("Start the claim", widget=GovSubmitInput())


class ClaimItemForm(BaseForm):
    description = StringField("What was bought", widget=GovTextInput(), validators=[
        Required("Enter what was bought"), Length(max=500, message="What was bought must be 500 characters or fewer")])
    invoice_reference = StringField("Invoice number", widget=GovTextInput(), validators=[
        Required("Enter the invoice number"), Length(max=100, message="The invoice number must be 100 characters "
                                                                      "or fewer")])
    defrayed_on = GovDateField("Date paid", name_in_errors="the date the cost was paid")
    amount = MoneyField("Eligible capital cost paid", name_in_errors="the cost", allow_zero=False,
                        validators=[Required("Enter the cost")])
    submit = SubmitField("Add cost", widget=GovSubmitInput())


class _ReviewForm(BaseForm):
    reason = TextAreaField("Reason for approving less than was claimed", widget=GovCharacterCount(),
                           validators=[Length(max=3000, message="The reason must be 3,000 characters or fewer")])
    submit = SubmitField("Approve the claim", widget=GovSubmitInput())

    def approved(self) -> dict:
        return {item_id: self[f"item_{item_id}"].amount for item_id in self.item_ids}


def review_form(items, **kwargs) -> _ReviewForm:
    """An approved amount per cost, each starting at the amount claimed."""
    class ReviewForm(_ReviewForm):
        item_ids = [item.id for item in items]

    for item in items:
        setattr(ReviewForm, f"item_{item.id}", MoneyField(
            f"Approved: {item.description}", name_in_errors=f"the approved amount for {item.description}",
            validators=[Required(f"Enter the approved amount for {item.description}")]))
    return ReviewForm(**kwargs)


class RejectClaimForm(BaseForm):
    reason = TextAreaField("Why is the claim rejected?", widget=GovCharacterCount(), validators=[
        Required("Enter why the claim is rejected"), Length(max=3000, message="The reason must be 3,000 characters "
                                                                              "or fewer")])
    submit = SubmitField("Reject the claim", widget=GovSubmitInput())


class PaymentForm(BaseForm):
    amount = MoneyField("Amount paid", name_in_errors="the amount paid", allow_zero=False,
                        validators=[Required("Enter the amount paid")])
    paid_on = GovDateField("Date paid", name_in_errors="the payment date")
    reference = StringField("Payment reference", widget=GovTextInput(), validators=[
        Required("Enter the payment reference"), Length(max=64, message="The reference must be 64 characters "
                                                                        "or fewer")])
    submit = SubmitField("Record the payment", widget=GovSubmitInput())
