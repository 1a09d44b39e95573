"""Monitoring return forms: the company's figures, the verifier's reasons, the retention payment."""

from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount, GovRadioInput, GovSubmitInput
from wtforms import RadioField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from portfolio.forms.base import BaseForm, ChoiceMessage, MoneyField, NumberField, Required
from portfolio.forms.claims import PaymentForm
from portfolio.models import Rag
from portfolio.models.monitoring import COUNTS, FIGURES, FTES
from portfolio.models.monitoring import CUMULATIVE, HEADCOUNTS

HINTS = {
    "capital_spent": "Total capital spent on the project since it started",
    "private_investment": "Total private investment in the project since it started",
    "jobs_created": "New jobs on the project, in full-time equivalents, at the end of the period",
    "jobs_safeguarded": "Existing jobs the project keeps, in full-time equivalents",
    "average_salary": "Average annual gross salary of the jobs created",
    "rd_spend": "Research and development spend in this period",
    "collaborations": "Collaborations with universities, the NHS or other companies started in this period",
    "patents_filed": "Patent applications filed in this period",
    "training_places": "Apprenticeships and other training places in this period",
    "supply_chain_spend": "Spend with UK suppliers in this period",
}


# How messages name each figure: "Enter the R&D spend", "The jobs created must be 0 or more".
NAMES = {"capital_spent": "capital spent to date", "private_investment": "private investment to date",
         "jobs_created": "jobs created", "jobs_safeguarded": "jobs safeguarded", "average_salary": "average salary",
         "rd_spend": "R&D spend", "collaborations": "number of collaborations",
         "patents_filed": "number of patents filed", "training_places": "number of training places",
         "supply_chain_spend": "UK supply-chain spend"}


def _figure_field(name: str, label: str):
    words = NAMES[name]
    required = Required(f"Enter the {words}")
    if name in FTES:
        return NumberField(label, description=HINTS[name], name_in_errors=f"the {words}", places=1,
                           validators=[required])
    if name in COUNTS:
        return NumberField(label, description=HINTS[name], name_in_errors=f"the {words}", validators=[required])
    return MoneyField(label, description=HINTS[name], name_in_errors=f"the {words}", validators=[required])


def _explain(name: str):
    return TextAreaField(f"Explain the {NAMES[name]}", widget=GovCharacterCount(), validators=[
        Length(max=3000, message="The explanation must be 3,000 characters or fewer")])


class _ReturnFormBase(BaseForm):
    def values(self) -> dict:
        def value(name):
            if name in COUNTS:
                return None if self[name].number is None else int(self[name].number)
            return self[name].number if name in FTES else self[name].amount

        return {name: value(name) for name, _ in FIGURES}

    def explanations(self) -> dict:
        return {name: self[f"explain_{name}"].data for name in QUERIED}


QUERIED = (*CUMULATIVE, *HEADCOUNTS)
_fields = {}
for _name, _label in FIGURES:  # created in this order, so errors are summarised in the order of the page
    _fields[_name] = _figure_field(_name, _label)
    if _name in QUERIED:
        _fields[f"explain_{_name}"] = _explain(_name)
_fields["narrative"] = TextAreaField(
    "Progress in the period", widget=GovCharacterCount(), description="What was done, what is next, and any risks "
    "or delays", validators=[Required("Enter the progress in the period"),
                             Length(max=5000, message="Progress must be 5,000 characters or fewer")])
_fields["rag"] = RadioField(
    "How is the project going?", choices=[
        SelectChoice(Rag.GREEN.value, "Green: on track"),
        SelectChoice(Rag.AMBER.value, "Amber: some problems, being managed"),
        SelectChoice(Rag.RED.value, "Red: serious problems with delivery")],
    validate_choice=False, widget=GovRadioInput(),
    validators=[Required("Select how the project is going"), ChoiceMessage("Select how the project is going")])
_fields["submit"] = SubmitField("Submit the return", widget=GovSubmitInput())
ReturnForm = type("ReturnForm", (_ReturnFormBase,), _fields)


class SendBackForm(BaseForm):
    reason = TextAreaField("What needs to change?", widget=GovCharacterCount(), validators=[
        Required("Enter what needs to change"), Length(max=3000, message="The reason must be 3,000 characters "
                                                                         "or fewer")])
    submit = SubmitField("Return it to the company", widget=GovSubmitInput())


class RetentionForm(PaymentForm):
    submit = SubmitField("Record the retention payment", widget=GovSubmitInput())
