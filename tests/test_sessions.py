"""Live sessions over real HTTP: listed on the account page, ended one by
one, all but this one, or all; ended by logout, by disabling the account
and by their absolute lifetime. On both databases."""

import hashlib
import hmac
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.auth.openid.store import CLEANUP_INTERVAL, CleanupSchedule
from app.extensions import db
from app.models import LiveSession, User, as_utc, now_utc

from .helpers import Browser, dev_identifier, forms, submit_form

pytestmark = pytest.mark.both_databases

CHROMIUM = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chromium/156.0.0.0 Chrome/156.0.0.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)


def device(live_server, user_agent, remember=False, username="alice"):
    """A browser of its own, signed in as ``username``."""
    browser = Browser(live_server.url)
    browser.session.headers["User-Agent"] = user_agent
    page = browser.sign_in(dev_identifier(browser), username=username, remember=remember)
    assert f"Hi, {username}!" in page.text
    return browser


def signed_in(browser) -> bool:
    return not browser.get("/index").url.startswith(browser.url("/login"))


def live_sessions(app) -> list[LiveSession]:
    with app.app_context():
        return db.session.scalars(sa.select(LiveSession).order_by(LiveSession.id)).all()


def end_buttons(page):
    """The forms of the Sign out buttons beside the other sessions."""
    return [f for f in forms(page) if f.action.endswith("/end")]


def test_a_sign_in_makes_a_session_listed_as_this_device(app, live_server):
    laptop = device(live_server, CHROMIUM)
    page = laptop.get("/account")
    assert "Where you are signed in" in page.text
    assert "Chromium on Linux" in page.text and "This device" in page.text
    [session] = live_sessions(app)
    assert (session.device, session.way, session.address) == (
        "Chromium on Linux",
        "OpenID",
        "127.0.0.1",
    )


def test_only_a_keyed_hash_of_the_sessions_key_is_stored(app, live_server):
    laptop = device(live_server, CHROMIUM)
    serializer = app.session_interface.get_signing_serializer(app)
    key = serializer.loads(laptop.cookie("session").value)["_user_id"]
    [session] = live_sessions(app)
    secret = app.config["SECRET_KEY"].encode()
    assert session.key_hash == hmac.new(secret, key.encode(), hashlib.sha256).digest()
    assert key.encode() not in session.key_hash


def test_ending_another_devices_session_signs_it_out_remember_cookie_included(app, live_server):
    laptop = device(live_server, CHROMIUM, remember=True)
    phone = device(live_server, IPHONE)
    page = phone.get("/account")
    assert "Mobile Safari on iOS" in page.text and "Chromium on Linux" in page.text
    [form] = end_buttons(page)  # none beside this one
    page = phone.session.post(form.action, data=form.fields)
    assert "Signed out Chromium on Linux." in page.text
    assert not signed_in(laptop)
    laptop.restart()  # only the remember cookie is left, and it is no use
    assert not signed_in(laptop)
    assert signed_in(phone)
    assert [s.device for s in live_sessions(app)] == ["Mobile Safari on iOS"]


def test_sign_out_everywhere_else_keeps_this_one(app, live_server):
    laptop = device(live_server, CHROMIUM, remember=True)
    other = device(live_server, CHROMIUM)
    phone = device(live_server, IPHONE)
    page = submit_form(phone, phone.get("/account"), "/account/sign-out-elsewhere")
    assert "Signed out everywhere else (2 other sessions)." in page.text
    assert not signed_in(laptop) and not signed_in(other) and signed_in(phone)
    laptop.restart()
    assert not signed_in(laptop)


def test_sign_out_everywhere_ends_this_one_too(app, live_server):
    laptop = device(live_server, CHROMIUM, remember=True)
    phone = device(live_server, IPHONE)
    submit_form(phone, phone.get("/account"), "/account/sign-out-everywhere")
    assert not signed_in(phone) and not signed_in(laptop)
    assert live_sessions(app) == []


def test_logout_ends_the_record(app, live_server):
    laptop = device(live_server, CHROMIUM, remember=True)
    device(live_server, IPHONE)
    laptop.submit(laptop.get("/logout"))
    assert [s.device for s in live_sessions(app)] == ["Mobile Safari on iOS"]


def test_another_accounts_session_cannot_be_ended(app, live_server):
    bob = device(live_server, CHROMIUM, username="bob")
    alice = device(live_server, IPHONE)
    [bobs, _] = live_sessions(app)
    page = alice.get("/account")
    token = forms(page)[0].fields["csrf_token"]
    page = alice.session.post(
        alice.url(f"/account/sessions/{bobs.id}/end"), data={"csrf_token": token}
    )
    assert "That session has already ended." in page.text
    assert signed_in(bob)


def test_disabling_the_account_ends_its_sessions(app, live_server):
    laptop = device(live_server, CHROMIUM, remember=True)
    device(live_server, IPHONE, username="bob")
    result = app.test_cli_runner().invoke(args=["set-active", "alice", "off"])
    assert result.exit_code == 0, result.output
    assert [s.device for s in live_sessions(app)] == ["Mobile Safari on iOS"]
    app.test_cli_runner().invoke(args=["set-active", "alice", "on"])
    laptop.restart()
    assert not signed_in(laptop)  # enabling it again revives no session


def test_an_old_remembered_session_ends_at_the_absolute_lifetime(app, live_server):
    laptop = device(live_server, CHROMIUM, remember=True)
    with app.app_context():
        old = now_utc() - app.config["SESSION_MAX_AGE"] - timedelta(minutes=1)
        db.session.execute(sa.update(LiveSession).values(created=old))
        db.session.commit()
    laptop.restart()
    assert laptop.cookie("remember_token") is not None
    assert not signed_in(laptop)
    result = app.test_cli_runner().invoke(args=["sessions-cleanup"])
    assert "Removed 1 expired sessions." in result.output
    assert live_sessions(app) == []


@pytest.fixture
def cleanup_clock(app):
    """The clock of the app's cleanup of old sign-ins and sessions, which the test moves."""
    now = [1000.0]
    schedule = app.extensions.setdefault("sign_in_cleanup", CleanupSchedule())
    schedule.clock = lambda: now[0]
    return now


def expire_sessions(app) -> None:
    with app.app_context():
        old = now_utc() - app.config["SESSION_MAX_AGE"] - timedelta(minutes=1)
        db.session.execute(sa.update(LiveSession).values(created=old))
        db.session.commit()


def test_a_sign_in_removes_expired_sessions_once_the_cleanup_is_due(
    app, live_server, cleanup_clock
):
    device(live_server, CHROMIUM)  # the process's first sign-in: its cleanup is due
    expire_sessions(app)
    device(live_server, IPHONE, username="bob")
    assert len(live_sessions(app)) == 2  # too soon for another
    cleanup_clock[0] += CLEANUP_INTERVAL
    device(live_server, IPHONE, username="carol")
    assert [s.device for s in live_sessions(app)] == ["Mobile Safari on iOS"] * 2


def test_an_expired_session_not_yet_removed_is_not_listed(app, live_server, cleanup_clock):
    device(live_server, CHROMIUM)
    expire_sessions(app)
    phone = device(live_server, IPHONE)
    assert len(live_sessions(app)) == 2
    page = phone.get("/account")
    assert "Mobile Safari on iOS" in page.text
    assert "Chromium on Linux" not in page.text


def test_last_active_is_written_at_most_every_few_minutes(app, live_server):
    laptop = device(live_server, CHROMIUM)
    long_ago = now_utc() - timedelta(minutes=10)
    with app.app_context():
        db.session.execute(sa.update(LiveSession).values(last_seen=long_ago))
        db.session.execute(sa.update(User).values(last_seen=long_ago))
        db.session.commit()
    laptop.get("/index")
    [session] = live_sessions(app)
    seen = as_utc(session.last_seen)
    assert seen > long_ago
    laptop.get("/index")
    assert as_utc(live_sessions(app)[0].last_seen) == seen


def test_the_recent_sign_ins_list_stays_after_a_session_ends(app, live_server):
    laptop = device(live_server, CHROMIUM)
    laptop.submit(laptop.get("/logout"))
    phone = device(live_server, IPHONE)
    page = phone.get("/account")
    assert page.text.count("<td>OpenID</td>") == 2


def test_a_disabled_accounts_sign_in_is_refused_and_writes_nothing(app, live_server):
    laptop = device(live_server, CHROMIUM)
    laptop.submit(laptop.get("/logout"))
    app.test_cli_runner().invoke(args=["set-active", "alice", "off"])

    def written():
        with app.app_context():
            user = db.session.scalar(sa.select(User).where(User.nickname == "alice"))
            return user.last_seen, len(user.sign_ins), [i.last_used for i in user.identities]

    before = written()
    browser = Browser(live_server.url)
    page = browser.sign_in(dev_identifier(browser), username="alice")
    assert "This account has been disabled." in page.text
    assert live_sessions(app) == []
    assert written() == before
