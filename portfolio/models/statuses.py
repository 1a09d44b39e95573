"""Enumerations stored as strings: roles, regions and statuses."""

from enum import StrEnum

from portfolio.models.roles import Role  # noqa: F401  (re-exported: statuses and roles were one module)


# Company sizes (the application's organisation section; the reports filter by them).
COMPANY_SIZES = {"micro": "Micro", "small": "Small", "medium": "Medium", "large": "Large"}


class Region(StrEnum):
    """UK ITL1 regions (International Territorial Level 1, ONS)."""

    NORTH_EAST = "TLC"
    NORTH_WEST = "TLD"
    YORKSHIRE = "TLE"
    EAST_MIDLANDS = "TLF"
    WEST_MIDLANDS = "TLG"
    EAST = "TLH"
    LONDON = "TLI"
    SOUTH_EAST = "TLJ"
    SOUTH_WEST = "TLK"
    WALES = "TLL"
    SCOTLAND = "TLM"
    NORTHERN_IRELAND = "TLN"

    @property
    def label(self) -> str:
        return REGION_LABELS[self]


REGION_LABELS = {
    Region.NORTH_EAST: "North East",
    Region.NORTH_WEST: "North West",
    Region.YORKSHIRE: "Yorkshire and The Humber",
    Region.EAST_MIDLANDS: "East Midlands",
    Region.WEST_MIDLANDS: "West Midlands",
    Region.EAST: "East of England",
    Region.LONDON: "London",
    Region.SOUTH_EAST: "South East",
    Region.SOUTH_WEST: "South West",
    Region.WALES: "Wales",
    Region.SCOTLAND: "Scotland",
    Region.NORTHERN_IRELAND: "Northern Ireland",
}


class DocumentStatus(StrEnum):
    QUEUED = "queued"
    RENDERING = "rendering"
    READY = "ready"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in (DocumentStatus.READY, DocumentStatus.FAILED)

    @property
    def label(self) -> str:
        return {DocumentStatus.QUEUED: "waiting to be made", DocumentStatus.RENDERING: "being made",
                DocumentStatus.READY: "ready", DocumentStatus.FAILED: "failed"}[self]


class DocumentKind(StrEnum):
    ORGANISATION_SUMMARY = "organisation_summary"
    APPLICATION_SUMMARY = "application_summary"
    GRANT_OFFER_LETTER = "grant_offer_letter"
    MONITORING_RETURN = "monitoring_return"
    CLAIM_STATEMENT = "claim_statement"
    LEVERAGE_REPORT = "leverage_report"
    IMPLEMENTATION_UPDATE = "implementation_update"
    LIP_CASE_SUMMARY = "lip_case_summary"
    PARTNERSHIP_REPORT = "partnership_report"
    SCALEUP_PROFILE = "scaleup_profile"
    AMENDMENT_LETTER = "amendment_letter"

    @property
    def label(self) -> str:
        return {DocumentKind.ORGANISATION_SUMMARY: "Organisation summary",
                DocumentKind.APPLICATION_SUMMARY: "Application summary",
                DocumentKind.GRANT_OFFER_LETTER: "Grant offer letter",
                DocumentKind.MONITORING_RETURN: "Monitoring return",
                DocumentKind.CLAIM_STATEMENT: "Claim statement",
                DocumentKind.LEVERAGE_REPORT: "Leverage report",
                DocumentKind.IMPLEMENTATION_UPDATE: "Annual implementation update",
                DocumentKind.LIP_CASE_SUMMARY: "Large investment case summary",
                DocumentKind.PARTNERSHIP_REPORT: "Strategic partnership report",
                DocumentKind.SCALEUP_PROFILE: "Scale-up company profile",
                DocumentKind.AMENDMENT_LETTER: "Grant amendment letter"}[self]


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class ApplicantType(StrEnum):
    PRODUCT_DEVELOPER = "product_developer"
    CDMO = "cdmo"
    GENERICS_MANUFACTURER = "generics_manufacturer"

    @property
    def label(self) -> str:
        return {
            ApplicantType.PRODUCT_DEVELOPER: "Product developer",
            ApplicantType.CDMO: "Contract development and manufacturing organisation (CDMO)",
            ApplicantType.GENERICS_MANUFACTURER: "Generics or biosimilars manufacturer",
        }[self]


class ProductType(StrEnum):
    DRUG_SUBSTANCE = "drug_substance"
    DRUG_PRODUCT = "drug_product"
    DIAGNOSTICS = "diagnostics"
    MEDTECH = "medtech"

    @property
    def label(self) -> str:
        return {
            ProductType.DRUG_SUBSTANCE: "Human medicine: drug substance (active pharmaceutical ingredient)",
            ProductType.DRUG_PRODUCT: "Human medicine: drug product (finished medicine)",
            ProductType.DIAGNOSTICS: "Medical diagnostics",
            ProductType.MEDTECH: "MedTech (medical devices for human health)",
        }[self]


class ExcludedProduct(StrEnum):
    VETERINARY = "veterinary"
    HERBAL_VITAMINS = "herbal_vitamins"
    INPUT_MATERIALS = "input_materials"
    CONSUMABLES_EQUIPMENT = "consumables_equipment"

    @property
    def label(self) -> str:
        return {
            ExcludedProduct.VETERINARY: "Veterinary medicines",
            ExcludedProduct.HERBAL_VITAMINS: "Herbal supplements or vitamins",
            ExcludedProduct.INPUT_MATERIALS: "Input materials",
            ExcludedProduct.CONSUMABLES_EQUIPMENT: "Consumables or equipment supplied to manufacturers (for example vials or syringes)",
        }[self]


class EoiStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    INVITED = "invited"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return {
            EoiStatus.DRAFT: "Draft",
            EoiStatus.SUBMITTED: "Submitted",
            EoiStatus.INVITED: "Invited to apply",
            EoiStatus.DECLINED: "Not invited",
        }[self]

    @property
    def tag(self) -> str:
        """The GOV.UK tag colour it is shown in."""
        return {EoiStatus.INVITED: "govuk-tag--green", EoiStatus.DECLINED: "govuk-tag--red",
                EoiStatus.DRAFT: "govuk-tag--grey"}.get(self, "")


class ApplicationStatus(StrEnum):
    """PRODUCT.md §2.2. Moves only through portfolio.services.workflow.TRANSITIONS."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_ASSESSMENT = "in_assessment"
    MODERATED = "moderated"
    RECOMMENDED = "recommended"
    NOT_RECOMMENDED = "not_recommended"
    APPROVED = "approved"
    REJECTED = "rejected"
    OFFER_ISSUED = "offer_issued"
    OFFER_ACCEPTED = "offer_accepted"
    OFFER_EXPIRED = "offer_expired"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        """What OLS staff see."""
        return _APPLICATION_LABELS[self]

    @property
    def company_label(self) -> str:
        """What the company sees: the internal assessment stages are one stage to them."""
        if self in (ApplicationStatus.IN_ASSESSMENT, ApplicationStatus.MODERATED, ApplicationStatus.RECOMMENDED,
                    ApplicationStatus.NOT_RECOMMENDED):
            return "Being assessed"
        if self is ApplicationStatus.REJECTED:
            return "Not funded"
        if self is ApplicationStatus.APPROVED:
            return "Approved: offer being prepared"
        return _APPLICATION_LABELS[self]

    @property
    def company_tag(self) -> str:
        """The GOV.UK tag colour the company sees it in."""
        return {ApplicationStatus.DRAFT: "govuk-tag--blue", ApplicationStatus.REJECTED: "govuk-tag--red",
                ApplicationStatus.OFFER_EXPIRED: "govuk-tag--grey",
                ApplicationStatus.WITHDRAWN: "govuk-tag--grey"}.get(self, "govuk-tag--green")

    @property
    def submitted(self) -> bool:
        """Sent in by the company (and not returned to it for changes)."""
        return self is not ApplicationStatus.DRAFT

    @property
    def assessed(self) -> bool:
        """Past assessment: moderated, and recommended and decided from there."""
        return self not in (ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED, ApplicationStatus.IN_ASSESSMENT)


_APPLICATION_LABELS = {
    ApplicationStatus.DRAFT: "In progress",
    ApplicationStatus.SUBMITTED: "Submitted",
    ApplicationStatus.IN_ASSESSMENT: "In assessment",
    ApplicationStatus.MODERATED: "Moderated",
    ApplicationStatus.RECOMMENDED: "Recommended",
    ApplicationStatus.NOT_RECOMMENDED: "Not recommended",
    ApplicationStatus.APPROVED: "Approved",
    ApplicationStatus.REJECTED: "Rejected",
    ApplicationStatus.OFFER_ISSUED: "Offer issued",
    ApplicationStatus.OFFER_ACCEPTED: "Offer accepted",
    ApplicationStatus.OFFER_EXPIRED: "Offer expired",
    ApplicationStatus.WITHDRAWN: "Withdrawn",
}


class AssignmentStatus(StrEnum):
    AWAITING_DECLARATION = "awaiting_declaration"
    ACTIVE = "active"  # declared no conflict: may open and score
    CONFLICTED = "conflicted"  # declared a conflict: removed, the fund manager reassigns
    REMOVED = "removed"  # taken off by the fund manager after opening it (kept on record, never scored)

    @property
    def label(self) -> str:
        return {AssignmentStatus.AWAITING_DECLARATION: "Declare conflicts of interest",
                AssignmentStatus.ACTIVE: "Assigned",
                AssignmentStatus.CONFLICTED: "Conflict declared",
                AssignmentStatus.REMOVED: "Removed by the fund manager"}[self]

    @property
    def closed(self) -> bool:
        """The assessor no longer sees the application and does not count towards its assessors."""
        return self in (AssignmentStatus.CONFLICTED, AssignmentStatus.REMOVED)


class AwardStatus(StrEnum):
    """Where an award's money sits in the budget ledger."""

    APPROVED = "approved"  # committed
    OFFERED = "offered"
    ACCEPTED = "accepted"
    RELEASED = "released"  # offer declined, expired or withdrawn: the money is available again

    @property
    def label(self) -> str:
        return {AwardStatus.APPROVED: "Committed", AwardStatus.OFFERED: "Offered",
                AwardStatus.ACCEPTED: "Accepted", AwardStatus.RELEASED: "Released"}[self]


class OfferStatus(StrEnum):
    ISSUED = "issued"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"

    @property
    def label(self) -> str:
        return {OfferStatus.ISSUED: "Waiting for the company", OfferStatus.ACCEPTED: "Accepted",
                OfferStatus.DECLINED: "Declined", OfferStatus.EXPIRED: "Expired"}[self]


class Rag(StrEnum):
    RED = "red"
    AMBER = "amber"
    GREEN = "green"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class SubsidyCategory(StrEnum):
    """Subsidy Control Act 2022 s.11 regulations (DOMAIN-FACTS.md §2c)."""

    STANDARD = "standard"
    INTEREST = "interest"  # Subsidy of Interest: referral to the SAU optional
    PARTICULAR_INTEREST = "particular_interest"  # referral to the SAU mandatory before confirming

    @property
    def label(self) -> str:
        return {SubsidyCategory.STANDARD: "Neither of interest nor of particular interest",
                SubsidyCategory.INTEREST: "Subsidy of Interest",
                SubsidyCategory.PARTICULAR_INTEREST: "Subsidy of Particular Interest"}[self]


class ThresholdKey(StrEnum):
    """Subsidy control thresholds, each a dated setting (DOMAIN-FACTS.md §2a, §2c)."""

    TRANSPARENCY = "transparency"  # awards over this need a transparency database entry
    LARGE_SUBSIDY = "large_subsidy"  # "over £1m": the size at which SoI/SSoPI tests apply
    INTEREST_CUMULATIVE = "interest_cumulative"  # cumulative that makes a Subsidy of Interest
    PARTICULAR_CUMULATIVE = "particular_cumulative"  # cumulative that makes a Subsidy of Particular Interest
    SENSITIVE_CUMULATIVE = "sensitive_cumulative"  # the same, in a sensitive sector

    @property
    def label(self) -> str:
        return {
            ThresholdKey.TRANSPARENCY: "Transparency database entry needed for awards over",
            ThresholdKey.LARGE_SUBSIDY: "Interest tests apply to awards over",
            ThresholdKey.INTEREST_CUMULATIVE: "Subsidy of Interest: cumulative subsidies of at least",
            ThresholdKey.PARTICULAR_CUMULATIVE: "Subsidy of Particular Interest: cumulative subsidies of at least",
            ThresholdKey.SENSITIVE_CUMULATIVE: "Subsidy of Particular Interest in a sensitive sector: "
                                               "cumulative subsidies of at least",
        }[self]


class Cluster(StrEnum):
    """The ten Life Sciences city regions and clusters of the Sector Plan (section 3.1)."""

    SCOTLAND = "scotland"
    NORTH_EAST = "north_east"
    NORTHERN_IRELAND = "northern_ireland"
    YORKSHIRE = "yorkshire_humber"
    NORTH_WEST = "north_west"
    EAST_MIDLANDS = "east_midlands"
    WEST_MIDLANDS = "west_midlands"
    WALES = "wales"
    OXCAM = "oxford_cambridge"
    LONDON = "greater_london"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            Cluster.SCOTLAND: "Scotland (Dundee, Glasgow, Edinburgh and Aberdeen)",
            Cluster.NORTH_EAST: "North East (Tees Valley, North East)",
            Cluster.NORTHERN_IRELAND: "Northern Ireland (Belfast, Derry/Londonderry, Coleraine)",
            Cluster.YORKSHIRE: "Yorkshire and the Humber (West and South Yorkshire)",
            Cluster.NORTH_WEST: "North West (Greater Manchester, Liverpool City Region, Cheshire)",
            Cluster.EAST_MIDLANDS: "East Midlands",
            Cluster.WEST_MIDLANDS: "West Midlands",
            Cluster.WALES: "Wales (Cardiff, Swansea, Wrexham)",
            Cluster.OXCAM: "Oxford to Cambridge Growth Corridor",
            Cluster.LONDON: "Greater London",
            Cluster.OTHER: "None of these",
        }[self]


class ClaimStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"  # fully or partly: waiting for payment
    REJECTED = "rejected"
    PAID = "paid"

    @property
    def label(self) -> str:
        return {ClaimStatus.DRAFT: "Not submitted", ClaimStatus.SUBMITTED: "Waiting for finance",
                ClaimStatus.APPROVED: "Approved: payment due", ClaimStatus.REJECTED: "Rejected",
                ClaimStatus.PAID: "Paid"}[self]


class PaymentKind(StrEnum):
    CLAIM = "claim"
    RETENTION = "retention"  # the retention released once the completion return is verified


class ReturnKind(StrEnum):
    QUARTERLY = "quarterly"  # during the build
    COMPLETION = "completion"  # the last build-period return: its verification releases the retention
    ANNUAL = "annual"  # after completion, for the monitoring years

    @property
    def label(self) -> str:
        return {ReturnKind.QUARTERLY: "Quarterly", ReturnKind.COMPLETION: "Completion",
                ReturnKind.ANNUAL: "Annual"}[self]


class ReturnStatus(StrEnum):
    OPEN = "open"  # not submitted yet (a draft may be saved)
    SUBMITTED = "submitted"  # waiting for a fund or account manager
    RETURNED = "returned"  # sent back with reasons: the company corrects and resubmits
    VERIFIED = "verified"  # frozen

    @property
    def label(self) -> str:
        return {ReturnStatus.OPEN: "Not submitted", ReturnStatus.SUBMITTED: "Waiting for verification",
                ReturnStatus.RETURNED: "Returned for changes", ReturnStatus.VERIFIED: "Verified"}[self]


class VariationKind(StrEnum):
    """What a variation changes in an accepted award's terms (portfolio.services.variations)."""

    TIME_EXTENSION = "time_extension"  # the completion date, and with it the return schedule
    REPROFILE = "reprofile"  # the grant moved between financial years
    MILESTONES = "milestones"
    SCOPE = "scope"  # the scope or site, with any change in the eligible costs
    GRANT_AMOUNT = "grant_amount"  # an increase (subsidy control, budget) or a decrease (money released)
    COMPANY = "company"  # the company's details, or its ownership (novation to a new company number)

    @property
    def label(self) -> str:
        return {VariationKind.TIME_EXTENSION: "Time extension", VariationKind.REPROFILE: "Re-profiling between years",
                VariationKind.MILESTONES: "Milestone change", VariationKind.SCOPE: "Change of scope or site",
                VariationKind.GRANT_AMOUNT: "Change of grant amount",
                VariationKind.COMPANY: "Change of company details or ownership"}[self]


class VariationStatus(StrEnum):
    REQUESTED = "requested"  # with the fund manager
    QUERIED = "queried"  # with the company, to answer the fund manager's query
    AWAITING_SECOND_APPROVAL = "awaiting_second_approval"
    APPROVED = "approved"  # the amendment letter waits for a company signatory
    ACCEPTED = "accepted"  # the award's terms have a new version
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return {VariationStatus.REQUESTED: "With the fund manager", VariationStatus.QUERIED: "Queried",
                VariationStatus.AWAITING_SECOND_APPROVAL: "Waiting for a second approval",
                VariationStatus.APPROVED: "Approved: waiting for the company to accept",
                VariationStatus.ACCEPTED: "Accepted", VariationStatus.REJECTED: "Rejected",
                VariationStatus.WITHDRAWN: "Withdrawn"}[self]

    @property
    def is_open(self) -> bool:
        return self in (VariationStatus.REQUESTED, VariationStatus.QUERIED,
                        VariationStatus.AWAITING_SECOND_APPROVAL, VariationStatus.APPROVED)


# --- Large Investment Portfolio (PRODUCT.md §3) ------------------------------------------------------

class LipStage(StrEnum):
    """A case's stage. Moves only through portfolio.services.lip.STAGE_TRANSITIONS."""

    ENQUIRY = "enquiry"
    QUALIFICATION = "qualification"
    PROPOSITION = "proposition"
    NEGOTIATION = "negotiation"
    APPROVALS = "approvals"
    AGREED = "agreed"
    DELIVERY = "delivery"
    CLOSED = "closed"
    LOST = "lost"  # the investor went elsewhere (another country, say)
    WITHDRAWN = "withdrawn"  # the investor or OLS stopped pursuing it

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def is_open(self) -> bool:
        return self not in (LipStage.CLOSED, LipStage.LOST, LipStage.WITHDRAWN)


class LipSector(StrEnum):
    PHARMACEUTICALS = "pharmaceuticals"
    BIOLOGICS = "biologics"
    ADVANCED_THERAPIES = "advanced_therapies"
    VACCINES = "vaccines"
    MEDTECH = "medtech"
    DIAGNOSTICS = "diagnostics"
    RESEARCH = "research"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {LipSector.PHARMACEUTICALS: "Pharmaceuticals (small molecules)",
                LipSector.BIOLOGICS: "Biologics and biosimilars",
                LipSector.ADVANCED_THERAPIES: "Cell and gene therapies",
                LipSector.VACCINES: "Vaccines",
                LipSector.MEDTECH: "MedTech",
                LipSector.DIAGNOSTICS: "Diagnostics",
                LipSector.RESEARCH: "Research and development",
                LipSector.OTHER: "Other life sciences"}[self]


class LipComponentKind(StrEnum):
    """A part of the UK offer."""

    LSIMF_GRANT = "lsimf_grant"
    RD_GRANT = "rd_grant"
    BRITISH_BUSINESS_BANK = "british_business_bank"
    NATIONAL_WEALTH_FUND = "national_wealth_fund"
    UK_EXPORT_FINANCE = "uk_export_finance"
    SKILLS = "skills"
    PLANNING = "planning"
    ENERGY = "energy"
    REGULATORY = "regulatory"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _COMPONENT_LABELS[self][0]

    @property
    def default_owner(self) -> str:
        return _COMPONENT_LABELS[self][1]


_COMPONENT_LABELS = {
    LipComponentKind.LSIMF_GRANT: ("LSIMF grant", "Office for Life Sciences"),
    LipComponentKind.RD_GRANT: ("R&D grant", "Innovate UK"),
    LipComponentKind.BRITISH_BUSINESS_BANK: ("British Business Bank", "British Business Bank"),
    LipComponentKind.NATIONAL_WEALTH_FUND: ("National Wealth Fund", "National Wealth Fund"),
    LipComponentKind.UK_EXPORT_FINANCE: ("UK Export Finance", "UK Export Finance"),
    LipComponentKind.SKILLS: ("Skills", "Department for Education"),
    LipComponentKind.PLANNING: ("Planning", "Local planning authority"),
    LipComponentKind.ENERGY: ("Energy", "Department for Energy Security and Net Zero"),
    LipComponentKind.REGULATORY: ("Regulatory engagement", "MHRA"),
    LipComponentKind.OTHER: ("Other", ""),
}


class LipComponentStatus(StrEnum):
    PROPOSED = "proposed"
    AGREED = "agreed"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class LipApprovalKind(StrEnum):
    BUSINESS_CASE = "business_case"
    HM_TREASURY = "hm_treasury"
    MINISTERIAL = "ministerial"
    SUBSIDY_CONTROL = "subsidy_control"

    @property
    def label(self) -> str:
        return {LipApprovalKind.BUSINESS_CASE: "Business case",
                LipApprovalKind.HM_TREASURY: "HM Treasury",
                LipApprovalKind.MINISTERIAL: "Ministerial",
                LipApprovalKind.SUBSIDY_CONTROL: "Subsidy control"}[self]


class LipApprovalStatus(StrEnum):
    OUTSTANDING = "outstanding"
    APPROVED = "approved"
    REFUSED = "refused"
    NOT_NEEDED = "not_needed"

    @property
    def label(self) -> str:
        return {LipApprovalStatus.OUTSTANDING: "Outstanding", LipApprovalStatus.APPROVED: "Approved",
                LipApprovalStatus.REFUSED: "Refused", LipApprovalStatus.NOT_NEEDED: "Not needed"}[self]


# --- Strategic partnerships (PRODUCT.md §4) ----------------------------------------------------------

class PartnershipStatus(StrEnum):
    """Moves only through portfolio.services.partnerships.STATUS_TRANSITIONS."""

    NEGOTIATING = "negotiating"
    ACTIVE = "active"
    COMPLETED = "completed"
    TERMINATED = "terminated"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def is_open(self) -> bool:
        """Still being negotiated or delivered: its commitments and progress can change."""
        return self in (PartnershipStatus.NEGOTIATING, PartnershipStatus.ACTIVE)


class CommitmentMeasure(StrEnum):
    INVESTMENT = "investment"
    JOBS = "jobs"
    RD_SPEND = "rd_spend"
    PATIENTS = "patients"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {CommitmentMeasure.INVESTMENT: "Investment (£)", CommitmentMeasure.JOBS: "Jobs",
                CommitmentMeasure.RD_SPEND: "R&D spend (£)", CommitmentMeasure.PATIENTS: "Patients or trials",
                CommitmentMeasure.OTHER: "Other"}[self]

    @property
    def is_money(self) -> bool:
        return self in (CommitmentMeasure.INVESTMENT, CommitmentMeasure.RD_SPEND)


# --- Scale-up company service (PRODUCT.md §5) ------------------------------------------------------

class EngagementKind(StrEnum):
    MEETING = "meeting"
    CALL = "call"
    REFERRAL = "referral"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class ReferralBody(StrEnum):
    BRITISH_BUSINESS_BANK = "british_business_bank"
    UK_EXPORT_FINANCE = "uk_export_finance"
    OFFICE_FOR_INVESTMENT = "office_for_investment"
    MHRA = "mhra"
    NICE = "nice"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {ReferralBody.BRITISH_BUSINESS_BANK: "British Business Bank",
                ReferralBody.UK_EXPORT_FINANCE: "UK Export Finance",
                ReferralBody.OFFICE_FOR_INVESTMENT: "Office for Investment", ReferralBody.MHRA: "MHRA",
                ReferralBody.NICE: "NICE", ReferralBody.OTHER: "Other"}[self]


class ListingStatus(StrEnum):
    PRIVATE = "private"
    AIM = "aim"
    LSE_MAIN = "lse_main"
    FTSE_350 = "ftse_350"
    OVERSEAS = "overseas"

    @property
    def label(self) -> str:
        return {ListingStatus.PRIVATE: "Private", ListingStatus.AIM: "AIM",
                ListingStatus.LSE_MAIN: "LSE main market", ListingStatus.FTSE_350: "FTSE 350",
                ListingStatus.OVERSEAS: "Overseas exchange"}[self]


class IpoVenue(StrEnum):
    """Where an IPO was: the London Stock Exchange (main market or AIM) or an overseas exchange."""

    LSE_MAIN = "lse_main"
    AIM = "aim"
    OVERSEAS = "overseas"

    @property
    def label(self) -> str:
        return {IpoVenue.LSE_MAIN: "LSE main market", IpoVenue.AIM: "AIM (London Stock Exchange)",
                IpoVenue.OVERSEAS: "Overseas exchange"}[self]

    @property
    def on_lse(self) -> bool:
        return self is not IpoVenue.OVERSEAS


class SnapshotStatus(StrEnum):
    SUBMITTED = "submitted"  # by the company: waits for the account manager
    CONFIRMED = "confirmed"

    @property
    def label(self) -> str:
        return {SnapshotStatus.SUBMITTED: "Waiting for confirmation", SnapshotStatus.CONFIRMED: "Confirmed"}[self]


class DecisionStatus(StrEnum):
    """Where the recommendation and decision on an application stand."""

    RECOMMENDED = "recommended"
    NOT_RECOMMENDED = "not_recommended"
    AWAITING_SECOND_APPROVAL = "awaiting_second_approval"  # first approval given above the threshold
    APPROVED = "approved"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return {DecisionStatus.RECOMMENDED: "Recommended", DecisionStatus.NOT_RECOMMENDED: "Not recommended",
                DecisionStatus.AWAITING_SECOND_APPROVAL: "Waiting for a second approval",
                DecisionStatus.APPROVED: "Approved", DecisionStatus.REJECTED: "Rejected"}[self]

    @property
    def decided(self) -> bool:
        return self in (DecisionStatus.APPROVED, DecisionStatus.REJECTED)


class PaymentStatus(StrEnum):
    PAID = "paid"  # recorded by finance as paid

    @property
    def label(self) -> str:
        return "Paid"


class MembershipStatus(StrEnum):
    """A company's place in the scale-up cohort."""

    ACTIVE = "active"
    LEFT = "left"

    @property
    def label(self) -> str:
        return {MembershipStatus.ACTIVE: "In the cohort", MembershipStatus.LEFT: "Left the cohort"}[self]


class CommitmentStatus(StrEnum):
    """A partnership commitment: being delivered, met, or withdrawn (with the reason)."""

    OPEN = "open"
    MET = "met"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return {CommitmentStatus.OPEN: "In progress", CommitmentStatus.MET: "Met",
                CommitmentStatus.WITHDRAWN: "Withdrawn"}[self]
