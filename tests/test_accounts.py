"""How a verified OpenID becomes an account: nickname and email rules."""

from datetime import datetime

import pytest

from app.auth.accounts import (
    Claim,
    clean_email,
    clean_nickname,
    find_or_create_user,
    nickname_from,
    unique_nickname,
)
from app.extensions import db
from app.models import User

pytestmark = pytest.mark.both_databases


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("alice", "alice"),
        ("Alice Smith", "Alice_Smith"),
        ("José", "Jose"),
        ("<script>x</script>", "scriptxscript"),
        ("../..", ""),
        ("名前", ""),
        ("a" * 100, "a" * 64),
        (None, ""),
    ],
)
def test_clean_nickname_keeps_letters_digits_underscore_dot_and_dash(raw, clean):
    assert clean_nickname(raw) == clean


@pytest.mark.parametrize(
    ("nickname", "email", "identity", "expected"),
    [
        ("bob", "carol@example.com", "https://example.com/dave", "bob"),
        (None, "carol@example.com", "https://example.com/dave", "carol"),
        (None, None, "https://example.com/people/dave/", "dave"),
        (None, None, "https://steamcommunity.com/openid/id/7656119", "7656119"),
        (None, None, "https://me.example.com/", "me.example.com"),
        ("名前", None, "https://名前.example/", "example"),
    ],
)
def test_nickname_comes_from_nickname_then_email_then_identity_url(
    nickname, email, identity, expected
):
    assert nickname_from(nickname, email, identity) == expected


def test_nickname_is_never_empty():
    assert nickname_from("名前", None, "https://名前/") == "user"


@pytest.mark.parametrize(
    ("email", "kept"),
    [
        ("alice@example.com", "alice@example.com"),
        ("  alice@example.com ", "alice@example.com"),
        ("not an email", None),
        ("a@b", None),
        ("nul\x00@example.com", None),
        ("", None),
        (None, None),
        ("x" * 250 + "@example.com", None),
    ],
)
def test_clean_email_keeps_only_what_looks_like_an_email(email, kept):
    assert clean_email(email) == kept


def test_unique_nickname_adds_the_first_free_suffix(app):
    with app.app_context():
        for nickname in ["alice", "alice-2", "alice_3", "alice-4"]:
            db.session.add(User(nickname=nickname))
        db.session.commit()
        assert unique_nickname("alice") == "alice-3"
        assert unique_nickname("bob") == "bob"


def test_unique_nickname_fits_the_column_for_a_long_nickname(app):
    long = "a" * 64
    with app.app_context():
        db.session.add(User(nickname=long))
        db.session.commit()
        suffixed = unique_nickname(long)
        assert len(suffixed) <= 64 and suffixed.endswith("-2")


def test_a_returning_user_keeps_account_and_nickname(app):
    with app.app_context():
        first = find_or_create_user(
            Claim("openid", "", "https://example.com/alice", "OpenID", "alice")
        )
        again = find_or_create_user(
            Claim("openid", "", "https://example.com/alice", "OpenID", "someone", "a@example.com")
        )
        assert again.id == first.id
        assert again.nickname == "alice"
        assert db.session.scalar(db.select(db.func.count(User.id))) == 1


def test_a_copy_of_the_account_the_session_holds_shows_the_sign_in_once_committed(app, user):
    now = datetime(2030, 1, 1)
    with app.app_context():
        held = db.session.get(User, user.id)
        claim = Claim("openid", "", "https://openid.example/alice", "OpenID", None, None, None)
        owner = claim.signing_in_owner(now)
        db.session.commit()
        assert owner.id == held.id
        assert held.last_seen.replace(tzinfo=None) == now
