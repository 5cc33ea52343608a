"""Anything a visitor or provider can send: never a 500, always shown escaped."""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from app.auth import fetcher
from app.auth.accounts import clean_nickname, nickname_from
from app.auth.fetcher import FetchError
from app.extensions import db
from app.models import Post

from ..helpers import csrf_token

NASTY = [
    "\x00",
    "nul\x00in the middle",
    "\u202eright-to-left override",
    "\u200f\u200e\u061c",
    "😀" * 70,
    "x" * 10_000,
    "<script>alert(1)</script>",
    '" onmouseover="alert(1)',
    "{{ config }}",
    "\r\n\t",
    "../../etc/passwd",
    "http://[::1",
    "%00%0d%0a",
]
anything = st.one_of(st.text(max_size=300), st.sampled_from(NASTY))
fuzz = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def offline(app, monkeypatch):
    """No name resolves: typed identifiers reach no network, only the fetcher's refusal."""

    def no_dns(host, port, timeout, allow_private):
        raise FetchError(f"{host} could not be found.")

    monkeypatch.setattr(fetcher, "_resolve", no_dns)
    app.config.update(SIGNIN_RATE_LIMIT="100000 per second", POST_RATE_LIMIT="100000 per second")


@fuzz
@given(typed=anything)
def test_the_login_form_takes_any_text(client, offline, typed):
    token = csrf_token(client.get("/login"))
    response = client.post("/login", data={"openid": typed, "csrf_token": token})
    assert response.status_code in (200, 302)
    page = client.get(response.headers["Location"]) if response.status_code == 302 else response
    assert page.status_code == 200
    shown = typed.strip()
    if shown and response.status_code == 200:
        assert "<script>alert(1)" not in page.text
        if shown.isprintable():
            assert str(escape(shown)) in page.text


@fuzz
@given(text=anything)
def test_the_nickname_cleaner_keeps_only_safe_characters(text):
    assert re.fullmatch(r"[A-Za-z0-9_.-]{0,64}", clean_nickname(text))
    assert re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", nickname_from(text, text, "https://x.example/"))


@fuzz
@given(body=anything)
def test_the_post_form_takes_any_text(app, user_client, offline, body):
    page = user_client.get("/index")
    response = user_client.post("/index", data={"post": body, "csrf_token": csrf_token(page)})
    assert response.status_code in (200, 302)
    index = user_client.get("/index")
    assert index.status_code == 200
    if response.status_code == 302:
        with app.app_context():
            newest = db.session.scalar(db.select(Post).order_by(Post.id.desc()))
        assert newest.body == body.strip()
        assert f'<p class="post-body">{escape(newest.body)}</p>' in index.text
    assert "<script>alert(1)" not in index.text
