"""Configuration, read from the environment only.

Rules for defaults: every default is safe in production or refused there. The embedded
default (a laptop) needs no settings at all: SQLite under instance/, jobs run in-process,
a generated secret key kept in instance/. `PORTFOLIO_ENV=production` requires the real
settings and names any that are missing.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """The environment does not describe a runnable service."""


def _instance_path() -> Path:
    return Path(os.environ.get("PORTFOLIO_INSTANCE_PATH", ROOT / "instance")).resolve()


def _embedded_secret_key(instance: Path) -> str:
    """Generate the secret key once, keep it in instance/ so sessions survive restarts."""
    key_file = instance / "secret_key"
    if not key_file.exists():
        instance.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _normalise_database_url(url: str) -> str:
    # Accept the postgres:// and postgresql:// forms people paste; we use psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_config(overrides: dict | None = None) -> dict:
    """Build the Flask config from the environment (plus test overrides)."""
    env = os.environ.get("PORTFOLIO_ENV", "development")
    production = env == "production"
    instance = _instance_path()

    database_url = os.environ.get("DATABASE_URL")
    # The schema owner's URL, for `flask db upgrade` only (migrations/env.py); web and worker
    # processes connect with DATABASE_URL, a role that owns nothing (see the README's production section).
    migration_url = os.environ.get("MIGRATION_DATABASE_URL") or None
    redis_url = os.environ.get("REDIS_URL") or None
    secret_key = os.environ.get("SECRET_KEY")

    if production:
        missing = []
        if not secret_key:
            missing.append("SECRET_KEY")
        if not database_url or not _normalise_database_url(database_url).startswith("postgresql"):
            missing.append("DATABASE_URL (a PostgreSQL URL)")
        if not redis_url:
            missing.append("REDIS_URL")
        if missing:
            raise ConfigError(
                "PORTFOLIO_ENV=production needs these settings: " + ", ".join(missing)
            )

    if not database_url:
        instance.mkdir(parents=True, exist_ok=True)
        database_url = f"sqlite:///{instance / 'portfolio.sqlite'}"

    ratelimit_storage = os.environ.get("RATELIMIT_STORAGE_URI") or redis_url or "memory://"
    config = {
        "PORTFOLIO_ENV": env,
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": secret_key or _embedded_secret_key(instance),
        "SQLALCHEMY_DATABASE_URI": _normalise_database_url(database_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SQLALCHEMY_MIGRATION_URI": _normalise_database_url(migration_url) if migration_url else None,
        "REDIS_URL": redis_url,
        # Rate-limit counters live in Redis when there is one, so every web process shares them.
        # While Redis does not answer, each process counts in its own memory (and logs it), so
        # signing in still works; limits then apply per process.
        "RATELIMIT_STORAGE_URI": ratelimit_storage,
        # Said outright: Flask-Limiter's one limiter keeps the last app's setting when an app does not say,
        # so an app made with limits off (a test) would otherwise leave them off for the next one.
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_STORAGE_OPTIONS": (
            {"socket_connect_timeout": 2, "socket_timeout": 2} if ratelimit_storage.startswith("redis") else {}),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Only refused sign-ins count. Per client IP address the limit can be strict; per email
        # address it is a short back-off, so nobody can lock a named person out for long by
        # guessing their password (issue 14).
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per 5 minutes"),
        "LOGIN_ADDRESS_RATE_LIMIT": os.environ.get("LOGIN_ADDRESS_RATE_LIMIT", "10 per minute"),
        # Sensitive actions (approving an award, recording a payment...) ask for the second factor
        # again when it was last given longer ago than this.
        "REAUTH_MINUTES": int(os.environ.get("REAUTH_MINUTES", 10)),
        # Passkeys (WebAuthn): the relying party id is the site's host name and the origin its
        # scheme://host[:port]. Unset: taken from each request's host (right behind no proxy and in
        # tests on 127.0.0.1:<port>); set both in production so a forged Host header cannot move them.
        "WEBAUTHN_RP_ID": os.environ.get("WEBAUTHN_RP_ID") or None,
        "WEBAUTHN_ORIGIN": os.environ.get("WEBAUTHN_ORIGIN") or None,
        "SERVICE_NAME": os.environ.get("SERVICE_NAME", "Portfolio"),  # shown in authenticator apps and passkeys
        # Cookies: secure by default; only plain-http local development turns Secure off.
        "SESSION_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", production),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", production),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=8),
        # Server-side sessions (portfolio/services/sessions.py): signed out after this long without a
        # request (staff, who can move money, sooner than companies), and after the absolute lifetime
        # whatever they do.
        "SESSION_IDLE_MINUTES_STAFF": int(os.environ.get("SESSION_IDLE_MINUTES_STAFF", 30)),
        "SESSION_IDLE_MINUTES_COMPANY": int(os.environ.get("SESSION_IDLE_MINUTES_COMPANY", 60)),
        "SESSION_ABSOLUTE_HOURS": int(os.environ.get("SESSION_ABSOLUTE_HOURS", 12)),
        "FORCE_HTTPS": _flag("FORCE_HTTPS", production),
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", 20 * 1024 * 1024)),
        # An Office upload (a ZIP package) may declare at most this much once uncompressed.
        "UPLOAD_MAX_UNCOMPRESSED_MB": int(os.environ.get("UPLOAD_MAX_UNCOMPRESSED_MB", 50)),
        # Storage for generated files and uploads: "database" works across machines,
        # "local" (a folder under instance/) is only for the embedded default.
        "STORAGE_BACKEND": os.environ.get("STORAGE_BACKEND", "database" if production else "local"),
        "STORAGE_PATH": os.environ.get("STORAGE_PATH", str(instance / "files")),
        # Mail: SMTP when MAIL_SERVER is set, otherwise .eml files under instance/mail/.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER"),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", 587)),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD"),
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS", True),
        "MAIL_SENDER": os.environ.get("MAIL_SENDER", "Portfolio <noreply@portfolio.invalid>"),
        "MAIL_FOLDER": os.environ.get("MAIL_FOLDER", str(instance / "mail")),
        "SERVER_BASE_URL": os.environ.get("SERVER_BASE_URL", "http://127.0.0.1:5000"),
        "INVITATION_TTL": timedelta(days=int(os.environ.get("INVITATION_TTL_DAYS", 7))),
        "PASSWORD_RESET_TTL": timedelta(hours=int(os.environ.get("PASSWORD_RESET_TTL_HOURS", 2))),
        "REGISTRATION_TTL": timedelta(hours=int(os.environ.get("REGISTRATION_TTL_HOURS", 24))),
        "RQ_QUEUE": os.environ.get("RQ_QUEUE", "portfolio"),
        # A document queued for longer than this offers the user "Try again".
        "DOCUMENT_STUCK_AFTER_SECONDS": int(os.environ.get("DOCUMENT_STUCK_AFTER_SECONDS", 600)),
    }
    if overrides:
        config.update(overrides)
    return config
