"""Second factors: an authenticator app (TOTP), one-time recovery codes and passkeys (WebAuthn).

Who must have one is portfolio.models.roles.needs_second_factor. Every enrolment, removal, use,
failed attempt and reset is an audit event. Views keep the pending secret and the WebAuthn
challenge in the session between the two requests of a ceremony; these functions check them.
"""

import json
import re
import secrets
from dataclasses import dataclass

import pyotp
import segno
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from portfolio.models import Passkey, RecoveryCode, User
from portfolio.models.base import utcnow
from portfolio.services import audit, mail, sessions
from portfolio.services.errors import DomainError
from portfolio.services.passwords import token_hash, tokens_equal

RECOVERY_CODE_COUNT = 10
# 16 characters from a 31-letter alphabet: 79 bits each, so a SHA-256 of one cannot be reversed by
# guessing, and a lookup by hash is a single indexed query.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: easy to copy by hand
_RECOVERY_SHAPE = re.compile(r"^[a-z0-9]{16}$")
PASSKEY_NAME_MAX = 100

WRONG_CODE = "The code is not correct or has expired. Enter the current 6-digit code from your authenticator app, " \
             "or one of your recovery codes"
WRONG_PASSKEY = "Your passkey could not be checked. Try again, or enter a code instead"


@dataclass(frozen=True)
class RelyingParty:
    """Where passkeys belong: the site's host name (id) and its scheme://host[:port] (origin)."""

    id: str
    origin: str
    name: str


# --- the authenticator app --------------------------------------------------------------------

def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=current_app.config["SERVICE_NAME"])


def qr_code_svg(uri: str) -> str:
    """The QR code as an inline <svg> element (no image request, so the CSP needs nothing new)."""
    qr = segno.make(uri, error="m")
    svg = qr.svg_inline(scale=4, dark="#0b0c0c", light="#ffffff", svgclass="app-qr-code", lineclass=None)
    return svg.replace("<svg ", '<svg role="img" aria-label="QR code for setting up your authenticator app" ', 1)


def spaced(secret: str) -> str:
    """The secret in groups of four, as people type it into an app."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def _totp_matches(secret: str, code: str) -> bool:
    # One 30-second step either side: phone clocks drift.
    return pyotp.TOTP(secret).verify(code, valid_window=1)


def _digits(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "")


def enrol_totp(session: Session, *, user: User, secret: str, code: str) -> list[str]:
    """Keep the authenticator app's secret once the person shows a current code from it. Returns
    new recovery codes, to be shown once (any earlier ones stop working).

    :raise DomainError: on the code field when it does not match."""
    code = _digits(code)
    if not (code.isdigit() and len(code) == 6):
        raise DomainError("Enter the 6-digit code from your authenticator app", field="code")
    if not _totp_matches(secret, code):
        raise DomainError("The code is not correct. Check your authenticator app shows Portfolio and enter the "
                          "current code", field="code")
    replaced = user.totp_secret is not None
    user.totp_secret = secret
    user.totp_enrolled_at = utcnow()
    audit.record(session, actor=user, action="two_factor.app_enrolled", entity=user, after={"replaced": replaced})
    return new_recovery_codes(session, user=user)


def remove_totp(session: Session, *, user: User) -> None:
    """:raise DomainError: when the person must keep a second factor and this is their last."""
    if user.totp_secret is None:
        return
    if user.needs_second_factor and not user.passkeys:
        raise DomainError("You must keep a second factor: add a passkey before you remove your authenticator app")
    user.totp_secret = None
    user.totp_enrolled_at = None
    audit.record(session, actor=user, action="two_factor.app_removed", entity=user)


# --- recovery codes -----------------------------------------------------------------------------

def new_recovery_codes(session: Session, *, user: User) -> list[str]:
    """Ten fresh codes (shown once, stored hashed); the person's earlier codes stop working."""
    session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(16)) for _ in range(RECOVERY_CODE_COUNT)]
    session.add_all(RecoveryCode(user_id=user.id, code_hash=token_hash(code)) for code in codes)
    session.flush()
    audit.record(session, actor=user, action="two_factor.recovery_codes_created", entity=user,
                 after={"count": len(codes)})
    return [f"{code[:4]}-{code[4:8]}-{code[8:12]}-{code[12:]}" for code in codes]


def recovery_codes_left(session: Session, user: User) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


def _use_recovery_code(session: Session, user: User, code: str) -> bool:
    """Spend one unused recovery code of the person's; False when it is not one."""
    row = session.scalar(sa.select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == token_hash(code)).with_for_update())
    if row is None or row.used_at is not None:
        return False
    # Marked used in the same statement that checks it was unused: two requests with one code, one wins.
    spent = session.execute(sa.update(RecoveryCode).where(
        RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None)).values(used_at=utcnow()))
    return spent.rowcount == 1


# --- the second-factor step ------------------------------------------------------------------------

def check_code(session: Session, *, user: User, code: str, purpose: str = "sign-in") -> str:
    """Accept a current authenticator-app code or an unused recovery code (spending it). Returns
    which it was ("app" or "recovery code"). Both outcomes are audited.

    :raise DomainError: on the code field."""
    typed = _digits(code).lower()
    if not typed:
        raise DomainError("Enter the code from your authenticator app, or a recovery code", field="code")
    method = None
    if typed.isdigit() and len(typed) == 6:
        if user.totp_secret is not None and _totp_matches(user.totp_secret, typed):
            method = "app"
    elif _RECOVERY_SHAPE.match(typed) and _use_recovery_code(session, user, typed):
        method = "recovery code"
    if method is None:
        audit.record(session, actor=user, action="two_factor.failed", entity=user, after={"purpose": purpose})
        raise DomainError(WRONG_CODE, field="code")
    audit.record(session, actor=user, action="two_factor.used", entity=user,
                 after={"method": method, "purpose": purpose,
                        **({"recovery_codes_left": recovery_codes_left(session, user)}
                           if method == "recovery code" else {})})
    return method


# --- passkeys ----------------------------------------------------------------------------------------

def passkey_registration_options(user: User, rp: RelyingParty) -> tuple[str, str]:
    """Options for navigator.credentials.create() as JSON, and the challenge to keep (base64url)."""
    options = generate_registration_options(
        rp_id=rp.id, rp_name=rp.name, user_name=user.email, user_display_name=user.name,
        user_id=f"portfolio-user-{user.id}".encode(),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED, user_verification=UserVerificationRequirement.PREFERRED),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id))
                             for p in user.passkeys],
    )
    return options_to_json(options), bytes_to_base64url(options.challenge)


def _credential(text: str) -> dict:
    try:
        credential = json.loads(text or "")
    except ValueError:
        credential = None
    if not isinstance(credential, dict) or not isinstance(credential.get("id"), str):
        raise DomainError(WRONG_PASSKEY)
    return credential


def register_passkey(session: Session, *, user: User, name: str, credential: str, challenge: str | None,
                     rp: RelyingParty) -> Passkey:
    """:raise DomainError: when the browser's answer does not verify (or there was no challenge)."""
    name = (name or "").strip()
    if not name:
        raise DomainError("Enter a name for the passkey, like the device it is on", field="name")
    if len(name) > PASSKEY_NAME_MAX:
        raise DomainError(f"The name must be {PASSKEY_NAME_MAX} characters or fewer", field="name")
    if not challenge:
        raise DomainError("The passkey was not added. Try again")
    try:
        verified = verify_registration_response(
            credential=_credential(credential), expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp.id, expected_origin=rp.origin)
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        current_app.logger.info("passkey registration refused: %s", error)
        raise DomainError("The passkey could not be added. Try again") from None
    credential_id = bytes_to_base64url(verified.credential_id)
    if session.scalar(sa.select(Passkey.id).where(Passkey.credential_id == credential_id)):
        raise DomainError("This passkey is already registered")
    passkey = Passkey(user_id=user.id, name=name, credential_id=credential_id,
                      public_key=verified.credential_public_key, sign_count=verified.sign_count)
    session.add(passkey)
    session.flush()
    session.refresh(user, ["passkeys"])
    audit.record(session, actor=user, action="two_factor.passkey_added", entity=passkey,
                 after={"name": name, "user_id": user.id})
    return passkey


def remove_passkey(session: Session, *, user: User, passkey_id: int) -> Passkey:
    """:raise DomainError: when it is not theirs, or is the last second factor they must keep."""
    passkey = next((p for p in user.passkeys if p.id == passkey_id), None)
    if passkey is None:
        raise DomainError("That passkey is not one of yours")
    if user.needs_second_factor and user.totp_secret is None and len(user.passkeys) == 1:
        raise DomainError("You must keep a second factor: set up an authenticator app before you remove "
                          "your last passkey")
    audit.record(session, actor=user, action="two_factor.passkey_removed", entity=passkey,
                 before={"name": passkey.name, "user_id": user.id})
    user.passkeys.remove(passkey)
    session.flush()
    return passkey


def passkey_authentication_options(user: User, rp: RelyingParty) -> tuple[str, str]:
    """Options for navigator.credentials.get() for this person's passkeys, and the challenge."""
    options = generate_authentication_options(
        rp_id=rp.id, user_verification=UserVerificationRequirement.PREFERRED,
        allow_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id))
                           for p in user.passkeys])
    return options_to_json(options), bytes_to_base64url(options.challenge)


def check_passkey(session: Session, *, user: User, credential: str, challenge: str | None, rp: RelyingParty,
                  purpose: str = "sign-in") -> Passkey:
    """Accept an assertion from one of the person's passkeys. Both outcomes are audited.

    :raise DomainError: when it does not verify."""
    try:
        answer = _credential(credential)
        passkey = next((p for p in user.passkeys if tokens_equal(p.credential_id, str(answer.get("id")))), None)
        if passkey is None or not challenge:
            raise DomainError(WRONG_PASSKEY)
        verified = verify_authentication_response(
            credential=answer, expected_challenge=base64url_to_bytes(challenge), expected_rp_id=rp.id,
            expected_origin=rp.origin, credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count)
    except (DomainError, WebAuthnException, ValueError, KeyError, TypeError) as error:
        current_app.logger.info("passkey refused: %s", error)
        audit.record(session, actor=user, action="two_factor.failed", entity=user,
                     after={"purpose": purpose, "method": "passkey"})
        raise DomainError(WRONG_PASSKEY) from None
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = utcnow()
    audit.record(session, actor=user, action="two_factor.used", entity=user,
                 after={"method": "passkey", "purpose": purpose, "passkey_id": passkey.id})
    return passkey


# --- an administrator's reset --------------------------------------------------------------------------

def reset(session: Session, *, user: User, by: User) -> None:
    """Remove every second factor the person has and sign them out everywhere; they set one up
    again at their next sign-in. They are told by email.

    :raise DomainError: for your own account (ask another administrator)."""
    if user.id == by.id:
        raise DomainError("You cannot reset your own second factor. Ask another administrator")
    before = {"app": user.totp_secret is not None, "passkeys": len(user.passkeys),
              "recovery_codes_left": recovery_codes_left(session, user)}
    user.totp_secret = None
    user.totp_enrolled_at = None
    user.passkeys.clear()
    session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    sessions.end_all(session, user, by=by, reason=sessions.Ended.SECOND_FACTOR_RESET)  # the next sign-in enrols again
    audit.record(session, actor=by, action="two_factor.reset", entity=user, before=before,
                 after={"app": False, "passkeys": 0, "recovery_codes_left": 0})
    mail.send_email(session, to=user.email, subject="Your Portfolio second factor was reset",
                    template="second_factor_reset", user=user, by=by,
                    link=mail.external_url("auth.sign_in"))
