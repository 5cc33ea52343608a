"""Command-line commands, registered on the app by the factory."""

import click
from flask import Flask
from flask.cli import with_appcontext

from . import db


def init_db() -> None:
    """Create the tables that do not exist yet; existing data is kept."""
    from . import models  # noqa: F401 - the models must be known to create them

    db.create_all()


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create the database tables (harmless to run twice)."""
    init_db()
    click.echo("Initialized the database.")


def init_app(app: Flask) -> None:
    app.cli.add_command(init_db_command)
