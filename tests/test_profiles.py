"""Profiles: what a person's page shows, editing it, and when they were last seen."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import LAST_SEEN_INTERVAL, LiveSession, User, as_utc, now_utc

from .helpers import (
    Browser,
    add_posts,
    add_user,
    csrf_token,
    dev_identifier,
    post_bodies,
)


def edit(client, **fields):
    page = client.get("/edit_profile")
    return client.post("/edit_profile", data={"csrf_token": csrf_token(page), **fields})


def stored(app, user_id, column):
    with app.app_context():
        return db.session.scalar(sa.select(column).where(User.id == user_id))


@pytest.mark.both_databases
def test_a_profile_shows_the_person_and_their_posts_newest_first(app, user_client):
    bob = add_user(app, "bob")
    add_posts(app, bob, 3)
    with app.app_context():
        db.session.execute(sa.update(User).where(User.id == bob.id).values(about_me="Hi there"))
        db.session.commit()
    page = user_client.get("/user/bob")
    assert page.status_code == 200
    assert "<h1>bob</h1>" in page.text
    assert '<p class="about-me">Hi there</p>' in page.text
    assert "Joined <time" in page.text
    assert 'src="/avatar/' in page.text
    assert post_bodies(page) == ["post 2", "post 1", "post 0"]
    assert "<title>bob - microblog</title>" in page.text


@pytest.mark.parametrize("path", ["/user/nobody", "/user/" + "x" * 200, "/user/nobody/followers"])
def test_an_unknown_nickname_gets_the_404_page(user_client, path):
    response = user_client.get(path)
    assert response.status_code == 404
    assert "404 &middot; Not Found" in response.text


@pytest.mark.parametrize(
    "path", ["/user/alice", "/explore", "/edit_profile", "/user/alice/following"]
)
def test_people_pages_need_sign_in(client, user, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_every_post_links_to_its_authors_profile_with_an_avatar(app, user, user_client):
    add_posts(app, user, 1)
    page = user_client.get("/explore").text
    assert '<a class="post-author" href="/user/alice">alice</a>' in page
    assert '<img class="avatar" src="/avatar/' in page


def test_the_nav_bar_has_home_explore_your_profile_account_and_logout(user_client):
    page = user_client.get("/explore").text
    for link in ('href="/index"', 'href="/explore"', 'href="/user/alice"', 'href="/account"'):
        assert link in page
    assert 'action="/logout"' in page


@pytest.mark.both_databases
def test_a_new_nickname_moves_the_profile_and_every_post_shows_it(app, user, user_client):
    add_posts(app, user, 1)
    response = edit(user_client, nickname="alicia", about_me="")
    assert response.headers["Location"] == "/user/alicia"
    assert user_client.get("/user/alice").status_code == 404
    assert user_client.get("/user/alicia").status_code == 200
    assert (
        '<a class="post-author" href="/user/alicia">alicia</a>' in user_client.get("/explore").text
    )


def test_the_edit_form_starts_with_what_is_saved(app, user, user_client):
    edit(user_client, nickname="alice", about_me="Writes code")
    page = user_client.get("/edit_profile").text
    assert 'value="alice"' in page
    assert "Writes code</textarea>" in page


@pytest.mark.both_databases
def test_a_taken_nickname_is_refused_next_to_the_field(app, user, user_client):
    add_user(app, "bob")
    response = edit(user_client, nickname="bob", about_me="")
    assert response.status_code == 200
    assert 'id="nickname-error">That nickname is taken; choose another.</p>' in response.text
    assert stored(app, user.id, User.nickname) == "alice"


@pytest.mark.parametrize(
    ("typed", "suggestion"),
    [("José Luis", "(for example Jose_Luis)"), ("-alice-", "(for example alice)"), ("!!!", "")],
)
def test_a_nickname_breaking_the_sign_up_rules_is_refused_with_a_sentence(
    app, user, user_client, typed, suggestion
):
    response = edit(user_client, nickname=typed, about_me="")
    assert response.status_code == 200
    assert "A nickname can have only letters, digits, _, . and -" in response.text
    assert suggestion in response.text
    assert stored(app, user.id, User.nickname) == "alice"


def test_about_me_of_141_characters_is_refused_and_not_stored(app, user, user_client):
    response = edit(user_client, nickname="alice", about_me="x" * 141)
    assert response.status_code == 200
    assert "About me can be at most 140 characters." in response.text
    assert stored(app, user.id, User.about_me) is None
    edit(user_client, nickname="alice", about_me="x" * 140)
    assert stored(app, user.id, User.about_me) == "x" * 140


def test_about_me_is_shown_escaped(app, user, user_client):
    edit(user_client, nickname="alice", about_me='<script>alert("x")</script>')
    page = user_client.get("/user/alice").text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


def test_editing_without_the_csrf_token_changes_nothing(app, user, user_client):
    assert user_client.post("/edit_profile", data={"nickname": "mallory"}).status_code == 400
    assert stored(app, user.id, User.nickname) == "alice"


def test_a_sign_in_records_when_the_person_was_last_seen(app, live_server):
    browser = Browser(live_server.url)
    browser.sign_in(dev_identifier(browser), username="carol")  # the account's first
    with app.app_context():
        carol = db.session.scalar(sa.select(User.id).where(User.nickname == "carol"))
    assert stored(app, carol, User.last_seen) is not None
    long_ago = now_utc() - timedelta(days=3)
    with app.app_context():
        db.session.execute(sa.update(User).values(last_seen=long_ago))
        db.session.commit()
    browser = Browser(live_server.url)  # another browser: a returning sign-in
    browser.sign_in(dev_identifier(browser), username="carol")
    assert as_utc(stored(app, carol, User.last_seen)) > long_ago
    assert "Last seen <time" in browser.get("/user/carol").text


@pytest.mark.both_databases
def test_last_seen_is_written_at_most_once_an_interval(app, user, user_client):
    recent = now_utc() - LAST_SEEN_INTERVAL + timedelta(minutes=1)
    with app.app_context():
        db.session.execute(sa.update(User).values(last_seen=recent))
        db.session.execute(sa.update(LiveSession).values(last_seen=recent))
        db.session.commit()
    user_client.get("/index")
    assert abs(stored(app, user.id, User.last_seen).timestamp() - recent.timestamp()) < 1
    stale = now_utc() - LAST_SEEN_INTERVAL - timedelta(minutes=1)
    with app.app_context():
        db.session.execute(sa.update(User).values(last_seen=stale))
        db.session.execute(sa.update(LiveSession).values(last_seen=stale))
        db.session.commit()
    user_client.get("/index")
    assert stored(app, user.id, User.last_seen).timestamp() > stale.timestamp() + 60
