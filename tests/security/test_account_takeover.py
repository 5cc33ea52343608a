"""Account takeover: a provider claiming an existing account's email or nickname."""

from ..helpers import dev_identifier, openids


def test_provider_asserting_another_accounts_email_gets_a_separate_account(
    app, browser, provider, users
):
    browser.sign_in(dev_identifier(browser), username="alice", email="alice@example.com")
    browser.submit(browser.get("/logout"))
    intruder = provider.identity("intruder", email="alice@example.com")
    page = browser.start_sign_in(intruder)
    # The nickname comes from the email, but the account is a new one.
    assert "Hi, alice-2!" in page.text
    alice, other = users()
    assert openids(alice) == [browser.url("/dev/openid/id/alice")]
    assert openids(other) == [intruder]


def test_nickname_taken_by_another_account_gets_a_suffix(app, browser, provider, users):
    browser.sign_in(dev_identifier(browser), username="alice")
    browser.submit(browser.get("/logout"))
    page = browser.start_sign_in(provider.identity("someone", nickname="alice"))
    assert "Hi, alice-2!" in page.text
    assert [u.nickname for u in users()] == ["alice", "alice-2"]
