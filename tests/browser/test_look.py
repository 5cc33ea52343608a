"""How the pages look and read: screenshots, and axe-core's accessibility rules."""

import pytest
from playwright.sync_api import expect

from .conftest import AXE_SCRIPT, DESKTOP, PHONE
from .people import BUILT_IN, sign_in, write

SERIOUS = {"serious", "critical"}


def axe_violations(page) -> list[dict]:
    # A page still navigating has no document to add the script to.
    page.wait_for_load_state()
    page.add_script_tag(path=str(AXE_SCRIPT))
    return page.evaluate(
        """async () => (await axe.run()).violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            targets: v.nodes.map(n => n.target.join(" ")).slice(0, 5)}))"""
    )


def assert_accessible(page):
    serious = [v for v in axe_violations(page) if v["impact"] in SERIOUS]
    assert serious == [], serious


def open_approval_page(page):
    page.goto("/login")
    page.get_by_role("button", name=BUILT_IN).click()
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Approve sign-in")).to_be_visible()


def test_the_login_page_is_accessible(axe_page):
    axe_page.goto("/login")
    assert_accessible(axe_page)


def test_the_login_page_with_an_error_is_accessible(axe_page):
    axe_page.goto("/login")
    axe_page.get_by_label("OpenID").fill("not an openid")
    axe_page.get_by_role("button", name="Sign in").click()
    expect(axe_page.locator("#openid-error")).to_be_visible()
    assert_accessible(axe_page)


def test_the_approval_page_is_accessible(axe_page):
    open_approval_page(axe_page)
    assert_accessible(axe_page)


def test_the_index_is_accessible(axe_page):
    sign_in(axe_page)
    write(axe_page, "An accessible post")
    assert_accessible(axe_page)


def test_the_account_pages_are_accessible(axe_page):
    sign_in(axe_page)
    axe_page.get_by_role("link", name="Account", exact=True).click()
    expect(axe_page.get_by_role("heading", name="Your account", exact=True)).to_be_visible()
    assert_accessible(axe_page)
    axe_page.get_by_role("link", name="Delete your account").click()
    axe_page.get_by_role("button", name="Delete my account").click()
    expect(axe_page.locator("#nickname-error")).to_be_visible()
    assert_accessible(axe_page)


@pytest.mark.parametrize(
    "path", ["/no-such-page", "/dev/openid/endpoint?openid.mode=checkid_setup"]
)
def test_the_error_pages_are_accessible(axe_page, path):
    axe_page.goto(path)
    assert_accessible(axe_page)


@pytest.mark.parametrize(("name", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_screenshots_of_the_login_approval_and_index_pages(page, screenshots, name, viewport):
    page.set_viewport_size(viewport)
    page.goto("/login")
    page.screenshot(path=screenshots / f"login-{name}.png", full_page=True)
    open_approval_page(page)
    page.screenshot(path=screenshots / f"approval-{name}.png", full_page=True)
    page.get_by_role("button", name="Approve").click()
    for text in ("Hello, microblog!", "Signed in with the built-in OpenID provider."):
        write(page, text)
    page.screenshot(path=screenshots / f"index-{name}.png", full_page=True)
    page.get_by_role("link", name="Account", exact=True).click()
    page.screenshot(path=screenshots / f"account-{name}.png", full_page=True)
    for shot in ("login", "approval", "index", "account"):
        assert (screenshots / f"{shot}-{name}.png").stat().st_size > 5000
