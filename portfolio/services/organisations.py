"""Organisations: the companies the service knows (who may see each: portfolio.services.policy)."""

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.models import Application, Assignment, AssignmentStatus, Organisation, User
from portfolio.models.roles import ORGANISATION_READERS
from portfolio import postcodes
from portfolio.services.errors import DomainError, NotFound


def get_member(session: Session, organisation: Organisation, user_id: int) -> User:
    member = session.get(User, user_id)
    if member is None or member.organisation_id != organisation.id:
        raise NotFound()
    return member


def list_organisations(session: Session) -> list[Organisation]:
    return list(session.scalars(sa.select(Organisation).order_by(Organisation.name)))


def visible_to(session: Session, user: User) -> list[Organisation]:
    """The organisations `user` may see, by name: every one for most staff, for an assessor only the
    companies of the applications assigned to them (portfolio.services.policy)."""
    if user.role in ORGANISATION_READERS:
        return list_organisations(session)
    assigned = sa.select(Application.organisation_id).join(Assignment).where(
        Assignment.assessor_id == user.id, Assignment.status == AssignmentStatus.ACTIVE)
    return list(session.scalars(sa.select(Organisation).where(Organisation.id.in_(assigned))
                                .order_by(Organisation.name)))


def existing_or_new(session: Session, *, organisation_id: int | None, new_organisation: dict | None) -> Organisation:
    """The organisation a case or partnership is about: one the service knows, or a new one made from
    its name, company number and postcode (it may never have users).

    :raise DomainError: no such organisation, a missing detail, a number already registered."""
    if organisation_id is not None:
        organisation = session.get(Organisation, organisation_id)
        if organisation is None:
            raise DomainError("Select the company", field="organisation_id")
        return organisation
    values = new_organisation or {}
    if not values.get("name"):
        raise DomainError("Enter the company's name", field="organisation_name")
    if not values.get("company_number"):
        raise DomainError("Enter the company's Companies House number", field="company_number")
    if session.scalar(sa.select(Organisation.id).where(Organisation.company_number == values["company_number"])):
        raise DomainError("An organisation with this company number already exists: select it from the list",
                          field="company_number")
    region = postcodes.region_for(values.get("postcode") or "")
    if region is None:
        raise DomainError("Enter a UK postcode for the company", field="organisation_postcode")
    organisation = Organisation(name=values["name"], company_number=values["company_number"],
                                postcode=values["postcode"], region=region)
    session.add(organisation)
    session.flush()
    return organisation
