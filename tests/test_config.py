import pytest

from portfolio import create_app
from portfolio.config import ConfigError, load_config


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in ("DATABASE_URL", "MIGRATION_DATABASE_URL", "REDIS_URL", "SECRET_KEY", "PORTFOLIO_ENV",
                 "SESSION_COOKIE_SECURE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PORTFOLIO_INSTANCE_PATH", str(tmp_path / "instance"))
    return monkeypatch


def test_production_names_every_missing_setting(clean_env):
    clean_env.setenv("PORTFOLIO_ENV", "production")
    with pytest.raises(ConfigError) as error:
        create_app()
    message = str(error.value)
    assert "SECRET_KEY" in message and "DATABASE_URL" in message and "REDIS_URL" in message


def test_production_refuses_sqlite(clean_env):
    clean_env.setenv("PORTFOLIO_ENV", "production")
    clean_env.setenv("SECRET_KEY", "x" * 64)
    clean_env.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    clean_env.setenv("DATABASE_URL", "sqlite:////tmp/prod.sqlite")
    with pytest.raises(ConfigError, match="PostgreSQL"):
        load_config()


def test_production_with_everything_set_uses_secure_defaults(clean_env):
    clean_env.setenv("PORTFOLIO_ENV", "production")
    clean_env.setenv("SECRET_KEY", "x" * 64)
    clean_env.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    clean_env.setenv("DATABASE_URL", "postgres://user@db.internal/portfolio")
    config = load_config()
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://user@db.internal/portfolio"
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["FORCE_HTTPS"] is True
    assert config["STORAGE_BACKEND"] == "database"
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"


def test_embedded_default_needs_no_settings(clean_env, tmp_path):
    config = load_config()
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'instance' / 'portfolio.sqlite'}"
    assert config["REDIS_URL"] is None
    assert config["STORAGE_BACKEND"] == "local"
    # The secret key is generated once and kept, so sessions survive a restart.
    assert load_config()["SECRET_KEY"] == config["SECRET_KEY"]
    assert len(config["SECRET_KEY"]) == 64
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o777 == 0o600
