"""What a person does in the browser, step by step."""

import re

from playwright.sync_api import Page, expect

BUILT_IN = "Built-in provider (development)"
OIDC_BUILT_IN = "Built-in OpenID Connect (development)"


def sign_in(page: Page, username: str = "demo", remember: bool = False) -> None:
    """Sign in with the built-in provider's button, approving as ``username``."""
    page.goto("/login")
    page.get_by_role("button", name=BUILT_IN).click()
    if remember:
        page.get_by_label("Remember me").check()
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Approve sign-in")).to_be_visible()
    page.get_by_label("Username").fill(username)
    page.get_by_role("button", name="Approve").click()
    expect(page).to_have_url(re.compile(r"/index$"))


def write(page: Page, text: str) -> None:
    """Post ``text`` from the index and wait for the page that shows it.

    The form posts and redirects back to /index, so the URL alone cannot tell
    the new page from the old one: the post at the top of the list can.
    """
    page.get_by_label("Say something").fill(text)
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.locator(".post-body").first).to_have_text(text)
    expect(page.get_by_text("Your post is now live!")).to_be_visible()


def tab_to(page: Page, selector: str, most: int = 30) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")
