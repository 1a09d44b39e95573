"""Report forms: the leverage report's filters (a GET form), the additionality settings and the
implementation update's financial year."""

from decimal import Decimal

from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput
from wtforms import SelectField, SubmitField
from wtforms.fields.choices import SelectChoice

from portfolio.dates import financial_years_since, uk_today
from portfolio.forms.base import BaseForm, NumberField, Required, known_choice
from portfolio.forms.funds import PercentField
from portfolio.models import Cluster, Region
from portfolio.models.reporting import ADDITIONALITY_LABELS
from portfolio.models.statuses import COMPANY_SIZES

ANY = SelectChoice("", "Any")


def financial_year_choices(first_year: int = 2025) -> list[SelectChoice]:
    """From 2025/26 (the LSIMF's first) to the current financial year, newest first."""
    return [SelectChoice(label, label) for label in financial_years_since(first_year, uk_today())]


class LeverageFilterForm(BaseForm):
    class Meta:
        csrf = False  # a GET form: it changes nothing

    programme = SelectField("Programme", widget=GovSelect(), validate_choice=False)
    round_id = SelectField("Round", widget=GovSelect(), validate_choice=False)
    financial_year = SelectField("Financial year of the decision", widget=GovSelect(), validate_choice=False)
    region = SelectField("Region", widget=GovSelect(), validate_choice=False,
                         choices=[ANY] + [SelectChoice(r.value, r.label) for r in Region])
    cluster = SelectField("Cluster", widget=GovSelect(), validate_choice=False,
                          choices=[ANY] + [SelectChoice(c.value, c.label) for c in Cluster])
    company_size = SelectField("Company size", widget=GovSelect(), validate_choice=False,
                               choices=[ANY] + [SelectChoice(k, v) for k, v in COMPANY_SIZES.items()])
    submit = SubmitField("Apply filters", widget=GovSubmitInput())

    def __init__(self, *args, programmes: list[tuple[str, str]], rounds: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.programme.choices = [ANY] + [SelectChoice(code, name) for code, name in programmes]
        self.round_id.choices = [ANY] + [SelectChoice(str(id_), name) for id_, name in rounds]
        self.financial_year.choices = [ANY] + financial_year_choices()
        for field in (self.programme, self.round_id, self.financial_year, self.region, self.cluster,
                      self.company_size):
            field.validators = [known_choice(f"Select a {field.label.text.lower()} from the list")]

    def filters(self) -> dict:
        return {"programme": self.programme.data or None,
                "round_id": int(self.round_id.data) if self.round_id.data else None,
                "financial_year": self.financial_year.data or None, "region": self.region.data or None,
                "cluster": self.cluster.data or None, "company_size": self.company_size.data or None}


class AdditionalityForm(BaseForm):
    deadweight = PercentField(ADDITIONALITY_LABELS["deadweight"], name_in_errors="the deadweight",
                              description="Outcomes that would have happened without the grant",
                              validators=[Required("Enter the deadweight")])
    leakage = PercentField(ADDITIONALITY_LABELS["leakage"], name_in_errors="the leakage",
                           description="Benefits going to people or firms outside the UK target area",
                           validators=[Required("Enter the leakage")])
    displacement = PercentField(ADDITIONALITY_LABELS["displacement"], name_in_errors="the displacement",
                                description="Outputs offset by reduced outputs elsewhere, such as at competitors",
                                validators=[Required("Enter the displacement")])
    substitution = PercentField(ADDITIONALITY_LABELS["substitution"], name_in_errors="the substitution",
                                description="Activity a firm swaps for a similar one to get the support",
                                validators=[Required("Enter the substitution")])
    multiplier = NumberField(ADDITIONALITY_LABELS["multiplier"], name_in_errors="the multiplier", places=2,
                             maximum=Decimal("5"),
                             description="Further activity through suppliers and spending, like 1.0 (none) or 1.3",
                             validators=[Required("Enter the multiplier")])
    submit = SubmitField("Save the settings", widget=GovSubmitInput())

    def values(self) -> dict:
        return {"deadweight": self.deadweight.rate, "leakage": self.leakage.rate,
                "displacement": self.displacement.rate, "substitution": self.substitution.rate,
                "multiplier": self.multiplier.number}


class ImplementationUpdateForm(BaseForm):
    financial_year = SelectField("Financial year", widget=GovSelect(), validate_choice=False,
                                 validators=[Required("Select the financial year"),
                                             known_choice("Select a financial year from the list")])
    submit = SubmitField("Make the update (PDF)", widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.financial_year.choices = financial_year_choices()
