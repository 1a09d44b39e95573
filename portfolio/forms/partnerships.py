"""Strategic partnership forms. Choices (companies, account managers, statuses) come from the view."""

from decimal import Decimal

from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovSelect, GovSubmitInput, GovTextInput
from wtforms import SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice

from portfolio.forms.base import BaseForm, NumberField, Required, company_number, normalise_company_number
from portfolio.forms.base import normalise_postcode, uk_postcode
from portfolio.forms.decisions import _radios, _text_area
from portfolio.forms.funds import GovDateField
from portfolio.forms.lip import NEW, RAG_CHOICES, _known, _text
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


class PartnershipForm(BaseForm):
    organisation_id = SelectField("Partner organisation", widget=GovSelect(), validate_choice=False,
                                  description="An organisation already known to the service, or a new one")
    organisation_name = _text("Partner's name", None, description="Only for a new organisation")
    company_number = StringField("Companies House number", widget=GovTextInput(), validators=[company_number],
                                 description="Only for a new organisation. For example, 01234567",
                                 filters=[lambda v: normalise_company_number(v) if v else v])
    organisation_postcode = StringField("Partner's registered postcode", widget=GovTextInput(),
                                        validators=[uk_postcode()], description="Only for a new organisation",
                                        filters=[lambda v: normalise_postcode(v) if v else v])
    title = _text("Partnership title", "Enter the partnership's title",
                  description="For example, Personalised cancer therapies partnership")
    departments = SelectMultipleField("Departments involved", widget=GovCheckboxesInput(), validate_choice=False)
    lead_id = SelectField("Lead account manager", widget=GovSelect(), validate_choice=False)
    submit = SubmitField("Record the partnership", widget=GovSubmitInput())

    def __init__(self, *args, organisations: list, account_managers: list, departments: tuple, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation_id.choices = [SelectChoice(NEW, "A new organisation (enter its details below)")] + [
            SelectChoice(str(o.id), f"{o.name} ({o.company_number})") for o in organisations]
        self.organisation_id.validators = [_known("Select the partner organisation")]
        self.lead_id.choices = [SelectChoice("", "Select an account manager")] + [
            SelectChoice(str(u.id), u.name) for u in account_managers]
        self.lead_id.validators = [Required("Select the lead account manager"),
                                   _known("Select the lead account manager")]
        self.departments.choices = [SelectChoice(d, d) for d in departments]
        self.departments.validators = [_known("Select the departments from the list")]

    def values(self) -> dict:
        if self.organisation_id.data and self.organisation_id.data != NEW:
            organisation = {"organisation_id": int(self.organisation_id.data), "new_organisation": None}
        else:
            organisation = {"organisation_id": None, "new_organisation": {
                "name": self.organisation_name.data, "company_number": self.company_number.data,
                "postcode": self.organisation_postcode.data}}
        return {**organisation, "title": self.title.data, "departments": list(self.departments.data or []),
                "lead_id": int(self.lead_id.data)}


class StatusForm(BaseForm):
    status = SelectField("Change the status to", widget=GovSelect(), validate_choice=False)
    signed_on = OptionalDateField("Date signed", name_in_errors="the date signed",
                                  description="Needed when the partnership becomes active")
    reason = _text_area("Reason", None, max_length=3000, description="Needed when the partnership is terminated")
    submit = SubmitField("Change the status", widget=GovSubmitInput())

    def __init__(self, *args, statuses: list[PartnershipStatus], **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [SelectChoice(s.value, s.label) for s in statuses]
        self.status.validators = [Required("Select the status"), _known("Select a status from the list")]


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
        self.measure.validators = [Required("Select the measure"), _known("Select the measure")]


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
