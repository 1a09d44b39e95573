"""One form per task-list section of the full application, plus cost items."""

from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, Length, ValidationError

from portfolio.dates import financial_years
from portfolio.forms.base import (
    BaseForm,
    ChoiceMessage,
    MoneyField,
    NumberField,
    Required,
    normalise_postcode,
    uk_postcode,
)
from portfolio.forms.eois import YES_NO
from portfolio.forms.funds import GovDateField
from portfolio.forms.profiles import QuarterAmounts
from portfolio.models.base import utcnow
from portfolio.models.statuses import Cluster, ProductType
from portfolio.postcodes import region_for

COMPANY_SIZES = [SelectChoice("micro", "Micro (fewer than 10 employees)"),
                 SelectChoice("small", "Small (10 to 49 employees)"),
                 SelectChoice("medium", "Medium (50 to 249 employees)"),
                 SelectChoice("large", "Large (250 employees or more)")]

COST_CATEGORIES = [SelectChoice("land_buildings", "Land and buildings"),
                   SelectChoice("equipment", "Manufacturing equipment"),
                   SelectChoice("installation", "Installation and commissioning"),
                   SelectChoice("digital", "IT and digital systems"),
                   SelectChoice("professional_fees", "Professional fees"),
                   SelectChoice("staff", "Staff costs"),
                   SelectChoice("training", "Training"),
                   SelectChoice("other", "Other")]
COST_CATEGORY_LABELS = {c.value: c.label for c in COST_CATEGORIES}


def _text(label: str, required: str, *, max_length: int = 200, description: str | None = None) -> StringField:
    return StringField(label, description=description, widget=GovTextInput(), validators=[
        Required(required), Length(max=max_length, message=f"{label} must be {max_length:,} characters or fewer")])


def _long_text(label: str, required: str | None, *, max_length: int = 5000, description: str | None = None):
    validators = [Length(max=max_length, message=f"{label} must be {max_length:,} characters or fewer")]
    if required:
        validators.insert(0, Required(required))
    return TextAreaField(label, description=description, validators=validators, widget=GovCharacterCount())


def _choice(label: str, choices, message: str, **kwargs) -> RadioField:
    return RadioField(label, choices=choices, validate_choice=False, widget=GovRadioInput(),
                      validators=[Required(message), ChoiceMessage(message)], **kwargs)


def _money(label: str, name: str, *, required: bool = True, description: str | None = None) -> MoneyField:
    return MoneyField(label, description=description, name_in_errors=name,
                      validators=[Required(f"Enter {name}")] if required else [])


def _count(label: str, name: str, **kwargs) -> NumberField:
    return NumberField(label, name_in_errors=name, validators=[Required(f"Enter {name}")], **kwargs)


class SectionForm(BaseForm):
    """Every section form carries the revision it was loaded at (optimistic locking)."""

    revision = HiddenField()
    submit = SubmitField("Save and continue", widget=GovSubmitInput())

    def answers(self) -> dict:
        """The answers to store: text as typed (trimmed), money and numbers as exact strings."""
        answers = {}
        for name, field in self._fields.items():
            if name in ("csrf_token", "revision", "submit"):
                continue
            if isinstance(field, MoneyField):
                answers[name] = None if field.amount is None else str(field.amount)
            elif isinstance(field, NumberField):
                answers[name] = None if field.number is None else str(field.number)
            else:
                answers[name] = field.data
        return answers


class OrganisationSection(SectionForm):
    company_size = _choice("Size of the organisation", COMPANY_SIZES, "Select the size of the organisation")
    contact_name = _text("Contact name", "Enter the name of the contact for this application")
    contact_email = StringField("Contact email address", widget=GovTextInput(), validators=[
        Required("Enter the contact email address"),
        Length(max=254, message="Contact email address must be 254 characters or fewer"),
        Email("Enter an email address in the correct format, like name@example.com")])
    contact_phone = _text("Contact telephone number", "Enter the contact telephone number", max_length=30)


class ProjectSection(SectionForm):
    project_summary = _long_text("Project summary", "Enter a summary of the project", max_length=3000)
    site_address = _long_text("Address of the manufacturing site", "Enter the address of the manufacturing site",
                              max_length=500)
    site_postcode = StringField("Postcode of the manufacturing site", widget=GovTextInput(), validators=[
        Required("Enter the postcode of the manufacturing site"), uk_postcode()])
    cluster = _choice("Which Life Sciences cluster is the site in?", [SelectChoice(c.value, c.label) for c in Cluster],
                      "Select the cluster the site is in",
                      description="The city regions and clusters of the Life Sciences Sector Plan")

    def validate_site_postcode(self, field):
        if field.data and region_for(normalise_postcode(field.data)) is None:
            raise ValidationError("Enter a postcode in the UK")

    def answers(self) -> dict:
        answers = super().answers()
        answers["site_postcode"] = normalise_postcode(answers["site_postcode"])
        return answers


class ProductsSection(SectionForm):
    product_type = _choice("What will the project manufacture?",
                           [SelectChoice(p.value, p.label) for p in ProductType],
                           "Select what the project will manufacture")
    modality = _text("Modality", "Enter the modality", description="For example small molecules, monoclonal "
                     "antibodies, cell and gene therapies, in vitro diagnostics")
    products_description = _long_text("Describe the products", "Describe the products", max_length=3000)


class FundingSection(SectionForm):
    grant_requested = _money("Grant requested", "the grant requested",
                             description="The grant pays for eligible capital costs only")
    private_investment = _money("Private investment", "the private investment",
                                description="Your own and other private money going into the project")
    public_funding_year_1 = _money("Other public funding this financial year", "the other public funding",
                                   required=False)
    public_funding_year_2 = _money("Other public funding last financial year", "the other public funding",
                                   required=False)
    public_funding_year_3 = _money("Other public funding the financial year before last",
                                   "the other public funding", required=False)
    justification = _long_text(
        "Why do you need this much grant?", None, max_length=5000,
        description="Needed when the grant is more than the fund's usual share of the total project cost. "
                    "Show that it is the minimum grant necessary for the project to go ahead in the UK")


    def answers(self) -> dict:
        # Which years "this", "last" and "the year before" meant when this was saved, so the
        # amounts keep their years after 1 April.
        return {**super().answers(), "financial_years": ", ".join(financial_years(utcnow()))}


class JobsSection(SectionForm):
    jobs_year_1 = _count("Year 1", "the new jobs in year 1", places=1)
    jobs_year_2 = _count("Year 2", "the new jobs in year 2", places=1)
    jobs_year_3 = _count("Year 3", "the new jobs in year 3", places=1)
    jobs_year_4 = _count("Year 4", "the new jobs in year 4", places=1)
    jobs_year_5 = _count("Year 5", "the new jobs in year 5", places=1)
    jobs_safeguarded = _count("Jobs safeguarded", "the jobs safeguarded", places=1,
                              description="Existing jobs that would be lost without the project (full-time equivalent)")
    threat_evidence = _long_text("Evidence that the safeguarded jobs are at risk", None, max_length=5000)
    average_salary = _money("Average salary of the new jobs", "the average salary")

    def validate_threat_evidence(self, field):
        if self.jobs_safeguarded.number and not field.data:
            raise ValidationError("Enter the evidence that the safeguarded jobs are at risk")


class SpilloversSection(SectionForm):
    rd_spend = _money("Research and development spend", "the research and development spend",
                      description="Over the life of the project")
    university_collaborations = _count("Collaborations with universities", "the university collaborations")
    nhs_collaborations = _count("Collaborations with the NHS", "the NHS collaborations")
    collaboration_details = _long_text("Describe the collaborations", None, max_length=3000)
    training_places = _count("Training places", "the training places",
                             description="Apprenticeships, graduate places and other training places the project creates")
    uk_supply_chain_spend = _money("Spend with UK suppliers", "the spend with UK suppliers")


class HealthResilienceSection(SectionForm):
    answer = _long_text("How will the project strengthen UK health resilience?",
                        "Explain how the project will strengthen UK health resilience",
                        description="The UK's ability to withstand and recover from health emergencies, long-term "
                                    "healthcare challenges and shocks such as supply chain disruption")


class NetZeroSection(SectionForm):
    answer = _long_text("How will the project reduce its environmental impact?",
                        "Explain how the project will reduce its environmental impact")


class DeliverySection(SectionForm):
    milestones = TextAreaField("Delivery milestones", widget=GovTextArea(),
                               description="One per line, with the month and year, for example: "
                                           "June 2027 – building complete",
                               validators=[Required("Enter the delivery milestones"),
                                           Length(max=5000, message="Delivery milestones must be 5,000 characters or fewer")])
    risks = TextAreaField("Main risks and how you will manage them", widget=GovTextArea(),
                          validators=[Required("Enter the main risks and how you will manage them"),
                                      Length(max=5000, message="Risks must be 5,000 characters or fewer")])


def _declaration(label: str) -> BooleanField:
    return BooleanField(label, widget=GovCheckboxInput(),
                        validators=[Required("Confirm each declaration to continue")])


class DeclarationsSection(SectionForm):
    accurate = _declaration("The information in this application is true and complete")
    subsidy = _declaration("We have declared all other public funding for this project and the organisation "
                           "in the last three financial years")
    minimum_necessary = _declaration("The grant requested is the minimum needed for the project to go ahead in the UK")
    data_sharing = _declaration("We agree that the Office for Life Sciences may share this application with "
                                "assessors and other government bodies")


class ProfileDatesForm(BaseForm):
    """The grant profile's first page: the project period its quarters come from."""

    revision = HiddenField()
    project_start = GovDateField("Project start date", name_in_errors="the project start date",
                                 description="When you will start spending on the project")
    project_completion = GovDateField("Project completion date", name_in_errors="the project completion date",
                                      description="When the project will be complete: the last quarter you can "
                                                  "claim grant for is the one this date is in")
    submit = SubmitField("Save and continue", widget=GovSubmitInput())


class ProfileQuartersForm(BaseForm, QuarterAmounts):
    """The grant profile's second page: the grant for each quarter (portfolio.forms.profiles.with_quarters)."""

    revision = HiddenField()
    submit = SubmitField("Save and continue", widget=GovSubmitInput())


class CostItemForm(BaseForm):
    category = SelectField("Category", choices=[SelectChoice("", "Select a category")] + COST_CATEGORIES,
                           validate_choice=False, widget=GovSelect(),
                           validators=[Required("Select the category"), ChoiceMessage("Select the category")])
    description = _text("Description", "Enter a description of the cost", max_length=500)
    amount = MoneyField("Amount", name_in_errors="the amount", allow_zero=False,
                        validators=[Required("Enter the amount")])
    is_capital = RadioField("Is this a capital cost?", choices=YES_NO, validate_choice=False, widget=GovRadioInput(),
                            validators=[Required("Select yes if this is a capital cost"),
                                        ChoiceMessage("Select yes if this is a capital cost")])
    is_eligible = RadioField("Is this an eligible cost?", choices=YES_NO, validate_choice=False,
                             widget=GovRadioInput(), description="Only eligible capital costs can be paid by the grant",
                             validators=[Required("Select yes if this is an eligible cost"),
                                         ChoiceMessage("Select yes if this is an eligible cost")])
    submit = SubmitField("Add cost", widget=GovSubmitInput())


class ReturnForm(BaseForm):
    reason = TextAreaField("What needs to change?", widget=GovCharacterCount(),
                           description="The company will see this",
                           validators=[Required("Enter what needs to change"),
                                       Length(max=5000, message="The reason must be 5,000 characters or fewer")])
    submit = SubmitField("Return for changes", widget=GovSubmitInput())


# The questions of each task-list section that is a page of questions (portfolio.services.applications.SECTIONS).
SECTION_FORMS: dict[str, type[SectionForm]] = {
    "organisation": OrganisationSection, "project": ProjectSection, "products": ProductsSection,
    "funding": FundingSection, "jobs": JobsSection, "spillovers": SpilloversSection,
    "health_resilience": HealthResilienceSection, "net_zero": NetZeroSection, "delivery": DeliverySection,
    "declarations": DeclarationsSection,
}
