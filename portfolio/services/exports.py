"""Exports of awarded grants (PRODUCT.md §6): a 360Giving data package (JSON) and the UK Subsidy
Database upload file (CSV).

360Giving: every LSIMF award whose offer the company **accepted** (`AwardStatus.ACCEPTED`). An
award that is only approved or offered is not a grant yet: the company may still decline it or
let it expire (its money is then released), and 360Giving publishes grants made, so it joins the
file once the offer is accepted. The package is checked against the official schema
(`portfolio/data/360giving/`, validated offline) and against the rules the schema cannot express
(organisation identifiers, company numbers, unique grant ids); any problem refuses the whole
export, naming the grant, so nothing half-right is ever published.

UK Subsidy Database: every award whose transparency entry is still to be made
(`subsidy.transparency_due`: due date set, not marked uploaded, award not released). Columns A to
T follow the database's bulk upload template, in its order and with its option values; the last
columns are extra facts from DOMAIN-FACTS.md §2d that the template does not hold, and our own
reference for checking. Money is a plain decimal string with 2 decimal places.
"""

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy.orm import Session

from portfolio import spreadsheets
from portfolio.dates import UK, uk_today
from portfolio.models import Award, AwardStatus, ProductType, Region
from portfolio.models.base import utcnow
from portfolio.references import reference
from portfolio.services import claims, subsidy
from portfolio.services.errors import DomainError

PENNY = Decimal("0.01")

# --- 360Giving ------------------------------------------------------------------------------------

SCHEMA_FOLDER = Path(__file__).resolve().parent.parent / "data" / "360giving"
# The package schema's items $ref names the 1.4.2 grant schema; the file we hold is 1.4.3 (its $id).
GRANT_SCHEMA_URLS = (
    "https://raw.githubusercontent.com/ThreeSixtyGiving/standard/1.4.2/schema/360-giving-schema.json",
    "https://raw.githubusercontent.com/ThreeSixtyGiving/standard/1.4.3/schema/360-giving-schema.json",
)
SCHEMA_VERSION = "1.4"

# 360Giving issues each publisher a "360G-…" prefix when it registers; until OLS has one, grant ids
# use 360G-OLS. The rest of the id is our own reference (LSIMF-00001, the application number), so a
# grant keeps its id for ever, whatever else changes.
GRANT_ID_PREFIX = "360G-OLS"

# The funder: the Office for Life Sciences' own entry in the UK Government Organisation Register
# (org-id.guide list GB-GOR; entry OT502, "Office for Life Sciences",
# https://www.gov.uk/government/organisations/office-for-life-sciences). OLS is a joint unit of
# DSIT and DHSC (GB-GOR-D12); its own entry names the unit that runs LSIMF.
FUNDER = {"id": "GB-GOR-OT502", "name": "Office for Life Sciences"}
FUNDER_WEBSITE = "https://www.gov.uk/government/organisations/office-for-life-sciences"
LICENCE = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
# Region values are ITL1 codes (ONS International Territorial Level 1). The standard's geoCodeType
# codelist predates ITL and lists none for it; the field is open text, so we say what the code is.
GEO_CODE_TYPE = "ITL1"

# Companies House numbers: 8 digits, or 2 letters and 6 digits (SC, NI, OC...), or R0 and 6 digits.
# The same rule as the registration form (portfolio/forms/base.py); services do not import forms.
COMPANY_NUMBER = re.compile(r"^([0-9]{2}|[A-Z]{2}|R0)[0-9]{6}$")


class ExportError(DomainError):
    """The export was refused: `problems` says what is wrong, one line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"The export was not made: {len(problems)} problem{'' if len(problems) == 1 else 's'} "
                         f"found. {' '.join(problems[:3])}{' …' if len(problems) > 3 else ''}")


@dataclass
class Export:
    content: str
    count: int
    total: Decimal


def grant_id(award: Award) -> str:
    return f"{GRANT_ID_PREFIX}-{reference(award)}"


def awarded(session: Session) -> list[Award]:
    """Awards whose offer was accepted, oldest decision first."""
    return list(session.scalars(sa.select(Award).where(Award.status == AwardStatus.ACCEPTED)
                                .order_by(Award.decided_at, Award.id)))


def _json_number(amount: Decimal) -> int | float:
    """A money amount as the JSON number 360Giving requires, converted exactly or not at all: the
    number written must read back as the same pounds and pence."""
    number = int(amount) if amount == amount.to_integral_value() else float(amount)
    if Decimal(repr(number)) != amount:
        raise ExportError([f"£{amount} cannot be written exactly as a JSON number"])
    return number


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def _description(award: Award) -> str:
    application = award.application
    region = application.region or award.organisation.region
    text = (f"A capital grant from the {award.fund.name} ({award.round.name}) towards the project "
            f"“{application.project_title}” at a manufacturing site in {region.label}.")
    if application.product_type in {p.value for p in ProductType}:
        text += f" Products: {ProductType(application.product_type).label}."
    return text


def _grant(session: Session, award: Award) -> dict:
    application, organisation, offer = award.application, award.organisation, award.offer
    payments = claims.payments_of(session, award)
    region = application.region or organisation.region
    modified = max([award.decided_at, *([offer.responded_at] if offer and offer.responded_at else []),
                    *(payment.created_at for payment in payments)])
    grant = {
        "id": grant_id(award),
        "title": application.project_title,
        "description": _description(award),
        "currency": "GBP",
        "amountAwarded": _json_number(award.amount),
        "amountDisbursed": _json_number(sum((p.amount for p in payments), Decimal("0.00"))),
        "awardDate": award.decided_at.astimezone(UK).date().isoformat(),
        "recipientOrganization": [{
            "id": f"GB-COH-{organisation.company_number}",
            "name": organisation.name,
            "companyNumber": organisation.company_number,
            "postalCode": organisation.postcode,
        }],
        "fundingOrganization": [dict(FUNDER)],
        "grantProgramme": [{"code": f"{award.fund.code}-ROUND-{award.round_id}",
                            "title": f"{award.fund.name}: {award.round.name}"}],
        "beneficiaryLocation": [{"name": region.label, "geoCode": region.value, "geoCodeType": GEO_CODE_TYPE,
                                 "countryCode": "GB"}],
        "fromOpenCall": "Yes",  # LSIMF is an open competition: any eligible company may apply
        "dateModified": _timestamp(modified),
    }
    if application.grant_requested is not None:
        grant["amountAppliedFor"] = _json_number(application.grant_requested)
    if offer and offer.project_start and offer.project_completion:
        grant["plannedDates"] = [{"startDate": offer.project_start.isoformat(),
                                  "endDate": offer.project_completion.isoformat()}]
    return grant


def build_360giving(session: Session, *, now: datetime | None = None) -> dict:
    """The 360Giving data package of every awarded grant (not yet validated)."""
    now = now or utcnow()
    today = now.astimezone(UK).date()
    return {
        "version": SCHEMA_VERSION,
        "title": "Office for Life Sciences: grants awarded by the Life Sciences Innovative Manufacturing Fund",
        "description": "Capital grants whose grant offer the company has accepted. Amounts are in pounds sterling; "
                       "amountDisbursed is what has been paid so far.",
        "identifier": f"{GRANT_ID_PREFIX}-{today.isoformat()}",
        "issued": today.isoformat(),
        "modified": _timestamp(now),
        "publisher": {"identifier": FUNDER["id"], "name": FUNDER["name"], "website": FUNDER_WEBSITE},
        "license": LICENCE,
        "grants": [_grant(session, award) for award in awarded(session)],
    }


@cache
def _validator() -> Draft202012Validator:
    def load(name: str) -> dict:
        return json.loads((SCHEMA_FOLDER / name).read_text(encoding="utf-8"))

    checker = Draft202012Validator.FORMAT_CHECKER
    # Without a date-time checker "2026-01-15" matches both branches of awardDate's oneOf and fails.
    if "date-time" not in checker.checkers:
        raise RuntimeError("jsonschema cannot check date-time formats: install rfc3339-validator")
    # The schemas spell $schema without the trailing '#', so the dialect is given explicitly.
    grant_schema = Resource(contents=load("360-giving-schema.json"), specification=DRAFT202012)
    registry = Registry().with_resources((url, grant_schema) for url in GRANT_SCHEMA_URLS)
    return Draft202012Validator(load("360-giving-package-schema.json"), registry=registry, format_checker=checker)


def _where(package: dict, path) -> str:
    path = list(path)
    if len(path) >= 2 and path[0] == "grants" and isinstance(path[1], int):
        grants = package.get("grants") or []
        grant = grants[path[1]] if path[1] < len(grants) else None
        name = grant.get("id") if isinstance(grant, dict) and isinstance(grant.get("id"), str) else None
        rest = ".".join(str(part) for part in path[2:])
        return f"Grant {name or f'number {path[1] + 1}'}" + (f", {rest}" if rest else "")
    return "The package" + (f", {'.'.join(str(part) for part in path)}" if path else "")


def _house_rules(package: dict) -> list[str]:
    """What the schema cannot check: identifiers that link the data up."""
    problems, seen = [], set()
    for grant in package.get("grants") or []:
        if not isinstance(grant, dict):
            continue
        name = grant.get("id")
        if not (isinstance(name, str) and name.startswith(GRANT_ID_PREFIX + "-")):
            problems.append(f"Grant {name!r}: the id must start with {GRANT_ID_PREFIX}-")
        elif name in seen:
            problems.append(f"Grant {name}: the same id is used twice")
        seen.add(name)
        amount = grant.get("amountAwarded")
        if isinstance(amount, int | float | Decimal) and not isinstance(amount, bool) and amount <= 0:
            problems.append(f"Grant {name}: the amount awarded must be more than £0")
        for organisation in grant.get("recipientOrganization") or []:
            if not isinstance(organisation, dict):
                continue
            number = organisation.get("companyNumber")
            if not (isinstance(number, str) and COMPANY_NUMBER.match(number)):
                problems.append(f"Grant {name}: the recipient's company number {number!r} is not a Companies House "
                                f"number (8 digits, or 2 letters and 6 digits)")
            elif organisation.get("id") != f"GB-COH-{number}":
                problems.append(f"Grant {name}: the recipient's id must be GB-COH-{number}")
        for organisation in grant.get("fundingOrganization") or []:
            if isinstance(organisation, dict) and organisation.get("id") != FUNDER["id"]:
                problems.append(f"Grant {name}: the funder's id must be {FUNDER['id']}")
    return problems


def validate_360giving(package: dict) -> list[str]:
    """Every problem with the package, in words a person can act on; empty when it is valid."""
    problems = []
    for error in sorted(_validator().iter_errors(package), key=lambda e: list(map(str, e.absolute_path))):
        for detail in _closest_branch(error):
            problems.append(f"{_where(package, detail.absolute_path)}: {detail.message}")
    return problems + _house_rules(package)


def _closest_branch(error) -> list:
    """For a failed oneOf/anyOf ("is not valid under any of the given schemas"), the errors of the
    alternative that came closest, which say what is actually missing or wrong."""
    if not error.context:
        return [error]
    if all(detail.validator in ("format", "pattern") for detail in error.context):  # the date fields' oneOf
        error.message = f"{error.instance!r} is not a date (YYYY-MM-DD) or a date and time"
        return [error]
    branches: dict = {}
    for detail in error.context:
        branches.setdefault(detail.relative_schema_path[0], []).append(detail)
    return min(branches.values(), key=len)


def export_360giving(session: Session, *, now: datetime | None = None) -> Export:
    """The validated 360Giving JSON.

    :raise ExportError: there is no awarded grant yet, or a record breaks the schema or our rules."""
    awards = awarded(session)
    if not awards:
        raise ExportError(["There are no awarded grants yet: a grant is included once the company accepts its offer"])
    package = build_360giving(session, now=now)
    problems = validate_360giving(package)
    if problems:
        raise ExportError(problems)
    return Export(content=json.dumps(package, ensure_ascii=False, indent=2) + "\n", count=len(package["grants"]),
                  total=sum((award.amount for award in awards), Decimal("0.00")))


def filename_360giving(on: date | None = None) -> str:
    return f"360giving-ols-lsimf-grants-{(on or uk_today()):%Y-%m-%d}.json"


# --- UK Subsidy Database --------------------------------------------------------------------------
# Facts the system does not hold, the same for every LSIMF award. Values are the database's own
# options (UKGovernmentBEIS transparency-db admin portal and bulk upload validation).

# LSIMF awards are made under the fund as a scheme: the £100,000 transparency threshold the
# decisions apply is the one for awards under a scheme (standalone awards need an entry at any value).
STANDALONE_AWARD = "No"
# The scheme's subsidy control number (SC + 5 digits) once the scheme entry exists; the database takes
# the scheme's title when the number is blank.
SUBSIDY_CONTROL_NUMBER = ""
SUBSIDY_CONTROL_TITLE = "Life Sciences Innovative Manufacturing Fund"
ADMIN_PROGRAM_NUMBER = ""  # optional grouping; LSIMF uses none
# The name OLS is registered under as a granting authority on the database (it must match exactly).
GRANTING_AUTHORITY = "Office for Life Sciences"
# The fund's purpose (DOMAIN-FACTS.md §1a) is none of the database's listed purposes, so "Other".
SUBSIDY_OBJECTIVE = "Other"
SUBSIDY_OBJECTIVE_OTHER = "UK health resilience and economic growth through life sciences manufacturing"
SUBSIDY_INSTRUMENT = "Direct Grant"  # LSIMF gives capital grants
SUBSIDY_AMOUNT_RANGE = "N/A"  # ranges are for tax measures only
NATIONAL_ID_TYPE = "Company Registration Number"  # applicants must be UK-registered companies
GOODS_OR_SERVICES = "Goods"  # manufacturers of medicines, diagnostics and medical devices
SPENDING_SECTOR = "Manufacturing"
SPEI = "No"  # not a Service of Public Economic Interest
SPECIFIC_POLICY_OBJECTIVE = (
    "Increase UK health resilience by strengthening UK manufacturing capacity and capability for human "
    "medicines, diagnostics and medical technology, and create economic opportunity through investment that "
    "adds Gross Value Added and high-wage, high-skilled jobs around the UK")

ORG_SIZES = {  # application.company_size -> the database's option
    "micro": "Micro (fewer than 10 employees)",
    "small": "Small (between 10 and 49 employees)",
    "medium": "Medium (between 50 and 249 employees)",
    "large": "Large (250 or more employees)",
}
SPENDING_REGIONS = {  # the organisation's ITL1 region -> the database's option (spelling included)
    Region.NORTH_EAST: "North East", Region.NORTH_WEST: "North West", Region.YORKSHIRE: "Yorkshire and humber",
    Region.EAST_MIDLANDS: "East Midlands", Region.WEST_MIDLANDS: "West Midlands", Region.EAST: "East of England",
    Region.LONDON: "London", Region.SOUTH_EAST: "South East", Region.SOUTH_WEST: "South West",
    Region.WALES: "Wales", Region.SCOTLAND: "Scotland", Region.NORTHERN_IRELAND: "Northern Ireland",
}

# Columns A to T: the bulk upload template's order. Then §2d facts the template lacks, then ours.
SUBSIDY_COLUMNS = (
    "subsidyControlNumber", "subsidyControlTitle", "adminProgramNumber", "standaloneAward", "subsidyAwardDescription",
    "subsidyObjective", "subsidyObjectiveOther", "subsidyInstrument", "subsidyInstrumentOther", "subsidyAmountRange",
    "subsidyAmountExact", "nationalIdType", "nationalId", "beneficiaryName", "orgSize", "grantingAuthorityName",
    "legalGrantingDate", "goodsOrServices", "spendingRegion", "spendingSector",
    "specificPolicyObjective", "subsidyAwardInterest", "spei",
    "portfolioReference", "transparencyDueOn",
)
TEMPLATE_COLUMNS = 20

def subsidy_awards(session: Session) -> list[Award]:
    """Awards needing a transparency entry that has not been marked uploaded, soonest due first."""
    return subsidy.transparency_due(session)


def _subsidy_row(award: Award) -> tuple[dict, list[str]]:
    application, organisation = award.application, award.organisation
    problems, ref = [], reference(award)
    if not COMPANY_NUMBER.match(organisation.company_number or ""):
        problems.append(f"{ref}: the company number {organisation.company_number!r} is not a Companies House number")
    if not organisation.name or len(organisation.name) > 255:
        problems.append(f"{ref}: the company name must be 1 to 255 characters")
    if application.company_size not in ORG_SIZES:
        problems.append(f"{ref}: the application does not say the size of the organisation")
    description = _description(award)
    if len(description) > 10000:
        problems.append(f"{ref}: the description is longer than 10,000 characters")
    row = {
        "subsidyControlNumber": SUBSIDY_CONTROL_NUMBER,
        "subsidyControlTitle": SUBSIDY_CONTROL_TITLE,
        "adminProgramNumber": ADMIN_PROGRAM_NUMBER,
        "standaloneAward": STANDALONE_AWARD,
        "subsidyAwardDescription": description,
        "subsidyObjective": SUBSIDY_OBJECTIVE,
        "subsidyObjectiveOther": SUBSIDY_OBJECTIVE_OTHER,
        "subsidyInstrument": SUBSIDY_INSTRUMENT,
        "subsidyInstrumentOther": "",
        "subsidyAmountRange": SUBSIDY_AMOUNT_RANGE,
        "subsidyAmountExact": f"{award.amount.quantize(PENNY):f}",
        "nationalIdType": NATIONAL_ID_TYPE,
        "nationalId": organisation.company_number,
        "beneficiaryName": organisation.name,
        "orgSize": ORG_SIZES.get(application.company_size or "", ""),
        "grantingAuthorityName": GRANTING_AUTHORITY,
        # The confirmed decision, from which the 3 months run (s.33); the template wants DD/MM/YYYY.
        "legalGrantingDate": f"{award.decided_at.astimezone(UK):%d/%m/%Y}",
        "goodsOrServices": GOODS_OR_SERVICES,
        "spendingRegion": SPENDING_REGIONS[organisation.region],  # where the recipient is based
        "spendingSector": SPENDING_SECTOR,
        "specificPolicyObjective": SPECIFIC_POLICY_OBJECTIVE,
        "subsidyAwardInterest": award.subsidy_category.label,
        "spei": SPEI,
        "portfolioReference": ref,
        "transparencyDueOn": f"{award.transparency_due_on:%d/%m/%Y}",
    }
    return row, problems


def export_subsidy_csv(session: Session) -> Export:
    """The upload file: a header row and one row per award due an entry (just the header when none is).

    :raise ExportError: a record misses something the database requires."""
    awards = subsidy_awards(session)
    rows, problems = [], []
    for award in awards:
        row, row_problems = _subsidy_row(award)
        rows.append(row)
        problems += row_problems
    if problems:
        raise ExportError(problems)
    # Formula-safe cells: company names are typed by applicants (see portfolio.spreadsheets).
    content = spreadsheets.csv_text([SUBSIDY_COLUMNS, *([row[column] for column in SUBSIDY_COLUMNS] for row in rows)])
    return Export(content=content, count=len(rows), total=sum((award.amount for award in awards), Decimal("0.00")))


def filename_subsidy_csv(on: date | None = None) -> str:
    return f"uk-subsidy-database-lsimf-{(on or uk_today()):%Y-%m-%d}.csv"
