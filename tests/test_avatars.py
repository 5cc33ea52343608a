"""Avatars: made by the site, the same on every page, and never from the email."""

import hashlib
import re

import pytest

from app.users.avatars import avatar_token, identicon_svg

from .helpers import add_posts, add_user, csrf_token

EMAIL = "Alice.Person@Example.COM"


def email_hashes(email: str) -> set[str]:
    """What Gravatar and its kind would put in a page: hashes of the address
    as typed and as they normalise it."""
    forms = {email, email.strip().lower()}
    return {
        algorithm(form.encode()).hexdigest()
        for form in forms
        for algorithm in (hashlib.md5, hashlib.sha256)
    }


@pytest.fixture
def people(app, user_client):
    """alice and bob, with emails, posts and a follow between them."""
    bob = add_user(app, "bob", email="bob@example.com")
    add_posts(app, bob, 1)
    page = user_client.get("/user/bob")
    user_client.post("/follow/bob", data={"csrf_token": csrf_token(page)})
    return bob


@pytest.fixture
def user(app):
    return add_user(app, "alice", email=EMAIL)


@pytest.mark.parametrize(
    "path",
    [
        "/index",
        "/explore",
        "/user/bob",
        "/user/alice",
        "/user/bob/followers",
        "/user/alice/following",
        "/edit_profile",
        "/account",
    ],
)
def test_no_page_contains_a_hash_of_any_email(user_client, people, path):
    page = user_client.get(path).text.lower()
    for digest in email_hashes(EMAIL) | email_hashes("bob@example.com"):
        assert digest not in page
    assert "gravatar" not in page


def test_a_person_has_one_avatar_everywhere_and_others_have_their_own(user_client, people):
    def avatars(path):
        return re.findall(r'src="(/avatar/[0-9a-f]+\.svg)"', user_client.get(path).text)

    bobs = avatars("/user/bob")
    assert len(set(bobs)) == 1
    assert bobs[0] in avatars("/explore")
    assert bobs[0] in avatars("/index")
    assert set(avatars("/user/alice")).isdisjoint(bobs)


def test_an_avatar_is_an_svg_from_this_site_cached_for_a_year(client, user_client, people):
    path = re.search(r'src="(/avatar/[0-9a-f]+\.svg)"', user_client.get("/user/bob").text)[1]
    for visitor in (client, user_client):
        response = visitor.get(path)
        assert response.status_code == 200
        assert response.mimetype == "image/svg+xml"
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.text.startswith('<svg xmlns="http://www.w3.org/2000/svg"')


@pytest.mark.parametrize("token", ["xyz", "0" * 19, "0" * 21, "ABCDEF0123456789ABCD"])
def test_an_avatar_name_that_is_not_one_is_a_404(client, token):
    assert client.get(f"/avatar/{token}.svg").status_code == 404


def test_avatars_differ_and_are_mirrored():
    first, second = identicon_svg("0123456789abcdef0123"), identicon_svg("fedcba98765432100123")
    assert first != second
    cells = re.findall(r"M(\d) (\d)h1", first)
    assert {(4 - int(x), y) for x, y in cells} == {(int(x), y) for x, y in cells}


def test_a_new_secret_key_gives_a_new_avatar_name(app):
    with app.app_context():
        before = avatar_token(1)
        app.config["SECRET_KEY"] = "another key, as after a rotation, long enough to use"
        assert avatar_token(1) != before
        assert avatar_token(1) == avatar_token(1)


def test_pages_name_avatars_as_avatar_token_does_under_a_new_secret_key(app):
    page = app.jinja_env.from_string("{{ user_id | avatar_token }}")
    with app.app_context():
        assert page.render(user_id=1) == avatar_token(1)
        app.config["SECRET_KEY"] = "another key, as after a rotation, long enough to use"
        assert page.render(user_id=1) == avatar_token(1)
