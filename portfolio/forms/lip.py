"""Large Investment Portfolio forms: the case, its sites, the UK offer, approvals, stage moves,
actions, meetings, risks and the pipeline's filters. Choices (companies, staff, awards, stages)
come from the view; the forms never query."""

from decimal import Decimal

from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from portfolio.forms.base import (
    BaseForm,
    known_choice,
    MoneyField,
    NumberField,
    Required,
    company_number,
    normalise_company_number,
    normalise_postcode,
    uk_postcode,
)
from portfolio.forms.decisions import _radios, _text_area
from portfolio.forms.funds import GovDateField
from portfolio.models import LipApprovalStatus, LipComponentKind, LipComponentStatus, LipSector, LipStage, Rag, Region
from portfolio.money import money
from portfolio.references import reference

ANY = SelectChoice("", "Any")
JOBS_MAX = Decimal("1000000")


def _text(label: str, required: str | None, max_length: int = 200, **kwargs) -> StringField:
    validators = [Length(max=max_length, message=f"{label} must be {max_length:,} characters or fewer")]
    if required:
        validators.insert(0, Required(required))
    return StringField(label, widget=GovTextInput(), validators=validators, **kwargs)


class CaseDetailsForm(BaseForm):
    """What can be changed on an open case."""

    title = _text("Case name", "Enter the case name", description="For example, Biologics manufacturing campus")
    summary = _text_area("Summary of the investment", "Enter a summary of the investment")
    sector = SelectField("Sector", widget=GovSelect(), validate_choice=False,
                         choices=[SelectChoice("", "Select the sector")]
                         + [SelectChoice(s.value, s.label) for s in LipSector])
    total_investment = MoneyField("Total investment", name_in_errors="the total investment", allow_zero=False,
                                  description="Over £250,000,000.00. Smaller investments can apply to the LSIMF",
                                  validators=[Required("Enter the total investment")])
    expected_jobs_created = NumberField("Expected jobs created (FTE)", name_in_errors="the expected jobs created",
                                        places=1, maximum=JOBS_MAX,
                                        validators=[Required("Enter the expected jobs created")])
    expected_jobs_safeguarded = NumberField("Expected jobs safeguarded (FTE)", places=1, maximum=JOBS_MAX,
                                            name_in_errors="the expected jobs safeguarded",
                                            validators=[Required("Enter the expected jobs safeguarded")])
    expected_rd_spend = MoneyField("Expected R&D spend", name_in_errors="the expected R&D spend",
                                   validators=[Required("Enter the expected R&D spend")])
    competing_locations = _text("Competing locations", None, max_length=500,
                                description="Countries the investor is also considering, separated by commas")
    sro_id = SelectField("Senior responsible owner", widget=GovSelect(), validate_choice=False)
    team_ids = SelectMultipleField("Case team", widget=GovCheckboxesInput(), validate_choice=False,
                                   description="Account managers working the case (the senior responsible owner "
                                               "is always in it)")
    target_decision_on = GovDateField("Target decision date", name_in_errors="the target decision date")
    submit = SubmitField("Save the case", widget=GovSubmitInput())

    def __init__(self, *args, account_managers: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.sro_id.choices = [SelectChoice("", "Select an account manager")] + [
            SelectChoice(str(u.id), u.name) for u in account_managers]
        self.team_ids.choices = [SelectChoice(str(u.id), u.name) for u in account_managers]
        self.sector.validators = [Required("Select the sector"), known_choice("Select the sector")]
        self.sro_id.validators = [Required("Select the senior responsible owner"),
                                  known_choice("Select the senior responsible owner")]
        self.team_ids.validators = [known_choice("Select account managers for the case team")]

    def values(self) -> dict:
        locations = [place.strip() for place in (self.competing_locations.data or "").split(",") if place.strip()]
        return {"title": self.title.data, "summary": self.summary.data, "sector": LipSector(self.sector.data),
                "total_investment": self.total_investment.amount,
                "expected_jobs_created": self.expected_jobs_created.number,
                "expected_jobs_safeguarded": self.expected_jobs_safeguarded.number,
                "expected_rd_spend": self.expected_rd_spend.amount, "competing_locations": locations,
                "sro_id": int(self.sro_id.data), "team_ids": [int(i) for i in self.team_ids.data or []],
                "target_decision_on": self.target_decision_on.data}


NEW = "new"


def organisation_choice(*, label: str, noun: str, name_label: str, postcode_label: str) -> type[BaseForm]:
    """Fields for "an organisation the service knows, or a new one" (a case's company, a partner):
    `set_organisations` fills the list, `organisation_values` gives what portfolio.services.organisations
    .existing_or_new takes."""

    class OrganisationChoice(BaseForm):
        organisation_id = SelectField(label, widget=GovSelect(), validate_choice=False,
                                      description=f"{noun.capitalize()} already known to the service, or a new one")
        organisation_name = _text(name_label, None, description=f"Only for a new {noun.split()[-1]}")
        company_number = StringField("Companies House number", widget=GovTextInput(), validators=[company_number],
                                     description=f"Only for a new {noun.split()[-1]}. For example, 01234567",
                                     filters=[lambda v: normalise_company_number(v) if v else v])
        organisation_postcode = StringField(postcode_label, widget=GovTextInput(), validators=[uk_postcode()],
                                            description=f"Only for a new {noun.split()[-1]}",
                                            filters=[lambda v: normalise_postcode(v) if v else v])

        def set_organisations(self, organisations: list, *, required: str) -> None:
            self.organisation_id.choices = [
                SelectChoice(NEW, f"A new {noun.split()[-1]} (enter its details below)")] + [
                SelectChoice(str(o.id), f"{o.name} ({o.company_number})") for o in organisations]
            self.organisation_id.validators = [known_choice(required)]

        def organisation_values(self) -> dict:
            if self.organisation_id.data and self.organisation_id.data != NEW:
                return {"organisation_id": int(self.organisation_id.data), "new_organisation": None}
            return {"organisation_id": None, "new_organisation": {
                "name": self.organisation_name.data, "company_number": self.company_number.data,
                "postcode": self.organisation_postcode.data}}

    return OrganisationChoice


class NewCaseForm(CaseDetailsForm, organisation_choice(label="Company", noun="a company", name_label="Company name",
                                                       postcode_label="Company's registered postcode")):
    site_name = _text("Site name", "Enter the site name", description="Where the investment would be. You can add "
                                                                      "more sites to the case later")
    site_postcode = StringField("Site postcode", widget=GovTextInput(), filters=[normalise_postcode],
                                validators=[Required("Enter the site postcode"), uk_postcode()])
    submit = SubmitField("Open the case", widget=GovSubmitInput())

    def __init__(self, *args, organisations: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_organisations(organisations, required="Select the company")


class SiteForm(BaseForm):
    site_name = _text("Site name", "Enter the site name")
    site_postcode = StringField("Postcode", widget=GovTextInput(), filters=[normalise_postcode],
                           validators=[Required("Enter the postcode"), uk_postcode()])
    submit = SubmitField("Add the site", widget=GovSubmitInput())


class ComponentForm(BaseForm):
    kind = SelectField("Type of support", widget=GovSelect(), validate_choice=False,
                       choices=[SelectChoice("", "Select the type")]
                       + [SelectChoice(k.value, k.label) for k in LipComponentKind])
    owner_body = _text("Owning body", None, description="Who provides it. Left blank, the usual body for the type")
    amount = MoneyField("Amount", name_in_errors="the amount", allow_zero=False,
                        description="Leave blank for support that is not money, and describe it")
    description = _text_area("Description", None, max_length=3000)
    status = _radios("Status", [SelectChoice(s.value, s.label) for s in LipComponentStatus],
                     "Select the status")
    is_subsidy = _radios("Is it a subsidy?", [SelectChoice("yes", "Yes: it counts towards subsidy control"),
                                              SelectChoice("no", "No")], "Select whether it is a subsidy")
    submit = SubmitField("Add to the offer", widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.validators = [Required("Select the type of support"), known_choice("Select the type of support")]

    def values(self) -> dict:
        return {"kind": LipComponentKind(self.kind.data), "owner_body": self.owner_body.data or "",
                "amount": self.amount.amount, "description": self.description.data or "",
                "status": LipComponentStatus(self.status.data), "is_subsidy": self.is_subsidy.data == "yes"}


class LinkAwardForm(BaseForm):
    award_id = SelectField("LSIMF award", widget=GovSelect(), validate_choice=False)
    submit = SubmitField("Add the award to the offer", widget=GovSubmitInput())

    def __init__(self, *args, awards: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.award_id.choices = [SelectChoice(str(a.id), f"{reference(a)}: {money(a.amount)}")
                                 for a in awards]
        self.award_id.validators = [Required("Select the award"), known_choice("Select the award")]


class ApprovalForm(BaseForm):
    status = _radios("Outcome", [SelectChoice(LipApprovalStatus.APPROVED.value, "Approved"),
                                 SelectChoice(LipApprovalStatus.REFUSED.value, "Refused"),
                                 SelectChoice(LipApprovalStatus.NOT_NEEDED.value, "Not needed for this case")],
                     "Select the outcome")
    decided_on = GovDateField("Date of the decision", name_in_errors="the date of the decision")
    reference = _text("Reference", None, max_length=100, description="For example, the submission number")
    note = _text_area("Note", None, max_length=3000, description="Needed when it was refused or is not needed")
    submit = SubmitField("Record the approval", widget=GovSubmitInput())


class MoveForm(BaseForm):
    stage = SelectField("Move the case to", widget=GovSelect(), validate_choice=False)
    reason = _text_area("Reason", None, max_length=3000,
                        description="Needed when the case is lost or withdrawn: for example, the investor chose "
                                    "another country")
    submit = SubmitField("Move the case", widget=GovSubmitInput())

    def __init__(self, *args, stages: list[LipStage], **kwargs):
        super().__init__(*args, **kwargs)
        self.stage.choices = [SelectChoice(s.value, s.label) for s in stages]
        self.stage.validators = [Required("Select the stage"), known_choice("Select a stage the case can move to")]


class CaseActionForm(BaseForm):
    action_description = _text_area("Action", "Enter the action", max_length=2000)
    owner_id = SelectField("Owner", widget=GovSelect(), validate_choice=False)
    due_on = GovDateField("Due date", name_in_errors="the due date")
    submit = SubmitField("Add the action", widget=GovSubmitInput())

    def __init__(self, *args, owners: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner_id.choices = [SelectChoice("", "Select the owner")] + [
            SelectChoice(str(u.id), f"{u.name} ({u.role.label})") for u in owners]
        self.owner_id.validators = [Required("Select the owner"), known_choice("Select the owner")]


class MeetingForm(BaseForm):
    held_on = GovDateField("Date of the meeting", name_in_errors="the date of the meeting")
    attendees = _text("Attendees", None, max_length=500)
    notes = _text_area("Notes", "Enter the notes of the meeting", max_length=10000)
    submit = SubmitField("Record the meeting", widget=GovSubmitInput())


RAG_CHOICES = [SelectChoice(Rag.RED.value, "Red"), SelectChoice(Rag.AMBER.value, "Amber"),
               SelectChoice(Rag.GREEN.value, "Green")]


class RiskForm(BaseForm):
    risk_description = _text_area("Risk", "Enter the risk", max_length=2000)
    rag = _radios("Rating", RAG_CHOICES, "Select the rating")
    mitigation = _text_area("Mitigation", None, max_length=2000)
    submit = SubmitField("Add the risk", widget=GovSubmitInput())


class PipelineFilterForm(BaseForm):
    class Meta:
        csrf = False  # a GET form: it changes nothing

    stage = SelectField("Stage", widget=GovSelect(), validate_choice=False,
                        choices=[ANY] + [SelectChoice(s.value, s.label) for s in LipStage])
    region = SelectField("Region", widget=GovSelect(), validate_choice=False,
                         choices=[ANY] + [SelectChoice(r.value, r.label) for r in Region])
    sector = SelectField("Sector", widget=GovSelect(), validate_choice=False,
                         choices=[ANY] + [SelectChoice(s.value, s.label) for s in LipSector])
    account_manager = SelectField("Account manager", widget=GovSelect(), validate_choice=False)
    submit = SubmitField("Apply filters", widget=GovSubmitInput())

    def __init__(self, *args, account_managers: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.account_manager.choices = [ANY] + [SelectChoice(str(u.id), u.name) for u in account_managers]
        for field in (self.stage, self.region, self.sector, self.account_manager):
            field.validators = [known_choice(f"Select a {field.label.text.lower()} from the list")]

    def filters(self) -> dict:
        return {"stage": LipStage(self.stage.data) if self.stage.data else None,
                "region": Region(self.region.data) if self.region.data else None,
                "sector": LipSector(self.sector.data) if self.sector.data else None,
                "account_manager_id": int(self.account_manager.data) if self.account_manager.data else None}
