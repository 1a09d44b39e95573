"""A round's assessment criteria and weights: settings per round (PRODUCT.md §2.2)."""

import re
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.models import Application, Assignment, Criterion, Fund, Round, Score, User
from portfolio.services import audit
from portfolio.services.errors import DomainError

TOTAL_WEIGHT = Decimal("1.0000")

# Illustrative defaults: no weights have been published. Each new round starts with these.
DEFAULT_CRITERIA = [
    ("health_resilience", "Health resilience", Decimal("0.2500")),
    ("economic_value", "Economic value (jobs, wages, GVA)", Decimal("0.2500")),
    ("additionality", "Additionality and value for money", Decimal("0.2000")),
    ("innovation", "Innovation and R&D spillovers", Decimal("0.1500")),
    ("deliverability", "Deliverability and risk", Decimal("0.1500")),
]


def add_default_criteria(session: Session, round_: Round) -> list[Criterion]:
    criteria = [Criterion(round=round_, key=key, title=title, guidance="", weight=weight, position=position)
                for position, (key, title, weight) in enumerate(DEFAULT_CRITERIA)]
    session.add_all(criteria)
    session.flush()
    return criteria


def get_round(session: Session, fund: Fund, round_id: int, *, for_update: bool = False) -> Round | None:
    """The fund's round, or None (another fund's round is as good as missing). Locked when its
    criteria are about to change, so two saves happen one after the other."""
    query = sa.select(Round).where(Round.id == round_id, Round.fund_id == fund.id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalar(query)


def locked_reason(session: Session, round_: Round) -> str | None:
    """Why the round's criteria can no longer change, or None. Once an assessor has submitted
    scores, those scores were given against these criteria and weights."""
    submitted = session.scalar(
        sa.select(Assignment.id).join(Application, Assignment.application_id == Application.id)
        .where(Application.round_id == round_.id, Assignment.submitted_at.is_not(None)).limit(1)
    )
    if submitted is None:
        return None
    return ("The criteria and weights cannot be changed because assessors have already submitted scores "
            "for applications in this round. Those scores were given against the criteria as they are.")


def _snapshot(criteria) -> list[dict]:
    return [{"key": c.key, "title": c.title, "guidance": c.guidance, "weight": c.weight} for c in criteria]


def _new_key(title: str, taken: set[str]) -> str:
    """A key for a new criterion made from its title: 'Net zero' -> 'net_zero' (then 'net_zero_2'...)."""
    base = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")[:28] or "criterion"
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}_{n}"
    taken.add(key)
    return key


def _percent(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


def save_criteria(session: Session, *, round_: Round, by: User, rows: list[dict]) -> bool:
    """Make the round's criteria exactly `rows`, in order: each {"id": an existing criterion's
    id or None for a new one, "title", "guidance", "weight" (a rate)}. Criteria left out are
    removed, with any draft scores for them. Audited with the criteria before and after.
    Returns whether anything changed.

    :raise DomainError: scores already submitted in the round, no criteria, a weight of 0, or
        weights that do not total exactly 100% (field "weights").
    """
    reason = locked_reason(session, round_)
    if reason:
        raise DomainError(reason)
    if not rows:
        raise DomainError("A round needs at least one criterion")
    existing = {c.id: c for c in round_.criteria}
    ids = [row["id"] for row in rows if row["id"] is not None]
    if len(ids) != len(set(ids)) or not set(ids) <= set(existing):
        raise DomainError("The criteria changed while you were editing them. Go back and try again")
    if any(not row["title"] or row["weight"] is None or row["weight"] <= 0 for row in rows):
        raise DomainError("Every criterion needs a title and a weight of more than 0%")
    total = sum((row["weight"] for row in rows), Decimal(0))
    if total != TOTAL_WEIGHT:
        raise DomainError(f"The weights total {_percent(total)}. They must total exactly 100%", field="weights")

    before = _snapshot(round_.criteria)
    kept_ids = {row["id"] for row in rows}
    removed = [c.id for c in round_.criteria if c.id not in kept_ids]
    taken = {c.key for c in round_.criteria}  # removed keys too: deletes are flushed after inserts
    criteria = []
    for position, row in enumerate(rows):
        criterion = existing.get(row["id"]) or Criterion(key=_new_key(row["title"], taken))
        criterion.title, criterion.guidance = row["title"], row["guidance"]
        criterion.weight, criterion.position = row["weight"], position
        criteria.append(criterion)
    after = _snapshot(criteria)
    if after == before:
        return False
    if removed:  # drafts only: submitted scores lock the criteria
        session.execute(sa.delete(Score).where(Score.criterion_id.in_(removed)))
    round_.criteria = criteria
    session.flush()
    audit.record(session, actor=by, action="round.criteria_changed", entity=round_,
                 before={"criteria": before}, after={"criteria": after})
    return True
