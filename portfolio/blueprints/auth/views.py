from flask import current_app, flash, redirect, render_template, request, url_for
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
from portfolio.services import accounts


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
    """The one place a person becomes signed in (registration, sign-in, invitation)."""
    login_user(user)


def _safe_next(target: str | None) -> str:
    # Only paths on this site: never an absolute URL (open redirect).
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("main.home")


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
        accounts.record_logout(db.session, current_user)
        db.session.commit()
        logout_user()
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
