"""What the read-only JSON API reads: one declaration per resource (its model, the rows it never
shows, what it loads up front), and the two ways of reading one: a page of rows and one row.

Lists are ordered by id and load what the schema needs with the rows, so a page costs the same few
statements however long it is.

Money over time (issue 15) adds grant profiles and the versions of an award's terms, forecasts,
variations and the fund's budget by year; the functions at the end shape those records for the
schemas (a profile by quarter and by financial year, what a version or a variation changes)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload, selectinload

from portfolio.dates import financial_year_of, quarter_label
from portfolio.models import (
    Application,
    ApplicationStatus,
    Award,
    AwardTerms,
    BudgetVersion,
    Claim,
    ClaimStatus,
    Forecast,
    Fund,
    LipCase,
    LipComponent,
    MonitoringReturn,
    Organisation,
    Payment,
    Variation,
)
from portfolio.services import award_terms, profiles


@dataclass(frozen=True)
class Resource:
    model: type
    where: tuple = ()  # every row it shows meets these (drafts are the company's work in progress)
    options: tuple = ()


ORGANISATIONS = Resource(Organisation)
APPLICATIONS = Resource(Application, where=(Application.status != ApplicationStatus.DRAFT,))
AWARDS = Resource(Award, options=(joinedload(Award.offer),))
CLAIMS = Resource(Claim, where=(Claim.status != ClaimStatus.DRAFT,), options=(selectinload(Claim.items),))
PAYMENTS = Resource(Payment)
RETURNS = Resource(MonitoringReturn)
CASES = Resource(LipCase, options=(selectinload(LipCase.sites),
                                   selectinload(LipCase.components).joinedload(LipComponent.award)))
_TERMS_WITH_LINES = selectinload(Award.terms_versions).selectinload(AwardTerms.lines)
PROFILES = Resource(Award, where=(Award.terms_versions.any(),),  # the agreed profile: the latest terms'
                    options=(_TERMS_WITH_LINES,))
TERMS = Resource(AwardTerms, options=(selectinload(AwardTerms.lines),))
FORECASTS = Resource(Forecast, options=(selectinload(Forecast.lines),))
VARIATIONS = Resource(Variation, options=(selectinload(Variation.lines),
                                          joinedload(Variation.award).options(_TERMS_WITH_LINES,
                                                                              joinedload(Award.organisation))))
FUNDS = Resource(Fund)
BUDGET_VERSIONS = Resource(BudgetVersion, options=(selectinload(BudgetVersion.years),))


def page(session: Session, resource: Resource, *, equal: dict, number: int, per_page: int,
         where: tuple = ()) -> tuple[list, int]:
    """Page `number` of the resource's rows whose columns equal `equal` (and that meet `where`), and how
    many there are in all."""
    statement = sa.select(resource.model).where(*resource.where, *where, *(
        getattr(resource.model, name) == value for name, value in equal.items()))
    total = session.scalar(sa.select(sa.func.count()).select_from(statement.subquery()))
    rows = session.scalars(statement.options(*resource.options).order_by(resource.model.id)
                           .limit(per_page).offset((number - 1) * per_page)).all()
    return list(rows), total


def one(session: Session, resource: Resource, record_id: int):
    """The row with this id, if the resource shows it (None otherwise)."""
    return session.scalar(sa.select(resource.model).where(resource.model.id == record_id, *resource.where)
                          .options(*resource.options))


# --- money over time ------------------------------------------------------------------------------

def latest_forecast_ids():
    """The id of each award's latest forecast (a subquery, for `where`)."""
    return sa.select(sa.func.max(Forecast.id)).group_by(Forecast.award_id).scalar_subquery()


def latest_forecasts_among(session: Session, forecasts: list[Forecast]) -> set[int]:
    """Which of these forecasts are their award's latest (one statement for the page)."""
    award_ids = {forecast.award_id for forecast in forecasts}
    if not award_ids:
        return set()
    return set(session.scalars(sa.select(sa.func.max(Forecast.id)).where(Forecast.award_id.in_(award_ids))
                               .group_by(Forecast.award_id)))


def quarters_and_years(profile: profiles.Profile) -> dict:
    """A profile for the schemas: each quarter (with its label and financial year), each year, the total."""
    return {
        "by_quarter": [{"quarter_start": quarter, "quarter": quarter_label(quarter),
                        "financial_year": financial_year_of(quarter), "amount": amount}
                       for quarter, amount in sorted(profile.items())],
        "by_financial_year": [{"financial_year": year, "amount": amount}
                              for year, amount in profiles.by_year(profile).items()],
        "total": profiles.total(profile),
    }


# The kind of each field of the terms, so a change's values are written the way the rest of the API
# writes them: money with two decimal places, FTEs with one, dates ISO 8601.
MONEY_TERMS = {"amount", "contracted_private_investment", "eligible_capital_cost", "cumulative_subsidy"}
FTE_TERMS = {"jobs_created", "jobs_safeguarded"}
DATE_TERMS = {"project_start", "project_completion"}
# What a variation proposes, by the field of the terms it would change.
PROPOSED = {"amount": "new_amount", "project_completion": "new_completion", "milestones": "new_milestones",
            "scope": "new_scope", "site": "new_site", "eligible_capital_cost": "new_eligible_capital_cost",
            "contracted_private_investment": "new_contracted_private_investment",
            "jobs_created": "new_jobs_created", "jobs_safeguarded": "new_jobs_safeguarded",
            "company_name": "new_company_name", "organisation_id": "new_organisation_id",
            "cumulative_subsidy": "new_cumulative_subsidy", "subsidy_category": "new_subsidy_category"}


def _kind(name: str) -> str:
    if name in MONEY_TERMS or name.startswith("profile "):
        return "money"
    return ("fte" if name in FTE_TERMS else "date" if name in DATE_TERMS
            else "id" if name == "organisation_id" else "text")


def _written(name: str, value) -> str | None:
    if value is None:
        return None
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.1f}" if name in FTE_TERMS else f"{value:.2f}"
    return str(value)


def compare(before: AwardTerms, after: dict, after_profile: profiles.Profile) -> list[dict]:
    """What changes from the terms `before` to the values `after` (and the profile `after_profile`),
    field by field in the order of award_terms.FIELDS, then the grant profile year by year."""
    old = award_terms.values_of(before)
    labels = award_terms.LABELS | {"organisation_id": "Organisation"}
    changes = [{"field": name, "label": labels[name], "type": _kind(name), "before": _written(name, old[name]),
                "after": _written(name, after[name])}
               for name in (*(name for name, _, _ in award_terms.FIELDS), "organisation_id")
               if after[name] != old[name]]
    was, now = profiles.by_year(award_terms.profile_of(before)), profiles.by_year(after_profile)
    for year in sorted({*was, *now}):
        if was.get(year, profiles.ZERO) != now.get(year, profiles.ZERO):
            name = f"profile {year}"
            changes.append({"field": name, "label": f"Grant profile {year}", "type": "money",
                            "before": _written(name, was.get(year, profiles.ZERO)),
                            "after": _written(name, now.get(year, profiles.ZERO))})
    return changes


def version_changes(terms: AwardTerms, versions: list[AwardTerms]) -> list[dict]:
    """What a version changed from the one before it (nothing for version 1)."""
    before = next((other for other in versions if other.version == terms.version - 1), None)
    if before is None:
        return []
    return compare(before, award_terms.values_of(terms), award_terms.profile_of(terms))


def variation_changes(variation: Variation) -> list[dict]:
    """What a variation changes: once accepted, what the version it made changed; until then, what it
    proposes against the award's current terms."""
    versions = variation.award.terms_versions
    made = next((terms for terms in versions if terms.variation_id == variation.id), None)
    if made is not None:
        return version_changes(made, versions)
    current = variation.award.current_terms
    if current is None:
        return []
    proposed = award_terms.values_of(current) | {
        name: getattr(variation, column) for name, column in PROPOSED.items() if getattr(variation, column) is not None}
    profile = profiles.of_lines(variation.lines) if variation.lines else award_terms.profile_of(current)
    changes = compare(current, proposed, profile)
    number = variation.award.organisation.company_number
    if variation.new_company_number and variation.new_company_number != number:  # a novation, until accepted
        changes.append({"field": "company_number", "label": "Company number", "type": "text", "before": number,
                        "after": variation.new_company_number})
    return changes


def terms_version_of(variation: Variation) -> int | None:
    return next((terms.version for terms in variation.award.terms_versions if terms.variation_id == variation.id),
                None)
