"""Where you are signed in, in Chromium: two browsers on one account, one
ending the other's session from the account page."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE
from .people import sign_in
from .test_look import assert_accessible

PHONE_AGENT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)
PHONE_DEVICE = "Mobile Safari on iOS"


@pytest.fixture
def phone(launch_profile, tmp_path):
    """A second browser, a phone by its User-Agent, signed in as alice and
    remembered; ``phone.reopen()`` restarts it on the same profile."""

    class Phone:
        def open(self):
            self.browser = launch_profile(tmp_path / "phone", user_agent=PHONE_AGENT)
            self.page = self.browser.new_page()
            return self

        def reopen(self):
            self.browser.close()
            return self.open()

    device = Phone().open()
    sign_in(device.page, "alice", remember=True)
    return device


def sessions(page):
    return page.locator(".sessions li")


def test_the_account_page_lists_both_browsers_and_marks_this_one(page, phone):
    sign_in(page, "alice")
    page.goto("/account")
    expect(sessions(page)).to_have_count(2)
    expect(page.locator(".sessions li.this-session")).not_to_contain_text(PHONE_DEVICE)
    expect(page.locator(".sessions li.this-session")).to_contain_text("This device")
    other = sessions(page).filter(has_text=PHONE_DEVICE)
    expect(other).to_contain_text("remembered")
    expect(other.get_by_role("button", name=re.compile("^Sign out"))).to_be_visible()


def test_ending_the_phones_session_signs_it_out_remember_cookie_and_restart_included(page, phone):
    sign_in(page, "alice")
    page.goto("/account")
    page.get_by_role("button", name=re.compile(f"^Sign out {PHONE_DEVICE}")).click()
    expect(page.get_by_text(f"Signed out {PHONE_DEVICE}.")).to_be_visible()
    expect(sessions(page)).to_have_count(1)
    phone.page.goto("/index")
    expect(phone.page).to_have_url(re.compile(r"/login\?next="))
    phone.reopen().page.goto("/index")
    expect(phone.page).to_have_url(re.compile(r"/login\?next="))
    page.goto("/index")  # and this browser is still signed in
    expect(page.get_by_role("heading", name="Hi, alice!")).to_be_visible()


def test_signing_out_everywhere_else_keeps_this_browser(page, phone):
    sign_in(page, "alice")
    page.goto("/account")
    page.get_by_role("button", name="Sign out everywhere else").click()
    expect(page.get_by_text("Signed out everywhere else (1 other session).")).to_be_visible()
    expect(sessions(page)).to_have_count(1)
    phone.reopen().page.goto("/index")
    expect(phone.page).to_have_url(re.compile(r"/login\?next="))


def test_the_session_list_is_accessible(axe_page, phone):
    sign_in(axe_page, "alice")
    axe_page.goto("/account")
    expect(sessions(axe_page)).to_have_count(2)
    assert_accessible(axe_page)


@pytest.mark.parametrize(("name", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_screenshots_of_the_session_list(page, phone, screenshots, name, viewport):
    page.set_viewport_size(viewport)
    sign_in(page, "alice")
    page.goto("/account")
    section = page.locator(
        "section", has=page.get_by_role("heading", name="Where you are signed in")
    )
    section.screenshot(path=screenshots / f"sessions-{name}.png")
    assert (screenshots / f"sessions-{name}.png").stat().st_size > 5000
