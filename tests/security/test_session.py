"""The session and remember cookies: fixation, tampering, deleted accounts."""

from app import db
from app.models import User

from ..helpers import dev_identifier


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
