"""On PostgreSQL the app's sessions read without a transaction and begin one
at the first statement that writes or locks (app/database.py)."""

import psycopg
import pytest
import sqlalchemy as sa
from psycopg.pq import TransactionStatus

from app.extensions import db
from app.models import Post, User

pytestmark = pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)


def server_side_status() -> TransactionStatus:
    """Whether the session's connection has a transaction open on the server."""
    return db.session.connection().connection.dbapi_connection.info.transaction_status


def test_reads_are_sent_without_a_transaction(app, user):
    with app.app_context():
        assert db.session.get(User, user.id).nickname == "alice"
        assert db.session.scalar(sa.select(sa.func.count(Post.id))) == 0
        assert server_side_status() == TransactionStatus.IDLE


def test_the_first_write_begins_a_transaction_that_lasts_until_the_commit(app, user):
    with app.app_context():
        db.session.get(User, user.id)
        db.session.add(Post(body="one", user_id=user.id))
        db.session.flush()
        assert server_side_status() == TransactionStatus.INTRANS
        db.session.execute(sa.update(User).values(about_me="two"))
        with db.engine.connect() as other:  # another's view: nothing yet
            assert other.scalar(sa.select(sa.func.count(Post.id))) == 0
        db.session.commit()
        with db.engine.connect() as other:
            assert other.scalar(sa.select(sa.func.count(Post.id))) == 1
            assert other.scalar(sa.select(User.about_me)) == "two"


def test_a_rollback_undoes_every_write_since_the_first(app, user):
    with app.app_context():
        db.session.add(Post(body="one", user_id=user.id))
        db.session.flush()
        db.session.execute(sa.update(User).values(about_me="two"))
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count(Post.id))) == 0
        assert db.session.scalar(sa.select(User.about_me)) is None


def test_a_select_for_update_holds_its_lock_until_the_commit(app, user):
    with app.app_context():
        db.session.scalar(sa.select(User).where(User.id == user.id).with_for_update())
        assert server_side_status() == TransactionStatus.INTRANS
        url = app.config["SQLALCHEMY_DATABASE_URI"].replace("+psycopg", "")
        with psycopg.connect(url, options="-c lock_timeout=50") as other:
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute('UPDATE "user" SET about_me = %s', ("locked?",))
        db.session.commit()


def test_after_a_commit_the_next_connection_reads_alone_again(app, user):
    with app.app_context():
        db.session.add(Post(body="one", user_id=user.id))
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count(Post.id))) == 1
        assert server_side_status() == TransactionStatus.IDLE


def test_a_core_read_is_sent_without_a_transaction(app, user):
    with app.app_context():
        assert db.session().read(sa.select(User.nickname)).scalar() == "alice"
        assert server_side_status() == TransactionStatus.IDLE


def test_a_core_read_sees_what_the_session_has_not_flushed_yet(app, user):
    with app.app_context():
        db.session.add(Post(body="pending", user_id=user.id))
        assert db.session().read(sa.select(Post.body)).scalars().all() == ["pending"]
