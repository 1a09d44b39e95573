"""Registration, sign-in, invitations, password resets and roles."""

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portfolio.models import Invitation, Organisation, PasswordReset, Region, Registration, Role, User
from portfolio.models.base import utcnow
from portfolio.services import audit, mail, sessions
from portfolio.services.errors import DomainError, NotFound
from portfolio.services.passwords import (
    check_dummy,
    check_password,
    hash_password,
    new_token,
    password_problem,
    token_hash,
)


COMPANY_TAKEN = "This company is already registered. Ask a colleague who uses the service to invite you"


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def _check_new_user(session: Session, *, email: str, name: str, password: str) -> None:
    if find_user_by_email(session, email) is not None:
        raise DomainError("An account with this email address already exists", field="email")
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise DomainError(problem, field="password")


def _new_user(*, email: str, name: str, password_hash: str, role: Role, **fields) -> User:
    return User(
        email=normalise_email(email),
        name=name.strip(),
        password_hash=password_hash,
        role=role,
        **fields,
    )


def _flush_new_account(session: Session) -> None:
    """Two people registering the same company or email at the same moment: the database's
    unique constraints decide, and the loser gets the same message as a sequential duplicate."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as error:
        text = str(error.orig).lower()
        if "company_number" in text:
            raise DomainError(COMPANY_TAKEN, field="company_number") from None
        raise DomainError("An account with this email address already exists", field="email") from None


def request_registration(
    session: Session,
    *,
    organisation_name: str,
    company_number: str,
    postcode: str,
    region: Region,
    name: str,
    email: str,
    password: str,
) -> None:
    """A company asks to register. The caller shows the same page whatever happens here, so
    registering never tells anyone whether an address or a company is already known:

    - a new address and company: an emailed link confirms the address, and only then are the
      organisation and its first user created (`confirm_registration`);
    - an address that has an account: its owner is emailed that someone tried to register with it;
    - a company already registered: the registrant is emailed to ask a colleague for an invitation.

    :raise DomainError: (on `password`) the password is too weak; that says nothing about anyone.
    """
    email = normalise_email(email)
    company_number = company_number.strip().upper()
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise DomainError(problem, field="password")
    password_hash = hash_password(password)  # on every path, so none answers faster than another
    owner = find_user_by_email(session, email)
    if owner is not None:
        audit.record(session, actor=None, actor_label=email, action="registration.existing_account",
                     entity=owner, after={"company_number": company_number})
        mail.send_email(
            session, to=owner.email, subject="Someone tried to register with your email address",
            template="registration_existing_account", user=owner,
            sign_in=mail.external_url("auth.sign_in"), reset=mail.external_url("auth.request_password_reset"),
        )
        return
    organisation = session.scalar(sa.select(Organisation).where(Organisation.company_number == company_number))
    if organisation is not None:
        audit.record(session, actor=None, actor_label=email, action="registration.existing_organisation",
                     entity=organisation, after={"email": email})
        _email_company_already_registered(session, email=email, name=name, organisation=organisation)
        return
    token, hashed = new_token()
    registration = Registration(
        token_hash=hashed, email=email, name=name.strip(), password_hash=password_hash,
        organisation_name=organisation_name.strip(), company_number=company_number, postcode=postcode,
        region=region, expires_at=utcnow() + current_app.config["REGISTRATION_TTL"],
    )
    session.add(registration)
    audit.record(
        session, actor=None, actor_label=email, action="registration.requested", entity=registration,
        after={"email": email, "name": registration.name, "organisation_name": registration.organisation_name,
               "company_number": company_number, "postcode": postcode, "region": region.value},
    )
    mail.send_email(
        session, to=email, subject="Confirm your email address to finish registering",
        template="registration_confirm", registration=registration,
        link=mail.external_url("auth.confirm_registration", token=token),
        hours=int(current_app.config["REGISTRATION_TTL"].total_seconds() // 3600),
    )


def _email_company_already_registered(session: Session, *, email: str, name: str,
                                      organisation: Organisation) -> None:
    # A signatory's name (never their address) tells the registrant whom to ask.
    signatories = sorted(organisation.signatories, key=lambda user: user.id)
    mail.send_email(
        session, to=email, subject=f"{organisation.name} is already registered with Portfolio",
        template="registration_existing_organisation", name=name.strip(), organisation=organisation,
        contact=signatories[0].name if signatories else None, sign_in=mail.external_url("auth.sign_in"),
    )


def find_registration(session: Session, token: str) -> Registration:
    registration = session.scalar(sa.select(Registration).where(Registration.token_hash == token_hash(token)))
    if registration is None or not registration.is_usable(utcnow()):
        raise NotFound("This registration link has expired or has already been used. "
                       "Register again to get a new link")
    return registration


def confirm_registration(session: Session, *, token: str) -> User:
    """The registrant followed the emailed link: create the organisation and its first user (an
    applicant and a signatory) from what they entered. Two registrations of one company or address
    confirmed at the same moment: the database's unique constraints decide (`_flush_new_account`).

    :raise NotFound: the link is unknown, expired or used.
    :raise DomainError: the address or company was registered since; the person has shown that they
        hold the address, so they are told which.
    """
    registration = find_registration(session, token)
    if find_user_by_email(session, registration.email) is not None:
        raise DomainError("An account with this email address already exists. Sign in instead")
    if session.scalar(sa.select(Organisation.id).where(Organisation.company_number == registration.company_number)):
        raise DomainError(COMPANY_TAKEN)
    organisation = Organisation(
        name=registration.organisation_name, company_number=registration.company_number,
        postcode=registration.postcode, region=registration.region,
    )
    user = _new_user(
        email=registration.email, name=registration.name, password_hash=registration.password_hash,
        role=Role.APPLICANT, organisation=organisation, is_signatory=True,
    )
    session.add_all([organisation, user])
    registration.confirmed_at = utcnow()
    registration.user = user
    registration.password_hash = ""  # kept on the user only
    _flush_new_account(session)
    audit.record(session, actor=user, action="registration.confirmed", entity=registration,
                 after={"user_id": user.id, "organisation_id": organisation.id})
    audit.record(
        session, actor=user, action="organisation.registered", entity=organisation,
        after={"name": organisation.name, "company_number": organisation.company_number,
               "postcode": organisation.postcode, "region": organisation.region.value},
    )
    audit.record(
        session, actor=user, action="user.registered", entity=user,
        after={"email": user.email, "role": user.role.value, "organisation_id": organisation.id},
    )
    return user


def authenticate(session: Session, *, email: str, password: str) -> User | None:
    """The user, when the email and password match an active account. Audits both outcomes."""
    user = find_user_by_email(session, email)
    if user is None:
        check_dummy(password)
    if user is None or not user.is_active or not check_password(user.password_hash, password):
        audit.record(
            session, actor=user, actor_label=normalise_email(email)[:254],
            action="user.login_failed", entity_type="users", entity_id=user.id if user else None,
        )
        return None
    user.last_login_at = utcnow()
    audit.record(session, actor=user, action="user.login", entity=user)
    return user


def invite(
    session: Session,
    *,
    email: str,
    role: Role,
    invited_by: User,
    organisation: Organisation | None = None,
    is_signatory: bool = False,
) -> Invitation:
    """Invite a person by email: staff (by an admin) or a colleague (by a company user)."""
    email = normalise_email(email)
    if role is Role.APPLICANT and organisation is None:
        raise DomainError("A company user must belong to an organisation")
    if role.is_staff and organisation is not None:
        raise DomainError("Staff do not belong to a company")
    if find_user_by_email(session, email) is not None:
        raise DomainError("An account with this email address already exists", field="email")
    token, hashed = new_token()
    invitation = Invitation(
        token_hash=hashed,
        email=email,
        role=role,
        organisation=organisation,
        is_signatory=is_signatory,
        invited_by=invited_by,
        expires_at=utcnow() + current_app.config["INVITATION_TTL"],
    )
    session.add(invitation)
    session.flush()
    audit.record(
        session, actor=invited_by, action="invitation.created", entity=invitation,
        after={"email": email, "role": role.value, "organisation_id": invitation.organisation_id,
               "is_signatory": is_signatory},
    )
    mail.send_email(
        session, to=email, subject="You have been invited to use Portfolio", template="invitation",
        invitation=invitation, link=mail.external_url("auth.accept_invitation", token=token),
    )
    return invitation


def find_invitation(session: Session, token: str) -> Invitation:
    invitation = session.scalar(sa.select(Invitation).where(Invitation.token_hash == token_hash(token)))
    if invitation is None or not invitation.is_usable(utcnow()):
        raise NotFound("This invitation link has expired or has already been used")
    if find_user_by_email(session, invitation.email) is not None:
        raise NotFound("An account with this email address already exists. Sign in instead")
    return invitation


def accept_invitation(session: Session, *, token: str, name: str, password: str) -> User:
    invitation = find_invitation(session, token)
    _check_new_user(session, email=invitation.email, name=name, password=password)
    user = _new_user(
        email=invitation.email, name=name, password_hash=hash_password(password), role=invitation.role,
        organisation_id=invitation.organisation_id, is_signatory=invitation.is_signatory,
    )
    session.add(user)
    invitation.accepted_at = utcnow()
    _flush_new_account(session)
    audit.record(
        session, actor=user, action="invitation.accepted", entity=invitation,
        after={"user_id": user.id, "role": user.role.value},
    )
    return user


def request_password_reset(session: Session, *, email: str) -> None:
    """Email a reset link if the account exists. The caller shows the same page either way."""
    user = find_user_by_email(session, email)
    if user is None or not user.is_active:
        return
    token, hashed = new_token()
    reset = PasswordReset(
        token_hash=hashed, user=user, expires_at=utcnow() + current_app.config["PASSWORD_RESET_TTL"]
    )
    session.add(reset)
    session.flush()
    audit.record(session, actor=user, action="password_reset.requested", entity=user)
    mail.send_email(
        session, to=user.email, subject="Reset your Portfolio password", template="password_reset",
        user=user, link=mail.external_url("auth.reset_password", token=token),
        hours=int(current_app.config["PASSWORD_RESET_TTL"].total_seconds() // 3600),
    )


def find_password_reset(session: Session, token: str) -> PasswordReset:
    reset = session.scalar(sa.select(PasswordReset).where(PasswordReset.token_hash == token_hash(token)))
    if reset is None or not reset.is_usable(utcnow()):
        raise NotFound("This password reset link has expired or has already been used")
    return reset


def reset_password(session: Session, *, token: str, password: str) -> User:
    reset = find_password_reset(session, token)
    user = reset.user
    problem = password_problem(password, email=user.email, name=user.name)
    if problem:
        raise DomainError(problem, field="password")
    user.password_hash = hash_password(password)
    sessions.end_all(session, user, by=user, reason=sessions.Ended.PASSWORD_CHANGED)
    reset.used_at = utcnow()
    # Any other outstanding links for this user stop working too.
    for other in session.scalars(
        sa.select(PasswordReset).where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
    ):
        other.used_at = reset.used_at
    audit.record(session, actor=user, action="password_reset.completed", entity=user)
    return user


def change_role(session: Session, *, user: User, role: Role, by: User) -> None:
    if user.id == by.id:
        raise DomainError("You cannot change your own role", field="role")
    if not (user.role.is_staff and role.is_staff):
        raise DomainError("Only staff roles can be changed here", field="role")
    if user.role is role:
        return
    before = user.role
    user.role = role
    # A privilege change: the person signs in again under the new role, everywhere.
    sessions.end_all(session, user, by=by, reason=sessions.Ended.ROLE_CHANGED)
    audit.record(
        session, actor=by, action="user.role_changed", entity=user,
        before={"role": before.value}, after={"role": role.value},
    )


def set_active(session: Session, *, user: User, active: bool, by: User) -> None:
    """Deactivate (or reactivate) a staff account; a deactivated user is signed out at once."""
    if user.id == by.id:
        raise DomainError("You cannot deactivate your own account")
    if not user.role.is_staff:
        raise DomainError("Only staff accounts are managed here")
    if user.is_active == active:
        return
    user.is_active = active
    if not active:
        sessions.end_all(session, user, by=by, reason=sessions.Ended.DEACTIVATED)
    audit.record(
        session, actor=by, action="user.reactivated" if active else "user.deactivated", entity=user,
        before={"is_active": not active}, after={"is_active": active},
    )


def set_signatory(session: Session, *, user: User, is_signatory: bool, by: User) -> None:
    if user.role is not Role.APPLICANT:
        raise DomainError("Only company users can be signatories")
    if user.is_signatory == is_signatory:
        return
    user.is_signatory = is_signatory
    sessions.end_all(session, user, by=by, reason=sessions.Ended.ROLE_CHANGED)
    audit.record(
        session, actor=by, action="user.signatory_changed", entity=user,
        before={"is_signatory": not is_signatory}, after={"is_signatory": is_signatory},
    )


def pending_invitations(session: Session, *, organisation: Organisation | None) -> list[Invitation]:
    query = sa.select(Invitation).where(
        Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None), Invitation.expires_at > utcnow()
    )
    if organisation is None:
        query = query.where(Invitation.organisation_id.is_(None))
    else:
        query = query.where(Invitation.organisation_id == organisation.id)
    return list(session.scalars(query.order_by(Invitation.created_at)))


def staff_users(session: Session) -> list[User]:
    """Every member of staff (active or not), by name: the administrators' list."""
    return list(session.scalars(sa.select(User).where(User.role != Role.APPLICANT).order_by(User.name)))
