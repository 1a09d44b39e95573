"""Enumerations stored as strings: roles, regions and statuses."""

from enum import StrEnum


class Role(StrEnum):
    APPLICANT = "applicant"
    ASSESSOR = "assessor"
    FUND_MANAGER = "fund_manager"
    ACCOUNT_MANAGER = "account_manager"
    FINANCE = "finance"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def is_staff(self) -> bool:
        return self is not Role.APPLICANT


ROLE_LABELS = {
    Role.APPLICANT: "Company user",
    Role.ASSESSOR: "Assessor",
    Role.FUND_MANAGER: "Fund manager",
    Role.ACCOUNT_MANAGER: "Account manager",
    Role.FINANCE: "Finance",
    Role.ADMIN: "Administrator",
}

STAFF_ROLES = tuple(role for role in Role if role.is_staff)


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


class DocumentKind(StrEnum):
    ORGANISATION_SUMMARY = "organisation_summary"
    APPLICATION_SUMMARY = "application_summary"

    @property
    def label(self) -> str:
        return {DocumentKind.ORGANISATION_SUMMARY: "Organisation summary",
                DocumentKind.APPLICATION_SUMMARY: "Application summary"}[self]


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


class ApplicationStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"

    @property
    def label(self) -> str:
        return {ApplicationStatus.DRAFT: "In progress", ApplicationStatus.SUBMITTED: "Submitted"}[self]


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
