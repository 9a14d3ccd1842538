"""Run the Alembic revisions against the database the caller names.

The caller (timebank.database, the tests, or the alembic command line) either
hands over a live connection in ``config.attributes["connection"]`` or sets
``sqlalchemy.url``; failing both, the app's own setting is used: DATABASE_URL,
or the default SQLite file in the instance folder.
"""

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection, pool

from ledger.database import create_engine, normalise_url
from timebank.models import metadata

config = context.config

if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def database_url() -> str:
    """Return the URL to migrate: the caller's, else the application's."""
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from timebank import create_app

    return str(create_app().config["DATABASE_URL"])


def run_migrations(connection: Connection) -> None:
    """Run the pending revisions on one connection."""
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite alters a table by copying it; batch mode does that for us.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    """Print the SQL of the pending revisions instead of running them."""
    context.configure(
        url=normalise_url(database_url()),
        target_metadata=metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the pending revisions on the caller's connection or a new one."""
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    engine = create_engine(database_url(), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            run_migrations(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
