"""Fund settings pages: rounds with a deadline date, and the rules' history.

The rules themselves change through `funds.update_rules`, and the budget by financial year through
`budgets.set_year_budgets` (a new version each time)."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.dates import UK
from portfolio.models import Fund, FundRules, Round, User
from portfolio.services import funds

DEADLINE_TIME = time(12)  # a round closes at 12pm (midday) UK time on its deadline date


def all_funds(session: Session) -> list[Fund]:
    return list(session.scalars(sa.select(Fund).order_by(Fund.code)))


def get_fund(session: Session, fund_id: int, *, for_update: bool = False) -> Fund | None:
    """The fund, locked for the rest of the transaction when it is about to change: changes
    to the budget and to round allocations then happen one after another (PostgreSQL row lock;
    SQLite serialises writers anyway), so their total can never pass the budget."""
    query = sa.select(Fund).where(Fund.id == fund_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalar(query)


def deadline_at(day: date) -> datetime:
    """12pm UK time on `day`, as an aware UTC datetime (11:00 UTC in British Summer Time)."""
    return datetime.combine(day, DEADLINE_TIME, tzinfo=UK).astimezone(UTC)


def save_round(session: Session, *, fund: Fund, by: User, name: str, opens_on: date, deadline_on: date,
               allocation: Decimal, round_: Round | None = None) -> Round:
    """`funds.save_round` with the deadline given as a date (it closes at midday UK time).

    :raise DomainError: deadline before the opening date, or allocations beyond the budget.
    """
    details = funds.RoundDetails(name=name, opens_on=opens_on, deadline=deadline_at(deadline_on),
                                 allocation=allocation)
    return funds.save_round(session, fund=fund, by=by, details=details, round_=round_)


@dataclass
class RuleVersion:
    number: int
    rules: FundRules
    previous: FundRules | None
    set_by: User | None

    @property
    def changed(self) -> list[str]:
        """The settings this version changed (all of them for the first version)."""
        if self.previous is None:
            return list(funds.RULE_FIELDS)
        return [name for name in funds.RULE_FIELDS
                if getattr(self.rules, name) != getattr(self.previous, name)]


def rule_history(session: Session, fund: Fund) -> list[RuleVersion]:
    """Every version of the fund's rules, newest first, with who set it."""
    oldest_first = list(reversed(fund.rule_sets))
    ids = {rules.created_by_id for rules in oldest_first if rules.created_by_id}
    users = {user.id: user for user in session.scalars(sa.select(User).where(User.id.in_(ids)))} if ids else {}
    versions = [
        RuleVersion(number=index + 1, rules=rules, previous=oldest_first[index - 1] if index else None,
                    set_by=users.get(rules.created_by_id))
        for index, rules in enumerate(oldest_first)
    ]
    return list(reversed(versions))
