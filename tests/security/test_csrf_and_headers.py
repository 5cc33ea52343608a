"""Cross-site requests and framing: CSRF tokens, security headers."""

import re

import pytest

from app import create_app, db
from app.models import Post
from config import ProductionConfig

from ..helpers import dev_identifier


def test_sign_in_form_without_a_csrf_token_is_refused(browser, users):
    login = browser.get("/login")
    page = browser.submit(login, {"openid": dev_identifier(browser), "csrf_token": None})
    assert page.status_code == 400
    assert "The sign-in form expired" in page.text
    assert "/dev/openid/" not in page.url


def test_a_post_without_a_csrf_token_is_refused(app, user_client):
    response = user_client.post("/index", data={"post": "hello"})
    assert response.status_code == 400
    assert "The form has expired" in response.text
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Post.id))) == 0


def test_logout_without_a_csrf_token_is_refused(user_client):
    assert user_client.post("/logout").status_code == 400
    assert user_client.get("/index").status_code == 200


@pytest.mark.parametrize("path", ["/login", "/index", "/dev/openid/", "/static/style.css", "/nope"])
def test_every_response_carries_the_security_headers(user_client, path):
    with user_client.get(path) as response:  # closes the static file
        headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_hsts_is_sent_in_production_only(production_env, client, monkeypatch):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    production = create_app(ProductionConfig).test_client()
    hsts = production.get("/login", base_url="https://localhost").headers
    assert hsts["Strict-Transport-Security"] == "max-age=31536000"


INLINE_CODE = [
    re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),  # a script without src
    re.compile(r"\sstyle\s*=", re.I),
    re.compile(r"\son[a-z]+\s*=", re.I),  # onclick= and friends
    re.compile(r"javascript:", re.I),
]


def test_no_page_needs_inline_script_or_style(app, user, user_client, browser):
    with app.app_context():
        db.session.add(Post(body="hello", user_id=user.id))
        db.session.commit()
    pages = [user_client.get(path).text for path in ("/index", "/logout", "/nope")]
    approval = browser.start_sign_in(dev_identifier(browser))
    pages += [browser.get("/login").text, approval.text]
    for text in pages:
        for pattern in INLINE_CODE:
            assert not pattern.search(text), pattern.pattern
