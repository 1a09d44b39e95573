"""marshmallow schemas for the JSON API: what each resource looks like on the wire.

Money is a decimal string with two places ("1234.50"), never a JSON number, so no client reads
it through a binary float; FTEs and rates are decimal strings too. Dates are ISO 8601, times
ISO 8601 in UTC. The same schemas describe the OpenAPI document (openapi.py), so the two
cannot drift apart.
"""

from marshmallow import Schema, fields, post_dump

from portfolio.dates import uk_today
from portfolio.models import (
    ApplicationStatus,
    AwardStatus,
    ClaimStatus,
    Cluster,
    OfferStatus,
    PaymentKind,
    Rag,
    Region,
    ReturnKind,
    ReturnStatus,
    SubsidyCategory,
    VariationKind,
    VariationStatus,
)
from portfolio.models.monitoring import COUNTS, FIGURES, FTES


class DecimalString(fields.Decimal):
    """A Decimal written as a string with exactly `places` decimal places, and described in
    OpenAPI as `type: string, format: decimal` with a pattern (openapi.py maps the class)."""

    def __init__(self, places: int, **kwargs) -> None:
        metadata = {"pattern": rf"^-?[0-9]+\.[0-9]{{{places}}}$", **kwargs.pop("metadata", {})}
        super().__init__(places=places, as_string=True, metadata=metadata, **kwargs)


class Money(DecimalString):
    """Pounds and pence: "1234.50"."""

    def __init__(self, **kwargs) -> None:
        metadata = {"example": "1250000.00", **kwargs.pop("metadata", {})}
        super().__init__(2, metadata=metadata, **kwargs)


def _money(description: str, **kwargs) -> Money:
    return Money(metadata={"description": description}, **kwargs)


def _enum(enum_cls, description: str, **kwargs) -> fields.Enum:
    return fields.Enum(enum_cls, by_value=fields.String, metadata={"description": description}, **kwargs)


_ID = {"minimum": 1}


def _id(description: str, **kwargs) -> fields.Integer:
    return fields.Integer(metadata={"description": description, **_ID}, **kwargs)


# --- envelopes ----------------------------------------------------------------------------------

class PageMetaSchema(Schema):
    page = fields.Integer(required=True, metadata={"minimum": 1})
    per_page = fields.Integer(required=True, metadata={"minimum": 1, "maximum": 200})
    total = fields.Integer(required=True, metadata={"minimum": 0, "description": "Items in every page"})
    pages = fields.Integer(required=True, metadata={"minimum": 0})


class PageLinksSchema(Schema):
    self = fields.String(required=True)
    next = fields.String(required=True, allow_none=True)
    prev = fields.String(required=True, allow_none=True)


class ErrorSchema(Schema):
    error = fields.String(required=True, metadata={"description": "The HTTP status name"})
    status = fields.Integer(required=True)
    message = fields.String(metadata={"description": "What was wrong, in words"})


def page_schema(item_schema: type[Schema]) -> type[Schema]:
    """`{"data": [...], "meta": {...}, "links": {...}}` for a list of `item_schema`."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    return type(name, (Schema,), {
        "data": fields.List(fields.Nested(item_schema), required=True),
        "meta": fields.Nested(PageMetaSchema, required=True),
        "links": fields.Nested(PageLinksSchema, required=True),
    })


def item_schema(schema: type[Schema]) -> type[Schema]:
    """`{"data": {...}}` for one resource."""
    name = schema.__name__.removesuffix("Schema") + "ItemSchema"
    return type(name, (Schema,), {"data": fields.Nested(schema, required=True)})


# --- resources ----------------------------------------------------------------------------------

class OrganisationSchema(Schema):
    id = _id("The organisation's id", required=True)
    name = fields.String(required=True)
    company_number = fields.String(required=True, metadata={"description": "Companies House number"})
    postcode = fields.String(required=True)
    region = _enum(Region, "ITL1 region code", required=True)
    region_name = fields.Function(lambda o: o.region.label, required=True, metadata={"type": "string"})
    created_at = fields.DateTime(required=True)


class ApplicationSchema(Schema):
    id = _id("The application's id", required=True)
    fund_id = _id("The fund", required=True)
    round_id = _id("The round", required=True)
    organisation_id = _id("The applicant organisation", required=True)
    status = _enum(ApplicationStatus, "Where the application is", required=True)
    version_number = fields.Integer(required=True, metadata={"description": "The submitted version"})
    project_title = fields.String(required=True)
    region = _enum(Region, "ITL1 region code of the site", required=True, allow_none=True)
    cluster = _enum(Cluster, "Life Sciences cluster", required=True, allow_none=True)
    product_type = fields.String(required=True, allow_none=True)
    company_size = fields.String(required=True, allow_none=True)
    total_project_cost = _money("Total project cost", required=True)
    eligible_capital_cost = _money("Eligible capital costs", required=True)
    grant_requested = _money("Grant requested", required=True, allow_none=True)
    private_investment = _money("Private investment the project brings", required=True, allow_none=True)
    weighted_score = DecimalString(2, required=True, allow_none=True,
                                   metadata={"description": "Weighted assessment score (moderated where moderated)"})
    submitted_at = fields.DateTime(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class OfferSchema(Schema):
    status = _enum(OfferStatus, "The company's answer", required=True)
    contracted_private_investment = _money("Private investment the company contracted to", required=True)
    jobs_created = DecimalString(1, required=True, metadata={"description": "Jobs to be created (FTE)"})
    jobs_safeguarded = DecimalString(1, required=True, metadata={"description": "Jobs to be safeguarded (FTE)"})
    project_start = fields.Date(required=True, allow_none=True)
    project_completion = fields.Date(required=True, allow_none=True)
    issued_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(required=True)
    responded_at = fields.DateTime(required=True, allow_none=True)


class AwardSchema(Schema):
    id = _id("The award's id", required=True)
    application_id = _id("The application it funds", required=True)
    fund_id = _id("The fund", required=True)
    round_id = _id("The round", required=True)
    organisation_id = _id("The organisation funded", required=True)
    amount = _money("The grant awarded", required=True)
    status = _enum(AwardStatus, "Where the money sits in the budget ledger", required=True)
    decided_at = fields.DateTime(required=True)
    cumulative_subsidy = _money("Cumulative subsidy at the decision", required=True)
    subsidy_category = _enum(SubsidyCategory, "Subsidy control category", required=True)
    transparency_due_on = fields.Date(required=True, allow_none=True)
    transparency_uploaded_on = fields.Date(required=True, allow_none=True)
    transparency_reference = fields.String(required=True, allow_none=True)
    clawback_flagged_at = fields.DateTime(required=True, allow_none=True)
    clawback_shortfall = DecimalString(4, required=True, allow_none=True,
                                       metadata={"description": "Largest shortfall against the contract (0 to 1)"})
    clawback_amount = _money("Grant paid times the shortfall", required=True, allow_none=True)
    offer = fields.Nested(OfferSchema, required=True, allow_none=True)


class ClaimItemSchema(Schema):
    id = _id("The cost's id", required=True)
    description = fields.String(required=True)
    invoice_reference = fields.String(required=True)
    defrayed_on = fields.Date(required=True, metadata={"description": "When the cost was paid"})
    amount = _money("Eligible capital cost claimed", required=True)
    approved_amount = _money("What finance approved", required=True, allow_none=True)


class ClaimSchema(Schema):
    id = _id("The claim's id", required=True)
    award_id = _id("The award claimed against", required=True)
    number = fields.Integer(required=True, metadata={"description": "The award's claim number"})
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    status = _enum(ClaimStatus, "Where the claim is", required=True)
    claimed = _money("Total of the costs claimed", required=True)
    approved_costs = _money("Eligible costs finance approved", required=True, allow_none=True)
    grant_due = _money("Grant due on the approved costs", required=True, allow_none=True)
    retention = _money("Held back until the completion return is verified", required=True, allow_none=True)
    payable = _money("Grant due less the retention", required=True, allow_none=True)
    submitted_at = fields.DateTime(required=True, allow_none=True)
    reviewed_at = fields.DateTime(required=True, allow_none=True)


class ClaimDetailSchema(ClaimSchema):
    items = fields.List(fields.Nested(ClaimItemSchema), required=True)


class PaymentSchema(Schema):
    id = _id("The payment's id", required=True)
    award_id = _id("The award paid", required=True)
    claim_id = _id("The claim paid (none for a retention release)", required=True, allow_none=True)
    kind = _enum(PaymentKind, "A claim's payable grant, or the retention released", required=True)
    amount = _money("Amount paid", required=True)
    paid_on = fields.Date(required=True)
    reference = fields.String(required=True)
    created_at = fields.DateTime(required=True)


def _figure(name: str, label: str, **kwargs) -> fields.Field:
    metadata = {"description": label}
    if name in COUNTS:
        return fields.Integer(metadata=metadata | {"minimum": 0}, **kwargs)
    if name in FTES:
        return DecimalString(1, metadata=metadata, **kwargs)
    return Money(metadata=metadata, **kwargs)


class Itself(fields.Nested):
    """A group of the object's own columns shown as one nested object (a return's figures)."""

    def get_value(self, obj, attr, accessor=None, default=None):
        return obj


FiguresSchema = type("FiguresSchema", (Schema,), {
    "__doc__": "What a submitted return reports.",
    **{name: _figure(name, label, required=True, allow_none=True) for name, label in FIGURES},
})


class MonitoringReturnSchema(Schema):
    id = _id("The return's id", required=True)
    award_id = _id("The award it reports on", required=True)
    number = fields.Integer(required=True)
    kind = _enum(ReturnKind, "Quarterly and completion returns in the build, then annual", required=True)
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    due_on = fields.Date(required=True)
    status = _enum(ReturnStatus, "Where the return is", required=True)
    overdue = fields.Function(lambda r: r.is_overdue(uk_today()), required=True, metadata={"type": "boolean"})
    figures = Itself(FiguresSchema, required=True, allow_none=True, metadata={
        "description": "The figures as submitted; null while the return is open or returned for changes "
                       "(until then they are the company's draft)"})
    rag = _enum(Rag, "The company's own RAG rating, once submitted", required=True, allow_none=True)
    narrative = fields.String(required=True, allow_none=True,
                              metadata={"description": "The company's account of progress, once submitted"})
    submitted_at = fields.DateTime(required=True, allow_none=True)
    verified_at = fields.DateTime(required=True, allow_none=True)

    @post_dump(pass_original=True)
    def _hide_drafts(self, data: dict, monitoring_return, **kwargs) -> dict:
        if not monitoring_return.is_frozen:
            data.update(figures=None, rag=None, narrative=None)
        return data




# --- leverage figures ---------------------------------------------------------------------------

def _ratio(description: str) -> DecimalString:
    return DecimalString(2, allow_none=True, metadata={"description": description})


def _fte(description: str) -> DecimalString:
    return DecimalString(1, metadata={"description": description})


class LeverageFiguresSchema(Schema):
    """portfolio.services.leverage.Figures: totals over a set of committed awards."""

    awards = fields.Integer(required=True, metadata={"minimum": 0})
    grant_committed = _money("Awards approved, offered or accepted", required=True)
    grant_paid = _money("Payments, including retention released", required=True)
    total_project_cost = _money("Of the projects", required=True)
    private_contracted = _money("Private investment in the offers (the applications' until an offer)",
                                required=True)
    private_actual = _money("Private investment in each award's latest verified return", required=True)
    leverage_contracted = _ratio("Private £ contracted per £1 of grant committed (null: no grant)")
    leverage_actual = _ratio("Private £ verified per £1 of grant paid (null: nothing paid)")
    project_cost_leverage = _ratio("Total project cost per £1 of grant committed")
    jobs_created_contracted = _fte("FTE")
    jobs_created_actual = _fte("FTE, latest verified returns")
    jobs_safeguarded_contracted = _fte("FTE")
    jobs_safeguarded_actual = _fte("FTE, latest verified returns")
    net_jobs_contracted = _fte("Jobs × the net factor of the additionality settings")
    net_jobs_actual = _fte("Jobs × the net factor of the additionality settings")
    cost_per_job_gross_contracted = _money("Grant committed ÷ jobs contracted", allow_none=True)
    cost_per_job_net_contracted = _money("Grant committed ÷ net jobs contracted", allow_none=True)
    cost_per_job_gross_actual = _money("Grant paid ÷ jobs verified", allow_none=True)
    cost_per_job_net_actual = _money("Grant paid ÷ net jobs verified", allow_none=True)
    rd_spend = _money("R&D spend, all verified returns", required=True)
    collaborations = fields.Integer(required=True, metadata={"minimum": 0})
    patents_filed = fields.Integer(required=True, metadata={"minimum": 0})
    training_places = fields.Integer(required=True, metadata={"minimum": 0})
    supply_chain_spend = _money("UK supply-chain spend, all verified returns", required=True)
    # The contracted figures above are as varied (each award's current terms); these are as first offered.
    awards_varied = fields.Integer(required=True, metadata={"minimum": 0,
                                                            "description": "Awards whose terms have been varied"})
    grant_committed_first = _money("Grant committed, as first offered", required=True)
    private_contracted_first = _money("Private investment contracted, as first offered", required=True)
    leverage_contracted_first = _ratio("Private £ per £1 of grant, as first offered")
    jobs_created_contracted_first = _fte("FTE, as first offered")
    jobs_safeguarded_contracted_first = _fte("FTE, as first offered")


class LeverageGroupSchema(LeverageFiguresSchema):
    group = fields.String(required=True, metadata={"description": "The region, cluster or financial year"})


class AdditionalitySchema(Schema):
    deadweight = DecimalString(4, required=True)
    leakage = DecimalString(4, required=True)
    displacement = DecimalString(4, required=True)
    substitution = DecimalString(4, required=True)
    multiplier = DecimalString(2, required=True)
    net_factor = DecimalString(6, required=True, metadata={"description": "The product the net figures use"})
    version = fields.Integer(required=True, allow_none=True,
                             metadata={"description": "The saved settings version (null: illustrative defaults)"})
    description = fields.String(required=True)


class LeverageSchema(Schema):
    filters = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True,
                          metadata={"description": "The filters applied"})
    settings = fields.Nested(AdditionalitySchema, required=True)
    total = fields.Nested(LeverageFiguresSchema, required=True)
    by_region = fields.List(fields.Nested(LeverageGroupSchema), required=True)
    by_cluster = fields.List(fields.Nested(LeverageGroupSchema), required=True)
    by_financial_year = fields.List(fields.Nested(LeverageGroupSchema), required=True)


# --- Large Investment Portfolio cases -----------------------------------------------------------

class LipCaseSchema(Schema):
    """A case's headline figures. Negotiation notes, meetings, risks and documents stay in Portfolio."""

    id = _id("The case's id", required=True)
    reference = fields.String(required=True, metadata={"example": "LIP-00001"})
    organisation_id = _id("The company's organisation id", required=True)
    title = fields.String(required=True)
    sector = fields.Function(lambda case: case.sector.value, required=True, metadata={"type": "string"})
    stage = fields.Function(lambda case: case.stage.value, required=True, metadata={"type": "string"})
    stage_entered_at = fields.DateTime(required=True)
    target_decision_on = fields.Date(required=True, allow_none=True)
    total_investment = _money("The investment, over £250m", required=True)
    expected_jobs_created = DecimalString(1, required=True, metadata={"description": "FTE"})
    expected_jobs_safeguarded = DecimalString(1, required=True, metadata={"description": "FTE"})
    expected_rd_spend = _money("Expected R&D spend", required=True)
    regions = fields.Function(lambda case: [site.region.value for site in case.sites], required=True,
                              metadata={"type": "array", "items": {"type": "string"},
                                        "description": "ITL1 region of each site"})
    offer_total = _money("The UK offer: proposed and agreed components", required=True,
                         attribute="package.total")
    offer_agreed = _money("The agreed components", required=True, attribute="package.agreed")
    public_share = DecimalString(2, required=True, allow_none=True, attribute="package.public_share",
                                 metadata={"description": "The offer as a percentage of the investment"})


# --- Annex A: Actions 22 and 23 -----------------------------------------------------------------

class PartnershipYearSchema(Schema):
    financial_year = fields.String(required=True, metadata={"example": "2025/26"})
    partnerships = fields.Integer(required=True, metadata={"minimum": 0, "description": "New partnerships signed"})
    investment_committed = _money("Investment committed by them", required=True)
    investment_secured = _money("Investment they secured by the end of the requested year", required=True)
    target_met = fields.Boolean(required=True, metadata={"description": "At least one new partnership"})


class Action22Schema(Schema):
    """portfolio.services.partnerships.Action22."""

    new_partnerships = fields.Integer(required=True, metadata={"minimum": 0})
    investment_committed = _money("Investment committed by the partnerships signed in the year", required=True)
    investment_secured = _money("Investment they secured by the end of the year", required=True)
    partnerships_to_date = fields.Integer(required=True, metadata={"minimum": 0})
    investment_secured_to_date = _money("Investment secured by every partnership signed by the year end",
                                        required=True)
    spending_review = fields.List(fields.Nested(PartnershipYearSchema), required=True)


class Action23Schema(Schema):
    """portfolio.services.scaleups.Action23, from confirmed quarterly snapshots."""

    cohort_companies = fields.Integer(required=True, metadata={"minimum": 0})
    ftse_350 = fields.Integer(required=True, metadata={"minimum": 0})
    ipos_lse = fields.Integer(required=True, metadata={"minimum": 0})
    ipos_overseas = fields.Integer(required=True, metadata={"minimum": 0})
    ipo_amount_lse = _money("Raised by IPOs on the London Stock Exchange (main market and AIM)", required=True)
    ipo_amount_overseas = _money("Raised by IPOs on overseas markets", required=True)
    ipo_amount = _money("Raised by IPOs overall", required=True)
    sme_employees = fields.Integer(required=True, metadata={"minimum": 0,
                                                            "description": "UK employees of cohort SMEs"})
    sme_companies = fields.Integer(required=True, metadata={"minimum": 0})


class AnnexASchema(Schema):
    financial_year = fields.String(required=True, metadata={"example": "2026/27"})
    action_22 = fields.Nested(Action22Schema, required=True)
    action_23 = fields.Nested(Action23Schema, required=True)


# --- money over time: profiles, terms, forecasts, variations, budgets -----------------------------

class QuarterAmountSchema(Schema):
    quarter_start = fields.Date(required=True, metadata={"description": "1 April, 1 July, 1 October or 1 January"})
    quarter = fields.String(required=True, metadata={"example": "2026/27 Q1"})
    financial_year = fields.String(required=True, metadata={"example": "2026/27"})
    amount = _money("Grant in the quarter", required=True)


class YearAmountSchema(Schema):
    financial_year = fields.String(required=True, metadata={"example": "2026/27"})
    amount = _money("Grant in the financial year (April to March)", required=True)


def _by_quarter(description: str) -> fields.List:
    return fields.List(fields.Nested(QuarterAmountSchema), required=True, metadata={"description": description})


def _by_year(description: str) -> fields.List:
    return fields.List(fields.Nested(YearAmountSchema), required=True, metadata={"description": description})


class ChangeSchema(Schema):
    """One term that changed, with its value before and after, written as the API writes that kind of value."""

    field = fields.String(required=True, metadata={
        "description": "The term (amount, project_completion, ...; `profile 2026/27` for a year of the profile)"})
    label = fields.String(required=True, metadata={"example": "Completion date"})
    type = fields.String(required=True, metadata={
        "enum": ["money", "fte", "date", "text", "id"],
        "description": "How `before` and `after` are written: money with two decimal places, FTE with one, "
                       "dates ISO 8601, an organisation's id, or text"})
    before = fields.String(required=True, allow_none=True)
    after = fields.String(required=True, allow_none=True)


class ProfileSchema(Schema):
    """An award's agreed grant profile: that of the latest version of its terms (until the offer is issued,
    the profile approved with the award)."""

    award_id = _id("The award", required=True)
    terms_version = fields.Integer(required=True, metadata={"minimum": 1,
                                                            "description": "The version of the terms it belongs to"})
    amount = _money("The grant (current terms)", required=True)
    project_start = fields.Date(required=True, allow_none=True)
    project_completion = fields.Date(required=True, allow_none=True)
    total = _money("The profile's total: the grant, to the penny, once the offer is issued", required=True)
    by_quarter = _by_quarter("Grant by financial quarter, oldest first (quarters with no grant are left out)")
    by_financial_year = _by_year("Grant by financial year, oldest first")


class TermsVersionSchema(Schema):
    """One version of an award's terms: 1 as first offered, each later one made by an accepted variation."""

    id = _id("The version's id", required=True)
    award_id = _id("The award", required=True)
    version = fields.Integer(required=True, metadata={"minimum": 1})
    variation_id = _id("The variation that made it (null for version 1)", required=True, allow_none=True)
    created_at = fields.DateTime(required=True, metadata={"description": "When it was made"})
    current = fields.Boolean(required=True, metadata={"description": "The award's terms now"})
    amount = _money("The grant", required=True)
    project_start = fields.Date(required=True, allow_none=True)
    project_completion = fields.Date(required=True, allow_none=True)
    contracted_private_investment = _money("Private investment contracted", required=True, allow_none=True)
    jobs_created = DecimalString(1, required=True, allow_none=True, metadata={"description": "FTE contracted"})
    jobs_safeguarded = DecimalString(1, required=True, allow_none=True, metadata={"description": "FTE contracted"})
    milestones = fields.String(required=True, allow_none=True)
    scope = fields.String(required=True, allow_none=True)
    site = fields.String(required=True, allow_none=True)
    eligible_capital_cost = _money("Eligible capital costs", required=True, allow_none=True)
    organisation_id = _id("The company holding the award", required=True)
    company_name = fields.String(required=True, allow_none=True)
    subsidy_category = _enum(SubsidyCategory, "Subsidy control category", required=True, allow_none=True)
    cumulative_subsidy = _money("Cumulative subsidy", required=True, allow_none=True)
    changes = fields.List(fields.Nested(ChangeSchema), required=True,
                          metadata={"description": "What changed from the version before (empty for version 1)"})
    total = _money("The agreed profile's total", required=True)
    by_quarter = _by_quarter("The agreed profile by financial quarter")
    by_financial_year = _by_year("The agreed profile by financial year")


class ForecastSchema(Schema):
    """A company's forecast of the grant it will claim in the quarters still to come."""

    id = _id("The forecast's id", required=True)
    award_id = _id("The award", required=True)
    claim_id = _id("The claim it was made with (null: made between claims)", required=True, allow_none=True)
    made_with_claim = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True, metadata={"description": "When it was made"})
    latest = fields.Boolean(required=True, metadata={"description": "The award's latest forecast (the one that counts)"})
    note = fields.String(required=True)
    total = _money("Grant forecast in all its quarters", required=True)
    by_quarter = _by_quarter("Grant forecast by financial quarter")
    by_financial_year = _by_year("Grant forecast by financial year")


class VariationSchema(Schema):
    """A change to an accepted award, of one kind. Who did what inside OLS, the query loop's messages and
    the subsidy-control referral stay in Portfolio."""

    id = _id("The variation's id", required=True)
    award_id = _id("The award varied", required=True)
    reference = fields.String(required=True, metadata={"example": "LSIMF-00001-V1"})
    number = fields.Integer(required=True, metadata={"minimum": 1, "description": "The award's variation number"})
    kind = _enum(VariationKind, "What it changes", required=True)
    status = _enum(VariationStatus, "Where it is", required=True)
    reasons = fields.String(required=True, metadata={"description": "Why the company asks for it"})
    on_behalf = fields.Boolean(required=True, metadata={"description": "Requested by a fund manager for the company"})
    requested_at = fields.DateTime(required=True, attribute="created_at")
    needs_second_approval = fields.Boolean(required=True,
                                           metadata={"description": "Above the fund's threshold: two fund managers"})
    first_approved_at = fields.DateTime(required=True, allow_none=True)
    decided_at = fields.DateTime(required=True, allow_none=True, metadata={"description": "Approved or rejected"})
    decision_note = fields.String(required=True, allow_none=True)
    accepted_at = fields.DateTime(required=True, allow_none=True,
                                  metadata={"description": "When a company signatory accepted the amendment letter"})
    terms_version = fields.Integer(required=True, allow_none=True, metadata={
        "minimum": 2, "description": "The version of the award's terms it made, once accepted"})
    changes = fields.List(fields.Nested(ChangeSchema), required=True, metadata={
        "description": "Once accepted, what its version changed; until then, what it proposes against the "
                       "award's current terms"})


class LedgerYearSchema(Schema):
    financial_year = fields.String(required=True, metadata={"example": "2026/27", "description": "Or `Total`"})
    budget = _money("The fund's budget for the year", required=True)
    committed = _money("Agreed profiles of approved, offered and accepted awards", required=True)
    forecast = _money("Paid in past quarters, then the latest forecasts (profiles until a forecast)", required=True)
    paid = _money("Payments made", required=True)
    headroom = _money("Budget less committed", required=True)
    warning = fields.String(required=True, allow_none=True, metadata={
        "enum": ["under", "over", None],
        "description": "The forecast misses the budget by more than the fund's budget variance setting"})


class BudgetSchema(Schema):
    """A fund's budget by financial year and what each year's money is doing."""

    fund_id = _id("The fund", required=True)
    fund_code = fields.String(required=True, metadata={"example": "LSIMF"})
    fund_name = fields.String(required=True)
    by_year_budget_set = fields.Boolean(required=True, metadata={
        "description": "False while the fund has only a total budget (years then show no budget)"})
    budget_variance_rate = DecimalString(4, required=True, metadata={
        "description": "How far (0 to 1) a year's forecast may miss its budget before a warning"})
    budget_version_id = _id("The budget version in force", required=True, allow_none=True)
    not_profiled = _money("Committed by awards agreed before grant profiles existed", required=True)
    years = fields.List(fields.Nested(LedgerYearSchema), required=True)
    totals = fields.Nested(LedgerYearSchema, required=True)


class YearBudgetSchema(Schema):
    financial_year = fields.String(required=True, metadata={"example": "2026/27"})
    amount = _money("The budget for the year", required=True)


class BudgetVersionSchema(Schema):
    id = _id("The version's id", required=True)
    fund_id = _id("The fund", required=True)
    created_at = fields.DateTime(required=True)
    note = fields.String(required=True)
    total = _money("The years' budgets added up", required=True)
    years = fields.List(fields.Nested(YearBudgetSchema), required=True)
