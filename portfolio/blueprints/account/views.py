"""Sign-in and security: a person's own second factors (authenticator app, recovery codes, passkeys)."""

from flask import Response, abort, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user

from portfolio.access import (
    before_second_factor,
    recent_second_factor,
    roles_allowed,
    second_factor_given,
    second_factor_is_recent,
)
from portfolio.blueprints import commit_or_refuse, form_page, relying_party, safe_next
from portfolio.blueprints.account import bp
from portfolio.extensions import db
from portfolio.forms.base import ActionForm
from portfolio.forms.two_factor import EnrolAppForm, PasskeyForm
from portfolio.models.roles import EVERYONE
from portfolio.services import sessions, two_factor

PENDING_SECRET = "totp_pending_secret"
REGISTRATION_CHALLENGE = "passkey_registration_challenge"


@bp.route("")
@roles_allowed(EVERYONE)
@recent_second_factor()  # changes to how you sign in start here: an unattended session cannot make them
def index():
    return render_template("account/index.html", passkey_form=PasskeyForm(), action_form=ActionForm(),
                           recovery_codes_left=two_factor.recovery_codes_left(db.session, current_user))


@bp.route("/authenticator", methods=["GET", "POST"])
@roles_allowed(EVERYONE)
@before_second_factor
def authenticator():
    """Set up an authenticator app: at the first sign-in of someone who must (or may) have one, or
    from the account page. Replacing an app someone already has needs their second factor first."""
    target = safe_next(request.args.get("next")) if request.args.get("next") else url_for("account.index")
    if current_user.totp_secret is not None and not second_factor_is_recent():
        return redirect(url_for("auth.confirm", next=request.full_path.rstrip("?")))
    secret = session.get(PENDING_SECRET) or two_factor.new_totp_secret()
    session[PENDING_SECRET] = secret
    form = EnrolAppForm()
    if form.validate_on_submit():
        done, codes = commit_or_refuse(lambda: two_factor.enrol_totp(
            db.session, user=current_user, secret=secret, code=form.code.data), form=form)
        if done:
            session.pop(PENDING_SECRET, None)
            second_factor_given()
            return render_template("account/recovery_codes.html", codes=codes, target=target, first=True)
    return form_page("account/authenticator.html", form, secret=two_factor.spaced(secret), target=target,
                     qr_code=two_factor.qr_code_svg(two_factor.provisioning_uri(current_user, secret)))


@bp.route("/authenticator/remove", methods=["POST"])
@roles_allowed(EVERYONE)
@recent_second_factor("account.index")
def remove_authenticator():
    if not ActionForm().validate_on_submit():
        abort(400)
    if commit_or_refuse(lambda: two_factor.remove_totp(db.session, user=current_user))[0]:
        flash("Your authenticator app is removed", "success")
    return redirect(url_for("account.index"))


@bp.route("/recovery-codes", methods=["POST"])
@roles_allowed(EVERYONE)
@recent_second_factor("account.index")
def recovery_codes():
    """Ten new recovery codes (the old ones stop working)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    if current_user.totp_secret is None and not current_user.passkeys:
        abort(404)
    done, codes = commit_or_refuse(lambda: two_factor.new_recovery_codes(db.session, user=current_user))
    if not done:
        return redirect(url_for("account.index"))
    return render_template("account/recovery_codes.html", codes=codes, target=url_for("account.index"), first=False)


@bp.route("/passkeys/options")
@roles_allowed(EVERYONE)
@recent_second_factor("account.index")
def passkey_options():
    """What navigator.credentials.create() needs to add a passkey."""
    options, session[REGISTRATION_CHALLENGE] = two_factor.passkey_registration_options(current_user, relying_party())
    return Response(options, mimetype="application/json")


@bp.route("/passkeys", methods=["POST"])
@roles_allowed(EVERYONE)
@recent_second_factor("account.index")
def add_passkey():
    form = PasskeyForm()
    if form.validate_on_submit():
        done, passkey = commit_or_refuse(lambda: two_factor.register_passkey(
            db.session, user=current_user, name=form.name.data, credential=form.credential.data,
            challenge=session.pop(REGISTRATION_CHALLENGE, None), rp=relying_party()), form=form)
        if done:
            flash(f"Passkey “{passkey.name}” added: you can use it to sign in", "success")
            return redirect(url_for("account.index"))
    return form_page("account/index.html", form, passkey_form=form, action_form=ActionForm(),
                     recovery_codes_left=two_factor.recovery_codes_left(db.session, current_user))


@bp.route("/passkeys/<int:passkey_id>/remove", methods=["POST"])
@roles_allowed(EVERYONE)
@recent_second_factor("account.index")
def remove_passkey(passkey_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    done, passkey = commit_or_refuse(lambda: two_factor.remove_passkey(db.session, user=current_user,
                                                                        passkey_id=passkey_id))
    if done:
        flash(f"Passkey “{passkey.name}” removed", "success")
    return redirect(url_for("account.index"))


@bp.route("/sessions")
@roles_allowed(EVERYONE)
def sessions_list():
    return render_template(
        "account/sessions.html", subject=current_user, rows=sessions.open_sessions(db.session, current_user),
        this_session=g.get("user_session"), idle_minutes=int(sessions.idle_limit(current_user).total_seconds() // 60),
        absolute_hours=int(sessions.absolute_limit().total_seconds() // 3600),
    )


@bp.route("/sessions/end-others", methods=["POST"])
@roles_allowed(EVERYONE)
def end_other_sessions():
    if not ActionForm().validate_on_submit():
        abort(400)
    ended = sessions.end_all(db.session, current_user, by=current_user, reason=sessions.Ended.BY_OWNER,
                             keep=g.get("user_session"))
    db.session.commit()
    flash(f"Signed out of {ended} other session{'s' if ended != 1 else ''}" if ended
          else "You had no other sessions", "success")
    return redirect(url_for("account.sessions_list"))


@bp.route("/sessions/<int:session_id>/end", methods=["POST"])
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
    return redirect(url_for("account.sessions_list"))
