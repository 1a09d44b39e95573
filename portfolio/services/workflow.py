"""State machines as data: one transitions table, and one function that moves state.

    TRANSITIONS[(Model, from_status, to_status)] = Transition(roles=..., action=...)

Nothing else assigns a status: views and services call `transition()`, which checks the
table, sets the status and writes the audit event.
"""

from dataclasses import dataclass

from sqlalchemy.orm import Session

from portfolio.models import (
    Application,
    ApplicationStatus,
    EoiStatus,
    ExpressionOfInterest,
    Role,
    User,
)
from portfolio.services import audit
from portfolio.services.errors import DomainError


class InvalidTransition(DomainError):
    pass


@dataclass(frozen=True)
class Transition:
    roles: frozenset[Role]
    action: str
    system: bool = False  # a scheduled job may make it (no user)


def _t(*roles: Role, action: str, system: bool = False) -> Transition:
    return Transition(frozenset(roles), action, system)


A = ApplicationStatus


TRANSITIONS: dict[tuple[type, str, str], Transition] = {
    (ExpressionOfInterest, EoiStatus.DRAFT, EoiStatus.SUBMITTED): _t(Role.APPLICANT, action="eoi.submitted"),
    (ExpressionOfInterest, EoiStatus.SUBMITTED, EoiStatus.INVITED): _t(Role.FUND_MANAGER, action="eoi.invited"),
    (ExpressionOfInterest, EoiStatus.SUBMITTED, EoiStatus.DECLINED): _t(Role.FUND_MANAGER, action="eoi.declined"),
    (Application, ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED):
        _t(Role.APPLICANT, action="application.submitted"),
    (Application, ApplicationStatus.SUBMITTED, ApplicationStatus.DRAFT):
        _t(Role.FUND_MANAGER, action="application.returned"),
    # Assessment and decision (PRODUCT.md §2.2). Guards (assessors' scores all in, separation
    # of duties, budget, due diligence, subsidy control) live in the services that call these.
    (Application, A.SUBMITTED, A.IN_ASSESSMENT): _t(Role.FUND_MANAGER, action="application.assessment_started"),
    (Application, A.IN_ASSESSMENT, A.MODERATED): _t(Role.FUND_MANAGER, action="application.moderated"),
    (Application, A.MODERATED, A.RECOMMENDED): _t(Role.FUND_MANAGER, action="application.recommended"),
    (Application, A.MODERATED, A.NOT_RECOMMENDED): _t(Role.FUND_MANAGER, action="application.not_recommended"),
    (Application, A.RECOMMENDED, A.APPROVED): _t(Role.FUND_MANAGER, action="application.approved"),
    (Application, A.RECOMMENDED, A.REJECTED): _t(Role.FUND_MANAGER, action="application.rejected"),
    (Application, A.NOT_RECOMMENDED, A.REJECTED): _t(Role.FUND_MANAGER, action="application.rejected"),
    (Application, A.APPROVED, A.OFFER_ISSUED): _t(Role.FUND_MANAGER, action="application.offer_issued"),
    (Application, A.OFFER_ISSUED, A.OFFER_ACCEPTED): _t(Role.APPLICANT, action="application.offer_accepted"),
    (Application, A.OFFER_ISSUED, A.WITHDRAWN): _t(Role.APPLICANT, action="application.offer_declined"),
    (Application, A.OFFER_ISSUED, A.OFFER_EXPIRED):
        _t(Role.FUND_MANAGER, action="application.offer_expired", system=True),
}


def allowed(obj, to, by: User) -> bool:
    transition = TRANSITIONS.get((type(obj), obj.status, to))
    return transition is not None and by.role in transition.roles


def transition(session: Session, obj, to, *, by: User | None, details: dict | None = None,
               system_label: str = "scheduler") -> None:
    """Move `obj` to status `to`, or raise InvalidTransition (nothing changes).

    `by=None` is a scheduled job acting, allowed only on transitions marked `system`."""
    rule = TRANSITIONS.get((type(obj), obj.status, to))
    if rule is None:
        raise InvalidTransition(f"This cannot move from {obj.status.value} to {to.value}")
    if by is None and not rule.system:
        raise InvalidTransition(f"Only a person can move this to {to.value}")
    if by is not None and by.role not in rule.roles:
        raise InvalidTransition(f"Your role cannot move this to {to.value}")
    before = obj.status
    obj.status = to
    audit.record(session, actor=by, actor_label=None if by else system_label, action=rule.action, entity=obj,
                 before={"status": before.value}, after={"status": to.value, **(details or {})})
