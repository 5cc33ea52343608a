"""The pages around sign-in: the index, posting, logout, errors."""

import gc
import re
import weakref
from datetime import UTC, datetime, timedelta

import pytest
from flask import template_rendered

from app.extensions import db
from app.i18n.times import timeago
from app.models import Post, User

from .helpers import add_posts, csrf_token, openid_identity, post_bodies


@pytest.mark.parametrize("path", ["/", "/index", "/index?before=2", "/explore"])
def test_index_requires_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_index_greets_the_user_by_nickname(user_client):
    assert "Hi, alice!" in user_client.get("/index").text


def test_an_empty_timeline_says_what_to_do(user_client):
    text = user_client.get("/index").text
    assert "Your timeline is empty. Write your first post above, or find people" in text
    assert '<a href="/explore">Explore</a>' in text


@pytest.mark.both_databases
def test_index_lists_your_posts_newest_first_twenty_a_page(app, user, user_client):
    add_posts(app, user, 25)
    first = user_client.get("/index")
    assert post_bodies(first) == [f"post {i}" for i in range(24, 4, -1)]
    assert 'href="/index?before=6" rel="next"' in first.text  # post 5 has id 6
    assert 'rel="prev"' not in first.text
    second = user_client.get("/index?before=6")
    assert post_bodies(second) == [f"post {i}" for i in range(4, -1, -1)]
    assert 'rel="next"' not in second.text
    assert 'href="/index?after=5" rel="prev"' in second.text
    # Fewer than a page is newer than post 4: Newer shows the newest page.
    assert post_bodies(user_client.get("/index?after=5")) == post_bodies(first)


@pytest.mark.parametrize(
    "query", ["before=0", "before=-3", "before=abc", "after=99999999999999999999999", "page=2"]
)
def test_a_bad_position_in_the_list_shows_the_newest_page_not_an_error(
    app, user, user_client, query
):
    add_posts(app, user, 1)
    response = user_client.get(f"/index?{query}")
    assert response.status_code == 200
    assert post_bodies(response) == ["post 0"]


@pytest.mark.both_databases
def test_post_shows_author_and_relative_time_with_the_absolute_time_in_a_tooltip(
    app, user, user_client
):
    add_posts(app, user, 1)
    text = user_client.get("/index").text
    assert '<a class="post-author" href="/user/alice">alice</a>' in text
    assert '<time datetime="2026-01-01T00:00Z" title="Jan 1, 2026, 12:00\u202fAM UTC">' in text


@pytest.mark.both_databases
def test_writing_a_post_puts_it_at_the_top(app, user, user_client):
    add_posts(app, user, 3)
    page = user_client.get("/index")
    response = user_client.post(
        "/index", data={"post": "  hello world  ", "csrf_token": csrf_token(page)}
    )
    assert response.status_code == 302
    text = user_client.get("/index").text
    assert "Your post is now live!" in text
    assert post_bodies(user_client.get("/index"))[0] == "hello world"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Write something first."),
        ("   ", "Write something first."),
        ("x" * 141, "A post can be at most 140 characters."),
        ("nul\x00byte", "A post cannot contain control characters."),
    ],
)
def test_an_invalid_post_is_refused_with_a_message_and_kept(app, user_client, body, message):
    page = user_client.get("/index")
    response = user_client.post("/index", data={"post": body, "csrf_token": csrf_token(page)})
    assert response.status_code == 200
    assert message in response.text
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Post.id))) == 0
    if body.strip() and body.isprintable():
        assert body in response.text


def test_a_refused_post_is_kept_for_its_writer_and_no_one_else(app, user_client):
    with app.app_context():
        bob = User(nickname="bob", identities=[openid_identity("https://openid.example/bob")])
        db.session.add(bob)
        db.session.commit()
        bobs_client = app.test_client(user=db.session.get(User, bob.id))
    refused = "x" * 141
    token = csrf_token(user_client.get("/index"))
    assert refused in user_client.post("/index", data={"post": refused, "csrf_token": token}).text
    for page in (bobs_client.get("/index"), user_client.get("/index")):
        assert re.search(r"<textarea [^>]*>\s*</textarea>", page.text)
        assert "at most 140 characters" not in page.text


@pytest.mark.parametrize("path", ["/index", "/explore", "/user/alice"])
def test_a_page_of_posts_is_freed_once_sent_without_the_cycle_collector(
    app, user, user_client, path
):
    # Objects in a reference cycle wait for Python's collector, which then
    # walks them all: a page's rows and request, every page, cost it 3%.
    add_posts(app, user, 3)
    user_client.get(path)
    pages = []
    gc.collect()
    gc.disable()
    try:
        with template_rendered.connected_to(
            lambda sender, template, context, **extra: pages.append(weakref.ref(context["page"])),
            app,
        ):
            assert user_client.get(path).status_code == 200
        assert pages and pages[0]() is None
    finally:
        gc.enable()


def test_a_post_of_exactly_140_characters_is_accepted(app, user_client):
    page = user_client.get("/index")
    user_client.post("/index", data={"post": "x" * 140, "csrf_token": csrf_token(page)})
    with app.app_context():
        assert db.session.scalar(db.select(Post.body)) == "x" * 140


def test_nav_shows_logout_only_when_signed_in(client, user_client):
    assert 'action="/logout"' not in client.get("/login").text
    text = user_client.get("/index").text
    assert re.search(
        r'<form class="nav-logout" method="post" action="/logout">\s*'
        r'<input type="hidden" name="csrf_token"',
        text,
    )


def test_get_logout_asks_for_confirmation_and_signs_nobody_out(user_client):
    response = user_client.get("/logout")
    assert response.status_code == 200
    assert "Sign out?" in response.text
    assert user_client.get("/index").status_code == 200


def test_logout_with_the_csrf_token_signs_out(user_client):
    page = user_client.get("/index")
    response = user_client.post("/logout", data={"csrf_token": csrf_token(page)})
    assert response.headers["Location"] == "/login"
    assert user_client.get("/index").status_code == 302


def test_signed_in_pages_are_not_stored_in_caches(user_client):
    assert user_client.get("/index").headers["Cache-Control"] == "no-store"


@pytest.mark.both_databases
@pytest.mark.parametrize("user_id", ["abc", "", "-1", "0", "99999999999999999999999", "42"])
def test_a_malformed_or_unknown_user_id_gives_an_anonymous_visitor(client, user_id):
    with client.session_transaction() as session:
        session["_user_id"] = user_id
        session["_fresh"] = True
    assert client.get("/index").status_code == 302


def test_unknown_page_gets_the_404_page_in_the_site_layout(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "404 &middot; Not Found" in response.text
    assert "<title>Not Found - microblog</title>" in response.text


def test_page_titles_read_title_dash_microblog(client):
    assert "<title>Sign in - microblog</title>" in client.get("/login").text


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (5, "just now"),
        (60, "1 minute ago"),
        (150, "2 minutes ago"),
        (3600, "1 hour ago"),
        (86400 * 3, "3 days ago"),
        (86400 * 30 + 5, "30 days ago"),
        (86400 * 40, "Jan 1, 2026"),
    ],
)
def test_timeago_says_how_long_ago_in_words(app, seconds, words):
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    with app.test_request_context():
        assert timeago(moment, now=moment + timedelta(seconds=seconds)) == words


def test_a_request_too_large_gets_the_413_page(user_client):
    response = user_client.post("/index", data={"post": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "413 &middot;" in response.text
