"""Schema migrations, on SQLite and PostgreSQL: upgrade, downgrade, agreement."""

import pytest
import sqlalchemy as sa
from flask_migrate import check, downgrade, upgrade

from app import db
from app.cli import init_db
from app.models import Post, User

pytestmark = pytest.mark.both_databases
TABLES = {
    "alembic_version",
    "user",
    "post",
    "openid_association",
    "openid_nonce",
    "openid_discovery",
}


def tables() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


@pytest.fixture
def empty(app):
    """The app on a database with no tables at all."""
    with app.app_context():
        db.drop_all()
        yield app


def test_upgrade_from_empty_creates_every_table(empty):
    init_db()
    assert tables() == TABLES


def test_init_db_twice_is_harmless_and_keeps_the_data(empty):
    init_db()
    db.session.add(User(nickname="alice", openid="https://example.com/alice"))
    db.session.commit()
    init_db()
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1


def test_downgrade_to_nothing_and_upgrade_again(empty):
    upgrade()
    downgrade(revision="base")
    assert tables() == {"alembic_version"}
    upgrade()
    assert tables() == TABLES


def test_the_models_and_the_migrations_agree(empty):
    upgrade()
    check()  # raises if autogenerate would find any difference


def test_a_database_made_before_migrations_is_brought_up_to_date(empty):
    db.metadata.create_all(db.engine, tables=[User.__table__, Post.__table__])
    db.session.add(User(nickname="alice", openid="https://example.com/alice"))
    db.session.commit()
    init_db()
    assert tables() == TABLES
    assert db.session.scalar(sa.select(User.nickname)) == "alice"
