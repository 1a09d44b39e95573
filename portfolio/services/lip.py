"""Large Investment Portfolio cases (PRODUCT.md §3, issue 7): investments over £250m, worked by
account and fund managers from enquiry to delivery.

    enquiry -> qualification -> proposition -> negotiation -> approvals -> agreed -> delivery -> closed
    any open stage -> lost | withdrawn   (with the reason)

Stages move only through `move()`, which checks STAGE_TRANSITIONS (who may make each move), the
guards (agreed: no required approval outstanding) and records the change and an audit event.

The UK offer is a list of components; its total and the public share of the investment are
computed. A component linked to an LSIMF award takes the award's amount and status. Components
that are subsidies count towards the enterprise's cumulative subsidies by the dated thresholds of
portfolio.services.subsidy, which decide what the subsidy control approval needs.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from portfolio.dates import UK, uk_today
from portfolio.models import (
    Award,
    AwardStatus,
    LipAction,
    LipApproval,
    LipApprovalKind,
    LipApprovalStatus,
    LipCase,
    LipComponent,
    LipComponentKind,
    LipComponentStatus,
    LipMeeting,
    LipRisk,
    LipSector,
    LipSite,
    LipStage,
    Rag,
    Region,
    Role,
    SubsidyCategory,
    Upload,
    User,
)
from portfolio.models.base import utcnow
from portfolio.models.roles import CASE_WORKERS
from portfolio.references import reference
from portfolio import postcodes
from portfolio.services import audit, organisations, policy, subsidy, uploads, workflow
from portfolio.services.errors import DomainError, NotFound

MINIMUM_INVESTMENT = Decimal("250000000.00")  # PRODUCT.md §3: a case is for investments over £250m
ZERO = Decimal("0.00")

S = LipStage
OPEN_STAGES = tuple(stage for stage in LipStage if stage.is_open)
# The offer (package and approvals) is settled once the case is agreed.
OFFER_OPEN = (S.ENQUIRY, S.QUALIFICATION, S.PROPOSITION, S.NEGOTIATION, S.APPROVALS)


# --- reading ----------------------------------------------------------------------------------------

def staff(session: Session, roles=CASE_WORKERS) -> list[User]:
    return list(session.scalars(sa.select(User).where(User.role.in_(roles), User.is_active.is_(True))
                                .order_by(User.name)))


def days_in_stage(case: LipCase, today: date | None = None) -> int:
    return ((today or uk_today()) - case.stage_entered_at.astimezone(UK).date()).days


def next_stages(case: LipCase, user: User) -> list[LipStage]:
    """The stages `user` may move the case to (agreed among them while approvals stop it: choosing it
    says why)."""
    return workflow.targets(case, user, guarded=False)


# --- the UK offer ---------------------------------------------------------------------------------

def component_amount(component: LipComponent) -> Decimal | None:
    return component.award.amount if component.award is not None else component.amount


def component_status(component: LipComponent) -> LipComponentStatus:
    """A linked award's status decides: accepted is agreed, released is declined, otherwise proposed."""
    if component.award is None:
        return component.status
    return {AwardStatus.ACCEPTED: LipComponentStatus.AGREED,
            AwardStatus.RELEASED: LipComponentStatus.DECLINED}.get(component.award.status, LipComponentStatus.PROPOSED)


@dataclass
class Package:
    total: Decimal  # proposed and agreed components
    agreed: Decimal
    subsidy: Decimal  # the proposed and agreed components that are subsidies
    public_share: Decimal | None  # total ÷ total investment, as a percentage to 2 places

    @property
    def public_share_text(self) -> str:
        return "" if self.public_share is None else f"{self.public_share}%"


def package(case: LipCase) -> Package:
    total = agreed = subsidies = ZERO
    for component in case.components:
        status, amount = component_status(component), component_amount(component) or ZERO
        if status is LipComponentStatus.DECLINED:
            continue
        total += amount
        if status is LipComponentStatus.AGREED:
            agreed += amount
        if component.is_subsidy:
            subsidies += amount
    share = None
    if case.total_investment:
        share = (total * 100 / case.total_investment).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return Package(total=total, agreed=agreed, subsidy=subsidies, public_share=share)


def subsidy_assessment(session: Session, case: LipCase, on: date | None = None) -> subsidy.Assessment:
    """The package's subsidies assessed as one subsidy to the enterprise: its other subsidies in the
    applicable period (LSIMF awards, other cases' agreed subsidies) are added by the dated thresholds."""
    on = on or uk_today()
    own = package(case).subsidy
    linked = {component.award_id for component in case.components if component.award_id is not None}
    # This case's linked awards are already in `own`: take them out of the enterprise's other subsidies.
    previous = subsidy.enterprise_subsidies(session, case.organisation_id, on, exclude_case_id=case.id)
    for award_id in linked:
        award = session.get(Award, award_id)
        if award.status is not AwardStatus.RELEASED and (
                subsidy.applicable_period_start(on) <= award.decided_at.astimezone(UK).date() <= on):
            previous -= award.amount
    return subsidy.categorise(session, own, on=on, sensitive_sector=case.sensitive_sector, previous=previous)


def subsidy_required(case: LipCase) -> bool:
    return package(case).subsidy > ZERO


def _require_offer_open(case: LipCase) -> None:
    if case.stage not in OFFER_OPEN:
        raise DomainError(f"The case is {case.stage.label.lower()}: its offer and approvals can no longer change")


def add_component(session: Session, *, case: LipCase, by: User, kind: LipComponentKind, owner_body: str,
                  amount: Decimal | None, description: str, status: LipComponentStatus, is_subsidy: bool,
                  award_id: int | None = None) -> LipComponent:
    _require_offer_open(case)
    award = None
    if award_id is not None:
        award = session.get(Award, award_id)
        if award is None or award.organisation_id != case.organisation_id:
            raise DomainError("Select an LSIMF award to this company", field="award_id")
        if any(c.award_id == award_id for c in case.components):
            raise DomainError("That award is already in the package", field="award_id")
        kind, amount, is_subsidy = LipComponentKind.LSIMF_GRANT, None, True
        owner_body = owner_body or f"Office for Life Sciences ({reference(award)})"
    elif amount is None and not description:
        raise DomainError("Enter the amount or describe the support", field="amount")
    if is_subsidy and award is None and amount is None:
        raise DomainError("Enter the amount of a subsidy", field="amount")
    component = LipComponent(case=case, kind=kind, owner_body=owner_body or kind.default_owner, amount=amount,
                             description=description, is_subsidy=is_subsidy, award=award,
                             agreed_on=uk_today() if status is LipComponentStatus.AGREED else None)
    workflow.start(session, component, status, by=by)
    audit.record(session, actor=by, action="lip_case.component_added", entity=case, after={
        "component_id": component.id, "kind": kind.value, "owner_body": component.owner_body, "amount": amount,
        "status": status.value, "is_subsidy": is_subsidy, "award_id": award_id})
    return component


def set_component_status(session: Session, *, case: LipCase, by: User, component_id: int,
                         status: LipComponentStatus) -> LipComponent:
    _require_offer_open(case)
    component = next((c for c in case.components if c.id == component_id), None)
    if component is None:
        raise NotFound()
    if component.award is not None:
        raise DomainError("A linked LSIMF award's status comes from the award")
    if component.status is not status:
        workflow.transition(session, component, status, by=by, details={"case_id": case.id})
    component.agreed_on = uk_today() if status is LipComponentStatus.AGREED else None
    return component


def remove_component(session: Session, *, case: LipCase, by: User, component_id: int) -> LipComponent:
    _require_offer_open(case)
    component = next((c for c in case.components if c.id == component_id), None)
    if component is None:
        raise NotFound()
    case.components.remove(component)
    audit.record(session, actor=by, action="lip_case.component_removed", entity=case,
                 before={"component_id": component.id, "kind": component.kind.value, "amount": component.amount})
    return component


def linkable_awards(session: Session, case: LipCase) -> list[Award]:
    linked = {c.award_id for c in case.components}
    return [award for award in session.scalars(
        sa.select(Award).where(Award.organisation_id == case.organisation_id, Award.status != AwardStatus.RELEASED)
        .order_by(Award.id)) if award.id not in linked]


# --- approvals ------------------------------------------------------------------------------------

def approval_problems(session: Session, case: LipCase) -> list[str]:
    """Every required approval not yet given, in words; empty when the case may be agreed."""
    problems = []
    for approval in case.approvals:
        label = approval.kind.label
        if approval.kind is LipApprovalKind.SUBSIDY_CONTROL:
            if not subsidy_required(case):
                continue
            if approval.status is not LipApprovalStatus.APPROVED:
                problems.append(f"{label} approval is outstanding: the package includes subsidies")
            elif approval.approved_subsidy != package(case).subsidy:
                problems.append(f"{label} approval is out of date: the package's subsidies changed since "
                                f"{approval.decided_on:%d/%m/%Y}. Record it again")
        elif approval.status is LipApprovalStatus.REFUSED:
            problems.append(f"{label} approval was refused")
        elif approval.status is LipApprovalStatus.OUTSTANDING:
            problems.append(f"{label} approval is outstanding")
    return problems


def record_approval(session: Session, *, case: LipCase, by: User, kind: LipApprovalKind,
                    status: LipApprovalStatus, decided_on: date, reference: str | None, note: str | None
                    ) -> LipApproval:
    """Record an approval's outcome. Not needed and refused need a note; subsidy control can only be
    approved once the referral the thresholds call for is recorded, and is never "not needed" while
    the package has subsidies."""
    _require_offer_open(case)
    if status is LipApprovalStatus.OUTSTANDING:
        raise DomainError("Select the outcome", field="status")
    if decided_on > uk_today():
        raise DomainError("The date must be today or in the past", field="decided_on")
    if status in (LipApprovalStatus.NOT_NEEDED, LipApprovalStatus.REFUSED) and not note:
        raise DomainError("Enter why it is not needed" if status is LipApprovalStatus.NOT_NEEDED
                          else "Enter why it was refused", field="note")
    approval = case.approval(kind)
    approved_subsidy = None
    if kind is LipApprovalKind.SUBSIDY_CONTROL:
        if status is LipApprovalStatus.NOT_NEEDED and subsidy_required(case):
            raise DomainError("Subsidy control approval is needed: the package includes subsidies", field="status")
        if status is LipApprovalStatus.APPROVED:
            if not subsidy_required(case):
                raise DomainError("The package has no subsidies: record subsidy control as not needed",
                                  field="status")
            problem = referral_problem(subsidy_assessment(session, case), case)
            if problem:
                raise DomainError(problem, field="status")
            approved_subsidy = package(case).subsidy
    approval.decided_on, approval.reference = decided_on, reference or None
    approval.note, approval.recorded_by_id, approval.approved_subsidy = note or None, by.id, approved_subsidy
    workflow.transition(session, approval, status, by=by, details={
        "case_id": case.id, "kind": kind.value, "decided_on": decided_on, "reference": reference, "note": note,
        "approved_subsidy": approved_subsidy})
    return approval


def referral_problem(assessment: subsidy.Assessment, case: LipCase) -> str | None:
    """What the thresholds call for before subsidy control is approved (as for an LSIMF award)."""
    if assessment.category is SubsidyCategory.PARTICULAR_INTEREST and not case.referred_to_sau:
        return ("This is a Subsidy of Particular Interest: record the referral to the CMA Subsidy Advice Unit "
                "before subsidy control is approved")
    if assessment.category is SubsidyCategory.INTEREST and case.referred_to_sau is None:
        return ("This is a Subsidy of Interest: record whether it was referred to the CMA Subsidy Advice Unit "
                "before subsidy control is approved")
    return None


def record_subsidy_check(session: Session, *, case: LipCase, by: User, sensitive_sector: bool,
                         referred_to_sau: bool | None, referral_reason: str | None = None,
                         referred_on: date | None = None, sau_reference: str | None = None) -> None:
    """The sensitive-sector answer and the referral to the CMA Subsidy Advice Unit (the same rules as
    an LSIMF decision's subsidy check)."""
    _require_offer_open(case)
    if referred_to_sau and (referred_on is None or not sau_reference):
        raise DomainError("Enter the date of the referral and the Subsidy Advice Unit's reference",
                          field="referred_on" if referred_on is None else "sau_reference")
    if referred_to_sau is False and not referral_reason:
        raise DomainError("Enter why the subsidy was not referred", field="referral_reason")
    if referred_on and referred_on > uk_today():
        raise DomainError("The referral date must be today or in the past", field="referred_on")
    values = {"sensitive_sector": sensitive_sector, "referred_to_sau": referred_to_sau,
              "referral_reason": referral_reason if referred_to_sau is False else None,
              "referred_on": referred_on if referred_to_sau else None,
              "sau_reference": sau_reference if referred_to_sau else None}
    before = {name: getattr(case, name) for name in values}
    for name, value in values.items():
        setattr(case, name, value)
    audit.record(session, actor=by, action="lip_case.subsidy_check_recorded", entity=case, before=before,
                 after=values)


# --- the case -------------------------------------------------------------------------------------

def _check_investment(total_investment: Decimal) -> None:
    if total_investment <= MINIMUM_INVESTMENT:
        raise DomainError("The total investment must be over £250,000,000.00. Investments of £250m or less can "
                          "apply to the Life Sciences Innovative Manufacturing Fund (LSIMF)",
                          field="total_investment")


def _team(session: Session, sro_id: int, team_ids: list[int]) -> tuple[User, list[User]]:
    sro = session.get(User, sro_id)
    if sro is None or sro.role is not Role.ACCOUNT_MANAGER or not sro.is_active:
        raise DomainError("Select an account manager as the senior responsible owner", field="sro_id")
    team = list(session.scalars(sa.select(User).where(User.id.in_(team_ids)))) if team_ids else []
    if len(team) != len(set(team_ids)) or any(u.role is not Role.ACCOUNT_MANAGER for u in team):
        raise DomainError("Select account managers for the case team", field="team_ids")
    if sro not in team:
        team.append(sro)
    return sro, team


def _site(name: str, postcode: str, field: str = "site_postcode") -> LipSite:
    region = postcodes.region_for(postcode)
    if region is None:
        raise DomainError("Enter a UK postcode for the site", field=field)
    return LipSite(name=name, postcode=postcode, region=region)


def create_case(session: Session, *, by: User, organisation_id: int | None, new_organisation: dict | None,
                title: str, summary: str, sector: LipSector, total_investment: Decimal,
                expected_jobs_created: Decimal, expected_jobs_safeguarded: Decimal, expected_rd_spend: Decimal,
                competing_locations: list[str], sro_id: int, team_ids: list[int], target_decision_on: date | None,
                site_name: str, site_postcode: str) -> LipCase:
    """Open a case at enquiry. The company is an existing organisation or a new one (which may never
    have users). :raise DomainError: £250m or less, an unknown postcode, a bad team."""
    if not workflow.can_start(LipCase, by):
        raise DomainError("Only account and fund managers open cases")
    _check_investment(total_investment)
    sro, team = _team(session, sro_id, team_ids)
    site = _site(site_name, site_postcode)
    organisation = organisations.existing_or_new(session, organisation_id=organisation_id,
                                                  new_organisation=new_organisation)
    case = LipCase(organisation=organisation, title=title, summary=summary, sector=sector,
                   total_investment=total_investment, expected_jobs_created=expected_jobs_created,
                   expected_jobs_safeguarded=expected_jobs_safeguarded, expected_rd_spend=expected_rd_spend,
                   competing_locations=competing_locations, sro=sro, team=team,
                   target_decision_on=target_decision_on, created_by=by)
    case.sites.append(site)
    workflow.start(session, case, by=by, details={
        "organisation_id": organisation.id, "title": title, "total_investment": total_investment,
        "sector": sector.value, "sro_id": sro.id, "team": [u.id for u in team]})
    for kind in LipApprovalKind:
        workflow.start(session, LipApproval(case=case, kind=kind), by=by)
    return case


EDITABLE = ("title", "summary", "sector", "total_investment", "expected_jobs_created", "expected_jobs_safeguarded",
            "expected_rd_spend", "competing_locations", "target_decision_on")


def _require_open(case: LipCase) -> None:
    if not case.stage.is_open:
        raise DomainError(f"The case is {case.stage.label.lower()}: it can no longer change")


def update_case(session: Session, *, case: LipCase, by: User, sro_id: int, team_ids: list[int], **values) -> None:
    _require_open(case)
    _check_investment(values["total_investment"])
    sro, team = _team(session, sro_id, team_ids)
    before = {name: getattr(case, name) for name in EDITABLE} | {"sro_id": case.sro_id,
                                                                "team": [u.id for u in case.team]}
    for name in EDITABLE:
        setattr(case, name, values[name])
    case.sro, case.team = sro, team
    audit.record(session, actor=by, action="lip_case.updated", entity=case, before=before,
                 after={name: values[name] for name in EDITABLE} | {"sro_id": sro.id, "team": [u.id for u in team]})


def add_site(session: Session, *, case: LipCase, by: User, name: str, postcode: str) -> LipSite:
    _require_open(case)
    site = _site(name, postcode)
    case.sites.append(site)
    session.flush()
    audit.record(session, actor=by, action="lip_case.site_added", entity=case,
                 after={"site_id": site.id, "name": name, "postcode": postcode, "region": site.region.value})
    return site


def remove_site(session: Session, *, case: LipCase, by: User, site_id: int) -> None:
    _require_open(case)
    site = next((s for s in case.sites if s.id == site_id), None)
    if site is None:
        raise NotFound()
    if len(case.sites) == 1:
        raise DomainError("A case needs at least one site")
    case.sites.remove(site)
    audit.record(session, actor=by, action="lip_case.site_removed", entity=case,
                 before={"site_id": site.id, "name": site.name, "postcode": site.postcode})


def move(session: Session, *, case: LipCase, to: LipStage, by: User, reason: str | None = None) -> None:
    """Move the case to stage `to` by the table (portfolio.services.transitions), or raise
    InvalidTransition (nothing changes)."""
    workflow.lock(session, case)
    workflow.transition(session, case, to, by=by, reason=reason)


# --- working the case -------------------------------------------------------------------------------

def _workers_only(case: LipCase, by: User) -> None:
    if not policy.may_act(by, case):
        raise DomainError("Only account and fund managers work cases")


def add_action(session: Session, *, case: LipCase, by: User, description: str, owner_id: int, due_on: date
               ) -> LipAction:
    _require_open(case)
    owner = session.get(User, owner_id)
    if owner is None or owner.role not in CASE_WORKERS or not owner.is_active:
        raise DomainError("Select who owns the action", field="owner_id")
    action = LipAction(case=case, description=description, owner=owner, due_on=due_on, created_by_id=by.id)
    session.add(action)
    session.flush()
    audit.record(session, actor=by, action="lip_case.action_added", entity=case,
                 after={"action_id": action.id, "description": description, "owner_id": owner.id, "due_on": due_on})
    return action


def complete_action(session: Session, *, case: LipCase, by: User, action_id: int) -> LipAction:
    action = next((a for a in case.actions if a.id == action_id), None)
    if action is None:
        raise NotFound()
    if action.done_at is None:
        action.done_at = utcnow()
        audit.record(session, actor=by, action="lip_case.action_done", entity=case, after={"action_id": action.id})
    return action


def add_meeting(session: Session, *, case: LipCase, by: User, held_on: date, attendees: str, notes: str
                ) -> LipMeeting:
    _require_open(case)
    if held_on > uk_today():
        raise DomainError("The meeting date must be today or in the past", field="held_on")
    meeting = LipMeeting(case_id=case.id, held_on=held_on, attendees=attendees, notes=notes, recorded_by_id=by.id)
    session.add(meeting)
    session.flush()
    audit.record(session, actor=by, action="lip_case.meeting_recorded", entity=case,
                 after={"meeting_id": meeting.id, "held_on": held_on})
    return meeting


def add_risk(session: Session, *, case: LipCase, by: User, description: str, rag: Rag, mitigation: str) -> LipRisk:
    _require_open(case)
    risk = LipRisk(case_id=case.id, description=description, rag=rag, mitigation=mitigation, recorded_by_id=by.id)
    session.add(risk)
    session.flush()
    audit.record(session, actor=by, action="lip_case.risk_added", entity=case,
                 after={"risk_id": risk.id, "rag": rag.value, "description": description})
    return risk


def set_risk_rag(session: Session, *, case: LipCase, by: User, risk_id: int, rag: Rag) -> LipRisk:
    _require_open(case)
    risk = next((r for r in case.risks if r.id == risk_id), None)
    if risk is None:
        raise NotFound()
    before = risk.rag
    risk.rag = rag
    audit.record(session, actor=by, action="lip_case.risk_rag_changed", entity=case,
                 before={"risk_id": risk.id, "rag": before.value}, after={"risk_id": risk.id, "rag": rag.value})
    return risk


def documents(session: Session, case: LipCase) -> list[Upload]:
    return uploads.files_of(session, case)


def attach_document(session: Session, *, case: LipCase, by: User, file_storage) -> Upload:
    """A case document, by the upload rules (kind by content, size limit, random storage key). It is
    recorded against the company's organisation, but only case staff can ever reach it."""
    _workers_only(case, by)
    _require_open(case)
    return uploads.save_upload(session, file_storage=file_storage, organisation=case.organisation, by=by,
                               purpose="lip_case_document", owner=case)


def remove_document(session: Session, *, case: LipCase, by: User, upload_id: int) -> Upload:
    _require_open(case)
    upload = uploads.file_of(session, by, case, upload_id)
    uploads.delete_upload(session, upload=upload, by=by)
    return upload


def overdue_actions(session: Session, user: User, today: date | None = None) -> list[LipAction]:
    """The user's actions past their due date on open cases, oldest first (their home page)."""
    today = today or uk_today()
    return list(session.scalars(
        sa.select(LipAction).join(LipCase).where(LipAction.owner_id == user.id, LipAction.done_at.is_(None),
                                                 LipAction.due_on < today, LipCase.stage.in_(OPEN_STAGES))
        .options(selectinload(LipAction.case)).order_by(LipAction.due_on, LipAction.id)))


# --- the pipeline ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class PipelineFilters:
    stage: LipStage | None = None
    region: Region | None = None
    sector: LipSector | None = None
    account_manager_id: int | None = None

    def as_args(self) -> dict:
        return {name: value for name, value in (
            ("stage", self.stage and self.stage.value), ("region", self.region and self.region.value),
            ("sector", self.sector and self.sector.value), ("account_manager", self.account_manager_id)) if value}


@dataclass
class PipelineRow:
    case: LipCase
    offer: Package
    days_in_stage: int

    @property
    def expected_jobs(self) -> Decimal:
        return self.case.expected_jobs_created + self.case.expected_jobs_safeguarded


@dataclass
class StageTotal:
    stage: LipStage
    cases: int = 0
    investment: Decimal = ZERO
    jobs: Decimal = Decimal("0.0")
    offer: Decimal = ZERO


def pipeline(session: Session, filters: PipelineFilters, today: date | None = None
             ) -> tuple[list[PipelineRow], list[StageTotal]]:
    """Cases matching the filters, in stage order then target date, and the totals per stage."""
    query = sa.select(LipCase).options(
        selectinload(LipCase.organisation), selectinload(LipCase.sites), selectinload(LipCase.sro),
        selectinload(LipCase.components).selectinload(LipComponent.award))
    if filters.stage:
        query = query.where(LipCase.stage == filters.stage)
    if filters.sector:
        query = query.where(LipCase.sector == filters.sector)
    if filters.region:
        query = query.where(LipCase.sites.any(LipSite.region == filters.region))
    if filters.account_manager_id:
        query = query.where(sa.or_(LipCase.sro_id == filters.account_manager_id,
                                   LipCase.team.any(User.id == filters.account_manager_id)))
    order = list(LipStage)
    cases = sorted(session.scalars(query).all(),
                   key=lambda c: (order.index(c.stage), c.target_decision_on or date.max, c.id))
    rows = [PipelineRow(case, package(case), days_in_stage(case, today)) for case in cases]
    totals = {stage: StageTotal(stage) for stage in LipStage}
    for row in rows:
        total = totals[row.case.stage]
        total.cases += 1
        total.investment += row.case.total_investment
        total.jobs += row.expected_jobs
        total.offer += row.offer.total
    return rows, [total for total in totals.values() if total.cases]


CSV_HEADER = ["Reference", "Company", "Company number", "Case", "Stage", "Days in stage", "Sector", "Regions",
              "Senior responsible owner", "Target decision date", "Total investment", "Expected jobs created",
              "Expected jobs safeguarded", "Expected R&D spend", "UK offer (proposed and agreed)", "UK offer agreed",
              "Public share of the investment (%)", "Competing locations"]


def csv_rows(rows: list[PipelineRow]) -> list[list]:
    return [[row.case.reference, row.case.organisation.name, row.case.organisation.company_number, row.case.title,
             row.case.stage.label, row.days_in_stage, row.case.sector.label,
             "; ".join(region.label for region in row.case.regions), row.case.sro.name,
             row.case.target_decision_on.isoformat() if row.case.target_decision_on else "",
             f"{row.case.total_investment:.2f}", f"{row.case.expected_jobs_created:.1f}",
             f"{row.case.expected_jobs_safeguarded:.1f}", f"{row.case.expected_rd_spend:.2f}",
             f"{row.offer.total:.2f}", f"{row.offer.agreed:.2f}",
             "" if row.offer.public_share is None else f"{row.offer.public_share:.2f}",
             "; ".join(row.case.competing_locations or [])] for row in rows]


SUBSIDY_CATEGORY_NOTES = {
    SubsidyCategory.STANDARD: "No referral to the CMA Subsidy Advice Unit is needed",
    SubsidyCategory.INTEREST: "Subsidy of Interest: record whether it was referred to the CMA Subsidy Advice Unit",
    SubsidyCategory.PARTICULAR_INTEREST: "Subsidy of Particular Interest: the referral to the CMA Subsidy Advice "
                                         "Unit must be recorded before subsidy control is approved",
}
