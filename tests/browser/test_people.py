"""A person's paths through the app, in a real Chromium."""

import re

from playwright.sync_api import expect

from .people import BUILT_IN, OIDC_BUILT_IN, sign_in, tab_to, write


def test_sign_in_with_the_built_in_provider_button(page, live_server):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_role("button", name=BUILT_IN).click()
    expect(page.get_by_label("OpenID")).to_have_value(f"{live_server.url}/dev/openid/")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Approve sign-in")).to_be_visible()
    page.get_by_label("Username").fill("alice")
    page.get_by_role("button", name="Approve").click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Hi, alice!")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("alice")


def test_a_provider_that_needs_a_username_asks_for_it(page):
    page.goto("/login")
    page.once("dialog", lambda dialog: dialog.accept("alice"))
    page.get_by_role("button", name="Launchpad").click()
    expect(page.get_by_label("OpenID")).to_have_value("https://launchpad.net/~alice")


def sign_in_and_restart(launch_profile, tmp_path, remember):
    profile = tmp_path / "profile"
    browser = launch_profile(profile)
    sign_in(browser.pages[0] if browser.pages else browser.new_page(), remember=remember)
    browser.close()
    browser = launch_profile(profile)
    page = browser.pages[0] if browser.pages else browser.new_page()
    page.goto("/index")
    return page


def test_remember_me_keeps_the_sign_in_across_a_browser_restart(launch_profile, tmp_path):
    page = sign_in_and_restart(launch_profile, tmp_path, remember=True)
    expect(page.get_by_role("heading", name="Hi, demo!")).to_be_visible()


def test_without_remember_me_a_browser_restart_signs_out(launch_profile, tmp_path):
    page = sign_in_and_restart(launch_profile, tmp_path, remember=False)
    expect(page).to_have_url(re.compile(r"/login\?next="))


def test_logout_from_the_nav_bar_and_back_shows_no_signed_in_page(page):
    sign_in(page)
    page.get_by_role("button", name="Logout").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_text("You have been signed out.")).to_be_visible()
    page.go_back()
    expect(page.get_by_role("heading", name="Hi, demo!")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/login"))


def test_a_bad_identifier_shows_its_message_next_to_the_field(page):
    page.goto("/login")
    page.get_by_label("OpenID").fill("not an openid")
    page.get_by_role("button", name="Sign in").click()
    field = page.get_by_label("OpenID")
    expect(field).to_have_value("not an openid")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#openid-error")).to_have_text("An OpenID cannot contain spaces.")


def test_the_whole_sign_in_works_with_the_keyboard_alone(page):
    page.goto("/login")
    tab_to(page, "#remember_me")
    page.keyboard.press("Space")
    tab_to(page, "button.provider[data-url]")  # the built-in OpenID provider comes first
    page.keyboard.press("Space")  # fills the field and focuses it
    expect(page.get_by_label("OpenID")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Approve sign-in")).to_be_visible()
    tab_to(page, "#username")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Hi, demo!")).to_be_visible()
    expect(page.get_by_label("Remember me")).to_have_count(0)
    cookies = {c["name"] for c in page.context.cookies()}
    assert "remember_token" in cookies


def test_a_post_written_on_the_index_appears_at_the_top(page):
    sign_in(page)
    for text in ("First post", "Hello from Chromium"):
        write(page, text)
    expect(page.locator(".post-body").first).to_have_text("Hello from Chromium")
    expect(page.locator(".post-author").first).to_have_text("demo")
    expect(page.locator(".post time").first).to_have_text("just now")


def approve_as(page, username=None):
    """Approve at a built-in provider; ``username`` when it asks for one."""
    expect(page.get_by_role("heading", name="Approve sign-in")).to_be_visible()
    if username:
        page.get_by_label("Username").fill(username)
    page.get_by_role("button", name="Approve").click()


def test_one_account_signs_in_with_openid_connect_or_openid_once_linked(page):
    page.goto("/login")
    page.get_by_role("button", name=OIDC_BUILT_IN).click()
    approve_as(page, "carol")
    expect(page.get_by_role("heading", name="Hi, carol!")).to_be_visible()

    page.get_by_role("link", name="Account", exact=True).click()
    page.get_by_label("OpenID").fill(page.url.replace("/account", "/dev/openid/id/carol-openid"))
    page.get_by_role("button", name="Link", exact=True).click()
    approve_as(page)  # the identity URL names the user
    expect(page.get_by_text("OpenID identity linked.")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Unlink"))).to_have_count(2)

    page.get_by_role("button", name="Logout").click()
    page.get_by_label("OpenID").fill(page.url.replace("/login", "/dev/openid/id/carol-openid"))
    page.get_by_role("button", name="Sign in").click()
    approve_as(page)
    expect(page.get_by_role("heading", name="Hi, carol!")).to_be_visible()

    page.get_by_role("button", name="Logout").click()
    page.get_by_role("button", name=OIDC_BUILT_IN).click()
    approve_as(page, "carol")
    expect(page.get_by_role("heading", name="Hi, carol!")).to_be_visible()
