import logging
from logging.config import fileConfig

from flask import current_app

from alembic import context

from portfolio.models.base import UTCDateTime
from portfolio.services import database_roles

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically.
# (Without disabling the loggers that already exist: run in-process, as the tests do, it would
# silence the app's libraries, such as flask-limiter's warning that Redis is out of reach.)
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger('alembic.env')


_owner_engine = None


def get_engine():
    """The schema owner's connection when MIGRATION_DATABASE_URL is set (production and `.ci/run`:
    the application's own role, DATABASE_URL, owns nothing), otherwise the application's."""
    global _owner_engine
    owner_url = current_app.config.get('SQLALCHEMY_MIGRATION_URI')
    if not owner_url:
        engine = current_app.extensions['migrate'].db.engine
        if current_app.config.get('PORTFOLIO_ENV') == 'production' and engine.dialect.name == 'postgresql':
            # The tables would belong to the application's own role, which could then disable the audit
            # trail's trigger or empty it (README, "Two database roles").
            raise RuntimeError('PORTFOLIO_ENV=production: set MIGRATION_DATABASE_URL to the schema owner\'s URL for '
                               'migrations; DATABASE_URL is the application\'s role, which must own nothing')
        return engine
    if _owner_engine is None:
        import sqlalchemy as sa

        _owner_engine = sa.create_engine(owner_url, poolclass=sa.pool.NullPool)
    return _owner_engine


def grant_app_role(connection):
    """After the migrations, as the owner: give DATABASE_URL's role the application's privileges
    on every table, new ones included (portfolio/services/database_roles.py). Nothing to do when
    both URLs name the same role (or none: SQLite)."""
    if not current_app.config.get('SQLALCHEMY_MIGRATION_URI'):
        return
    app_role = database_roles.user_of(current_app.config['SQLALCHEMY_DATABASE_URI'])
    owner_role = database_roles.user_of(current_app.config['SQLALCHEMY_MIGRATION_URI'])
    if app_role and app_role != owner_role:
        database_roles.grant_app_role(connection, app_role)


def get_engine_url():
    try:
        return get_engine().url.render_as_string(hide_password=False).replace(
            '%', '%%')
    except AttributeError:
        return str(get_engine().url).replace('%', '%%')


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option('sqlalchemy.url', get_engine_url())
target_db = current_app.extensions['migrate'].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def get_metadata():
    if hasattr(target_db, 'metadatas'):
        return target_db.metadatas[None]
    return target_db.metadata


def render_item(type_, obj, autogen_context):
    """Write our column types as plain SQLAlchemy types, so migrations never import the app."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url, target_metadata=get_metadata(), literal_binds=True
    )

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, 'autogenerate', False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info('No changes in schema detected.')

    conf_args = current_app.extensions['migrate'].configure_args
    conf_args.setdefault("render_item", render_item)
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    connectable = get_engine()

    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=get_metadata(),
            **conf_args
        )

        with context.begin_transaction():
            context.run_migrations()
            if not getattr(config.cmd_opts, 'autogenerate', False):
                grant_app_role(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
