"""A database busy with another's write: the request waits a little, then
answers 503 with Retry-After, writes nothing, and the site carries on."""

import json
import sqlite3

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Post

from .helpers import csrf_token


@pytest.fixture
def database_url(database_url, db_backend, monkeypatch):
    # Read when the app is made, just after this; short waits keep tests quick.
    monkeypatch.setenv("FLASK_SQLITE_BUSY_TIMEOUT", "0.1")
    if db_backend == "postgresql":
        # PostgreSQL waits for a lock without end unless an operator sets this.
        options = {"connect_args": {"options": "-c lock_timeout=100"}}
        monkeypatch.setenv("FLASK_SQLALCHEMY_ENGINE_OPTIONS", json.dumps(options))
    return database_url


@pytest.fixture(params=["delete", "wal"])
def write_lock(request, app, user):
    """Hold SQLite's write lock from another connection, as a long write does,
    in each journal mode; release it with ``.rollback()``."""
    path = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    with app.app_context():
        db.engine.dispose()  # the journal mode changes only with no one else connected
    holder = sqlite3.connect(path, isolation_level=None)
    assert holder.execute(f"PRAGMA journal_mode={request.param}").fetchone()[0] == request.param
    holder.execute("BEGIN IMMEDIATE")
    yield holder
    holder.close()


def test_sqlite_connections_wait_as_long_as_sqlite_busy_timeout_says(app):
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 100


def posts(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(sa.select(Post.body)).all()


def test_a_busy_database_answers_503_and_stores_nothing(app, user_client, write_lock):
    token = csrf_token(user_client.get("/index"))  # reading goes on while one writes
    response = user_client.post("/index", data={"post": "lost?", "csrf_token": token})
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert "The site is briefly unavailable." in response.text
    assert "Traceback" not in response.text and "locked" not in response.text
    write_lock.rollback()
    assert posts(app) == []


def test_once_the_lock_is_released_posting_works(app, user_client, write_lock):
    token = csrf_token(user_client.get("/index"))
    assert user_client.post("/index", data={"post": "lost", "csrf_token": token}).status_code == 503
    write_lock.rollback()
    response = user_client.post("/index", data={"post": "kept", "csrf_token": token})
    assert response.status_code == 302
    assert posts(app) == ["kept"]


@pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)
def test_a_lock_held_past_postgresqls_lock_timeout_answers_503_and_stores_nothing(
    app, database_url, user_client
):
    token = csrf_token(user_client.get("/index"))
    holder = sa.create_engine(database_url)
    with holder.connect() as connection:
        # Reads go on; the post's insert waits for the lock.
        connection.exec_driver_sql("LOCK TABLE post IN EXCLUSIVE MODE")
        response = user_client.post("/index", data={"post": "lost?", "csrf_token": token})
        assert response.status_code == 503
        assert response.headers["Retry-After"].isdigit()
        assert "The site is briefly unavailable." in response.text
    holder.dispose()
    assert posts(app) == []
