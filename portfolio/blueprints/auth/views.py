from urllib.parse import urlsplit

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from portfolio.access import public, roles_allowed
from portfolio.blueprints import commit_or_refuse, form_page
from portfolio.blueprints.auth import bp
from portfolio.extensions import db, limiter
from portfolio.forms.accounts import (
    AcceptInvitationForm,
    NewPasswordForm,
    RegisterForm,
    ResetRequestForm,
    SignInForm,
)
from portfolio.forms.base import (
    ActionForm,
    normalise_company_number,
    normalise_postcode,
)
from portfolio.models import Region
from portfolio.models.roles import EVERYONE
from portfolio.services.sessions import SESSION_KEY
from portfolio.services import accounts, sessions


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _login_address_limit() -> str:
    return current_app.config["LOGIN_ADDRESS_RATE_LIMIT"]


def _refused(response) -> bool:
    """Only a refused sign-in (the form again, with an error) counts towards the limits: signing in
    successfully never does, nor does an attempt the limit itself turned away (429)."""
    return response.status_code == 400


def _submitted_email() -> str:
    return "sign-in:" + (request.form.get("email") or "").strip().lower()


def _start_session(user) -> None:
    """The one place a person becomes signed in (registration, sign-in, invitation): whatever the
    browser's session held before is dropped and a new server-side session (a new key) starts."""
    if current_user.is_authenticated and g.get("user_session") is not None:  # signed in again: the old key goes
        sessions.replace(g.user_session)
    _end_browser_session()
    _, key = sessions.start(db.session, user=user, user_agent=request.user_agent.string,
                            ip_address=request.remote_addr or "")
    db.session.commit()
    session[SESSION_KEY] = key
    login_user(user)


def _end_browser_session() -> None:
    logout_user()
    session.clear()


def _safe_next(target: str | None) -> str:
    r"""Only a path on this site is followed after sign-in; anything else goes home. Browsers drop tabs
    and line breaks from URLs (so "/\t/evil.example" is "//evil.example") and read "\\" as "/", and
    a line break in a Location header is refused by the server: any of them, or a scheme or host, and
    the target is ignored."""
    home = url_for("main.home")
    if not target or not target.startswith("/") or any(ord(c) < 32 or ord(c) == 127 or c == "\\" for c in target):
        return home
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return home
    return target


def _submitted_registration_email() -> str:
    return "register:" + (request.form.get("email") or "").strip().lower()


@bp.route("/register", methods=["GET", "POST"])
@public
@limiter.limit("20 per hour", methods=["POST"])
# Each registration emails the address (or its owner): a few an hour is plenty for a person.
@limiter.limit("5 per hour", methods=["POST"], key_func=_submitted_registration_email)
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        done, _ = commit_or_refuse(lambda: accounts.request_registration(
            db.session,
            organisation_name=form.organisation_name.data,
            company_number=normalise_company_number(form.company_number.data),
            postcode=normalise_postcode(form.postcode.data),
            region=Region(form.region.data),
            name=form.name.data,
            email=form.email.data,
            password=form.password.data,
        ), form=form)
        if done:  # the same page whether or not the address or the company is known
            return render_template("auth/register_check_email.html", email=accounts.normalise_email(form.email.data),
                                   hours=int(current_app.config["REGISTRATION_TTL"].total_seconds() // 3600))
    return form_page("auth/register.html", form)


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
@public
def confirm_registration(token: str):
    registration = accounts.find_registration(db.session, token)  # NotFound -> 404 page explaining the link
    form = ActionForm()
    if form.validate_on_submit():
        done, user = commit_or_refuse(lambda: accounts.confirm_registration(db.session, token=token), form=form)
        if done:
            logout_user()
            _start_session(user)
            flash("Your organisation is registered and you are signed in", "success")
            return redirect(url_for("main.home"))
    return form_page("auth/confirm_registration.html", form, registration=registration)


@bp.route("/sign-in", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_refused)
@limiter.limit(_login_address_limit, methods=["POST"], key_func=_submitted_email, deduct_when=_refused)
def sign_in():
    form = SignInForm()
    if form.validate_on_submit():
        user = accounts.authenticate(db.session, email=form.email.data, password=form.password.data)
        db.session.commit()  # the audit event is kept whether or not sign-in succeeded
        if user is not None:
            _start_session(user)
            return redirect(_safe_next(request.args.get("next")))
        form.add_error("email", "Enter a correct email address and password")
    return form_page("auth/sign_in.html", form)


@bp.route("/sign-out", methods=["POST"])
@roles_allowed(EVERYONE)
def sign_out():
    form = ActionForm()
    if form.validate_on_submit():
        sessions.sign_out(db.session, g.get("user_session"), user=current_user)
        db.session.commit()
        _end_browser_session()
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
            _end_browser_session()
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
            _start_session(user)
            flash("Your account has been created", "success")
            return redirect(url_for("main.home"))
    return form_page("auth/accept_invitation.html", form, invitation=invitation)


@bp.route("/account/sessions")
@roles_allowed(EVERYONE)
def account_sessions():
    return render_template(
        "auth/sessions.html", subject=current_user, rows=sessions.open_sessions(db.session, current_user),
        this_session=g.get("user_session"), idle_minutes=int(sessions.idle_limit(current_user).total_seconds() // 60),
        absolute_hours=int(sessions.absolute_limit().total_seconds() // 3600),
    )


@bp.route("/account/sessions/end-others", methods=["POST"])
@roles_allowed(EVERYONE)
def end_other_sessions():
    if not ActionForm().validate_on_submit():
        abort(400)
    ended = sessions.end_all(db.session, current_user, by=current_user, reason=sessions.Ended.BY_OWNER,
                             keep=g.get("user_session"))
    db.session.commit()
    flash(f"Signed out of {ended} other session{'s' if ended != 1 else ''}" if ended
          else "You had no other sessions", "success")
    return redirect(url_for("auth.account_sessions"))


@bp.route("/account/sessions/<int:session_id>/end", methods=["POST"])
@roles_allowed(EVERYONE)
def end_session(session_id: int):
    row = sessions.find_open(db.session, user=current_user, session_id=session_id)
    if row is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    sessions.end(db.session, row, by=current_user)
    db.session.commit()
    flash("That session has ended: the browser that used it must sign in again", "success")
    return redirect(url_for("auth.account_sessions"))
