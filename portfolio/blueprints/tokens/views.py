import hmac
import secrets

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from portfolio.access import recent_second_factor, roles_allowed
from portfolio.blueprints import commit_or_refuse, form_page
from portfolio.blueprints.api import openapi
from portfolio.blueprints.tokens import bp
from portfolio.extensions import db
from portfolio.forms.api_tokens import CreateTokenForm
from portfolio.forms.base import ActionForm
from portfolio.models.base import utcnow
from portfolio.models.roles import FINANCE_TEAM
from portfolio.services import api_tokens

MANAGERS = FINANCE_TEAM
_PENDING = "api_token_forms"  # the one-time keys of create forms this browser has open


def _form(**kwargs) -> CreateTokenForm:
    return CreateTokenForm(
        scope_choices=[(scope, f"{label} ({scope})") for scope, label in api_tokens.SCOPES.items()],
        expiry_choices=[(value, label) for value, label, _ in api_tokens.EXPIRY_CHOICES], **kwargs)


def _take_pending(key: str | None) -> bool:
    """Use up this form's one-time key; False when it was used already (the page was sent twice)."""
    pending = session.get(_PENDING, [])
    for known in pending:
        if key and hmac.compare_digest(known, key):
            session[_PENDING] = [other for other in pending if other != known]
            return True
    return False


@bp.route("/")
@roles_allowed(MANAGERS)
def index():
    return render_template("tokens/index.html", tokens=api_tokens.all_tokens(db.session), now=utcnow(),
                           status_of=api_tokens.status_of, action_form=ActionForm(), scope_labels=api_tokens.SCOPES)


@bp.route("/new", methods=["GET", "POST"])
@roles_allowed(MANAGERS)
@recent_second_factor()
def create():
    form = _form()
    if request.method == "GET":
        form.once.data = secrets.token_urlsafe(16)
        session[_PENDING] = [*session.get(_PENDING, [])[-4:], form.once.data]
        return form_page("tokens/new.html", form)
    if form.validate_on_submit():
        if not _take_pending(form.once.data):
            flash("That token was already created, and its secret cannot be shown again. If it was not copied, "
                  "revoke it and create another.", "error")
            return redirect(url_for("tokens.index"))
        days = {value: days for value, _, days in api_tokens.EXPIRY_CHOICES}[form.expires.data]
        done, made = commit_or_refuse(lambda: api_tokens.create(
            db.session, name=form.name.data, scopes=form.scopes.data, by=current_user, expires_in_days=days),
            form=form)
        if done:
            token, secret = made
            # The only time the secret is shown: in this response, never stored, logged or flashed.
            return render_template("tokens/created.html", token=token, secret=secret,
                                   scope_labels=api_tokens.SCOPES)
    return form_page("tokens/new.html", form)


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@roles_allowed(MANAGERS)
def revoke(token_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    token = api_tokens.get(db.session, token_id)
    done, _ = commit_or_refuse(lambda: api_tokens.revoke(db.session, token=token, by=current_user))
    if done:
        flash(f"The token “{token.name}” ({token.prefix}…) is revoked: it no longer works", "success")
    return redirect(url_for("tokens.index"))


@bp.route("/openapi.json")
@roles_allowed(MANAGERS)
def openapi_document():
    """The API's OpenAPI document for the people who make its tokens (the API serves it to tokens)."""
    return openapi.document()
