"""Schema migrations, on SQLite and PostgreSQL: upgrade, downgrade, agreement."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import check, downgrade, upgrade

from app.cli import FIRST_REVISION, bind_migrations, init_db
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
    bind_migrations(app)
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


def insert(connection, statement: str, **values) -> None:
    """Run SQL written for a past revision; ``:t`` is NOW."""
    connection.execute(sa.text(statement).bindparams(moment("t")), {"t": NOW, **values})


def add_openid_users(*nicknames):
    """Accounts as the schema before identities held them: one claimed identifier."""
    with db.engine.begin() as connection:
        for nickname in nicknames:
            insert(
                connection,
                'INSERT INTO "user" (nickname, openid, created, active) VALUES (:n, :o, :t, :a)',
                n=nickname,
                o=f"https://example.com/{nickname}",
                a=True,
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
        insert(connection, "INSERT INTO post (body, timestamp, user_id) VALUES ('hi', :t, 1)")
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
        insert(connection, "INSERT INTO \"user\" (nickname, created) VALUES ('alice', :t)")
        for i, device in enumerate(
            ["Mobile Safari on iOS", "Firefox", "An unknown browser on Linux", "An unknown browser"]
        ):
            insert(
                connection,
                "INSERT INTO live_session (key_hash, user_id, way, device, created, last_seen,"
                " remembered) VALUES (:key, 1, 'OpenID', :device, :t, :t, false)",
                key=bytes([i]) * 32,
                device=device,
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


# The last revision that kept a sign-in's way in the signer's words.
BEFORE_WAYS_AS_NAMES = "c3f8a6d2e914"
# The words as the app wrote them, in English and German, and what they were for.
WAYS = [
    ("OpenID", ("openid", None)),
    ("Example SSO", ("oidc", "Example SSO")),
    ("Built-in OpenID Connect (development)", ("oidc", None)),
    ("Integriertes OpenID Connect (Entwicklung)", ("oidc", None)),
    ("Passkey “laptop”", ("passkey", "laptop")),
    ("Passkey „phone“", ("passkey", "phone")),
]


def test_a_way_in_in_the_signers_words_becomes_a_kind_and_a_name_and_back(empty):
    upgrade(revision=BEFORE_WAYS_AS_NAMES)
    with db.engine.begin() as connection:
        insert(connection, "INSERT INTO \"user\" (nickname, created) VALUES ('alice', :t)")
        for i, (words, _) in enumerate(WAYS):
            insert(
                connection,
                "INSERT INTO sign_in (user_id, at, provider) VALUES (1, :t, :words)",
                words=words,
            )
            insert(
                connection,
                "INSERT INTO live_session (key_hash, user_id, way, created, last_seen,"
                " remembered) VALUES (:key, 1, :words, :t, :t, false)",
                key=bytes([i]) * 32,
                words=words,
            )
        for i, provider in enumerate(["Integriertes OpenID Connect (Entwicklung)", "Example SSO"]):
            insert(
                connection,
                "INSERT INTO identity (user_id, kind, issuer, subject, provider, created)"
                " VALUES (1, 'oidc', :issuer, 'alice', :provider, :t)",
                issuer=f"https://{i}.example",
                provider=provider,
            )
    upgrade()
    expected = [way for _, way in WAYS]
    with db.engine.connect() as connection:
        for table in ("sign_in", "live_session"):
            rows = connection.execute(
                sa.text(f"SELECT way_kind, way_name FROM {table} ORDER BY id")
            )
            assert [tuple(r) for r in rows] == expected
        providers = connection.execute(sa.text("SELECT provider FROM identity ORDER BY id"))
        assert providers.scalars().all() == [None, "Example SSO"]
    downgrade(revision=BEFORE_WAYS_AS_NAMES)
    # In English, the only words a downgrade can know for sure.
    english = ["OpenID", "Example SSO", *["Built-in OpenID Connect (development)"] * 2,
               "Passkey “laptop”", "Passkey “phone”"]  # fmt: skip
    with db.engine.connect() as connection:
        for table, column in (("sign_in", "provider"), ("live_session", "way")):
            words = connection.execute(sa.text(f"SELECT {column} FROM {table} ORDER BY id"))
            assert words.scalars().all() == english
        providers = connection.execute(sa.text("SELECT provider FROM identity ORDER BY id"))
        assert providers.scalars().all() == ["Built-in OpenID Connect (development)", "Example SSO"]
