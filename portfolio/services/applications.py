"""Full LSIMF applications: task-list sections with optimistic locking, itemised costs with
computed totals, the submission rules, versions, and return for changes."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload, object_session
from sqlalchemy.orm.exc import StaleDataError

from portfolio.dates import govuk_date
from portfolio.models import (
    ApplicationStatus,
    ExpressionOfInterest,
    FundRules,
    ProductType,
    Upload,
    User,
)
from portfolio.models.application import (
    Application,
    ApplicationSection,
    ApplicationVersion,
    CostItem,
)
from portfolio.models.base import utcnow
from portfolio.models.statuses import Cluster
from portfolio.money import money
from portfolio.services import audit, mail, profiles, uploads, workflow
from portfolio.services.errors import DomainError, NotFound
from portfolio.postcodes import region_for

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    answered: bool = True  # a page of questions (portfolio.forms.applications.SECTION_FORMS); False: a
    #                        page of its own (costs, documents)


SECTIONS = [
    Section("organisation", "Organisation details"),
    Section("project", "Project and site"),
    Section("products", "Products and modality"),
    Section("costs", "Project costs", answered=False),
    Section("funding", "Funding"),
    Section("profile", "Grant profile", answered=False),
    Section("jobs", "Jobs created and safeguarded"),
    Section("spillovers", "Research and development spillovers"),
    Section("health_resilience", "Health resilience"),
    Section("net_zero", "Net zero"),
    Section("delivery", "Delivery milestones and risks"),
    Section("documents", "Supporting documents", answered=False),
    Section("declarations", "Declarations"),
]
SECTIONS_BY_KEY = {section.key: section for section in SECTIONS}


class StaleSection(DomainError):
    """Someone saved this section after the user loaded it: nothing was overwritten."""

    def __init__(self, section: ApplicationSection) -> None:
        super().__init__("A colleague changed this section while you were editing it")
        self.section = section


# --- reading -------------------------------------------------------------------------------

def for_organisation(session: Session, organisation_id: int) -> list[Application]:
    return list(session.scalars(sa.select(Application).where(Application.organisation_id == organisation_id)
                                .order_by(Application.id.desc())))


@dataclass
class Filters:
    round_id: int | None = None
    status: ApplicationStatus | None = None
    region: str | None = None
    cluster: str | None = None
    product_type: str | None = None


def search(session: Session, filters: Filters, *, page: int = 1, per_page: int = 25):
    query = sa.select(Application)
    for column, value in ((Application.round_id, filters.round_id), (Application.status, filters.status),
                          (Application.region, filters.region), (Application.cluster, filters.cluster),
                          (Application.product_type, filters.product_type)):
        if value:
            query = query.where(column == value)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    rows = session.scalars(query.options(joinedload(Application.organisation)).order_by(Application.id)
                           .limit(per_page).offset((page - 1) * per_page)).all()
    return rows, total


def completeness(session: Session, rows: list[Application]) -> dict[int, int]:
    """How many task-list sections each draft among `rows` has complete (the staff list shows that a
    draft exists and how far it has got, never its answers). Three statements however many rows."""
    drafts = [a.id for a in rows if a.status is ApplicationStatus.DRAFT]
    if not drafts:
        return {}
    done = dict.fromkeys(drafts, 0)
    for application_id, count in session.execute(
            sa.select(ApplicationSection.application_id, sa.func.count())
            .where(ApplicationSection.application_id.in_(drafts), ApplicationSection.complete.is_(True))
            .group_by(ApplicationSection.application_id)):
        done[application_id] += count
    for model, owner in ((CostItem, CostItem.application_id), (Upload, Upload.owner_id)):
        query = sa.select(owner).where(owner.in_(drafts)).distinct()
        if model is Upload:
            query = query.where(Upload.owner_type == Application.__record_type__, Upload.deleted_at.is_(None))
        for (application_id,) in session.execute(query):
            done[application_id] += 1
    return done


def project_period(application: Application) -> tuple[date | None, date | None]:
    """The project's start and completion dates as the application's grant profile section gives them."""
    data = answers(application, "profile")

    def day(name: str) -> date | None:
        try:
            return date.fromisoformat(data[name]) if data.get(name) else None
        except (TypeError, ValueError):
            return None

    return day("project_start"), day("project_completion")


def profile_of(application: Application) -> profiles.Profile:
    """The grant the application asks for in each financial quarter."""
    return profiles.of_lines(application.profile_lines)


def profile_problems(application: Application) -> list[str]:
    """Why the grant profile cannot stand as it is (empty when it can): the project dates given, and the
    quarters adding up to the grant requested, to the penny, inside the project period. Read afresh each
    time, so a profile that stopped adding up when the grant requested changed is flagged."""
    start, completion = project_period(application)
    if start is None or completion is None:
        return ["Enter the project start and completion dates in the grant profile"]
    if application.grant_requested is None:
        return ["Answer the Funding section: the grant profile must add up to the grant requested"]
    if not application.profile_lines:
        return ["Enter how much grant you will claim in each quarter of the project"]
    return profiles.problems(profile_of(application), grant=application.grant_requested, start=start,
                             completion=completion, noun="grant profile")


def profile_summary(application: Application) -> dict:
    """The grant profile as the check page, the summary and its PDF show it: by financial year and quarter,
    with the year totals, the grand total, and why it cannot stand (if it cannot)."""
    start, completion = project_period(application)
    period = profiles.quarters(start, completion) if start and completion and start <= completion else []
    amounts = profile_of(application)
    return {"start": start, "completion": completion, "table": profiles.table(amounts, period),
            "total": profiles.total(amounts), "problems": profile_problems(application),
            "started": application.section("profile") is not None}


def answers(application: Application, key: str) -> dict:
    section = application.section(key)
    return dict(section.data) if section else {}


def documents(session: Session, application: Application):
    return uploads.files_of(session, application)


def is_complete(application: Application, key: str) -> bool:
    if key == "costs":
        return bool(application.cost_items)
    if key == "documents":
        return bool(documents(object_session(application), application))
    if key == "profile":
        return application.section(key) is not None and not profile_problems(application)
    section = application.section(key)
    return bool(section and section.complete)


def editable(application: Application) -> bool:
    return application.status is ApplicationStatus.DRAFT


# --- money ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Totals:
    total: Decimal
    capital: Decimal
    eligible_capital: Decimal


def totals(items) -> Totals:
    total = sum((i.amount for i in items), ZERO)
    capital = sum((i.amount for i in items if i.is_capital), ZERO)
    eligible = sum((i.amount for i in items if i.is_capital and i.is_eligible), ZERO)
    return Totals(total, capital, eligible)


def intervention_rate(grant: Decimal | None, total: Decimal) -> Decimal | None:
    """Grant as a percentage of the total project cost, to 2 decimal places, for display."""
    if grant is None or not total:
        return None
    return (grant * 100 / total).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- writing -------------------------------------------------------------------------------

def start_from_eoi(session: Session, *, eoi: ExpressionOfInterest, by: User) -> Application:
    """The draft application an invitation opens, pre-filled from the EOI where it can be."""
    application = Application(
        fund=eoi.fund, round=eoi.invited_round, organisation=eoi.organisation, eoi=eoi,
        project_title=eoi.project_title, product_type=eoi.product_type.value if eoi.product_type else None,
        region=region_for(eoi.site_postcode) if eoi.site_postcode else None,
    )
    workflow.start(session, application, by=by, details={"eoi_id": eoi.id, "round_id": eoi.invited_round.id})
    return application


def initial_answers(application: Application, key: str) -> dict:
    """Saved answers, or for a section never saved, what the EOI already told us."""
    saved = answers(application, key)
    if saved:
        return saved
    eoi = application.eoi
    if key == "project":
        return {"project_summary": eoi.project_summary, "site_postcode": eoi.site_postcode}
    if key == "products":
        return {"product_type": eoi.product_type.value if eoi.product_type else None}
    if key == "funding":
        return {"grant_requested": str(eoi.grant_sought) if eoi.grant_sought is not None else None}
    return {}


def _require_editable(session: Session, application: Application) -> None:
    """Lock the application while its answers change (so a submission cannot happen halfway through
    a change) and refuse once it has been submitted."""
    workflow.lock(session, application)
    if not editable(application):
        raise DomainError("This application has been submitted and can no longer be changed")


def save_section(session: Session, *, application: Application, key: str, data: dict, revision: int | None,
                 by: User) -> ApplicationSection:
    """Save a section if nobody else has since the user loaded it (else StaleSection)."""
    _require_editable(session, application)
    section = application.section(key)
    before = dict(section.data) if section else {}
    if section is None:
        section = ApplicationSection(application=application, key=key, data=data, complete=True,
                                     updated_by_id=by.id)
        session.add(section)
    elif revision != section.revision:
        raise StaleSection(section)
    else:
        section.data, section.complete, section.updated_by_id = data, True, by.id
        section.updated_at = utcnow()
    try:
        with session.begin_nested():
            session.flush()
    except (StaleDataError, sa.exc.IntegrityError):
        # Someone saved in the moment between our read and our write.
        session.rollback()
        current = session.scalar(sa.select(ApplicationSection).where(
            ApplicationSection.application_id == application.id, ApplicationSection.key == key))
        raise StaleSection(current) from None
    _derive(application, key, data)
    if key == "profile":
        section.complete = not profile_problems(application)
    changed = {k: v for k, v in data.items() if before.get(k) != v}
    audit.record(session, actor=by, action="application.section_saved", entity=application,
                 before={"section": key, **{k: before.get(k) for k in changed}},
                 after={"section": key, "revision": section.revision, **changed})
    return section


def _derive(application: Application, key: str, data: dict) -> None:
    """Keep the headline columns in step with the sections they come from."""
    if key == "organisation":
        application.company_size = data["company_size"]
    elif key == "project":
        application.region = region_for(data["site_postcode"])
        application.cluster = Cluster(data["cluster"])
    elif key == "products":
        application.product_type = ProductType(data["product_type"]).value
    elif key == "funding":
        application.grant_requested = Decimal(data["grant_requested"])
        application.private_investment = Decimal(data["private_investment"])


def save_project_period(session: Session, *, application: Application, start: date, completion: date,
                        revision: int | None, by: User) -> ApplicationSection:
    """The first page of the grant profile: the project's start and completion dates."""
    if completion <= start:
        raise DomainError("The project must complete after it starts", field="project_completion")
    return save_section(session, application=application, key="profile", revision=revision, by=by,
                        data={"project_start": start.isoformat(), "project_completion": completion.isoformat()})


def save_profile(session: Session, *, application: Application, profile: profiles.Profile, revision: int | None,
                 by: User) -> ApplicationSection:
    """The grant the company will claim in each quarter, replacing what was there, if nobody has changed the
    section since the user loaded it (else StaleSection). Refused unless it adds up to the grant requested
    to the penny, inside the project period, with no amount below zero.

    :raise DomainError: (field "profile") why the profile cannot stand; nothing is saved."""
    _require_editable(session, application)
    section = application.section("profile")
    if section is None:
        raise DomainError("Enter the project start and completion dates first", field="profile")
    if revision != section.revision:
        raise StaleSection(section)
    start, completion = project_period(application)
    if application.grant_requested is None:
        raise DomainError("Answer the Funding section first: the grant profile must add up to the grant requested",
                          field="profile")
    found = profiles.problems(profile, grant=application.grant_requested, start=start, completion=completion,
                              noun="grant profile")
    if found:
        raise DomainError("; ".join(found), field="profile")
    before = profiles.by_year(profile_of(application))
    application.profile_lines = profiles.to_lines(profile)
    section.complete, section.updated_by_id, section.updated_at = True, by.id, utcnow()  # a new revision
    try:
        with session.begin_nested():
            session.flush()
    except StaleDataError:
        session.rollback()
        current = session.scalar(sa.select(ApplicationSection).where(
            ApplicationSection.application_id == application.id, ApplicationSection.key == "profile"))
        raise StaleSection(current) from None
    audit.record(session, actor=by, action="application.profile_saved", entity=application,
                 before={"section": "profile", "by_year": before},
                 after={"section": "profile", "revision": section.revision, "by_year": profiles.by_year(profile),
                        "quarters": {quarter.isoformat(): amount for quarter, amount in sorted(profile.items())}})
    return section


def add_cost_item(session: Session, *, application: Application, by: User, category: str, description: str,
                  amount: Decimal, is_capital: bool, is_eligible: bool) -> CostItem:
    _require_editable(session, application)
    item = CostItem(application=application, category=category, description=description, amount=amount,
                    is_capital=is_capital, is_eligible=is_eligible)
    session.add(item)
    session.flush()
    _recompute_costs(application)
    audit.record(session, actor=by, action="application.cost_added", entity=application,
                 after={"item_id": item.id, "category": category, "description": description, "amount": amount,
                        "is_capital": is_capital, "is_eligible": is_eligible})
    return item


def remove_cost_item(session: Session, *, application: Application, item_id: int, by: User) -> None:
    _require_editable(session, application)
    item = next((i for i in application.cost_items if i.id == item_id), None)
    if item is None:
        raise NotFound()
    application.cost_items.remove(item)
    session.flush()
    _recompute_costs(application)
    audit.record(session, actor=by, action="application.cost_removed", entity=application,
                 before={"item_id": item_id, "description": item.description, "amount": item.amount})


def _recompute_costs(application: Application) -> None:
    result = totals(application.cost_items)
    application.total_project_cost = result.total
    application.eligible_capital_cost = result.eligible_capital


def attach_document(session: Session, *, application: Application, file_storage, by: User):
    _require_editable(session, application)
    upload = uploads.save_upload(session, file_storage=file_storage, organisation=application.organisation, by=by,
                                 purpose="application_evidence", owner=application)
    audit.record(session, actor=by, action="application.document_added", entity=application,
                 after={"upload_id": upload.id, "filename": upload.original_filename, "sha256": upload.sha256})
    return upload


def remove_document(session: Session, *, application: Application, upload, by: User) -> None:
    _require_editable(session, application)
    uploads.delete_upload(session, upload=upload, by=by)
    audit.record(session, actor=by, action="application.document_removed", entity=application,
                 before={"upload_id": upload.id, "filename": upload.original_filename})


# --- submission ----------------------------------------------------------------------------

def submission_problems(application: Application, rules: FundRules, *, now: datetime) -> list[str]:
    """Every reason the application cannot be submitted yet, in words for the company."""
    problems = [f"Complete the section: {s.title}" for s in SECTIONS
                if s.key != "profile" and not is_complete(application, s.key)]
    problems += [f"Grant profile: {problem}" for problem in profile_problems(application)]
    if now >= application.round.deadline:
        problems.append(f"The deadline for {application.round.name} has passed")
    total, grant = application.total_project_cost, application.grant_requested
    if is_complete(application, "costs") and total < rules.min_project_cost:
        problems.append(f"The total project cost must be at least {money(rules.min_project_cost)}")
    if grant is not None:
        if grant < rules.min_grant:
            problems.append(f"The grant requested must be at least {money(rules.min_grant)}")
        if grant > application.eligible_capital_cost:
            problems.append("The grant requested must not be more than the eligible capital costs "
                            f"({money(application.eligible_capital_cost)})")
        if total and grant > total * rules.hard_cap_rate:
            problems.append(f"The grant requested must be no more than {rules.hard_cap_rate * 100:.0f}% of the "
                            f"total project cost ({money(total * rules.hard_cap_rate)})")
        elif total and grant > total * rules.justification_rate and not answers(application, "funding").get(
                "justification"):
            problems.append(f"The grant is more than {rules.justification_rate * 100:.0f}% of the total project "
                            "cost: explain why you need this much in the Funding section")
    return problems


def snapshot(application: Application) -> dict:
    return {
        "project_title": application.project_title,
        "round_id": application.round_id,
        "sections": {s.key: answers(application, s.key) for s in SECTIONS if s.answered},
        "documents": [{"filename": u.original_filename, "kind": u.kind, "size": u.size, "sha256": u.sha256}
                      for u in documents(object_session(application), application)],
        "cost_items": [{"category": i.category, "description": i.description, "amount": str(i.amount),
                        "is_capital": i.is_capital, "is_eligible": i.is_eligible} for i in application.cost_items],
        "total_project_cost": str(application.total_project_cost),
        "eligible_capital_cost": str(application.eligible_capital_cost),
        "grant_requested": str(application.grant_requested),
        "private_investment": str(application.private_investment),
        "profile": {**answers(application, "profile"),
                    "quarters": {quarter.isoformat(): str(amount)
                                 for quarter, amount in profile_of(application).items()}},
    }


def submit(session: Session, *, application: Application, by: User) -> ApplicationVersion:
    workflow.lock(session, application)
    if not workflow.allowed(application, ApplicationStatus.SUBMITTED, by):
        raise DomainError("This application has been submitted and can no longer be changed")
    rules = application.fund.rules
    problems = submission_problems(application, rules, now=utcnow())
    if problems:
        raise DomainError("; ".join(problems))
    application.submitted_at = utcnow()
    application.submitted_by_id = by.id
    application.rules_id = rules.id
    version = ApplicationVersion(application=application, number=application.version_number,
                                 snapshot=snapshot(application), submitted_at=application.submitted_at,
                                 submitted_by_id=by.id)
    session.add(version)
    workflow.transition(session, application, ApplicationStatus.SUBMITTED, by=by,
                        details={"version": version.number, "rules_id": rules.id})
    tell_company(session, application, subject="We have received your LSIMF application",
                  template="application_submitted")
    return version


def return_for_changes(session: Session, *, application: Application, by: User, reason: str) -> None:
    workflow.lock(session, application)
    problem = workflow.refusal(application, ApplicationStatus.DRAFT, by)
    if problem:
        raise workflow.InvalidTransition(problem)
    version = application.versions[-1]
    version.returned_at, version.returned_by_id, version.return_reason = utcnow(), by.id, reason
    workflow.transition(session, application, ApplicationStatus.DRAFT, by=by, reason=reason,
                        details={"version": version.number})
    application.version_number += 1
    tell_company(session, application, subject="Your LSIMF application has been returned for changes",
                  template="application_returned", reason=reason)


@dataclass(frozen=True)
class NextStep:
    """What the company does next with an application, for its home page: words, and optionally a
    link (its text, and the record whose page it opens)."""

    text: str
    link_text: str | None = None
    record: object = None
    overdue: bool = False


def next_step(application: Application, due: "MonitoringReturn | None", today) -> NextStep:  # noqa: F821
    """`due`: the award's next monitoring return to submit, if any."""
    status = application.status
    if status is ApplicationStatus.DRAFT:
        again = "Make the changes asked for and submit again" if application.version_number > 1 else \
            "Complete every section and submit"
        return NextStep(f"{again} by {govuk_date(application.round.deadline)}")
    if status is ApplicationStatus.OFFER_ISSUED:
        return NextStep(f"A signatory accepts the grant offer by {govuk_date(application.award.offer.expires_at)}")
    if status is ApplicationStatus.OFFER_ACCEPTED:
        if due is not None and due.period_end < today:
            return NextStep(f" by {govuk_date(due.due_on)}", f"Submit monitoring return {due.number}", due,
                            overdue=due.is_overdue(today))
        later = f"; monitoring return {due.number} is due by {govuk_date(due.due_on)}" if due else ""
        return NextStep(f" for eligible costs you have paid{later}", "Claim grant", application.award)
    return NextStep({ApplicationStatus.APPROVED: "Wait for the grant offer letter",
                     ApplicationStatus.REJECTED: "Read the feedback from the fund",
                     ApplicationStatus.OFFER_EXPIRED: "None",
                     ApplicationStatus.WITHDRAWN: "None"}.get(status, "Wait for the assessment"))


def tell_company(session: Session, application: Application, *, subject: str, template: str, **context) -> None:
    """Email every active user of the applicant organisation (templates/email/<template>.txt)."""
    for user in application.organisation.users:
        if user.is_active:
            mail.send_email(session, to=user.email, subject=subject, template=template,
                            application=application, user=user, **context)
