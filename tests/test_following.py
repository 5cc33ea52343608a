"""Following and unfollowing: the timeline, the counts, and every edge case."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Follow, User

from .helpers import add_posts, add_user, csrf_token, post_bodies


@pytest.fixture
def bob(app):
    bob = add_user(app, "bob")
    add_posts(app, bob, 2)
    return bob


def follows(app) -> set[tuple[str, str]]:
    """Who follows whom, by nickname."""
    follower, followed = sa.orm.aliased(User), sa.orm.aliased(User)
    with app.app_context():
        rows = db.session.execute(
            sa.select(follower.nickname, followed.nickname)
            .join(Follow, Follow.follower_id == follower.id)
            .join(followed, Follow.followed_id == followed.id)
        )
        return {tuple(row) for row in rows}


def post_with_token(client, path):
    token = csrf_token(client.get("/user/alice"))
    return client.post(path, data={"csrf_token": token}, follow_redirects=True)


@pytest.mark.both_databases
def test_following_someone_puts_their_posts_on_home_and_unfollowing_takes_them_off(
    app, user_client, bob
):
    assert post_bodies(user_client.get("/index")) == []
    page = post_with_token(user_client, "/follow/bob")
    assert "You are following bob." in page.text
    assert post_bodies(user_client.get("/index")) == ["post 1", "post 0"]
    page = post_with_token(user_client, "/unfollow/bob")
    assert "You are no longer following bob." in page.text
    assert post_bodies(user_client.get("/index")) == []


def test_home_shows_your_posts_and_followed_posts_but_no_one_elses(app, user, user_client, bob):
    carol = add_user(app, "carol")
    add_posts(app, carol, 1, start=10)
    add_posts(app, user, 1, start=20)
    post_with_token(user_client, "/follow/bob")
    assert post_bodies(user_client.get("/index")) == ["post 20", "post 1", "post 0"]
    assert post_bodies(user_client.get("/explore")) == ["post 20", "post 10", "post 1", "post 0"]


@pytest.mark.both_databases
def test_following_changes_both_counts(app, user_client, bob):
    post_with_token(user_client, "/follow/bob")
    bobs = user_client.get("/user/bob").text
    assert '<a href="/user/bob/followers">1 follower</a>' in bobs
    assert '<a href="/user/bob/following">0 following</a>' in bobs
    alices = user_client.get("/user/alice").text
    assert '<a href="/user/alice/followers">0 followers</a>' in alices
    assert '<a href="/user/alice/following">1 following</a>' in alices
    assert 'href="/user/alice"' in user_client.get("/user/bob/followers").text
    assert 'href="/user/bob"' in user_client.get("/user/alice/following").text


def test_the_button_says_follow_or_unfollow_as_the_case_is(user_client, bob):
    assert 'action="/follow/bob"' in user_client.get("/user/bob").text
    post_with_token(user_client, "/follow/bob")
    page = user_client.get("/user/bob").text
    assert 'action="/unfollow/bob"' in page and 'action="/follow/bob"' not in page
    assert "Edit your profile" in user_client.get("/user/alice").text


@pytest.mark.parametrize("action", ["follow", "unfollow"])
def test_a_get_changes_nothing(app, user_client, bob, action):
    if action == "unfollow":
        post_with_token(user_client, "/follow/bob")
    before = follows(app)
    assert user_client.get(f"/{action}/bob").status_code == 405
    assert follows(app) == before


@pytest.mark.parametrize("action", ["follow", "unfollow"])
def test_without_the_csrf_token_nothing_changes(app, user_client, bob, action):
    if action == "unfollow":
        post_with_token(user_client, "/follow/bob")
    before = follows(app)
    assert user_client.post(f"/{action}/bob").status_code == 400
    assert follows(app) == before


def test_following_yourself_is_a_sentence_not_an_error(app, user_client):
    page = post_with_token(user_client, "/follow/alice")
    assert page.status_code == 200
    assert "You cannot follow yourself." in page.text
    assert follows(app) == set()


@pytest.mark.both_databases
def test_following_twice_is_a_sentence_and_one_follow(app, user_client, bob):
    post_with_token(user_client, "/follow/bob")
    page = post_with_token(user_client, "/follow/bob")
    assert page.status_code == 200
    assert "You already follow bob." in page.text
    assert follows(app) == {("alice", "bob")}


def test_unfollowing_someone_you_do_not_follow_is_a_sentence(app, user_client, bob):
    page = post_with_token(user_client, "/unfollow/bob")
    assert page.status_code == 200
    assert "You do not follow bob." in page.text


@pytest.mark.parametrize("path", ["/follow/nobody", "/unfollow/nobody", "/follow/" + "x" * 65])
def test_an_unknown_nickname_is_a_404(user_client, path):
    assert post_with_token(user_client, path).status_code == 404


@pytest.mark.both_databases
def test_deleting_an_account_removes_its_follows_both_ways(app, user, proved_client, bob):
    user_client = proved_client
    post_with_token(user_client, "/follow/bob")
    with app.app_context():
        db.session.add(Follow(follower_id=bob.id, followed_id=user.id))
        db.session.commit()
    page = user_client.get("/account/delete")
    user_client.post("/account/delete", data={"csrf_token": csrf_token(page), "nickname": "alice"})
    assert follows(app) == set()
    with app.app_context():
        assert db.session.get(User, bob.id) is not None
