"""The company's forecast of the grant it will claim in the quarters still to come."""

from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount, GovSubmitInput
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length

from portfolio.forms.base import BaseForm
from portfolio.forms.profiles import QuarterAmounts


class ForecastForm(BaseForm, QuarterAmounts):
    """One box per quarter still to come (portfolio.forms.profiles.with_quarters)."""

    note = TextAreaField("What has changed (optional)", widget=GovCharacterCount(),
                         description="For example a delayed delivery of equipment, or costs coming in earlier",
                         validators=[Length(max=2000, message="What has changed must be 2,000 characters or fewer")])
    submit = SubmitField("Save the forecast", widget=GovSubmitInput())
