import time

from flask import Response, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from portfolio.access import forget_second_factor, public, roles_allowed, second_factor_given
from portfolio.blueprints import commit_or_refuse, form_page, relying_party, safe_next
from portfolio.blueprints.auth import bp
from portfolio.extensions import db, limiter
from portfolio.forms.accounts import (
    AcceptInvitationForm,
    NewPasswordForm,
    RegisterForm,
    ResetRequestForm,
    SignInForm,
)
from portfolio.forms.two_factor import CodeForm, PasskeyUseForm
from portfolio.forms.base import (
    ActionForm,
    normalise_company_number,
    normalise_postcode,
)
from portfolio.models import Region, User
from portfolio.models.roles import EVERYONE
from portfolio.services import accounts, two_factor
from portfolio.services.errors import DomainError

# Between the password and the second factor: who (id and session token), where to go next, since when.
PENDING = "pending_sign_in"
PENDING_SECONDS = 300
PASSKEY_CHALLENGE = "passkey_challenge"


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _submitted_email() -> str:
    return "sign-in:" + (request.form.get("email") or "").strip().lower()


def _pending_key() -> str:
    pending = session.get(PENDING) or {}
    return "second-factor:" + str(pending.get("user", "")).partition(":")[0]


def _start_session(user, *, second_factor: bool = False) -> None:
    """The one place a person becomes signed in (registration, sign-in, invitation). Someone with a
    second factor gets here only after giving it (`second_factor`)."""
    session.pop(PENDING, None)
    session.pop(PASSKEY_CHALLENGE, None)
    forget_second_factor()
    login_user(user)
    if second_factor:
        second_factor_given()


def _after_password(user: User, target: str | None):
    """The password was right: ask for the second factor, or (for someone who has none yet) sign in
    and offer to set one up, which someone who must have one cannot skip."""
    if user.has_second_factor:
        session[PENDING] = {"user": user.get_id(), "next": safe_next(target), "at": int(time.time())}
        return redirect(url_for("auth.second_factor"))
    _start_session(user)
    return redirect(url_for("account.authenticator", next=safe_next(target)))


def _pending_user() -> tuple[User | None, str]:
    """The person between password and second factor (None once it is too late), and where they go next."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None, url_for("main.home")
    user_id, _, token = str(pending.get("user", "")).partition(":")
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.is_active or user.session_token != token:
        return None, url_for("main.home")
    return user, safe_next(pending.get("next"))


def _second_factor(user: User, form: CodeForm, passkey_form: PasskeyUseForm, *, purpose: str) -> bool:
    """Check the code or the passkey the person gave. A failure is kept in the audit trail and shown
    on the form; True when it was right (committed)."""
    try:
        if passkey_form.submit.data:
            if not passkey_form.validate_on_submit():
                raise DomainError(two_factor.WRONG_PASSKEY)
            two_factor.check_passkey(db.session, user=user, credential=passkey_form.credential.data,
                                     challenge=session.pop(PASSKEY_CHALLENGE, None), rp=relying_party(),
                                     purpose=purpose)
        elif form.validate_on_submit():
            two_factor.check_code(db.session, user=user, code=form.code.data, purpose=purpose)
        else:
            return False
    except DomainError as error:
        db.session.commit()  # the failed attempt stays in the audit trail
        form.add_error(error.field, error.message)
        return False
    db.session.commit()
    return True


def _second_factor_page(template: str, user: User, form: CodeForm, passkey_form: PasskeyUseForm, **context):
    return render_template(template, form=form, passkey_form=passkey_form, user=user, **context), \
        400 if form.errors or passkey_form.errors else 200


@bp.route("/register", methods=["GET", "POST"])
@public
@limiter.limit("20 per hour", methods=["POST"])
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        done, user = commit_or_refuse(lambda: accounts.register_company(
            db.session,
            organisation_name=form.organisation_name.data,
            company_number=normalise_company_number(form.company_number.data),
            postcode=normalise_postcode(form.postcode.data),
            region=Region(form.region.data),
            name=form.name.data,
            email=form.email.data,
            password=form.password.data,
        ), form=form)
        if done:
            _start_session(user)
            flash("Your organisation is registered and you are signed in", "success")
            return redirect(url_for("main.home"))
    return form_page("auth/register.html", form)


@bp.route("/sign-in", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_submitted_email)
def sign_in():
    form = SignInForm()
    if form.validate_on_submit():
        user = accounts.authenticate(db.session, email=form.email.data, password=form.password.data)
        db.session.commit()  # the audit event is kept whether or not sign-in succeeded
        if user is not None:
            return _after_password(user, request.args.get("next"))
        form.add_error("email", "Enter a correct email address and password")
    return form_page("auth/sign_in.html", form)


@bp.route("/sign-in/second-factor", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_pending_key)
def second_factor():
    user, target = _pending_user()
    if user is None:
        flash("Sign in to continue", "error")
        return redirect(url_for("auth.sign_in"))
    form, passkey_form = CodeForm(), PasskeyUseForm(prefix="passkey")
    if request.method == "POST" and _second_factor(user, form, passkey_form, purpose="sign-in"):
        _start_session(user, second_factor=True)
        return redirect(target)
    return _second_factor_page("auth/second_factor.html", user, form, passkey_form)


@bp.route("/confirm", methods=["GET", "POST"])
@roles_allowed(EVERYONE)
@limiter.limit(_login_limit, methods=["POST"])
def confirm():
    """"Confirm it's you": the second factor again, before a sensitive action."""
    target = safe_next(request.args.get("next"))
    if not current_user.has_second_factor:
        return redirect(url_for("account.authenticator", next=target))
    form, passkey_form = CodeForm(), PasskeyUseForm(prefix="passkey")
    if request.method == "POST" and _second_factor(current_user, form, passkey_form, purpose="confirm"):
        second_factor_given()
        return redirect(target)
    return _second_factor_page("auth/confirm.html", current_user, form, passkey_form)


@bp.route("/sign-in/passkey-options")
@public
@limiter.limit(_login_limit)
def passkey_options():
    """What navigator.credentials.get() needs, for the person signing in (or confirming it's them)."""
    user = current_user if current_user.is_authenticated else _pending_user()[0]
    if user is None or not user.passkeys:
        return Response('{"error": "No passkey to use"}', status=404, mimetype="application/json")
    options, session[PASSKEY_CHALLENGE] = two_factor.passkey_authentication_options(user, relying_party())
    return Response(options, mimetype="application/json")


@bp.route("/sign-out", methods=["POST"])
@roles_allowed(EVERYONE)
def sign_out():
    form = ActionForm()
    if form.validate_on_submit():
        accounts.record_logout(db.session, current_user)
        db.session.commit()
        logout_user()
        forget_second_factor()
        flash("You have signed out", "success")
        return redirect(url_for("main.start"))
    return redirect(url_for("main.home"))


@bp.route("/reset-password", methods=["GET", "POST"])
@public
@limiter.limit("10 per hour", methods=["POST"])
def request_password_reset():
    form = ResetRequestForm()
    if form.validate_on_submit():
        accounts.request_password_reset(db.session, email=form.email.data)
        db.session.commit()
        return render_template("auth/reset_sent.html", email=form.email.data)
    return form_page("auth/reset_request.html", form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    accounts.find_password_reset(db.session, token)  # NotFound -> 404 page explaining the link
    form = NewPasswordForm()
    if form.validate_on_submit():
        done, _ = commit_or_refuse(
            lambda: accounts.reset_password(db.session, token=token, password=form.password.data), form=form)
        if done:
            logout_user()
            flash("Your password has been changed. Sign in with your new password", "success")
            return redirect(url_for("auth.sign_in"))
    return form_page("auth/reset_password.html", form)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str):
    invitation = accounts.find_invitation(db.session, token)
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        done, user = commit_or_refuse(lambda: accounts.accept_invitation(
            db.session, token=token, name=form.name.data, password=form.password.data), form=form)
        if done:
            logout_user()
            _start_session(user)
            flash("Your account has been created", "success")
            return redirect(url_for("main.home"))
    return form_page("auth/accept_invitation.html", form, invitation=invitation)
