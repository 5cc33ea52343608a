"""Finding someone, following them and reading them on Home, in Chromium."""

import re

from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE
from .people import sign_in, write
from .test_look import assert_accessible


def someone_writes(chromium, live_server, nickname, text):
    """Another person, in a browser of their own, signs in and writes."""
    context = chromium.new_context(base_url=live_server.url)
    page = context.new_page()
    sign_in(page, nickname)
    write(page, text)
    context.close()


def test_open_a_profile_from_a_post_follow_read_them_on_home_and_unfollow(
    chromium, live_server, page
):
    someone_writes(chromium, live_server, "bob", "Bob's first post")
    sign_in(page, "alice")
    expect(page.get_by_text("Your timeline is empty.")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Explore").click()
    page.locator(".post", has_text="Bob's first post").get_by_role("link", name="bob").click()
    expect(page.get_by_role("heading", name="bob")).to_be_visible()
    page.get_by_role("button", name="Follow", exact=True).click()
    expect(page.get_by_text("You are following bob.")).to_be_visible()
    expect(page.get_by_role("link", name="1 follower")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Home").click()
    expect(page.locator(".post-body")).to_have_text(["Bob's first post"])
    page.locator(".post").get_by_role("link", name="bob").click()
    page.get_by_role("button", name="Unfollow").click()
    expect(page.get_by_text("You are no longer following bob.")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Home").click()
    expect(page.locator(".post-body")).to_have_count(0)


def test_edit_your_profile_and_see_it_on_your_page(page):
    sign_in(page, "carol")
    page.locator("a.nav-user").click()
    page.get_by_role("link", name="Edit your profile").click()
    page.get_by_label("Nickname").fill("carol.b")
    page.get_by_label("About me").fill("Writes <b>bold</b> things.")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/user/carol\.b$"))
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    expect(page.locator(".about-me")).to_have_text("Writes <b>bold</b> things.")
    expect(page.locator("a.nav-user")).to_have_text("carol.b")


def test_delete_your_post_after_confirming_it(page):
    sign_in(page, "dave")
    write(page, "A post to take back")
    page.get_by_role("button", name="Delete this post").click()
    expect(page.get_by_role("heading", name="Delete this post?")).to_be_visible()
    page.get_by_role("button", name="Delete", exact=True).click()
    expect(page.get_by_text("Your post is deleted.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/index$"))
    expect(page.locator(".post-body")).to_have_count(0)


def test_the_people_pages_are_accessible(chromium, live_server, axe_page):
    someone_writes(chromium, live_server, "erin", "Erin was here")
    sign_in(axe_page, "frank")
    axe_page.goto("/user/erin")
    axe_page.get_by_role("button", name="Follow", exact=True).click()
    expect(axe_page.get_by_role("button", name="Unfollow")).to_be_visible()
    assert_accessible(axe_page)
    for path in ("/explore", "/edit_profile", "/user/erin/followers", "/user/frank/following"):
        axe_page.goto(path)
        assert_accessible(axe_page)
    axe_page.goto("/edit_profile")
    axe_page.get_by_label("Nickname").fill("no spaces allowed")
    axe_page.get_by_role("button", name="Save").click()
    expect(axe_page.locator("#nickname-error")).to_be_visible()
    assert_accessible(axe_page)


def test_screenshots_of_a_profile_and_explore(chromium, live_server, page, screenshots):
    someone_writes(chromium, live_server, "grace", "Hello from Grace's laptop.")
    sign_in(page, "heidi")
    write(page, "Heidi says hi.")
    page.goto("/user/grace")
    page.get_by_role("button", name="Follow", exact=True).click()
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.goto("/user/grace")
        page.screenshot(path=screenshots / f"profile-{name}.png", full_page=True)
        page.goto("/explore")
        page.screenshot(path=screenshots / f"explore-{name}.png", full_page=True)
    for shot in ("profile", "explore"):
        for name in ("desktop", "phone"):
            assert (screenshots / f"{shot}-{name}.png").stat().st_size > 5000
