"""Organisations and the object-level rule: company users see only their own."""

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.models import Organisation, Role, User
from portfolio.services.errors import NotFound


def get_organisation_for(session: Session, user: User, organisation_id: int) -> Organisation:
    """The organisation, if this user may see it; NotFound otherwise (never a hint it exists)."""
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound()
    if user.role is Role.APPLICANT and user.organisation_id != organisation.id:
        raise NotFound()
    return organisation


def get_member(session: Session, organisation: Organisation, user_id: int) -> User:
    member = session.get(User, user_id)
    if member is None or member.organisation_id != organisation.id:
        raise NotFound()
    return member


def list_organisations(session: Session) -> list[Organisation]:
    return list(session.scalars(sa.select(Organisation).order_by(Organisation.name)))
