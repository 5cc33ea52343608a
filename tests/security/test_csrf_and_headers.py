"""Cross-site requests and framing: CSRF tokens, security headers."""

import re

import pytest
from flask import session
from flask_wtf.csrf import generate_csrf, validate_csrf
from itsdangerous import URLSafeTimedSerializer
from wtforms.validators import ValidationError

from app import create_app, forms
from app.extensions import db
from app.models import Post
from config import ProductionConfig

from ..helpers import csrf_token, dev_identifier

# A missing token, one that is not a token, and one that looks like a token.
BAD_TOKENS = [None, "forged", "IjEyMyI.aaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbb"]


@pytest.mark.parametrize("token", BAD_TOKENS)
def test_starting_a_sign_in_without_a_valid_csrf_token_is_refused(browser, token):
    login = browser.get("/login")
    page = browser.submit(login, {"openid": dev_identifier(browser), "csrf_token": token})
    assert page.status_code == 400
    assert "The sign-in form expired" in page.text
    assert "/dev/openid/" not in page.url


@pytest.mark.parametrize("token", BAD_TOKENS)
def test_posting_without_a_valid_csrf_token_is_refused(app, user_client, token):
    data = {"post": "hello"} if token is None else {"post": "hello", "csrf_token": token}
    response = user_client.post("/index", data=data)
    assert response.status_code == 400
    assert "The form has expired" in response.text
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Post.id))) == 0


@pytest.mark.parametrize("token", BAD_TOKENS)
def test_logout_without_a_valid_csrf_token_is_refused(user_client, token):
    data = {} if token is None else {"csrf_token": token}
    assert user_client.post("/logout", data=data).status_code == 400
    assert user_client.get("/index").status_code == 200


def test_a_token_from_another_session_is_refused(app, client, user_client):
    token = csrf_token(client.get("/login"))
    assert user_client.post("/logout", data={"csrf_token": token}).status_code == 400


@pytest.mark.parametrize("csrf_key", [None, "a key for CSRF tokens alone"])
def test_a_pages_token_is_flask_wtfs_signature_of_the_sessions_own(app, csrf_key):
    if csrf_key:
        app.config["WTF_CSRF_SECRET_KEY"] = csrf_key
    with app.test_request_context():
        token = forms.csrf_token()
        assert generate_csrf() == token  # what a form made later in the request has
        validate_csrf(token)
        flask_wtfs = URLSafeTimedSerializer(csrf_key or app.secret_key, salt="wtf-csrf-token")
        assert flask_wtfs.loads(token) == session["csrf_token"]


def test_a_token_signed_with_another_key_is_refused(app):
    with app.test_request_context():
        token = forms.csrf_token()
        app.config["WTF_CSRF_SECRET_KEY"] = "another key"
        with pytest.raises(ValidationError):
            validate_csrf(token)


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
