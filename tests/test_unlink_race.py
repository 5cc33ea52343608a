"""Two unlinks of one account at once never leave it without a way in, on
SQLite and PostgreSQL."""

import threading
import time

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Identity

from .helpers import csrf_token, openid_identity, proved

pytestmark = pytest.mark.both_databases

ONLY_WAY = "This is your only way to sign in, so it stays."
# Sessions of this database that wait for a lock another holds.
LOCK_WAITERS = sa.text(
    "SELECT count(*) FROM pg_stat_activity "
    "WHERE wait_event_type = 'Lock' AND datname = current_database()"
)


def add_identity(app, user_id: int, subject: str) -> int:
    with app.app_context():
        identity = openid_identity(subject)
        identity.user_id = user_id
        db.session.add(identity)
        db.session.commit()
        return identity.id


def remaining(app) -> list[int]:
    """The ids of every identity left, in order."""
    with app.app_context():
        return db.session.scalars(sa.select(Identity.id).order_by(Identity.id)).all()


@pytest.fixture
def identity_ids(app, user) -> list[int]:
    """Give ``user`` a second identity; return both ids."""
    add_identity(app, user.id, "https://openid.example/alice-at-work")
    return remaining(app)


def unlink_in_thread(client, identity_id, token, pages):
    def post():
        pages.append(
            client.post(
                f"/account/identities/{identity_id}/unlink",
                data={"csrf_token": token},
                follow_redirects=True,
            )
        )

    thread = threading.Thread(target=post)
    thread.start()
    return thread


def wait_until_under_way(engine, thread, deleting: threading.Event) -> None:
    """Return once the request's DELETE is sent and, on PostgreSQL, waits for
    the lock (SQLite shows no one its waiters), or the request is over."""
    assert deleting.wait(30), "the request never sent its DELETE"
    if engine.dialect.name != "postgresql":
        return
    deadline = time.monotonic() + 30  # only so that a broken test ends
    with engine.connect() as connection:
        while thread.is_alive() and not connection.scalar(LOCK_WAITERS):
            assert time.monotonic() < deadline, "the request neither waited nor finished"
            time.sleep(0.01)


def test_an_unlink_waiting_on_another_sees_it_and_keeps_the_last_identity(
    app, proved_client, identity_ids
):
    user_client = proved_client
    first, second = identity_ids
    token = csrf_token(user_client.get("/account"))
    deleting = threading.Event()

    def watch(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("DELETE FROM identity"):
            deleting.set()

    with app.app_context():
        engine = db.engine
        with engine.connect() as other:
            # Another request of the account has unlinked the second identity
            # and not committed yet.
            other.execute(Identity.__table__.delete().where(Identity.id == second))
            sa.event.listen(engine, "before_cursor_execute", watch)
            pages = []
            thread = unlink_in_thread(user_client, first, token, pages)
            wait_until_under_way(engine, thread, deleting)
            other.commit()
        thread.join(30)
        sa.event.remove(engine, "before_cursor_execute", watch)
    [page] = pages
    assert ONLY_WAY in page.text
    assert remaining(app) == [first]


ROUNDS = 10


def unlink_both_at_once(clients, tokens, ids) -> list:
    """Each client unlinks its identity, both released at once; return the pages."""
    barrier = threading.Barrier(len(clients))
    pages = [None] * len(clients)

    def unlink(i):
        barrier.wait(30)
        pages[i] = clients[i].post(
            f"/account/identities/{ids[i]}/unlink",
            data={"csrf_token": tokens[i]},
            follow_redirects=True,
        )

    threads = [threading.Thread(target=unlink, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return pages


def test_two_unlinks_at_once_leave_one_identity_every_time(app, user, proved_client):
    clients = [proved_client, proved(app.test_client(user=user), user)]
    tokens = [csrf_token(client.get("/account")) for client in clients]
    kept = remaining(app)
    for round in range(ROUNDS):
        ids = kept + [add_identity(app, user.id, f"https://openid.example/alice-{round}")]
        pages = unlink_both_at_once(clients, tokens, ids)
        kept = remaining(app)
        assert len(kept) == 1, f"round {round}"
        assert sorted(ONLY_WAY in page.text for page in pages) == [False, True]
