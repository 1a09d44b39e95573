"""The automatic LSIMF eligibility check: every failed rule, named in plain English."""

from dataclasses import asdict, dataclass
from decimal import Decimal

from portfolio.models import (
    ApplicantType,
    ExcludedProduct,
    ExpressionOfInterest,
    FundRules,
    ProductType,
)
from portfolio.money import money
from portfolio.postcodes import region_for


@dataclass(frozen=True)
class Failure:
    rule: str
    message: str


def _money(amount: Decimal) -> str:
    """Whole pounds without pence, as the fund's rules state them: £250,000."""
    return money(amount, drop_zero_pence=True)


def _percent(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


def check(eoi: ExpressionOfInterest, rules: FundRules) -> list[Failure]:
    failures: list[Failure] = []

    def fail(rule: str, message: str) -> None:
        failures.append(Failure(rule, message))

    if not eoi.organisation.company_number:
        fail("uk_registered", "The applicant must be a company registered in the UK with Companies House")
    if eoi.wholly_private is not True:
        fail("wholly_private", "The applicant must be a wholly private-sector business")
    if eoi.applicant_type is None or eoi.applicant_type.value not in rules.applicant_types:
        allowed = ", ".join(ApplicantType(t).label.lower() for t in rules.applicant_types)
        fail("applicant_type", f"The applicant must be one of: {allowed}")
    if eoi.product_type is None or eoi.product_type.value not in rules.product_types:
        allowed = ", ".join(ProductType(t).label.lower() for t in rules.product_types)
        fail("product_type", f"The product must be one of: {allowed}")
    for excluded in eoi.excluded_products or []:
        if excluded in rules.excluded_products:
            fail(f"excluded_{excluded}", f"{ExcludedProduct(excluded).label} are not eligible for this fund")
    if eoi.site_postcode and region_for(eoi.site_postcode) is None:
        fail("uk_site", "The manufacturing site must be in the UK")
    if eoi.previous_recipient and eoi.different_project is not True:
        fail("different_project", "A previous recipient can only apply again for a different project")

    cost, grant = eoi.total_project_cost, eoi.grant_sought
    if cost is not None and cost < rules.min_project_cost:
        fail("min_project_cost", f"The total project cost must be at least {_money(rules.min_project_cost)} "
                                 f"(you entered {_money(cost)})")
    if grant is not None and grant < rules.min_grant:
        fail("min_grant", f"The grant must be at least {_money(rules.min_grant)} (you entered {_money(grant)})")
    if cost and grant is not None:
        if grant > cost:
            fail("grant_exceeds_cost", "The grant cannot be more than the total project cost")
        elif grant > cost * rules.hard_cap_rate:
            fail("hard_cap", f"The grant must be no more than {_percent(rules.hard_cap_rate)} of the total "
                             f"project cost ({_money(cost * rules.hard_cap_rate)} for this project)")
    return failures


def as_records(failures: list[Failure]) -> list[dict]:
    return [asdict(f) for f in failures]
