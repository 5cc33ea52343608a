"""Command-line commands, registered on the app by the factory."""

from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import ScriptInfo, with_appcontext

from .extensions import db

# The first migration: what db.create_all() made before migrations existed.
FIRST_REVISION = "3b2a9a432961"
# Beside app/, whatever the working folder.
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def bind_migrations(app: Flask) -> None:
    """Give ``app`` Flask-Migrate, once. Only what migrates asks for it:
    Alembic, which it loads, is 11 MB in every process and serves no page."""
    if "migrate" not in app.extensions:
        from flask_migrate import Migrate

        # Batch mode lets migrations alter tables on SQLite too.
        Migrate(app, db, directory=str(MIGRATIONS), render_as_batch=True)


# Flask-Migrate's "flask db" group, loaded when it runs: every argument,
# --help included, goes to it as given.
@click.command(
    "db",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.pass_context
def migrations_command(ctx: click.Context):
    """Perform database migrations (Flask-Migrate's commands)."""
    bind_migrations(ctx.ensure_object(ScriptInfo).load_app())
    from flask_migrate.cli import db as flask_migrate_commands

    return flask_migrate_commands.main(
        args=ctx.args, prog_name=ctx.command_path, obj=ctx.obj, standalone_mode=False
    )


def init_db() -> None:
    """Bring the database to the newest schema revision; existing data is kept."""
    from flask_migrate import stamp, upgrade

    bind_migrations(current_app)

    tables = set(sa.inspect(db.engine).get_table_names())
    if "alembic_version" not in tables and "user" in tables:
        # Tables made by db.create_all(), before there were migrations.
        stamp(revision=FIRST_REVISION)
    upgrade()
    if db.engine.dialect.name == "sqlite" and db.engine.url.database not in (None, "", ":memory:"):
        # Write-ahead logging: readers no longer wait for a writer, and a
        # commit (each sign-in records one) costs one sync, not several. It
        # stays set in the database file.
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA journal_mode=WAL")


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create or upgrade the database tables (harmless to run twice)."""
    init_db()
    click.echo("Initialized the database.")


@click.command("set-active")
@click.argument("nickname")
@click.argument("state", type=click.Choice(["on", "off"]))
@with_appcontext
def set_active_command(nickname, state):
    """Enable (on) or disable (off) the account NICKNAME.

    A disabled account cannot sign in, and its sessions end: their records
    are removed, so enabling it again revives none of them.
    """
    from .auth import sessions
    from .models import User

    user = db.session.scalar(db.select(User).where(User.nickname == nickname))
    if user is None:
        raise click.ClickException(f"no account is called {nickname!r}")
    user.active = state == "on"
    if not user.active:
        sessions.end_all(user.id)
    db.session.commit()
    click.echo(f"{nickname} is now {'enabled' if user.active else 'disabled'}.")


@click.command("openid-cleanup")
@with_appcontext
def openid_cleanup_command():
    """Delete expired OpenID associations, nonces and discovery results.

    Both stores also do this by themselves, on a process's first sign-in and
    then every ten minutes.
    """
    from .auth.openid.store import discovery_store
    from .extensions import oid

    store = oid.make_store()
    # Not store.cleanup(): FileOpenIDStore's returns nothing.
    nonces, associations = store.cleanupNonces(), store.cleanupAssociations()
    discoveries = discovery_store().cleanupDiscoveries()
    click.echo(
        f"Removed {nonces} expired nonces, {associations} expired associations "
        f"and {discoveries} expired discovery results."
    )


@click.command("sessions-cleanup")
@with_appcontext
def sessions_cleanup_command():
    """Delete the records of sessions past SESSION_MAX_AGE.

    Sign-ins also do it, a process's first and then one every ten minutes;
    ended sessions are deleted when they end.
    """
    from .auth import sessions

    removed = sessions.forget_expired()
    db.session.commit()
    click.echo(f"Removed {removed} expired sessions.")


def init_app(app: Flask) -> None:
    app.cli.add_command(migrations_command)
    app.cli.add_command(init_db_command)
    app.cli.add_command(openid_cleanup_command)
    app.cli.add_command(set_active_command)
    app.cli.add_command(sessions_cleanup_command)
