"""The page's language and time zone: the account's choice, else the footer's
menu (a cookie), else the browser's Accept-Language, else English; times in
the account's zone, else UTC."""

from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.pofile import read_po

from app.extensions import db
from app.i18n import NAMES
from app.models import Post, User, Way

from .helpers import add_posts, csrf_token
from .test_oidc import oidc_sign_in

MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
TRANSLATIONS = Path(__file__).resolve().parent.parent / "app" / "translations"


@cache
def catalog(language: str):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f)


def translation(language: str, msgid: str) -> str:
    """What a catalog says for ``msgid``, so these tests follow the translators."""
    return catalog(language)[msgid].string


def html_tag(response) -> str:
    return response.text.split(">", 2)[1].strip() + ">"


@pytest.mark.parametrize(
    ("header", "tag"),
    [
        ("de-DE,de;q=0.9,en;q=0.5", '<html lang="de" dir="ltr">'),
        ("es-MX", '<html lang="es" dir="ltr">'),
        ("ar", '<html lang="ar" dir="rtl">'),
        ("xx", '<html lang="en" dir="ltr">'),
        ("", '<html lang="en" dir="ltr">'),
    ],
)
def test_the_browsers_language_chooses_the_page_language(client, header, tag):
    assert html_tag(client.get("/login", headers={"Accept-Language": header})) == tag


@pytest.mark.parametrize("language", ["de", "es", "ar"])
def test_the_login_page_reads_in_the_browsers_language(client, language):
    text = client.get("/login", headers={"Accept-Language": language}).text
    assert translation(language, "Sign in") in text
    assert ">Sign in<" not in text


def choose_in_footer(client, locale, page="/login", **headers):
    token = csrf_token(client.get(page, headers=headers))
    return client.post(
        "/language", data={"csrf_token": token, "locale": locale, "next": page}, headers=headers
    )


def test_a_visitor_chooses_a_language_in_the_footer_and_it_is_kept_in_a_cookie(client):
    response = choose_in_footer(client, "es", **{"Accept-Language": "de"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    cookie = client.get_cookie("locale")
    assert cookie.value == "es" and cookie.http_only
    assert html_tag(client.get("/login", headers={"Accept-Language": "de"})).startswith(
        '<html lang="es"'
    )


def test_an_unknown_language_from_the_footer_is_refused_with_a_sentence(client):
    response = choose_in_footer(client, "xx")
    assert client.get_cookie("locale") is None
    text = client.get(response.headers["Location"]).text
    assert "That language is not one this site speaks." in text


def test_the_footer_choice_of_someone_signed_in_is_saved_with_the_account(app, user, user_client):
    choose_in_footer(user_client, "ar", page="/index")
    with app.app_context():
        assert db.session.get(User, user.id).locale == "ar"


def save_preferences(client, **values):
    token = csrf_token(client.get("/account"))
    return client.post("/account/preferences", data={"csrf_token": token, **values})


def test_a_signed_in_persons_choice_beats_the_browser_and_the_cookie(app, user, user_client):
    choose_in_footer(user_client, "es", page="/index")
    response = save_preferences(user_client, locale="de", timezone="UTC")
    assert response.status_code == 302
    page = user_client.get("/index", headers={"Accept-Language": "ar"})
    assert html_tag(page).startswith('<html lang="de"')
    assert translation("de", "Your language and time zone are saved.") in page.text


def test_the_browsers_language_is_the_default_choice_and_clears_the_footers(app, user, user_client):
    choose_in_footer(user_client, "es", page="/index")
    save_preferences(user_client, locale="", timezone="UTC")
    assert user_client.get_cookie("locale") is None
    page = user_client.get("/index", headers={"Accept-Language": "ar"})
    assert html_tag(page).startswith('<html lang="ar"')
    with app.app_context():
        assert db.session.get(User, user.id).locale is None


@pytest.mark.parametrize(
    ("values", "sentence"),
    [
        ({"locale": "xx", "timezone": "UTC"}, "That language is not one this site speaks."),
        ({"locale": "de", "timezone": "Mars/Olympus"}, "That is not a time zone this site knows."),
        (
            {"locale": "de" * 40, "timezone": "UTC" * 40},
            "That language is not one this site speaks.",
        ),
    ],
)
def test_an_unknown_language_or_zone_is_refused_with_a_sentence_and_nothing_saved(
    app, user, user_client, values, sentence
):
    response = save_preferences(user_client, **values)
    assert response.status_code == 400
    assert sentence in response.text
    with app.app_context():
        saved = db.session.get(User, user.id)
        assert (saved.locale, saved.timezone) == (None, None)


def test_the_account_page_says_times_are_in_utc_until_a_zone_is_chosen(user_client):
    text = user_client.get("/account").text
    assert "until you choose one, in UTC" in text
    assert '<option value="UTC" selected>UTC</option>' in text


@pytest.mark.both_databases
def test_times_are_shown_in_the_chosen_zone_with_the_utc_value_kept(app, user, user_client):
    add_posts(app, user, 1)  # 2026-01-01 00:00 UTC
    save_preferences(user_client, locale="", timezone="Asia/Tokyo")
    text = user_client.get("/index").text
    assert '<time datetime="2026-01-01T00:00Z" title="Jan 1, 2026, 9:00\u202fAM JST">' in text


def test_a_date_past_a_month_is_the_day_it_was_in_the_readers_zone(app, user, user_client):
    # 20:30 UTC, 40 days ago: the next morning in Tokyo.
    day = datetime.now(UTC).replace(hour=20, minute=30) - timedelta(days=40)
    with app.app_context():
        db.session.add(Post(body="an old post", user_id=user.id, timestamp=day))
        db.session.commit()
    save_preferences(user_client, locale="", timezone="Asia/Tokyo")
    after = day + timedelta(days=1)
    text = user_client.get("/index").text
    assert f">{MONTHS[after.month - 1]} {after.day}, {after.year}</time>" in text


def test_times_are_in_the_pages_language(app, user, user_client):
    add_posts(app, user, 1)
    save_preferences(user_client, locale="de", timezone="Europe/Berlin")
    text = user_client.get("/index").text
    assert 'title="01.01.2026, 01:00 CET"' in text


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_the_footer_sends_back_only_to_a_page_of_this_site(client, target):
    token = csrf_token(client.get("/login"))
    response = client.post("/language", data={"csrf_token": token, "locale": "de", "next": target})
    assert response.headers["Location"] == "/index"


def test_the_footer_menu_needs_the_forms_token(client):
    response = client.post("/language", data={"locale": "de", "next": "/login"})
    assert response.status_code == 400
    assert client.get_cookie("locale") is None


def test_an_action_waiting_for_a_proof_is_told_in_the_language_of_the_page(user_client):
    token = csrf_token(user_client.get("/account/delete"))
    response = user_client.post("/account/delete", data={"csrf_token": token, "nickname": "alice"})
    assert response.headers["Location"] == "/account/reauthenticate"
    text = user_client.get("/account/reauthenticate", headers={"Accept-Language": "de"}).text
    ask = "To delete your account, sign in again with one of your account's own ways in."
    assert translation("de", ask) in text


BUILT_IN = "Built-in OpenID Connect (development)"


def test_a_way_in_is_named_in_the_language_of_its_reader_not_its_signer(browser):
    oidc_sign_in(browser)  # in English
    browser.session.headers["Accept-Language"] = "de"
    text = browser.get("/account").text
    # The identity, the session, the history of sign-ins, and the button to
    # link another identity there.
    assert text.count(translation("de", BUILT_IN)) == 4
    assert BUILT_IN not in text


@pytest.mark.parametrize(
    ("way", "language", "words"),
    [
        (Way("openid"), "de", "OpenID"),
        (Way("oidc", "Example SSO"), "ar", "Example SSO"),
        (Way("oidc"), "es", translation("es", BUILT_IN)),
        (
            Way("passkey", "laptop"),
            "de",
            translation("de", "Passkey “%(name)s”") % {"name": "laptop"},
        ),
    ],
)
def test_a_way_in_is_put_in_words_when_shown(app, way, language, words):
    with app.test_request_context(headers={"Accept-Language": language}):
        assert way.words() == words


def test_pages_in_several_languages_from_one_app_are_each_in_their_own(client):
    # Each language's templates are compiled apart, their messages translated.
    for language in ("de", "en", "ar", "de", "en"):
        page = client.get("/login", headers={"Accept-Language": language})
        assert html_tag(page).startswith(f'<html lang="{language}"')
        expected = translation(language, "Sign in") if language != "en" else "Sign in"
        assert f">{expected}<" in page.text


def test_a_message_translated_when_compiled_still_escapes_its_values(app):
    template = '{{ _("Hi, %(nickname)s!", nickname=name) }} {{ _("Home") }}'
    with app.test_request_context():
        german = app.jinja_env.in_language("de").from_string(template)
        text = german.render(name="<b>bob</b>")
    hi = translation("de", "Hi, %(nickname)s!") % {"nickname": "&lt;b&gt;bob&lt;/b&gt;"}
    assert text == f"{hi} {translation('de', 'Home')}"


@pytest.mark.parametrize("code", sorted(NAMES))
def test_each_languages_name_is_babels_name_for_it_in_that_language(code):
    name = Locale.parse(code).get_display_name(code)
    assert NAMES[code] == name[:1].upper() + name[1:]
