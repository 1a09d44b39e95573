"""Funds, their versioned rules (settings) and rounds."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.models import (
    ApplicantType,
    ExcludedProduct,
    Fund,
    FundRules,
    ProductType,
    Round,
    User,
)
from portfolio.models.base import utcnow
from portfolio.money import money
from portfolio.services import audit, criteria
from portfolio.services.errors import DomainError, NotFound

LSIMF = "LSIMF"

# PRODUCT.md §2.1 (sources in DOMAIN-FACTS.md §1a): the defaults for a new fund's rules.
DEFAULT_RULES = {
    "min_project_cost": Decimal("8000000.00"),
    "min_grant": Decimal("1000000.00"),
    "justification_rate": Decimal("0.2000"),
    "hard_cap_rate": Decimal("0.3000"),
    "applicant_types": [t.value for t in ApplicantType],
    "product_types": [t.value for t in ProductType],
    "excluded_products": [e.value for e in ExcludedProduct],
    # PRODUCT.md §2.2: illustrative defaults (nothing published), kept as settings.
    "min_assessors": 2,
    "moderation_spread": 3,
    "second_approval_threshold": Decimal("10000000.00"),
    "offer_validity_days": 30,
    "retention_rate": Decimal("0.1000"),  # PRODUCT.md §2.3 illustrative default
    # Monitoring (PRODUCT.md §2.3: quarterly during the build, annual for five years; the rest illustrative).
    "build_return_months": 3,
    "monitoring_years": 5,
    "return_due_days": 30,
    "reminder_days_before": 7,
    "query_over_contract": Decimal("0.5000"),
    "clawback_tolerance": Decimal("0.1000"),
    # Money over time (illustrative): variations needing a second approval, and forecast variance flags.
    "variation_change_rate": Decimal("0.1000"),
    "variation_change_amount": Decimal("1000000.00"),
    "variation_extension_months": 6,
    "forecast_variance_rate": Decimal("0.1000"),
    "budget_variance_rate": Decimal("0.0500"),
}
RULE_FIELDS = tuple(DEFAULT_RULES)


def get_fund(session: Session, code: str = LSIMF) -> Fund:
    fund = session.scalar(sa.select(Fund).where(Fund.code == code))
    if fund is None:
        raise NotFound(f"The {code} fund has not been set up")
    return fund


def rules_as_dict(rules: FundRules) -> dict:
    return {name: getattr(rules, name) for name in RULE_FIELDS}


def add_default_rules(session: Session, fund: Fund, *, by: User | None = None) -> FundRules:
    rules = FundRules(fund=fund, created_by_id=by.id if by else None, **DEFAULT_RULES)
    session.add(rules)
    session.flush()
    return rules


def update_rules(session: Session, *, fund: Fund, by: User, **values) -> FundRules:
    """Settings change = a new rules version. Earlier versions stay as they were, so an EOI
    or application already submitted is still judged by the rules it was submitted under."""
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise ValueError(f"unknown rule settings: {sorted(unknown)}")
    current = rules_as_dict(fund.rules)
    proposed = {**current, **values}
    if proposed["hard_cap_rate"] < proposed["justification_rate"]:
        raise DomainError("The hard cap must be at or above the justification threshold", field="hard_cap_rate")
    if proposed == current:
        return fund.rules
    rules = FundRules(fund=fund, created_by_id=by.id, **proposed)
    session.add(rules)
    session.flush()
    session.expire(fund, ["rule_sets"])
    changed = [name for name in RULE_FIELDS if proposed[name] != current[name]]
    audit.record(
        session, actor=by, action="fund.rules_changed", entity=fund,
        before={name: current[name] for name in changed},
        after={**{name: proposed[name] for name in changed}, "rules_id": rules.id},
    )
    return rules


def allocated(fund: Fund, *, excluding: Round | None = None) -> Decimal:
    """What the fund's rounds hold between them (leaving one out, when it is being edited)."""
    return sum((r.allocation for r in fund.rounds if r is not excluding), Decimal("0.00"))


def budget_problem(fund: Fund, allocation: Decimal, *, excluding: Round | None = None) -> str | None:
    total = allocated(fund, excluding=excluding) + allocation
    if total > fund.budget:
        return (f"The rounds' allocations would total {money(total)}, "
                f"more than the fund's budget of {money(fund.budget)}")
    return None


@dataclass
class RoundDetails:
    name: str
    opens_on: date
    deadline: datetime
    allocation: Decimal


def save_round(session: Session, *, fund: Fund, by: User, details: RoundDetails,
               round_: Round | None = None) -> Round:
    if details.deadline.date() < details.opens_on:
        raise DomainError("The deadline must be on or after the opening date", field="deadline")
    problem = budget_problem(fund, details.allocation, excluding=round_)
    if problem:
        raise DomainError(problem, field="allocation")
    before = None
    if round_ is None:
        round_ = Round(fund=fund, **vars(details))
        session.add(round_)
        criteria.add_default_criteria(session, round_)
    else:
        before = {"name": round_.name, "opens_on": round_.opens_on, "deadline": round_.deadline,
                  "allocation": round_.allocation}
        for name, value in vars(details).items():
            setattr(round_, name, value)
    session.flush()
    audit.record(session, actor=by, action="round.updated" if before else "round.created", entity=round_,
                 before=before, after=vars(details))
    return round_


def upcoming_or_open_rounds(session: Session, fund: Fund, *, now: datetime | None = None) -> list[Round]:
    now = now or utcnow()
    return [r for r in fund.rounds if now < r.deadline]


def all_rounds(session: Session) -> list[Round]:
    """Every round of every fund, in deadline order (the applications list's filter)."""
    return list(session.scalars(sa.select(Round).order_by(Round.deadline)))
