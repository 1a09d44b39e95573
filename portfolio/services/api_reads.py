"""What the read-only JSON API reads: one declaration per resource (its model, the rows it never
shows, what it loads up front), and the two ways of reading one: a page of rows and one row.

Lists are ordered by id and load what the schema needs with the rows, so a page costs the same few
statements however long it is."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload, selectinload

from portfolio.models import (
    Application,
    ApplicationStatus,
    Award,
    Claim,
    ClaimStatus,
    LipCase,
    LipComponent,
    MonitoringReturn,
    Organisation,
    Payment,
)


@dataclass(frozen=True)
class Resource:
    model: type
    where: tuple = ()  # every row it shows meets these (drafts are the company's work in progress)
    options: tuple = ()


ORGANISATIONS = Resource(Organisation)
APPLICATIONS = Resource(Application, where=(Application.status != ApplicationStatus.DRAFT,))
AWARDS = Resource(Award, options=(joinedload(Award.offer),))
CLAIMS = Resource(Claim, where=(Claim.status != ClaimStatus.DRAFT,), options=(selectinload(Claim.items),))
PAYMENTS = Resource(Payment)
RETURNS = Resource(MonitoringReturn)
CASES = Resource(LipCase, options=(selectinload(LipCase.sites),
                                   selectinload(LipCase.components).joinedload(LipComponent.award)))


def page(session: Session, resource: Resource, *, equal: dict, number: int, per_page: int) -> tuple[list, int]:
    """Page `number` of the resource's rows whose columns equal `equal`, and how many there are in all."""
    statement = sa.select(resource.model).where(*resource.where, *(
        getattr(resource.model, name) == value for name, value in equal.items()))
    total = session.scalar(sa.select(sa.func.count()).select_from(statement.subquery()))
    rows = session.scalars(statement.options(*resource.options).order_by(resource.model.id)
                           .limit(per_page).offset((number - 1) * per_page)).all()
    return list(rows), total


def one(session: Session, resource: Resource, record_id: int):
    """The row with this id, if the resource shows it (None otherwise)."""
    return session.scalar(sa.select(resource.model).where(resource.model.id == record_id, *resource.where)
                          .options(*resource.options))
