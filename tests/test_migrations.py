"""Schema migrations, on SQLite and PostgreSQL: upgrade, downgrade, agreement."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import check, downgrade, upgrade

from app.cli import FIRST_REVISION, init_db
from app.extensions import db
from app.models import Identity, Post, User

pytestmark = pytest.mark.both_databases
TABLES = {
    "alembic_version",
    "user",
    "post",
    "openid_association",
    "openid_nonce",
    "openid_discovery",
    "identity",
    "sign_in",
    "rate_limit",
    "follow",
    "passkey",
    "used_passkey_challenge",
    "live_session",
    "used_logout_token",
}
BEFORE_IDENTITIES = "bb8eb582b49a"
# The last revision with the account-wide session token.
BEFORE_LIVE_SESSIONS = "3c5e1f0a9b27"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


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
    db.session.add(User(nickname="alice"))
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


def moment(name: str) -> sa.BindParameter:
    # Typed, so SQLAlchemy converts the datetime: sqlite3's own adapter is
    # deprecated since Python 3.12.
    return sa.bindparam(name, type_=sa.DateTime(timezone=True))


def add_openid_users(*nicknames):
    """Accounts as the schema before identities held them: one claimed identifier."""
    with db.engine.begin() as connection:
        for nickname in nicknames:
            connection.execute(
                sa.text(
                    'INSERT INTO "user" (nickname, openid, created, active) VALUES (:n, :o, :c, :a)'
                ).bindparams(moment("c")),
                {"n": nickname, "o": f"https://example.com/{nickname}", "c": NOW, "a": True},
            )


def test_a_database_made_before_migrations_is_brought_up_to_date(empty):
    upgrade(revision=FIRST_REVISION)  # the tables the 2012 code made
    db.session.execute(sa.text("DROP TABLE alembic_version"))
    db.session.commit()
    add_openid_users("alice")
    init_db()
    assert tables() == TABLES
    [user] = db.session.scalars(sa.select(User))
    assert user.nickname == "alice"
    assert [i.subject for i in user.identities] == ["https://example.com/alice"]


def test_each_claimed_identifier_becomes_an_identity_and_nothing_is_lost(empty):
    upgrade(revision=BEFORE_IDENTITIES)
    add_openid_users("alice", "bob")
    with db.engine.begin() as connection:
        connection.execute(
            sa.text("INSERT INTO post (body, timestamp, user_id) VALUES ('hi', :t, 1)").bindparams(
                moment("t")
            ),
            {"t": NOW},
        )
    upgrade(revision=BEFORE_LIVE_SESSIONS)
    with db.engine.connect() as connection:
        tokens = connection.execute(sa.text('SELECT session_token FROM "user"')).scalars().all()
    assert len(set(tokens)) == 2 and all(len(t) >= 40 for t in tokens)
    upgrade()
    users = db.session.scalars(sa.select(User).order_by(User.id)).all()
    assert [(u.nickname, [(i.kind, i.issuer, i.subject) for i in u.identities]) for u in users] == [
        ("alice", [("openid", "", "https://example.com/alice")]),
        ("bob", [("openid", "", "https://example.com/bob")]),
    ]
    assert db.session.scalar(sa.select(Post.body)) == "hi"


def test_downgrading_identities_gives_each_account_its_first_one_back(empty):
    upgrade()
    alice = User(nickname="alice")
    alice.identities = [
        Identity(kind="oidc", issuer="https://sso.example", subject="42", provider="SSO"),
        Identity(kind="openid", issuer="", subject="https://example.com/a", provider="OpenID"),
    ]
    db.session.add_all([alice, User(nickname="ghost")])
    db.session.commit()
    db.session.close()
    downgrade(revision=BEFORE_IDENTITIES)
    rows = db.session.execute(sa.text('SELECT nickname, openid FROM "user" ORDER BY id')).all()
    assert [tuple(r) for r in rows] == [
        ("alice", "https://sso.example#42"),
        ("ghost", "urn:microblog:no-identity:2"),
    ]


# The last revision that kept a session's device in English words.
BEFORE_DEVICE_NAMES = "b7d4e1a2c390"


def test_a_sessions_device_in_words_becomes_its_browser_and_system_and_back(empty):
    upgrade(revision=BEFORE_DEVICE_NAMES)
    with db.engine.begin() as connection:
        connection.execute(sa.text('INSERT INTO "user" (nickname, created) VALUES (\'alice\', :t)')
                           .bindparams(moment("t")), {"t": NOW})  # fmt: skip
        for i, device in enumerate(
            ["Mobile Safari on iOS", "Firefox", "An unknown browser on Linux", "An unknown browser"]
        ):
            connection.execute(
                sa.text(
                    "INSERT INTO live_session (key_hash, user_id, way, device, created, last_seen,"
                    " remembered) VALUES (:key, 1, 'OpenID', :device, :t, :t, false)"
                ).bindparams(moment("t")),
                {"key": bytes([i]) * 32, "device": device, "t": NOW},
            )
    upgrade()
    with db.engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT browser, system FROM live_session ORDER BY id")
        ).all()
    assert [tuple(r) for r in rows] == [
        ("Mobile Safari", "iOS"), ("Firefox", None), (None, "Linux"), (None, None),
    ]  # fmt: skip
    downgrade(revision=BEFORE_DEVICE_NAMES)
    with db.engine.connect() as connection:
        devices = connection.execute(sa.text("SELECT device FROM live_session ORDER BY id"))
        assert devices.scalars().all() == [
            "Mobile Safari on iOS", "Firefox", "An unknown browser on Linux", "An unknown browser",
        ]  # fmt: skip
