"""Passkeys in Chromium, with the DevTools protocol's virtual authenticator
(a platform authenticator with user verification, as a laptop's): add one,
sign out, sign in with it, prove it is you with it, remove it."""

import re

import pytest
from playwright.sync_api import expect

from ..helpers import LiveServer
from .conftest import DESKTOP, PHONE
from .people import sign_in
from .test_look import assert_accessible


@pytest.fixture
def live_server(app):
    """The site at http://localhost:<port>: a passkey needs a name, not an address."""
    app.config["TRUSTED_HOSTS"] = ["localhost"]
    with LiveServer(app, host="localhost") as server:
        yield server


def authenticator(page, credentials=(), autofill=False):
    """Give the page's browser a virtual authenticator, holding ``credentials``.

    The virtual authenticator answers the login page's autofill request at
    once, as no person would: unless ``autofill``, the page is told that the
    browser has no autofill, so the button is what asks.
    """
    if not autofill:
        page.add_init_script(
            "if (window.PublicKeyCredential)"
            " PublicKeyCredential.isConditionalMediationAvailable = async () => false;"
        )
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    found = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})
    for credential in credentials:
        cdp.send(
            "WebAuthn.addCredential",
            {"authenticatorId": found["authenticatorId"], "credential": credential},
        )
    return cdp, found["authenticatorId"]


def credentials_of(cdp, authenticator_id) -> list[dict]:
    return cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]


def press(page, name):
    """Press a passkey button once its script is ready to ask the browser."""
    page.locator("button[data-passkey][data-ready]", has_text=name).click()


def add_passkey(page, name="laptop"):
    page.goto("/account")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_role("heading", name="Add a passkey")).to_be_visible()
    press(page, "Create the passkey")
    expect(page.get_by_text(f"Passkey “{name}” added.")).to_be_visible()


def log_out(page):
    page.get_by_role("button", name="Logout").click()
    expect(page).to_have_url(re.compile(r"/login$"))


def sign_in_with_passkey(page, remember=False):
    page.goto("/login")
    if remember:
        page.get_by_label("Remember me").check()
    press(page, "Sign in with a passkey")


def test_add_a_passkey_sign_out_and_sign_in_with_it(page):
    cdp, authenticator_id = authenticator(page)
    sign_in(page, "alice")
    add_passkey(page)
    [credential] = credentials_of(cdp, authenticator_id)
    assert credential["isResidentCredential"] is True
    expect(page.locator(".passkey")).to_contain_text("not used yet")
    log_out(page)
    sign_in_with_passkey(page)
    expect(page.get_by_role("heading", name="Hi, alice!")).to_be_visible()
    page.goto("/account")
    expect(page.locator(".passkey")).to_contain_text("last used")
    expect(page.locator(".sign-ins tbody tr").first).to_contain_text("Passkey “laptop”")


def test_the_login_page_offers_the_passkey_as_autofill(page):
    authenticator(page, autofill=True)
    sign_in(page, "alice")
    add_passkey(page)
    # Logout lands on /login, whose autofill request the authenticator answers.
    page.get_by_role("button", name="Logout").click()
    expect(page.get_by_role("heading", name="Hi, alice!")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/index$"))


@pytest.mark.parametrize("remember", [True, False])
def test_a_passkey_sign_in_honours_remember_me_across_a_restart(launch_profile, tmp_path, remember):
    profile = tmp_path / "profile"
    browser = launch_profile(profile)
    page = browser.new_page()
    cdp, authenticator_id = authenticator(page)
    sign_in(page, "alice")
    add_passkey(page)
    credentials = credentials_of(cdp, authenticator_id)
    log_out(page)
    sign_in_with_passkey(page, remember=remember)
    expect(page.get_by_role("heading", name="Hi, alice!")).to_be_visible()
    browser.close()
    browser = launch_profile(profile)
    page = browser.new_page()
    authenticator(page, credentials)  # the laptop's passkey is still on it
    page.goto("/index")
    if remember:
        expect(page.get_by_role("heading", name="Hi, alice!")).to_be_visible()
    else:
        expect(page).to_have_url(re.compile(r"/login\?next="))


def test_a_removed_passkey_no_longer_signs_in(page):
    authenticator(page)
    sign_in(page, "alice")
    add_passkey(page)
    page.get_by_role("button", name="Remove passkey laptop").click()
    expect(page.get_by_text("Passkey “laptop” removed.")).to_be_visible()
    log_out(page)
    sign_in_with_passkey(page)  # the authenticator still offers it
    expect(page.get_by_text("That passkey is not one of this site")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/login"))


def test_the_last_way_in_cannot_be_removed_whatever_its_kind(page):
    authenticator(page)
    sign_in(page, "alice")
    add_passkey(page)
    page.get_by_role("button", name=re.compile(r"^Unlink")).click()
    expect(page.get_by_text("OpenID identity unlinked.")).to_be_visible()
    expect(page.get_by_role("button", name="Remove passkey laptop")).to_have_count(0)
    expect(
        page.get_by_text("Add another way to sign in before you can remove this one.")
    ).to_be_visible()
    log_out(page)
    sign_in_with_passkey(page)  # and the passkey alone still signs in
    expect(page.get_by_role("heading", name="Hi, alice!")).to_be_visible()


def test_a_remembered_session_proves_it_is_you_with_a_passkey_before_deleting(
    launch_profile, tmp_path, users
):
    profile = tmp_path / "profile"
    browser = launch_profile(profile)
    page = browser.new_page()
    cdp, authenticator_id = authenticator(page)
    sign_in(page, "alice", remember=True)
    add_passkey(page)
    credentials = credentials_of(cdp, authenticator_id)
    browser.close()
    browser = launch_profile(profile)  # signed in by the remember cookie only
    page = browser.new_page()
    authenticator(page, credentials)
    page.goto("/account/delete")
    page.get_by_label("Type your nickname to confirm").fill("alice")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_role("heading", name="Prove it is you")).to_be_visible()
    assert [u.nickname for u in users()] == ["alice"]
    press(page, "Use a passkey")
    expect(page.get_by_text("Your account and its posts have been deleted.")).to_be_visible()
    assert users() == []


def test_a_browser_without_webauthn_is_told_so(page):
    page.add_init_script("delete window.PublicKeyCredential")
    page.goto("/login")
    expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_disabled()
    expect(page.get_by_text("This browser cannot use passkeys.")).to_be_visible()


def test_a_refused_passkey_request_is_a_sentence(page):
    cdp, authenticator_id = authenticator(page)
    sign_in(page, "alice")
    add_passkey(page)
    log_out(page)
    # The person does not unlock the device: the browser refuses, as on Cancel.
    cdp.send(
        "WebAuthn.setUserVerified", {"authenticatorId": authenticator_id, "isUserVerified": False}
    )
    sign_in_with_passkey(page)
    expect(page.get_by_text("The passkey request was cancelled, or it timed out.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/login$"))


def test_the_passkey_pages_are_accessible(axe_page):
    authenticator(axe_page)
    sign_in(axe_page, "alice")
    axe_page.goto("/account")
    axe_page.get_by_label("Name", exact=True).fill("laptop")
    axe_page.get_by_role("button", name="Add a passkey").click()
    expect(axe_page.get_by_role("button", name="Create the passkey")).to_be_visible()
    assert_accessible(axe_page)
    press(axe_page, "Create the passkey")
    expect(axe_page.get_by_text("Passkey “laptop” added.")).to_be_visible()
    assert_accessible(axe_page)
    axe_page.goto("/account/reauthenticate")
    assert_accessible(axe_page)
    log_out(axe_page)
    assert_accessible(axe_page)


@pytest.mark.parametrize(("name", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_screenshots_of_passkeys(page, screenshots, name, viewport):
    page.set_viewport_size(viewport)
    authenticator(page)
    sign_in(page, "alice")
    add_passkey(page)
    page.screenshot(path=screenshots / f"passkeys-{name}.png", full_page=True)
    page.goto("/account/reauthenticate")
    page.screenshot(path=screenshots / f"reauthenticate-{name}.png", full_page=True)
    log_out(page)
    page.screenshot(path=screenshots / f"login-passkey-{name}.png", full_page=True)
    for shot in ("passkeys", "reauthenticate", "login-passkey"):
        assert (screenshots / f"{shot}-{name}.png").stat().st_size > 5000
