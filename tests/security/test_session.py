"""The session and remember cookies: fixation, tampering, deleted accounts."""

import base64
import json
import pickle
from datetime import UTC, datetime, timedelta

import pytest
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature

from app.extensions import db
from app.models import User

from ..helpers import csrf_token, dev_identifier


def test_signing_in_starts_a_fresh_session(app, browser):
    @app.route("/plant")
    def plant():
        from flask import session

        session["planted"] = "by a visitor"
        return "planted"

    @app.route("/planted")
    def planted():
        from flask import session

        return session.get("planted", "gone")

    browser.get("/plant")
    browser.sign_in(dev_identifier(browser), username="alice")
    assert browser.get("/planted").text == "gone"


def test_a_deleted_users_cookies_give_an_anonymous_visitor(app, browser):
    browser.sign_in(dev_identifier(browser), username="alice", remember=True)
    with app.app_context():
        db.session.execute(db.delete(User))
        db.session.commit()
    page = browser.get("/index")
    assert page.url.startswith(browser.url("/login"))
    browser.restart()
    page = browser.get("/index")
    assert page.status_code == 200
    assert page.url.startswith(browser.url("/login"))


def session_data(app, client):
    """Decode the client's session cookie the way the app does."""
    cookie = client.get_cookie("session")
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def signed_session(app, data) -> str:
    return app.session_interface.get_signing_serializer(app).dumps(data)


def test_sign_in_state_in_the_session_is_json_not_a_pickle(app, client, provider):
    page = client.get("/login")
    token = csrf_token(page)
    client.post("/login", data={"openid": provider.identity("alice"), "csrf_token": token})
    data = session_data(app, client)
    assert data["lt"]["endpoint"]["claimed_id"] == provider.identity("alice")
    assert " p" not in json.dumps(data)


class Payload:
    """Unpickling this creates a file: proof that a pickle was loaded."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_a_pickle_in_a_validly_signed_session_is_never_loaded(app, client, tmp_path):
    # As if SECRET_KEY had leaked: the attacker signs a session holding a
    # pickle in Flask-OpenID's format.
    marker = tmp_path / "unpickled"
    pickled = base64.b64encode(pickle.dumps(Payload(marker), 0)).decode()
    client.set_cookie("session", signed_session(app, {"lt": {" p": pickled}}))
    response = client.get("/login?openid_complete=yes&openid.mode=id_res", follow_redirects=True)
    assert response.status_code == 200
    assert "expired or was already used" in response.text
    assert not marker.exists()


@pytest.mark.parametrize(
    "cookie",
    ["garbage", "eyJfdXNlcl9pZCI6IjEifQ.AAAAAA.forged-signature", "", "." * 50],
)
def test_a_forged_session_cookie_gives_an_anonymous_visitor(client, user, cookie):
    client.set_cookie("session", cookie)
    response = client.get("/index")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("cookie", ["1|" + "0" * 128, "garbage", "1", "|"])
def test_a_forged_remember_cookie_gives_an_anonymous_visitor(client, user, cookie):
    client.set_cookie("remember_token", cookie)
    response = client.get("/index")
    assert response.status_code == 302


def test_a_session_signed_with_another_key_gives_an_anonymous_visitor(app, client, user):
    app.secret_key, real_key = "another-key-" + "x" * 40, app.secret_key
    forged = signed_session(app, {"_user_id": str(user.id), "_fresh": True})
    app.secret_key = real_key
    client.set_cookie("session", forged)
    assert client.get("/index").status_code == 302


def test_the_session_cookie_is_signed_as_flasks_own_session_signs_it(app):
    # The app keeps its serializers and their derived keys between requests.
    flasks = SecureCookieSessionInterface().get_signing_serializer(app)
    assert flasks.loads(signed_session(app, {"a": 1})) == {"a": 1}
    assert app.session_interface.get_signing_serializer(app).loads(flasks.dumps({"b": 2})) == {
        "b": 2
    }


def test_a_session_cookie_signed_with_a_fallback_key_still_opens(app):
    signed = signed_session(app, {"a": 1})
    app.config["SECRET_KEY_FALLBACKS"] = [app.secret_key]
    app.secret_key = "the-new-key-" + "x" * 40
    assert app.session_interface.get_signing_serializer(app).loads(signed) == {"a": 1}


def test_a_session_cookie_signed_with_a_dropped_key_no_longer_opens(app):
    signed = signed_session(app, {"a": 1})
    app.config["SECRET_KEY_FALLBACKS"] = [app.secret_key]
    app.secret_key = "the-new-key-" + "x" * 40
    app.session_interface.get_signing_serializer(app).loads(signed)
    app.config["SECRET_KEY_FALLBACKS"] = []
    with pytest.raises(BadSignature):
        app.session_interface.get_signing_serializer(app).loads(signed)


def test_the_remember_cookie_lifetime_is_configurable(app, browser):
    app.config["REMEMBER_COOKIE_DURATION"] = timedelta(hours=2)
    browser.sign_in(dev_identifier(browser), username="alice", remember=True)
    expires = datetime.fromtimestamp(browser.cookie("remember_token").expires, UTC)
    assert timedelta(minutes=119) < expires - datetime.now(UTC) <= timedelta(hours=2)


def test_the_session_and_remember_cookies_are_httponly_and_lax(browser):
    browser.sign_in(dev_identifier(browser), username="alice", remember=True)
    for name in ("session", "remember_token"):
        cookie = browser.cookie(name)
        assert cookie.has_nonstandard_attr("HttpOnly"), name
        assert cookie.get_nonstandard_attr("SameSite") == "Lax", name
