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


def _t(*roles: Role, action: str) -> Transition:
    return Transition(frozenset(roles), action)


TRANSITIONS: dict[tuple[type, str, str], Transition] = {
    (ExpressionOfInterest, EoiStatus.DRAFT, EoiStatus.SUBMITTED): _t(Role.APPLICANT, action="eoi.submitted"),
    (ExpressionOfInterest, EoiStatus.SUBMITTED, EoiStatus.INVITED): _t(Role.FUND_MANAGER, action="eoi.invited"),
    (ExpressionOfInterest, EoiStatus.SUBMITTED, EoiStatus.DECLINED): _t(Role.FUND_MANAGER, action="eoi.declined"),
    (Application, ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED):
        _t(Role.APPLICANT, action="application.submitted"),
    (Application, ApplicationStatus.SUBMITTED, ApplicationStatus.DRAFT):
        _t(Role.FUND_MANAGER, action="application.returned"),
}


def allowed(obj, to, by: User) -> bool:
    transition = TRANSITIONS.get((type(obj), obj.status, to))
    return transition is not None and by.role in transition.roles


def transition(session: Session, obj, to, *, by: User, details: dict | None = None) -> None:
    """Move `obj` to status `to`, or raise InvalidTransition (nothing changes)."""
    rule = TRANSITIONS.get((type(obj), obj.status, to))
    if rule is None:
        raise InvalidTransition(f"This cannot move from {obj.status.value} to {to.value}")
    if by.role not in rule.roles:
        raise InvalidTransition(f"Your role cannot move this to {to.value}")
    before = obj.status
    obj.status = to
    audit.record(session, actor=by, action=rule.action, entity=obj,
                 before={"status": before.value}, after={"status": to.value, **(details or {})})
