"""The pages in German, Spanish and Arabic, in Chromium: the footer's menu
switches the language, Arabic mirrors right to left, axe-core finds nothing
serious, and no page is wider than a 390 px phone in any language."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE
from .people import sign_in
from .test_look import assert_accessible

PAGES = ["/index", "/explore", "/user/alice", "/edit_profile", "/account", "/account/delete"]


def choose_language(page, code):
    """Pick ``code`` in the footer's menu, as a person does, on Home."""
    page.goto("/index")
    page.locator("footer").get_by_role("combobox").select_option(code)
    page.locator("footer").get_by_role("button").click()
    expect(page.locator("html")).to_have_attribute("lang", code)


def signed_in_in(page, code):
    sign_in(page, "alice")
    page.get_by_role("textbox").first.fill("Hallo, مرحبا, hola")
    page.locator("form.post-form [type=submit]").click()
    choose_language(page, code)


def test_the_footer_menu_switches_the_language_and_arabic_mirrors(page):
    signed_in_in(page, "ar")
    html = page.locator("html")
    expect(html).to_have_attribute("dir", "rtl")
    # Mirrored by the logical properties: the brand sits at the right.
    brand = page.locator(".nav .brand").bounding_box()
    assert brand["x"] > DESKTOP["width"] / 2
    choose_language(page, "de")
    expect(html).to_have_attribute("dir", "ltr")
    assert page.locator(".nav .brand").bounding_box()["x"] < DESKTOP["width"] / 2


@pytest.mark.parametrize("code", ["de", "ar"])
def test_every_page_is_accessible_in_german_and_arabic(axe_page, code):
    signed_in_in(axe_page, code)
    for path in PAGES:
        axe_page.goto(path)
        assert_accessible(axe_page)
    axe_page.locator("form.nav-logout button").click()
    expect(axe_page).to_have_url(re.compile(r"/login$"))
    expect(axe_page.locator("html")).to_have_attribute("lang", code)
    assert_accessible(axe_page)


@pytest.mark.parametrize("code", ["en", "de", "es", "ar"])
def test_no_page_overflows_a_phone_in_any_language(page, code):
    page.set_viewport_size(PHONE)
    signed_in_in(page, code)
    for path in [*PAGES, "/logout"]:
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} is {width} px wide in {code}"


@pytest.mark.parametrize(("name", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_screenshots_in_arabic(page, screenshots, name, viewport):
    page.set_viewport_size(viewport)
    signed_in_in(page, "ar")
    page.screenshot(path=screenshots / f"index-ar-{name}.png", full_page=True)
    page.goto("/account")
    page.screenshot(path=screenshots / f"account-ar-{name}.png", full_page=True)
    page.locator("form.nav-logout button").click()
    page.screenshot(path=screenshots / f"login-ar-{name}.png", full_page=True)
    for shot in ("index-ar", "account-ar", "login-ar"):
        assert (screenshots / f"{shot}-{name}.png").stat().st_size > 5000
