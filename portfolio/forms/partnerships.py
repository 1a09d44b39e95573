"""Strategic partnership forms. Choices (companies, account managers, statuses) come from the view."""

from decimal import Decimal

from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovSelect, GovSubmitInput
from wtforms import SelectField, SelectMultipleField, SubmitField
from wtforms.fields.choices import SelectChoice

from portfolio.forms.base import BaseForm, known_choice, NumberField, Required
from portfolio.forms.decisions import _radios, _text_area
from portfolio.forms.funds import GovDateField
from portfolio.forms.lip import RAG_CHOICES, _text, organisation_choice
from portfolio.forms.uploads import UploadForm
from portfolio.models import CommitmentMeasure, PartnershipStatus


class OptionalDateField(GovDateField):
    """A GOV.UK date that may be left blank (data None)."""

    def pre_validate(self, form):
        if self.raw_data is not None and not any(self.raw_data):
            self.error_parts = ()
            self.data = None
            return
        super().pre_validate(form)


class PartnershipForm(organisation_choice(label="Partner organisation", noun="an organisation",
                                          name_label="Partner's name",
                                          postcode_label="Partner's registered postcode")):
    title = _text("Partnership title", "Enter the partnership's title",
                  description="For example, Personalised cancer therapies partnership")
    departments = SelectMultipleField("Departments involved", widget=GovCheckboxesInput(), validate_choice=False)
    lead_id = SelectField("Lead account manager", widget=GovSelect(), validate_choice=False)
    submit = SubmitField("Record the partnership", widget=GovSubmitInput())

    def __init__(self, *args, organisations: list, account_managers: list, departments: tuple, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_organisations(organisations, required="Select the partner organisation")
        self.lead_id.choices = [SelectChoice("", "Select an account manager")] + [
            SelectChoice(str(u.id), u.name) for u in account_managers]
        self.lead_id.validators = [Required("Select the lead account manager"),
                                   known_choice("Select the lead account manager")]
        self.departments.choices = [SelectChoice(d, d) for d in departments]
        self.departments.validators = [known_choice("Select the departments from the list")]

    def values(self) -> dict:
        return {**self.organisation_values(), "title": self.title.data,
                "departments": list(self.departments.data or []), "lead_id": int(self.lead_id.data)}


class StatusForm(BaseForm):
    status = SelectField("Change the status to", widget=GovSelect(), validate_choice=False)
    signed_on = OptionalDateField("Date signed", name_in_errors="the date signed",
                                  description="Needed when the partnership becomes active")
    reason = _text_area("Reason", None, max_length=3000, description="Needed when the partnership is terminated")
    submit = SubmitField("Change the status", widget=GovSubmitInput())

    def __init__(self, *args, statuses: list[PartnershipStatus], **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [SelectChoice(s.value, s.label) for s in statuses]
        self.status.validators = [Required("Select the status"), known_choice("Select a status from the list")]


class CommitmentStatusForm(BaseForm):
    """Mark a commitment met, withdraw it (with the reason) or reopen it: the moves open to the user."""

    status = SelectField("Change the status to", widget=GovSelect(), validate_choice=False)
    status_reason = _text_area("Why", None, max_length=3000, description="Needed when the commitment is withdrawn")
    submit = SubmitField("Change the status", widget=GovSubmitInput())

    def __init__(self, *args, statuses: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [SelectChoice(s.value, s.label) for s in statuses]
        self.status.validators = [Required("Select the status"), known_choice("Select a status from the list")]

    def add_error(self, field_name: str | None, message: str) -> None:
        # The workflow names the reason "reason"; on this page (beside the RAG form's) it is status_reason.
        super().add_error("status_reason" if field_name == "reason" else field_name, message)


class CommitmentForm(BaseForm):
    measure = SelectField("Measure", widget=GovSelect(), validate_choice=False,
                          choices=[SelectChoice("", "Select the measure")]
                          + [SelectChoice(m.value, m.label) for m in CommitmentMeasure])
    commitment_description = _text_area("What is committed", "Enter what is committed", max_length=2000)
    target_value = NumberField("Target value", name_in_errors="the target value", places=2,
                               maximum=Decimal("999999999999.99"), validators=[Required("Enter the target value")])
    unit = _text("Unit", None, max_length=50, description="For example, £, jobs or patients. Left blank, £ for money")
    start_on = GovDateField("Start date", name_in_errors="the start date")
    target_on = GovDateField("Target date", name_in_errors="the target date")
    submit = SubmitField("Add the commitment", widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.measure.validators = [Required("Select the measure"), known_choice("Select the measure")]


class ProgressForm(UploadForm):
    on = GovDateField("Date", name_in_errors="the date")
    value = NumberField("Value achieved so far", name_in_errors="the value achieved so far", places=2,
                        maximum=Decimal("999999999999.99"), validators=[Required("Enter the value achieved so far")])
    note = _text_area("Note", None, max_length=3000)
    submit = SubmitField("Record progress", widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.file.validators = []  # evidence is optional
        self.file.label.text = "Evidence (optional)"


class OverrideForm(BaseForm):
    rag = _radios("RAG status", [*RAG_CHOICES, SelectChoice("derived", "Use the derived status")],
                  "Select the RAG status")
    reason = _text_area("Reason", None, max_length=2000, description="Needed for an override")
    submit = SubmitField("Save the RAG status", widget=GovSubmitInput())
