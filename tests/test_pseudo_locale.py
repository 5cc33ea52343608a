"""Nothing escapes translation: with a pseudo-locale whose every message is
the English with each letter swapped for an accented look-alike, no page
shows an English word that came through untransformed.

The pseudo-locale is made here from the committed messages.pot (which
test_catalogs.py proves current) under a code Babel knows and the site never
ships; only these tests add it to LANGUAGES.
"""

import re
from functools import cache
from html.parser import HTMLParser

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import abort

from .helpers import add_posts, csrf_token
from .messages import catalog_message, catalog_texts, flashes_checked, message_pattern
from .test_catalogs import TRANSLATIONS

PSEUDO = "en_001"
LOOK_ALIKES = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "ȧƀċḋėḟġḣıĵķŀṁṅȯṗɋṙṡṫůṿẇẋẏżȦḂĊḊĖḞĠḢİĴĶĿṀṄȮṖꝖṘṠṪŮṾẆẊẎŻ",
)
# What must stay as it is: placeholders, markup and entities.
KEPT = re.compile(r"(%\(\w+\)[sd]|<[^>]*>|&\w+;)")
ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")
URL = re.compile(r"\S+://\S*")


def pseudo(text: str) -> str:
    return "".join(
        part if KEPT.fullmatch(part) else part.translate(LOOK_ALIKES) for part in KEPT.split(text)
    )


@pytest.fixture(scope="session")
def pseudo_translations(tmp_path_factory):
    with (TRANSLATIONS / "messages.pot").open("rb") as f:
        template = read_po(f)
    catalog = Catalog(locale="en")
    for message in template:
        if message.id:
            string = (
                tuple(pseudo(i) for i in message.id) if message.pluralizable else pseudo(message.id)
            )
            catalog.add(message.id, string, flags=message.flags)
    folder = tmp_path_factory.mktemp("pseudo")
    (folder / PSEUDO / "LC_MESSAGES").mkdir(parents=True)
    with (folder / PSEUDO / "LC_MESSAGES" / "messages.mo").open("wb") as f:
        write_mo(f, catalog)
    return folder


@pytest.fixture
def database_url(database_url, monkeypatch, pseudo_translations):
    # Read when the app is made, just after this.
    monkeypatch.setenv("FLASK_BABEL_TRANSLATION_DIRECTORIES", f"translations;{pseudo_translations}")
    monkeypatch.setenv("FLASK_LANGUAGES", f'["en", "de", "es", "ar", "{PSEUDO}"]')
    return database_url


@cache
def pseudo_message() -> re.Pattern:
    return message_pattern(pseudo(t) for t in catalog_texts())


@pytest.fixture(autouse=True)
def flashes_are_translated():
    """Here every flash is in the pseudo-locale, a catalog's message transformed."""
    with flashes_checked(pseudo_message()):
        yield


class VisibleText(HTMLParser):
    """The words a reader sees or hears: text, and the attributes that are
    read out or shown. Not what is data, not the site's: <time> (Babel's
    own words for each language), <code> (identities), the language menu's
    names (each in its own language) and the time zones' names."""

    SHOWN = ("title", "alt", "placeholder", "aria-label")
    SKIPPED = {"script", "style", "time", "code", "option"}

    def __init__(self):
        super().__init__()
        self.words, self.skipping = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in self.SKIPPED:
            self.skipping.append(tag)
            return
        if self.skipping:
            return
        for name in self.SHOWN:
            if attrs.get(name):
                self.words.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.words.append(attrs["value"])

    def handle_endtag(self, tag):
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data):
        if not self.skipping:
            self.words.append(data)


def english_words(html: str, allowed: set[str]) -> set[str]:
    parser = VisibleText()
    parser.feed(html)
    found = set(ENGLISH_WORD.findall(URL.sub(" ", " ".join(parser.words))))
    return found - allowed


def assert_translated(html: str, allowed: set[str]) -> None:
    leaks = english_words(html, allowed)
    assert not leaks, f"untranslated: {' '.join(sorted(leaks))}"


# The site's name and what the tests put in: nicknames, posts, providers
# named in configuration, the address of the test client; and the name of
# the protocols, which every language keeps ("OpenID", "OpenID Connect").
ALLOWED = {"microblog", "alice", "bob", "post", "Steam", "Ubuntu", "One", "Launchpad", "localhost",
           "OpenID", "Connect"}  # fmt: skip


@pytest.fixture
def pseudo_client(user_client):
    user_client.set_cookie("locale", PSEUDO)
    return user_client


def test_the_pseudo_locale_transforms_letters_and_keeps_placeholders_and_markup():
    assert pseudo('Hi, %(nickname)s! <a href="%(url)s">Home</a>') == (
        'Ḣı, %(nickname)s! <a href="%(url)s">Ḣȯṁė</a>'
    )


def test_a_flash_is_known_for_a_catalogs_message_whatever_its_values_and_language():
    message = catalog_message()
    assert message.fullmatch("Passkey “my phone” removed. It no longer signs in.")
    assert message.fullmatch("Passkey „Handy“ entfernt. Mit ihm ist keine Anmeldung mehr möglich.")
    assert not message.fullmatch("Passkey removed.")
    assert not message.fullmatch("Something went wrong.")


@pytest.mark.parametrize(
    "path",
    ["/index", "/explore", "/user/alice", "/user/alice/followers", "/user/alice/following",
     "/edit_profile", "/account", "/account/delete", "/account/reauthenticate",
     "/no-such-page"],
)  # fmt: skip
def test_every_signed_in_page_is_translated(app, user, pseudo_client, path):
    add_posts(app, user, 2)
    response = pseudo_client.get(path)
    assert_translated(response.text, ALLOWED)


@pytest.mark.parametrize("path", ["/login", "/logout", "/no-such-page", "/dev/openid/endpoint"])
def test_every_anonymous_page_is_translated(client, path):
    client.set_cookie("locale", PSEUDO)
    response = client.get(path, follow_redirects=True)
    assert_translated(response.text, ALLOWED)


def test_a_refused_form_and_its_flash_are_translated(pseudo_client):
    token = csrf_token(pseudo_client.get("/index"))
    response = pseudo_client.post("/index", data={"csrf_token": token, "post": ""})
    assert_translated(response.text, ALLOWED)
    response = pseudo_client.post("/account/preferences", data={"csrf_token": token,
                                  "locale": "xx", "timezone": "UTC"})  # fmt: skip
    assert_translated(response.text, ALLOWED)


def test_the_csrf_error_page_is_translated(pseudo_client):
    response = pseudo_client.post("/index", data={"post": "hello"})
    assert response.status_code == 400
    assert_translated(response.text, ALLOWED | {"hello"})


@pytest.fixture
def pseudo_browser(browser):
    """A browser on the live site, with the app and its built-in providers,
    reading the pseudo-locale."""
    browser.session.cookies.set("locale", PSEUDO)
    return browser


def test_the_openid_approval_page_and_its_refusal_are_translated(pseudo_browser):
    approval = pseudo_browser.start_sign_in(pseudo_browser.url("/dev/openid/"))
    assert approval.url.startswith(pseudo_browser.url("/dev/openid/endpoint"))
    assert_translated(approval.text, ALLOWED | {"demo"})
    refused = pseudo_browser.approve(approval, username="no spaces please")
    assert_translated(refused.text, ALLOWED | {"no", "spaces", "please"})
    cancelled = pseudo_browser.approve(refused, cancel=True)
    assert cancelled.url.startswith(pseudo_browser.url("/login"))
    assert_translated(cancelled.text, ALLOWED)


def test_the_openid_connect_approval_page_and_a_cancel_are_translated(pseudo_browser):
    page = pseudo_browser.get("/login")
    approval = pseudo_browser.session.post(
        pseudo_browser.url("/login/oidc/dev"), data={"csrf_token": csrf_token(page)}
    )
    assert approval.url.startswith(pseudo_browser.url("/dev/oidc/authorize"))
    assert_translated(approval.text, ALLOWED | {"demo"})
    cancelled = pseudo_browser.approve(approval, cancel=True)
    assert cancelled.url == pseudo_browser.url("/login")
    assert_translated(cancelled.text, ALLOWED)


def test_the_providers_page_that_posts_a_long_answer_is_translated(pseudo_browser):
    long_next = "/index?" + "x" * 2000  # too long an answer for a redirect URL
    approval = pseudo_browser.start_sign_in(pseudo_browser.url("/dev/openid/"), next_path=long_next)
    answer_page = pseudo_browser.approve(approval, username="alice")
    assert "data-autosubmit" in answer_page.text
    assert_translated(answer_page.text, ALLOWED)


@pytest.mark.parametrize("identifier", ["not a url at all", "https://nowhere.invalid/"])
def test_a_failed_sign_in_and_its_message_are_translated(pseudo_browser, identifier):
    page = pseudo_browser.start_sign_in(identifier)
    assert_translated(page.text, ALLOWED | set(ENGLISH_WORD.findall(identifier)))


def test_a_signed_in_session_list_and_sign_in_history_are_translated(pseudo_browser):
    page = pseudo_browser.sign_in(pseudo_browser.url("/dev/openid/"), username="alice")
    page = pseudo_browser.get("/account")
    # The browser's name as its User-Agent gives it ("Python Requests") is data.
    assert_translated(page.text, ALLOWED | {"Python", "Requests"})


@pytest.mark.parametrize("code", [400, 403, 404, 405, 413, 429, 500, 503])
def test_every_error_page_is_translated(app, client, code):
    def fail():
        if code == 500:
            raise RuntimeError("a bug")
        abort(code)

    app.add_url_rule("/fail", "fail", fail)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # the 500 page, as production shows it
    client.set_cookie("locale", PSEUDO)
    response = client.get("/fail")
    assert response.status_code == code
    assert_translated(response.text, ALLOWED)
