"""Variations: changes to an award's terms after its offer is accepted (issue 15).

Each variation is of one declared kind (VariationKind) and proposes only what its kind changes:

    time extension   a later completion date and the grant profile over the longer period; on acceptance
                     the monitoring returns not yet due are rescheduled (submitted ones stay as they are)
    re-profiling     the same grant moved between financial years (a new profile, the same total)
    milestones       new milestones
    scope or site    new scope and/or site, the eligible capital costs (the grant rate of claims), and
                     optionally new contracted private investment and jobs (clawback and leverage)
    grant amount     a new grant and its profile. An increase is assessed again for subsidy control (the
                     whole new amount at the approval date) and checked against the budget of every year;
                     a decrease releases money to the fund once accepted
    company          new company details, or novation to another company registered in Portfolio

    company (or a fund manager on its behalf) requests  -> requested
    fund manager queries  <->  company answers          (as often as needed; the messages are kept)
    fund manager approves -> approved, or -> waiting for a second approval above the fund's settings
                             (a grant change of more than variation_change_rate or _amount, or a time
                             extension longer than variation_extension_months), then a second,
                             different fund manager approves
    approval              -> the amendment letter PDF (a background job); the company is told
    company signatory accepts the amendment -> the award's terms get a new version (award_terms)

A fund manager who requested a change on the company's behalf cannot approve it. An award has at most one
open variation at a time, so each is judged against the terms it would change. An approved variation's
new profile is already held in the ledger (portfolio.services.budgets), so accepting it never over-commits.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.orm import Session, object_session

from portfolio.dates import add_months, govuk_date, uk_date, uk_today
from portfolio.models import (
    Award,
    AwardStatus,
    AwardTerms,
    DocumentKind,
    Fund,
    MonitoringReturn,
    Organisation,
    ReturnStatus,
    Role,
    User,
    Variation,
    VariationKind,
    VariationMessage,
    VariationStatus,
)
from portfolio.models.base import utcnow
from portfolio.money import money
from portfolio.services import audit, award_terms, budgets, claims, documents, mail, monitoring, profiles, subsidy, \
    uploads, workflow
from portfolio.services.errors import DomainError

ZERO = Decimal("0.00")
K = VariationKind
WITH_PROFILE = (K.TIME_EXTENSION, K.REPROFILE, K.GRANT_AMOUNT)
OPEN = tuple(status for status in VariationStatus if status.is_open)
# The columns each kind proposes (the profile apart).
FIELDS = {
    K.TIME_EXTENSION: ("new_completion",),
    K.REPROFILE: (),
    K.MILESTONES: ("new_milestones",),
    K.SCOPE: ("new_scope", "new_site", "new_eligible_capital_cost", "new_contracted_private_investment",
              "new_jobs_created", "new_jobs_safeguarded"),
    K.GRANT_AMOUNT: ("new_amount",),
    K.COMPANY: ("new_company_name", "new_company_number"),
}


@dataclass
class Proposal:
    """What a variation proposes: the fields its kind uses."""

    new_completion: date | None = None
    new_amount: Decimal | None = None
    new_milestones: str | None = None
    new_scope: str | None = None
    new_site: str | None = None
    new_eligible_capital_cost: Decimal | None = None
    new_contracted_private_investment: Decimal | None = None
    new_jobs_created: Decimal | None = None
    new_jobs_safeguarded: Decimal | None = None
    new_company_name: str | None = None
    new_company_number: str | None = None
    profile: profiles.Profile | None = field(default=None)

    def values(self, kind: VariationKind) -> dict:
        return {name: getattr(self, name) for name in FIELDS[kind]}


# --- reading ---------------------------------------------------------------------------------------------

def variations_of(session: Session, award: Award) -> list[Variation]:
    return list(session.scalars(sa.select(Variation).where(Variation.award_id == award.id)
                                .order_by(Variation.number.desc())))


def open_variation(session: Session, award: Award) -> Variation | None:
    return session.scalar(sa.select(Variation).where(Variation.award_id == award.id, Variation.status.in_(OPEN)))


def queue(session: Session, user: User) -> dict[str, list[Variation]]:
    """The open variations a fund manager sees: to review, waiting for a second approval (theirs, or another
    fund manager's after theirs), and with the company (a query to answer, an amendment to accept)."""
    rows = session.scalars(sa.select(Variation).where(Variation.status.in_(OPEN)).order_by(Variation.created_at))
    grouped: dict[str, list[Variation]] = {"review": [], "second": [], "others": [], "company": []}
    for variation in rows:
        if variation.status is VariationStatus.REQUESTED:
            grouped["review"].append(variation)
        elif variation.status is VariationStatus.AWAITING_SECOND_APPROVAL:
            grouped["others" if variation.first_approver_id == user.id else "second"].append(variation)
        else:
            grouped["company"].append(variation)
    return grouped


def award_section(session: Session, award: Award, user: User) -> dict:
    """What the award page shows of its changes: its variations, and why the user cannot request one now
    (None: they can)."""
    return {"award_variations": variations_of(session, award), "change_problem": request_problem(session, award, user)}


def current_profile(award: Award) -> profiles.Profile:
    return award_terms.current_profile(award)


def proposed_profile(variation: Variation) -> profiles.Profile:
    return profiles.of_lines(variation.lines)


def project_period(award: Award) -> tuple[date | None, date | None]:
    terms = award.current_terms
    if terms is not None and terms.project_start is not None:
        return terms.project_start, terms.project_completion
    offer = award.offer
    return (offer.project_start, offer.project_completion) if offer is not None else (None, None)


def eligible_capital_cost(award: Award) -> Decimal | None:
    terms = award.current_terms
    if terms is not None and terms.eligible_capital_cost is not None:
        return terms.eligible_capital_cost
    return award.application.eligible_capital_cost


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


def base_terms(variation: Variation) -> AwardTerms | None:
    """The terms the variation changes: the current ones, or once accepted the version before its own."""
    award = variation.award
    if variation.status is VariationStatus.ACCEPTED and variation.terms is not None:
        return award.terms_versions[variation.terms.version - 2]
    return award.current_terms


def changes(variation: Variation) -> list[Change]:
    """What the variation changes, old -> new, as the pages and the amendment letter show it."""
    award, kind = variation.award, variation.kind
    terms = base_terms(variation)
    completion = terms.project_completion if terms is not None else project_period(award)[1]
    found: list[Change] = []

    def add(label: str, before, after, show=str) -> None:
        if after is None or after == "":
            return
        found.append(Change(label, show(before) if before not in (None, "") else "Not set", show(after)))

    def was(name: str):
        return getattr(terms, name) if terms is not None else None

    if kind is K.TIME_EXTENSION:
        add("Completion date", completion, variation.new_completion, govuk_date)
    if kind is K.GRANT_AMOUNT:
        add("Grant", was("amount") or award.amount, variation.new_amount, money)
    if kind is K.MILESTONES:
        add("Milestones", was("milestones"), variation.new_milestones)
    if kind is K.SCOPE:
        add("Scope", was("scope"), variation.new_scope)
        add("Site", was("site"), variation.new_site)
        add("Eligible capital costs", was("eligible_capital_cost") or award.application.eligible_capital_cost,
            variation.new_eligible_capital_cost, money)
        add("Contracted private investment", was("contracted_private_investment"),
            variation.new_contracted_private_investment, money)
        add("Jobs created (FTE)", was("jobs_created"), variation.new_jobs_created)
        add("Jobs safeguarded (FTE)", was("jobs_safeguarded"), variation.new_jobs_safeguarded)
    if kind is K.COMPANY:
        holder = object_session(award).get(Organisation, terms.organisation_id) if terms is not None \
            else award.organisation
        add("Company", was("company_name") or holder.name, variation.new_company_name)
        if variation.new_organisation is not None:
            add("Company number", holder.company_number, variation.new_organisation.company_number)
    return found


def preview_changes(session: Session, award: Award, kind: VariationKind, proposal: Proposal) -> list[Change]:
    """What a proposal would change, before it is requested (nothing is added to the session)."""
    draft = SimpleNamespace(award=award, kind=kind, status=VariationStatus.REQUESTED, terms=None,
                            new_organisation=None, **{name: None for names in FIELDS.values() for name in names})
    for name, value in proposal.values(kind).items():
        setattr(draft, name, value)
    if kind is K.COMPANY and proposal.new_company_number:
        draft.new_organisation = new_company(session, proposal.new_company_number)
        draft.new_company_name = draft.new_company_name or draft.new_organisation.name
    return changes(draft)


@dataclass(frozen=True)
class YearChange:
    year: str
    before: Decimal
    after: Decimal


def profile_by_year(before: profiles.Profile, after: profiles.Profile) -> list[YearChange]:
    old, new = profiles.by_year(before), profiles.by_year(after)
    return [YearChange(year, old.get(year, ZERO), new.get(year, ZERO)) for year in sorted({*old, *new})]


def profile_changes(variation: Variation) -> list[YearChange]:
    if not variation.lines:
        return []
    return profile_by_year(award_terms.profile_of(base_terms(variation)), proposed_profile(variation))


# --- what a variation may propose ------------------------------------------------------------------------

def proposal_problems(session: Session, award: Award, kind: VariationKind, proposal: Proposal
                      ) -> list[tuple[str, str]]:
    """Why the proposal cannot be made against the award's current terms: (field, message) pairs, empty
    when it can. Checked when it is requested and again when it is approved."""
    terms = award.current_terms
    start, completion = project_period(award)
    found: list[tuple[str, str]] = []
    grant = award.amount
    if (kind in WITH_PROFILE) and (start is None or completion is None):
        return [(None, "This award's offer has no project period, so its grant cannot be profiled or extended: "
                       "ask the fund manager to record the project period first")]
    if kind is K.TIME_EXTENSION:
        if proposal.new_completion is None:
            found.append(("new_completion", "Enter the new completion date"))
        elif completion is not None and proposal.new_completion <= completion:
            found.append(("new_completion", f"The new completion date must be after the current one, "
                                            f"{govuk_date(completion)}"))
        else:
            completion = proposal.new_completion
    if kind is K.GRANT_AMOUNT:
        new = proposal.new_amount
        if new is None:
            found.append(("new_amount", "Enter the new grant"))
        elif new <= ZERO:
            found.append(("new_amount", "The new grant must be more than £0"))
        elif new == award.amount:
            found.append(("new_amount", f"The new grant must differ from the current grant of {money(award.amount)}"))
        else:
            approved = claims.position(session, award).approved
            if new < approved:
                found.append(("new_amount", f"The new grant cannot be less than the {money(approved)} already "
                                            f"approved on claims"))
            eligible = eligible_capital_cost(award)
            if eligible and new > eligible:
                found.append(("new_amount", f"The new grant cannot be more than the eligible capital costs of "
                                            f"{money(eligible)}"))
            grant = new
    if kind in WITH_PROFILE:
        profile = proposal.profile
        if not profile or profiles.total(profile) == ZERO:
            found.append(("profile", "Enter the grant for each quarter of the project"))
        elif not any(field_ == "new_completion" or field_ == "new_amount" for field_, _ in found):
            found += [("profile", problem) for problem in profiles.problems(profile, grant=grant, start=start,
                                                                             completion=completion)]
            if kind is K.REPROFILE and not found and profiles.by_year(profile) == profiles.by_year(
                    current_profile(award)):
                found.append(("profile", "The new profile must move grant between financial years"))
    if kind is K.MILESTONES:
        if not (proposal.new_milestones or "").strip():
            found.append(("new_milestones", "Enter the new milestones"))
        elif terms is not None and proposal.new_milestones.strip() == (terms.milestones or "").strip():
            found.append(("new_milestones", "The new milestones must differ from the current ones"))
    if kind is K.SCOPE:
        if not (proposal.new_scope or "").strip() and not (proposal.new_site or "").strip():
            found.append(("new_scope", "Enter the new scope or the new site"))
        eligible = proposal.new_eligible_capital_cost
        if eligible is None:
            found.append(("new_eligible_capital_cost", "Enter the eligible capital costs"))
        elif eligible < award.amount:
            found.append(("new_eligible_capital_cost", f"The eligible capital costs must be at least the grant of "
                                                       f"{money(award.amount)}"))
        for name, label in (("new_contracted_private_investment", "contracted private investment"),
                            ("new_jobs_created", "jobs created"), ("new_jobs_safeguarded", "jobs safeguarded")):
            value = getattr(proposal, name)
            if value is not None and value < 0:
                found.append((name, f"The {label} must be 0 or more"))
    if kind is K.COMPANY:
        name = (proposal.new_company_name or "").strip()
        number = (proposal.new_company_number or "").strip()
        if not name and not number:
            found.append(("new_company_name", "Enter the company's new name, or the company number of the company "
                                              "taking over the award"))
        if name and not number and name == (terms.company_name if terms else award.organisation.name):
            found.append(("new_company_name", "The new name must differ from the current one"))
        if number:
            if number == award.organisation.company_number:
                found.append(("new_company_number", f"{number} is the company that holds the award now: enter the "
                                                    f"number of the company taking it over"))
            elif new_company(session, number) is None:
                found.append(("new_company_number", f"No company with number {number} is registered in Portfolio: "
                                                    f"the company taking over the award must register first"))
    return found


def new_company(session: Session, number: str) -> Organisation | None:
    return session.scalar(sa.select(Organisation).where(Organisation.company_number == number.strip().upper()))


def _raise_first(found: list[tuple[str, str]]) -> None:
    if found:
        field_, message = found[0]
        raise DomainError(message, field=field_)


def needs_second_approval(award: Award, kind: VariationKind, proposal: Proposal) -> bool:
    """Above the fund's settings a second fund manager must approve."""
    rules = award.application.rules_in_force
    if kind is K.GRANT_AMOUNT and proposal.new_amount is not None:
        change = abs(proposal.new_amount - award.amount)
        return change > rules.variation_change_amount or change > award.amount * rules.variation_change_rate
    if kind is K.TIME_EXTENSION and proposal.new_completion is not None:
        _, completion = project_period(award)
        return completion is not None and proposal.new_completion > add_months(
            completion, rules.variation_extension_months)
    return False


def proposal_of(variation: Variation) -> Proposal:
    return Proposal(**{name: getattr(variation, name) for names in FIELDS.values() for name in names},
                    profile=proposed_profile(variation) if variation.lines else None)


# --- the company (or a fund manager on its behalf) requests -------------------------------------------

def request_problem(session: Session, award: Award, by: User) -> str | None:
    """Why `by` cannot request a change to the award now, or None."""
    if award.status is not AwardStatus.ACCEPTED:
        return "Only an accepted award can be varied"
    if by.role is Role.APPLICANT and by.organisation_id != award.organisation_id:
        return "Only the company that holds the award, or a fund manager, can request a change"
    if by.role not in (Role.APPLICANT, Role.FUND_MANAGER):
        return "Only the company that holds the award, or a fund manager, can request a change"
    current = open_variation(session, award)
    if current is not None:
        return (f"Change {current.reference} is still open ({current.status.label.lower()}): an award has one "
                f"change at a time")
    return None


def request(session: Session, *, award: Award, by: User, kind: VariationKind, reasons: str, proposal: Proposal,
            evidence=None) -> Variation:
    """Record the request (and its evidence file, when one is given).

    :raise DomainError: on the field that is wrong; nothing is saved."""
    session.refresh(award, with_for_update=True)  # one open change per award, even when two ask at once
    problem = request_problem(session, award, by)
    if problem:
        raise DomainError(problem)
    if not (reasons or "").strip():
        raise DomainError("Enter why the change is needed", field="reasons")
    _raise_first(proposal_problems(session, award, kind, proposal))
    number = (session.scalar(sa.select(sa.func.max(Variation.number)).where(Variation.award_id == award.id))
              or 0) + 1
    values = proposal.values(kind)
    if kind is K.COMPANY and values.get("new_company_number"):
        values["new_company_number"] = values["new_company_number"].strip().upper()
    if kind is K.COMPANY and values.get("new_company_number"):
        buyer = new_company(session, values["new_company_number"])
        values |= {"new_organisation_id": buyer.id, "new_company_name": values.get("new_company_name") or buyer.name}
    variation = Variation(award=award, number=number, kind=kind, reasons=reasons.strip(), requested_by_id=by.id,
                          on_behalf=by.role is Role.FUND_MANAGER,
                          needs_second_approval=needs_second_approval(award, kind, proposal), **values)
    if kind in WITH_PROFILE:
        variation.lines = profiles.to_lines(proposal.profile)
    workflow.start(session, variation, by=by, details={
        "award_id": award.id, "number": number, "kind": kind.value, "reasons": variation.reasons,
        "on_behalf": variation.on_behalf, **{name: value for name, value in proposal.values(kind).items()
                                             if value is not None},
        **({"profile": profiles.by_year(proposal.profile)} if kind in WITH_PROFILE else {})})
    if evidence is not None and getattr(evidence, "filename", None):
        attach(session, variation, by=by, file_storage=evidence, field="evidence")
    _tell_fund_managers_or_company(session, variation, by)
    return variation


def _tell_fund_managers_or_company(session: Session, variation: Variation, by: User) -> None:
    """A request made on the company's behalf is news to the company; one the company makes goes to the fund
    manager who issued the award's offer (every fund manager also sees it on their list)."""
    if variation.on_behalf:
        tell_company(session, variation, subject=f"A change to your LSIMF award has been requested: "
                                                 f"{variation.reference}", template="variation_update",
                     what="A fund manager has requested this change to your award on your behalf.")
    elif variation.award.offer is not None:
        tell_fund_manager(session, variation, variation.award.offer.issued_by,
                          subject=f"{variation.award.organisation.name} asks to change award "
                                  f"{variation.award.reference}",
                          what=f"The company asks for a {variation.kind.label.lower()}:\n\n{variation.reasons}")


def tell_company(session: Session, variation: Variation, *, subject: str, template: str, what: str) -> None:
    """Email every active user of the company that holds the award."""
    for user in variation.award.organisation.users:
        if user.is_active:
            mail.send_email(session, to=user.email, subject=subject, template=template, variation=variation,
                            link=mail.external_url("variations.detail", variation_id=variation.id),
                            award=variation.award, user=user, what=what)


def tell_fund_manager(session: Session, variation: Variation, user: User | None, *, subject: str, what: str) -> None:
    if user is not None and user.is_active and user.role is Role.FUND_MANAGER:
        mail.send_email(session, to=user.email, subject=subject, template="variation_update", variation=variation,
                        link=mail.external_url("variations.detail", variation_id=variation.id),
                        award=variation.award, user=user, what=what)


# --- evidence --------------------------------------------------------------------------------------------

def open_for_evidence(variation: Variation) -> bool:
    return variation.status in (VariationStatus.REQUESTED, VariationStatus.QUERIED)


def files(session: Session, variation: Variation):
    return uploads.files_of(session, variation)


def attach(session: Session, variation: Variation, *, by: User, file_storage, field: str = "file"):
    if not open_for_evidence(variation):
        raise DomainError("This change has been decided: its evidence can no longer change", field=field)
    return uploads.save_upload(session, file_storage=file_storage, organisation=variation.award.organisation,
                               by=by, purpose="variation_evidence", owner=variation, field=field)


def remove(session: Session, variation: Variation, *, by: User, upload_id: int):
    if not open_for_evidence(variation):
        raise DomainError("This change has been decided: its evidence can no longer change")
    upload = uploads.file_of(session, by, variation, upload_id)
    uploads.delete_upload(session, upload=upload, by=by)
    return upload


# --- the query loop --------------------------------------------------------------------------------------

def _message(session: Session, variation: Variation, *, by: User, kind: str, body: str) -> VariationMessage:
    body = (body or "").strip()
    if not body:
        raise DomainError("Enter your query" if kind == "query" else "Enter your answer", field="body")
    message = VariationMessage(variation=variation, kind=kind, body=body, author_id=by.id)
    session.add(message)
    session.flush()
    return message


def query(session: Session, *, variation: Variation, by: User, body: str) -> VariationMessage:
    session.refresh(variation, with_for_update=True)
    message = _message(session, variation, by=by, kind="query", body=body)
    workflow.transition(session, variation, VariationStatus.QUERIED, by=by,
                        details={"message_id": message.id, "body": message.body})
    tell_company(session, variation, subject=f"A question about your change request {variation.reference}",
                 template="variation_update", what=f"The fund manager asks:\n\n{message.body}\n\nAnswer it in "
                                                   f"Portfolio.")
    return message


def answer(session: Session, *, variation: Variation, by: User, body: str) -> VariationMessage:
    session.refresh(variation, with_for_update=True)
    if by.organisation_id != variation.award.organisation_id:
        raise DomainError("Only the company that holds the award can answer")
    message = _message(session, variation, by=by, kind="answer", body=body)
    workflow.transition(session, variation, VariationStatus.REQUESTED, by=by,
                        details={"message_id": message.id, "body": message.body})
    asker = next((m.author for m in reversed(variation.messages) if m.kind == "query"), None)
    tell_fund_manager(session, variation, asker, subject=f"The company has answered your query on "
                                                         f"{variation.reference}", what=message.body)
    return message


# --- approval ----------------------------------------------------------------------------------------------

def approval_problem(variation: Variation, by: User | None) -> str | None:
    """Separation of duties: who may not approve this variation (None: `by` may)."""
    if by is None:
        return None
    if variation.on_behalf and by.id == variation.requested_by_id:
        return "You requested this change on the company's behalf: another fund manager must approve it"
    if variation.status is VariationStatus.AWAITING_SECOND_APPROVAL and by.id == variation.first_approver_id:
        return "You gave the first approval: a second, different fund manager must approve it"
    return None


def approval_move(variation: Variation) -> str:
    """The approval a fund manager gives next: the first of two, or the one that decides."""
    if variation.status is VariationStatus.REQUESTED and variation.needs_second_approval:
        return "first_approval"
    return "approve"


def subsidy_assessment(session: Session, variation: Variation, *, on: date | None = None
                       ) -> subsidy.Assessment | None:
    """For a grant increase: the whole new grant assessed for subsidy control on `on` (today)."""
    if variation.kind is not K.GRANT_AMOUNT or variation.new_amount is None or \
            variation.new_amount <= variation.award.amount:
        return None
    application = variation.award.application
    on = on or uk_today()
    check = application.subsidy_check
    return subsidy.categorise(
        session, variation.new_amount, on=on, sensitive_sector=bool(check and check.sensitive_sector),
        previous=subsidy.enterprise_subsidies(session, variation.award.organisation_id, on,
                                              exclude_application_id=application.id),
        declared=subsidy.declared_public_funding(application))


def referral_problem(assessment: subsidy.Assessment | None, variation: Variation) -> str | None:
    if assessment is None:
        return None
    problem = subsidy.blocking_problem(assessment, variation)
    return problem.replace("before the award can be confirmed", "before the increase can be approved") \
        .replace("before the award is confirmed", "before the increase is approved") if problem else None


def record_referral(session: Session, *, variation: Variation, by: User, referred_to_sau: bool | None,
                    referral_reason: str | None = None, referred_on: date | None = None,
                    sau_reference: str | None = None) -> None:
    """The fund manager's referral decision for a grant increase, as for an award (subsidy.record_check)."""
    if variation.kind is not K.GRANT_AMOUNT or not variation.status.is_open or \
            variation.status is VariationStatus.APPROVED:
        raise DomainError("A referral is recorded on a grant increase that is not yet decided")
    if referred_to_sau is None:
        raise DomainError("Select whether the increase was referred to the Subsidy Advice Unit", field="referred_to_sau")
    if referred_to_sau and (referred_on is None or not sau_reference):
        raise DomainError("Enter the date of the referral and the Subsidy Advice Unit's reference",
                          field="referred_on" if referred_on is None else "sau_reference")
    if referred_to_sau is False and not (referral_reason or "").strip():
        raise DomainError("Enter why the increase was not referred", field="referral_reason")
    if referred_on and referred_on > uk_today():
        raise DomainError("The referral date must be today or in the past", field="referred_on")
    before = {"referred_to_sau": variation.referred_to_sau, "referral_reason": variation.referral_reason,
              "referred_on": variation.referred_on, "sau_reference": variation.sau_reference}
    variation.referred_to_sau = referred_to_sau
    variation.referral_reason = referral_reason.strip() if referred_to_sau is False else None
    variation.referred_on = referred_on if referred_to_sau else None
    variation.sau_reference = sau_reference if referred_to_sau else None
    session.flush()
    audit.record(session, actor=by, action="variation.referral_recorded", entity=variation, before=before,
                 after={"referred_to_sau": referred_to_sau, "referral_reason": variation.referral_reason,
                        "referred_on": variation.referred_on, "sau_reference": variation.sau_reference})


def _lock(session: Session, variation: Variation) -> Fund:
    """The fund first (the budget by year is checked under its lock, as approvals and offers do), then the
    award, then the variation."""
    award = variation.award
    fund = session.scalar(sa.select(Fund).where(Fund.id == award.fund_id).with_for_update()
                          .execution_options(populate_existing=True))
    session.refresh(award, with_for_update=True)
    session.refresh(variation, with_for_update=True)
    return fund


def approve(session: Session, *, variation: Variation, by: User, note: str | None = None) -> Variation:
    """Approve (or give the first of two approvals). The proposal is checked again against the current terms,
    a grant increase against subsidy control, and its profile against every year's headroom.

    :raise DomainError: with the reason; nothing changes."""
    fund = _lock(session, variation)
    award = variation.award
    if variation.status not in (VariationStatus.REQUESTED, VariationStatus.AWAITING_SECOND_APPROVAL):
        raise DomainError(f"This change is {variation.status.label.lower()}: it cannot be approved now")
    problem = approval_problem(variation, by)
    if problem:
        raise DomainError(problem)
    proposal = proposal_of(variation)
    _raise_first(proposal_problems(session, award, variation.kind, proposal))
    assessment = subsidy_assessment(session, variation)
    problem = referral_problem(assessment, variation)
    if problem:
        raise DomainError(problem, field="referred_to_sau")
    if variation.lines:
        found = budgets.budget_problems(session, fund=fund, profile=proposed_profile(variation), award=award,
                                        verb="This variation")
        if found:
            raise DomainError("; ".join(found), field="profile")
    now = utcnow()
    details = {"note": note} if note else {}
    if assessment is not None:
        details |= {"cumulative_subsidy": assessment.cumulative, "subsidy_category": assessment.category.value}
    if variation.status is VariationStatus.REQUESTED and variation.needs_second_approval:
        variation.first_approver_id, variation.first_approved_at = by.id, now
        workflow.transition(session, variation, VariationStatus.AWAITING_SECOND_APPROVAL, by=by, details=details)
        return variation
    variation.decided_by_id, variation.decided_at, variation.decision_note = by.id, now, note
    if assessment is not None:
        variation.new_cumulative_subsidy, variation.new_subsidy_category = assessment.cumulative, assessment.category
    workflow.transition(session, variation, VariationStatus.APPROVED, by=by, details=details)
    document = documents.request_document(session, kind=DocumentKind.AMENDMENT_LETTER, record=variation, by=by)
    variation.document_id = document.id
    tell_company(session, variation, subject=f"Your change request {variation.reference} is approved",
                 template="variation_update",
                 what="The change is approved. Read the amendment letter in Portfolio: a signatory of your "
                      "company accepts it to change the award's terms.")
    return variation


def reject(session: Session, *, variation: Variation, by: User, reason: str) -> None:
    session.refresh(variation, with_for_update=True)
    variation.decided_by_id, variation.decided_at, variation.decision_note = by.id, utcnow(), (reason or "").strip()
    workflow.transition(session, variation, VariationStatus.REJECTED, by=by, reason=reason)
    tell_company(session, variation, subject=f"Your change request {variation.reference} is rejected",
                 template="variation_update", what=f"The fund manager rejected the change:\n\n{reason.strip()}")


def withdraw(session: Session, *, variation: Variation, by: User, reason: str) -> None:
    session.refresh(variation, with_for_update=True)
    if by.role is Role.APPLICANT and by.organisation_id != variation.award.organisation_id:
        raise DomainError("Only the company that holds the award can withdraw its request")
    workflow.transition(session, variation, VariationStatus.WITHDRAWN, by=by, reason=reason)
    if by.role is Role.FUND_MANAGER:
        tell_company(session, variation, subject=f"Change request {variation.reference} withdrawn",
                     template="variation_update", what=f"A fund manager withdrew the request:\n\n{reason.strip()}")


# --- the company accepts the amendment ---------------------------------------------------------------------

def accept_problem(variation: Variation, by: User | None) -> str | None:
    """Why `by` cannot accept the amendment now (a signatory of the company that holds the award may)."""
    if by is None:
        return None
    if by.role is not Role.APPLICANT or by.organisation_id != variation.award.organisation_id:
        return "Only a signatory of the company can accept the amendment"
    if not by.is_signatory:
        return "Only a signatory of your organisation can accept the amendment"
    return None


def _new_terms(variation: Variation) -> dict:
    """The terms the variation changes, as award_terms.add_version takes them."""
    kind, base = variation.kind, base_terms(variation)
    if kind is K.TIME_EXTENSION:
        return {"project_completion": variation.new_completion}
    if kind is K.MILESTONES:
        return {"milestones": variation.new_milestones}
    if kind is K.SCOPE:
        values = {"eligible_capital_cost": variation.new_eligible_capital_cost}
        for name in ("scope", "site", "contracted_private_investment", "jobs_created", "jobs_safeguarded"):
            value = getattr(variation, f"new_{name}")
            if value is not None and value != "":
                values[name] = value
        return values
    if kind is K.GRANT_AMOUNT:
        values = {"amount": variation.new_amount}
        if variation.new_cumulative_subsidy is not None:  # an increase, assessed again at the approval
            values |= {"cumulative_subsidy": variation.new_cumulative_subsidy,
                       "subsidy_category": variation.new_subsidy_category}
        else:  # a decrease: the cumulative subsidy falls by as much
            values["cumulative_subsidy"] = base.cumulative_subsidy - (base.amount - variation.new_amount) \
                if base.cumulative_subsidy is not None else None
        return values
    if kind is K.COMPANY:
        values = {"company_name": variation.new_company_name}
        if variation.new_organisation_id is not None:
            values["organisation_id"] = variation.new_organisation_id
        return values
    return {}


@dataclass(frozen=True)
class TermRow:
    label: str
    before: str
    after: str
    changed: bool


def side_by_side(variation: Variation) -> list[TermRow]:
    """Every term of the award before and after the variation (the amendment letter shows them all)."""
    base = base_terms(variation)
    if base is None:
        return []
    before = award_terms.values_of(base)
    after = before | {name: value for name, value in _new_terms(variation).items() if value is not None}
    session = object_session(variation)
    rows = []
    for name, label, show in award_terms.FIELDS:
        def shown(value, show=show):
            return "Not set" if value is None or value == "" else show(value)
        rows.append(TermRow(label, shown(before[name]), shown(after[name]), before[name] != after[name]))
        if name == "company_name":
            old, new = (session.get(Organisation, before["organisation_id"]),
                        session.get(Organisation, after["organisation_id"]))
            rows.append(TermRow("Company number", old.company_number, new.company_number, old.id != new.id))
    return rows


def accept(session: Session, *, variation: Variation, by: User) -> None:
    """Accept the amendment: the award's terms get a new version, which the award, its offer, the ledger,
    the return schedule and the subsidy record follow."""
    session.refresh(variation.award, with_for_update=True)
    session.refresh(variation, with_for_update=True)
    award = variation.award
    before = {"amount": award.amount, "organisation_id": award.organisation_id,
              "transparency_due_on": award.transparency_due_on}
    variation.accepted_by_id, variation.accepted_at = by.id, utcnow()
    workflow.transition(session, variation, VariationStatus.ACCEPTED, by=by)
    profile = proposed_profile(variation) if variation.lines else None
    terms = award_terms.add_version(session, award, variation=variation, by=by, values=_new_terms(variation),
                                    profile=profile)
    if variation.kind is K.GRANT_AMOUNT and variation.new_subsidy_category is not None and \
            variation.decided_at is not None:
        decided_on = uk_date(variation.decided_at)
        if variation.new_amount > subsidy.threshold(session, subsidy.ThresholdKey.TRANSPARENCY, decided_on):
            # The subsidy database entry must show the new amount: due three months after the decision.
            award.transparency_due_on = add_months(decided_on, subsidy.TRANSPARENCY_MONTHS)
            award.transparency_uploaded_on, award.transparency_reference = None, None
    if variation.kind is K.TIME_EXTENSION:
        reschedule_returns(session, award, by=by)
    session.flush()
    audit.record(session, actor=by, action="award.terms_varied", entity=award, before=before, after={
        "variation_id": variation.id, "version": terms.version, "changes": terms.changes, "amount": award.amount,
        "organisation_id": award.organisation_id, "transparency_due_on": award.transparency_due_on})
    approver = variation.decided_by
    tell_fund_manager(session, variation, approver, subject=f"The company accepted the amendment "
                                                            f"{variation.reference}",
                      what=f"The award's terms are now version {terms.version}.")


def reschedule_returns(session: Session, award: Award, *, by: User, today: date | None = None
                       ) -> list[MonitoringReturn]:
    """The return schedule after a time extension: returns the company has submitted (or that are already
    due) stay as they are; the returns not yet due take the new schedule's periods from there on, the
    same rows where there are enough of them, and new ones (numbered after them) where there are not."""
    today = today or uk_today()
    start, completion = project_period(award)
    returns = monitoring.returns_of(session, award)
    if start is None or not returns:
        return returns
    kept = [r for r in returns if r.status is not ReturnStatus.OPEN or r.submitted_at is not None or r.due_on < today]
    movable = [r for r in returns if r not in kept]
    last_end = max((r.period_end for r in kept), default=None)
    periods = [period for period in monitoring.schedule(award.application.rules_in_force, start=start,
                                                        completion=completion)
               if last_end is None or period.end > last_end]
    before = [{"number": r.number, "period_end": r.period_end, "due_on": r.due_on} for r in movable]
    number = max((r.number for r in kept), default=0)
    # Renumber the movable rows out of the way first, so (award, number) stays unique while they move.
    offset = max(r.number for r in returns) + len(periods) + 1
    for moving in movable:
        moving.number += offset
    session.flush()
    changed = []
    for index, period in enumerate(periods):
        number += 1
        period_start = period.start if last_end is None else max(period.start, last_end + timedelta(days=1))
        if index < len(movable):
            item = movable[index]
            item.number, item.kind, item.period_start, item.period_end, item.due_on = (
                number, period.kind, period_start, period.end, period.due_on)
            item.reminded_before_at = item.reminded_due_at = None
        else:
            item = MonitoringReturn(award=award, number=number, kind=period.kind, period_start=period_start,
                                    period_end=period.end, due_on=period.due_on, explanations={})
            workflow.start(session, item, by=None)
        changed.append(item)
    for surplus in movable[len(periods):]:
        session.delete(surplus)
    session.flush()
    audit.record(session, actor=by, action="monitoring.rescheduled", entity=award,
                 before={"returns": before},
                 after={"returns": [{"number": r.number, "period_end": r.period_end, "due_on": r.due_on}
                                    for r in changed], "kept": [r.number for r in kept]})
    return monitoring.returns_of(session, award)
