"""The versions of an award's terms: what was first offered, and what each accepted variation changed.

    version 1   made when the award is approved (the grant, and the requested profile scaled to it), and
                completed when the offer is issued: the project period, the contracted figures and the
                agreed profile. It is the award "as first offered".
    version n   added when the company accepts the amendment letter of a variation: the earlier version's
                terms with the variation's changes, and a list of what changed.

A version is never edited once its offer is issued, so every earlier version stays readable. The award
and its offer carry the latest version's figures (`follow`), so claims, the monitoring schedule,
clawback, subsidy control and leverage all use the current terms.
"""

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from portfolio.dates import govuk_date
from portfolio.models import Award, AwardTerms, Offer, User, Variation
from portfolio.money import money
from portfolio.services import profiles
from portfolio.services.errors import DomainError

# The terms a variation may change, in the order the history shows them: (field, label, how to show it).
FIELDS = (
    ("amount", "Grant", money),
    ("project_start", "Project start", govuk_date),
    ("project_completion", "Completion date", govuk_date),
    ("contracted_private_investment", "Contracted private investment", money),
    ("jobs_created", "Jobs created (FTE)", str),
    ("jobs_safeguarded", "Jobs safeguarded (FTE)", str),
    ("milestones", "Milestones", str),
    ("scope", "Scope", str),
    ("site", "Site", str),
    ("eligible_capital_cost", "Eligible capital costs", money),
    ("company_name", "Company", str),
    ("subsidy_category", "Subsidy control category", lambda value: value.label),
    ("cumulative_subsidy", "Cumulative subsidy", money),
)
LABELS = {name: label for name, label, _ in FIELDS}


def values_of(terms: AwardTerms) -> dict:
    return {name: getattr(terms, name) for name, _, _ in FIELDS} | {"organisation_id": terms.organisation_id}


def profile_of(terms: AwardTerms | None) -> profiles.Profile:
    return profiles.of_lines(terms.lines) if terms is not None else {}


def current_profile(award: Award) -> profiles.Profile:
    return profile_of(award.current_terms)


def first_version(session: Session, award: Award, *, profile: profiles.Profile, by: User | None) -> AwardTerms:
    """Version 1, at the approval: the grant and its profile (the rest is fixed when the offer is issued)."""
    application = award.application
    terms = AwardTerms(award=award, version=1, amount=award.amount, organisation_id=award.organisation_id,
                       company_name=application.organisation.name, subsidy_category=award.subsidy_category,
                       cumulative_subsidy=award.cumulative_subsidy,
                       eligible_capital_cost=application.eligible_capital_cost, changes=[],
                       created_by_id=by.id if by else None)
    terms.lines = profiles.to_lines(profile)
    session.add(terms)
    session.flush()
    return terms


def fix_at_offer(session: Session, offer: Offer, *, profile: profiles.Profile) -> AwardTerms:
    """Complete version 1 with the offer's terms and agreed profile (the offer is being issued now)."""
    award = offer.award
    terms = award.first_terms
    if terms is None:
        terms = first_version(session, award, profile={}, by=None)
    if len(award.terms_versions) > 1:
        raise DomainError("The award's terms have already been varied")
    terms.project_start, terms.project_completion = offer.project_start, offer.project_completion
    terms.contracted_private_investment = offer.contracted_private_investment
    terms.jobs_created, terms.jobs_safeguarded = offer.jobs_created, offer.jobs_safeguarded
    terms.milestones = offer.milestones
    terms.lines = profiles.to_lines(profile)
    session.flush()
    return terms


def _show(name: str, value) -> str:
    if value is None or value == "":
        return "Not set"
    shown = dict((field, show) for field, _, show in FIELDS)[name]
    return shown(value)


def add_version(session: Session, award: Award, *, variation: Variation, by: User, values: dict,
                profile: profiles.Profile | None) -> AwardTerms:
    """The next version: the current terms with `values` changed (and the new profile, when given). Records
    what changed, and makes the award and its offer carry the new figures."""
    current = award.current_terms
    if current is None:
        raise DomainError("This award has no terms to vary")
    unknown = set(values) - set(LABELS) - {"organisation_id"}
    if unknown:
        raise ValueError(f"not award terms: {sorted(unknown)}")
    merged = values_of(current) | values
    changes = [{"field": LABELS[name], "before": _show(name, getattr(current, name)), "after": _show(name, merged[name])}
               for name, _, _ in FIELDS if merged[name] != getattr(current, name)]
    old_profile = profile_of(current)
    new_profile = profile if profile is not None else old_profile
    if new_profile != old_profile:
        before, after = profiles.by_year(old_profile), profiles.by_year(new_profile)
        for year in sorted({*before, *after}):
            if before.get(year, Decimal(0)) != after.get(year, Decimal(0)):
                changes.append({"field": f"Grant profile {year}", "before": money(before.get(year, 0)),
                                "after": money(after.get(year, 0))})
    terms = AwardTerms(award=award, version=current.version + 1, variation_id=variation.id, changes=changes,
                       created_by_id=by.id, **merged)
    terms.lines = profiles.to_lines(new_profile)
    session.add(terms)
    session.flush()
    session.expire(award, ["terms_versions"])
    follow(award, terms)
    return terms


def follow(award: Award, terms: AwardTerms) -> None:
    """The award and its offer carry these terms' figures (what claims, monitoring, clawback and leverage read)."""
    award.amount = terms.amount
    award.organisation_id = terms.organisation_id
    if terms.subsidy_category is not None:
        award.subsidy_category = terms.subsidy_category
    if terms.cumulative_subsidy is not None:
        award.cumulative_subsidy = terms.cumulative_subsidy
    offer = award.offer
    if offer is not None:
        offer.project_start, offer.project_completion = terms.project_start, terms.project_completion
        offer.contracted_private_investment = terms.contracted_private_investment
        offer.jobs_created, offer.jobs_safeguarded = terms.jobs_created, terms.jobs_safeguarded
        offer.milestones = terms.milestones or ""


def changed_on(terms: AwardTerms) -> date:
    return terms.created_at.date()
