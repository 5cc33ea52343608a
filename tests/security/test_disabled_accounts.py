"""Disabled accounts cannot sign in and lose access at their next request."""

from app.extensions import db
from app.models import User

from ..helpers import dev_identifier


def disable(app, nickname="alice"):
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.nickname == nickname))
        user.active = False
        db.session.commit()


def test_a_disabled_account_cannot_sign_in(app, browser):
    browser.sign_in(dev_identifier(browser), username="alice")
    browser.submit(browser.get("/logout"))
    disable(app)
    page = browser.sign_in(dev_identifier(browser), username="alice")
    assert page.url == browser.url("/login")
    assert "This account has been disabled." in page.text
    assert browser.get("/index").url.startswith(browser.url("/login"))


def test_a_disabled_account_loses_its_live_session_at_the_next_request(app, browser):
    browser.sign_in(dev_identifier(browser), username="alice")
    disable(app)
    assert browser.get("/index").url.startswith(browser.url("/login"))


def test_a_disabled_account_loses_its_remember_cookie(app, browser):
    browser.sign_in(dev_identifier(browser), username="alice", remember=True)
    disable(app)
    browser.restart()
    assert browser.get("/index").url.startswith(browser.url("/login"))


def test_set_active_command_disables_and_enables_an_account(app, runner, user):
    result = runner.invoke(args=["set-active", "alice", "off"])
    assert result.exit_code == 0 and "alice is now disabled." in result.output
    with app.app_context():
        assert db.session.get(User, user.id).active is False
    runner.invoke(args=["set-active", "alice", "on"])
    with app.app_context():
        assert db.session.get(User, user.id).active is True


def test_set_active_command_names_an_unknown_account(runner):
    result = runner.invoke(args=["set-active", "nobody", "off"])
    assert result.exit_code != 0
    assert "no account is called 'nobody'" in result.output
