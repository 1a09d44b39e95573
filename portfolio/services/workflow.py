"""The workflow engine: the one way any record's status (or a case's stage) changes.

Every record type that has a status declares its moves as data, in one table per record type in
`portfolio.services.transitions`:

    Machine(Claim, noun="claim", transitions=(
        move("submit", ClaimStatus.DRAFT, ClaimStatus.SUBMITTED, COMPANY, action="claim.submitted"),
        move("approve", ClaimStatus.SUBMITTED, ClaimStatus.APPROVED, FINANCE, action="claim.approved"),
        ...
    ))

A move names the verb (what a button says it does), where it starts (None: the record is being
created), where it ends, who may make it, and optionally a guard (a reason it is refused right now),
whether a reason must be given, whether a scheduled job may make it (`system`), and a history hook
that records it on the record's own history. `transition()` is the only code that assigns a status:
it checks the table, the role, the reason and the guard, sets the field, runs the history hook and
writes the audit event. `start()` gives a new record its first state the same way.

Pages ask `available(record, user)` / `can(record, "verify", user)` what the signed-in user may do
next instead of testing role and status names. Adding a state is one line in the table (and the
member of its StrEnum).
"""

from collections.abc import Callable, Iterable
import dataclasses
from dataclasses import dataclass
from enum import Enum

import sqlalchemy as sa
from sqlalchemy.orm import Session, object_session

from portfolio.models import Role, User
from portfolio.models.base import utcnow
from portfolio.services import audit
from portfolio.services.errors import DomainError

Guard = Callable[[object, User | None], str | None]
History = Callable[..., None]


class InvalidTransition(DomainError):
    """The move is not in the table, not for this user, or refused by its guard: nothing changed."""


@dataclass(frozen=True)
class Transition:
    name: str  # the verb: "submit", "verify", "send_back"
    source: Enum | None  # None: the state a new record starts in
    target: Enum
    roles: frozenset[Role]
    action: str  # the audit event's action
    system: bool = False  # a scheduled job or worker may make it (no user)
    guard: Guard | None = None
    reason: bool = False  # a reason must be given
    audit: bool = True  # False only for bookkeeping moves of technical records (a render starting)
    label: str | None = None  # what a button for it says


def move(name: str, sources: Enum | None | Iterable[Enum], target: Enum, roles: Iterable[Role] = (), *,
         action: str, system: bool = False, guard: Guard | None = None, reason: bool = False, audit: bool = True,
         label: str | None = None) -> tuple[Transition, ...]:
    """One line of a table: the same move from one or several states."""
    if sources is None or isinstance(sources, Enum):
        sources = (sources,)
    return tuple(Transition(name, source, target, frozenset(roles), action, system, guard, reason, audit, label)
                 for source in sources)


@dataclass
class Machine:
    model: type
    noun: str  # "claim", "case": in messages ("A claim cannot move from ...")
    transitions: tuple[Transition, ...]
    field: str = "status"
    history: History | None = None  # history(session, record, before, after, by=, reason=, at=)
    _by_edge: dict = dataclasses.field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.transitions = tuple(t for group in self.transitions
                                 for t in (group if isinstance(group, tuple) else (group,)))
        self._by_edge = {}
        for rule in self.transitions:
            key = (rule.source, rule.target)
            if key in self._by_edge:
                raise ValueError(f"{self.model.__name__}: two moves from {rule.source} to {rule.target}")
            self._by_edge[key] = rule

    def rule(self, source, target) -> Transition | None:
        return self._by_edge.get((source, target))

    @property
    def article(self) -> str:
        return "An" if self.noun[0] in "aeiou" else "A"


MACHINES: dict[type, Machine] = {}


def register(*machines: Machine) -> None:
    for machine in machines:
        MACHINES[machine.model] = machine


def machine_of(record_or_model) -> Machine:
    model = record_or_model if isinstance(record_or_model, type) else type(record_or_model)
    try:
        return MACHINES[model]
    except KeyError:
        raise LookupError(f"no workflow is declared for {model.__name__} "
                          "(portfolio.services.transitions declares them)") from None


def state_of(record) -> Enum:
    return getattr(record, machine_of(record).field)


def _label(state: Enum | None) -> str:
    if state is None:
        return "new"
    return getattr(state, "label", state.value).lower()


def _role_allows(rule: Transition, by: User | None) -> bool:
    if by is None:
        return rule.system
    return by.role in rule.roles


def refusal(record, to: Enum, by: User | None, *, reason: str | None = None, check_reason: bool = False) -> str | None:
    """Why `by` may not move `record` to `to` now (None: they may)."""
    machine = machine_of(record)
    before = getattr(record, machine.field)
    rule = machine.rule(before, to)
    if rule is None:
        return f"{machine.article} {machine.noun} cannot move from {_label(before)} to {_label(to)}"
    if not _role_allows(rule, by):
        return (f"Only a person can move {machine.article.lower()} {machine.noun} to {_label(to)}" if by is None
                else f"Your role cannot move {machine.article.lower()} {machine.noun} to {_label(to)}")
    if check_reason and rule.reason and not (reason or "").strip():
        return f"Enter why the {machine.noun} was {_label(to)}"
    if rule.guard is not None:
        return rule.guard(record, by)
    return None


def allowed(record, to: Enum, by: User | None) -> bool:
    return refusal(record, to, by) is None


def available(record, by: User | None, *, guarded: bool = True) -> list[Transition]:
    """The moves `by` may make from the record's current state, in table order. `guarded=False` keeps
    the moves their guard refuses right now (a form offers them, and says why when one is chosen)."""
    machine = machine_of(record)
    before = getattr(record, machine.field)
    return [rule for rule in machine.transitions
            if rule.source == before and rule.source is not None and _role_allows(rule, by)
            and (not guarded or rule.guard is None or rule.guard(record, by) is None)]


def can(record, name: str, by: User | None) -> bool:
    """May `by` make the move called `name` from the record's current state?"""
    return any(rule.name == name for rule in available(record, by))


def has_move(record, name: str) -> bool:
    """Is there a move called `name` from the record's current state (whoever may make it)?"""
    machine = machine_of(record)
    before = getattr(record, machine.field)
    return any(rule.name == name and rule.source == before for rule in machine.transitions)


def blocked_by(record, name: str) -> str | None:
    """Why the move called `name` from the current state is refused right now (its guard), or None."""
    machine = machine_of(record)
    before = getattr(record, machine.field)
    rule = next((rule for rule in machine.transitions if rule.name == name and rule.source == before), None)
    if rule is None or rule.guard is None:
        return None
    return rule.guard(record, None)


def can_start(model: type, by: User | None) -> bool:
    """May `by` create a record of this type (the table's moves from None)?"""
    return any(rule.source is None and _role_allows(rule, by) for rule in machine_of(model).transitions)


def targets(record, by: User | None, *, guarded: bool = True) -> list[Enum]:
    return [rule.target for rule in available(record, by, guarded=guarded)]


def transition(session: Session, record, to: Enum, *, by: User | None, reason: str | None = None,
               details: dict | None = None, system_label: str = "scheduler") -> Transition:
    """Move `record` to `to`, or raise InvalidTransition (nothing changes).

    `by=None` is a scheduled job or worker acting, allowed only on moves marked `system`. `reason`
    is required where the move says so and recorded in the audit event and the record's history.
    """
    machine = machine_of(record)
    reason = (reason or "").strip() or None
    problem = refusal(record, to, by, reason=reason, check_reason=True)
    if problem:
        field_name = "reason" if problem.startswith("Enter why") else machine.field
        raise InvalidTransition(problem, field=field_name)
    before = getattr(record, machine.field)
    rule = machine.rule(before, to)
    setattr(record, machine.field, to)
    _after_move(session, machine, rule, record, before, to, by=by, reason=reason, details=details,
                system_label=system_label)
    return rule


def start(session: Session, record, state: Enum | None = None, *, by: User | None, details: dict | None = None,
          system_label: str = "system") -> Transition:
    """Give a new record its first state (the table's move from None), add it to the session and
    write its audit event. Where a record may start in more than one state, name it."""
    machine = machine_of(record)
    starts = [rule for rule in machine.transitions if rule.source is None]
    if state is None:
        if len(starts) != 1:
            raise ValueError(f"{machine.model.__name__} may start in several states: name one")
        state = starts[0].target
    rule = machine.rule(None, state)
    if rule is None:
        raise InvalidTransition(f"{machine.article} {machine.noun} cannot start as {_label(state)}")
    with session.no_autoflush:  # the new record is not in the session yet: nothing half-made is written
        if not _role_allows(rule, by):
            raise InvalidTransition(f"Your role cannot create {machine.article.lower()} {machine.noun}"
                                    if by is not None else f"Only a person can create {machine.article.lower()} "
                                                           f"{machine.noun}")
        problem = rule.guard(record, by) if rule.guard is not None else None
    if problem:
        raise InvalidTransition(problem, field=machine.field)
    setattr(record, machine.field, state)
    session.add(record)
    session.flush()
    _after_move(session, machine, rule, record, None, state, by=by, reason=None, details=details,
                system_label=system_label)
    return rule


def _after_move(session: Session, machine: Machine, rule: Transition, record, before, after, *, by, reason,
                details, system_label) -> None:
    at = utcnow()
    if machine.history is not None:
        machine.history(session, record, before, after, by=by, reason=reason, at=at)
    if rule.audit:
        audit.record(session, actor=by, actor_label=None if by else system_label, action=rule.action, entity=record,
                     before=None if before is None else {machine.field: before.value},
                     after={machine.field: after.value, **({"reason": reason} if reason else {}), **(details or {})})


def lock(session: Session, record, *relationships: str):
    """Lock the record's row for the rest of the transaction (SELECT ... FOR UPDATE on PostgreSQL;
    SQLite has one writer at a time) and read it again, with the named relationships, so what is
    checked and recorded next is what is stored. Call before checking a record you will change."""
    model = type(record)
    primary_key = sa.inspect(model).primary_key[0]
    session.flush()
    session.scalar(sa.select(model).where(primary_key == getattr(record, primary_key.key)).with_for_update()
                   .execution_options(populate_existing=True))
    if relationships:
        session.expire(record, list(relationships))
    return record


def session_of(record) -> Session:
    session = object_session(record)
    if session is None:
        raise LookupError(f"{record!r} is not in a session")
    return session
