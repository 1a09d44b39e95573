"""Portfolio: the Office for Life Sciences grant and investment portfolio service."""

from flask import Flask, flash, g, session

from portfolio import cli, filters, navigation
from portfolio.config import ROOT, load_config
from portfolio.blueprints import record_name, record_url
from portfolio.forms.base import error_summary
from portfolio.access import enforce_declared_roles, register_template_globals
from portfolio.extensions import (
    csrf,
    db,
    limiter,
    login_manager,
    migrate,
    queue,
    talisman,
)
from portfolio.models import User
from portfolio.services import sessions
# The workflow tables and the kinds of document: declarations the engines read, registered on import.
from portfolio.services import document_kinds, transitions  # noqa: F401
from portfolio.blueprints.account import bp as account_bp
from portfolio.blueprints.admin import bp as admin_bp
from portfolio.blueprints.api import bp as api_bp
from portfolio.blueprints.applications import bp as applications_bp
from portfolio.blueprints.assessments import bp as assessments_bp
from portfolio.blueprints.auth import bp as auth_bp
from portfolio.blueprints.awards import bp as awards_bp
from portfolio.blueprints.cases import bp as cases_bp
from portfolio.blueprints.claims import bp as claims_bp
from portfolio.blueprints.decisions import bp as decisions_bp
from portfolio.blueprints.documents import bp as documents_bp
from portfolio.blueprints.eois import bp as eois_bp
from portfolio.blueprints.exports import bp as exports_bp
from portfolio.blueprints.funds import bp as funds_bp
from portfolio.blueprints.main import bp as main_bp
from portfolio.blueprints.offers import bp as offers_bp
from portfolio.blueprints.organisations import bp as organisations_bp
from portfolio.blueprints.partnerships import bp as partnerships_bp
from portfolio.blueprints.reports import bp as reports_bp
from portfolio.blueprints.scaleups import bp as scaleups_bp
from portfolio.blueprints.tokens import bp as tokens_bp
from portfolio.blueprints.variations import bp as variations_bp
from portfolio.blueprints import errors


def create_app(config: dict | None = None) -> Flask:
    settings = load_config(config)
    app = Flask(
        __name__,
        static_url_path="/assets",  # GOV.UK Frontend's CSS expects its images under /assets
        static_folder="static",
        template_folder=str(ROOT / "templates"),
        instance_path=settings["INSTANCE_PATH"],
    )
    app.config.update(settings)
    register_url_converters(app)
    register_templates(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def register_url_converters(app: Flask) -> None:
    from werkzeug.routing import IntegerConverter

    class IdConverter(IntegerConverter):
        """<int:…> ids larger than a PostgreSQL INTEGER cannot exist: 404, not a database error."""

        def __init__(self, url_map, *args, **kwargs):
            kwargs.setdefault("max", 2**31 - 1)  # portfolio.blueprints.LARGEST_ID
            super().__init__(url_map, *args, **kwargs)

    app.url_map.converters["int"] = IdConverter


def register_templates(app: Flask) -> None:
    from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader


    app.jinja_loader = ChoiceLoader([
        FileSystemLoader(app.template_folder),
        PrefixLoader({
            "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
            "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
        }),
    ])
    filters.register(app)
    navigation.register(app)
    app.add_template_global(error_summary)
    app.add_template_global(record_url)
    app.add_template_global(record_name)


def register_extensions(app: Flask) -> None:
    from govuk_frontend_wtf.main import WTFormsHelpers


    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), compare_type=True, render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    queue.init_app(app)
    WTFormsHelpers(app)
    talisman.init_app(
        app,
        force_https=app.config["FORCE_HTTPS"],
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        strict_transport_security=app.config["FORCE_HTTPS"],
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        permissions_policy={"geolocation": "()", "camera": "()", "microphone": "()"},
        # No inline script anywhere: every script is a file served from /assets.
        content_security_policy={
            "default-src": "'self'",
            "script-src": "'self'",
            "style-src": "'self'",
            "img-src": "'self' data:",
            "font-src": "'self'",
            "connect-src": "'self'",
            "object-src": "'none'",
            "base-uri": "'self'",
            "form-action": "'self'",
            "frame-ancestors": "'none'",
        },
    )

    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to continue"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        """Signed in only while the browser's server-side session is open (services/sessions.py)."""
        found = sessions.check(db.session, session.get(sessions.SESSION_KEY))
        if db.session.dirty:
            db.session.commit()  # an idle or expired session was ended, or recent use recorded
        if found.row is None or str(found.row.user_id) != user_id:
            if found.ended_reason in (sessions.Ended.IDLE, sessions.Ended.EXPIRED):
                flash("You were signed out because you had not used the service for a while. "
                      "Sign in again to continue", "important")
            session.pop(sessions.SESSION_KEY, None)
            return None
        g.user_session = found.row
        return found.row.user

    app.before_request(enforce_declared_roles)
    register_template_globals(app)

    @app.after_request
    def no_store_for_signed_in_pages(response):
        # A browser with a signed-in session (Flask-Login's key): decided from the cookie, never by
        # loading the user, so an error page sent because the database is down stays as it is.
        if "_user_id" in session:
            response.headers["Cache-Control"] = "no-store"
        return response


def register_blueprints(app: Flask) -> None:

    for blueprint in (main_bp, auth_bp, account_bp, organisations_bp, documents_bp, admin_bp, eois_bp, applications_bp, funds_bp,
                      assessments_bp, decisions_bp, offers_bp, claims_bp, awards_bp,
                      reports_bp, exports_bp, api_bp, tokens_bp, cases_bp, partnerships_bp, scaleups_bp,
                      variations_bp):
        app.register_blueprint(blueprint)


def register_errorhandlers(app: Flask) -> None:

    errors.register(app)


def register_commands(app: Flask) -> None:

    cli.register(app)
