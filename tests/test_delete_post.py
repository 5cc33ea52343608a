"""Deleting a post: your own, after a confirmation that needs no script; nobody else's."""

import re
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Post

from .helpers import add_posts, add_user, csrf_token, forms


def bodies(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Post.body).order_by(Post.id)))


def delete_button(page):
    """The small form beside the first of the reader's posts."""
    return next(
        f for f in forms(page) if re.fullmatch(r"/post/\d+/delete", urlsplit(f.action).path)
    )


@pytest.mark.both_databases
def test_the_button_asks_and_the_confirmation_deletes(app, user, user_client):
    add_posts(app, user, 2)
    home = user_client.get("/index")
    button = delete_button(home)
    action = urlsplit(button.action).path
    assert action == "/post/2/delete"
    asked = user_client.post(action, data=button.fields)
    assert asked.status_code == 200
    assert "Delete this post?" in asked.text and "post 1" in asked.text
    assert bodies(app) == ["post 0", "post 1"]
    confirm = next(f for f in forms(asked) if any(b.get("name") == "confirm" for b in f.buttons))
    done = user_client.post(action, data={**confirm.fields, "confirm": "Delete"})
    assert done.headers["Location"] == "/index"
    assert bodies(app) == ["post 0"]
    assert "Your post is deleted." in user_client.get("/index").text


def test_someone_elses_post_cannot_be_deleted(app, user_client):
    bob = add_user(app, "bob")
    add_posts(app, bob, 1)
    token = csrf_token(user_client.get("/index"))
    response = user_client.post("/post/1/delete", data={"csrf_token": token, "confirm": "Delete"})
    assert response.status_code == 403
    assert bodies(app) == ["post 0"]
    assert 'action="/post/1/delete"' not in user_client.get("/explore").text


@pytest.mark.parametrize("post_id", ["99", "0", "99999999999999999999"])
def test_an_unknown_post_is_a_404(app, user, user_client, post_id):
    token = csrf_token(user_client.get("/index"))
    response = user_client.post(
        f"/post/{post_id}/delete", data={"csrf_token": token, "confirm": "Delete"}
    )
    assert response.status_code == 404


def test_a_get_or_a_missing_csrf_token_deletes_nothing(app, user, user_client):
    add_posts(app, user, 1)
    assert user_client.get("/post/1/delete").status_code == 405
    assert user_client.post("/post/1/delete", data={"confirm": "Delete"}).status_code == 400
    assert bodies(app) == ["post 0"]


def test_after_deleting_the_reader_goes_back_where_they_were_and_never_off_site(
    app, user, user_client
):
    add_posts(app, user, 2)
    token = csrf_token(user_client.get("/index"))
    data = {"csrf_token": token, "confirm": "Delete"}
    kept = user_client.post("/post/1/delete", data={**data, "next": "/explore"})
    assert kept.headers["Location"] == "/explore"
    offsite = user_client.post("/post/2/delete", data={**data, "next": "//evil.example/"})
    assert offsite.headers["Location"] == "/user/alice"
    assert bodies(app) == []
