"""The login page as a new visitor gets it: rendered once for each language
and address, each visitor's own CSRF token put in (app/auth/views.py)."""

from flask import template_rendered

from app.auth.views import TOKEN_STAND_IN

from .helpers import csrf_token

VISITS = {
    "plain": {},
    "German": {"headers": {"Accept-Language": "de"}},
    "Arabic, right to left": {"headers": {"Accept-Language": "ar"}},
    "asked for /user/alice": {"query_string": {"next": "/user/alice"}},
    "under a path prefix": {"base_url": "http://localhost/blog"},
    "at another host": {"base_url": "http://other.example"},
    "by https": {"base_url": "https://localhost"},
}


def without_token(response) -> str:
    assert response.status_code == 200
    return response.text.replace(csrf_token(response), "TOKEN")


def test_each_new_visitor_gets_the_page_as_it_renders_afresh(app, other_app):
    other_app.jinja_env.auto_reload = True  # renders every page, as in development
    # All on one app, so a page remembered for one visit would show at another.
    for _ in range(2):
        for visit in VISITS.values():
            page = without_token(app.test_client().get("/login", **visit))
            assert page == without_token(other_app.test_client().get("/login", **visit)), visit


def templates_rendered_by_a_new_visitor(app) -> list:
    """The templates rendered for a second new visitor's /login, after a first's."""
    rendered = []
    app.test_client().get("/login")
    with template_rendered.connected_to(lambda *a, template, **kw: rendered.append(template), app):
        assert "Sign in" in app.test_client().get("/login").text
    return rendered


def test_a_second_new_visitor_is_served_the_page_without_rendering_it(app):
    assert templates_rendered_by_a_new_visitor(app) == []


def test_the_page_is_rendered_afresh_when_templates_reload(app):
    app.jinja_env.auto_reload = True
    rendered = templates_rendered_by_a_new_visitor(app)
    assert [template.name for template in rendered] == ["auth/login.html"]


def test_each_visitor_gets_a_token_of_their_own_that_only_their_form_takes(app):
    alice, bob = app.test_client(), app.test_client()
    alices, bobs = (csrf_token(client.get("/login")) for client in (alice, bob))
    assert alices != bobs
    assert TOKEN_STAND_IN not in alices + bobs
    assert alice.post("/login", data={"openid": "", "csrf_token": bobs}).status_code == 400
    refused = alice.post("/login", data={"openid": "", "csrf_token": alices})
    assert refused.status_code == 200
    assert "The sign-in form expired" not in refused.text


def test_the_page_shows_the_token_in_every_form_that_sends_one(app):
    page = app.test_client().get("/login")
    token = csrf_token(page)
    # The sign-in form's and the language menu's.
    assert page.text.count(f'name="csrf_token" value="{token}"') == 2


def test_a_flashed_message_is_shown_though_the_page_was_remembered(app):
    client = app.test_client()
    sent_to = client.get("/index").location  # with a message to sign in
    app.test_client().get(sent_to)
    assert "Please sign in" in client.get(sent_to).text


def test_what_was_typed_before_is_shown_though_the_page_was_remembered(app):
    app.test_client().get("/login")
    client = app.test_client()
    with client.session_transaction() as session:
        session["openid_identifier"] = "https://provider.example/alice"
        session["remember_me"] = True
    page = client.get("/login")
    assert 'value="https://provider.example/alice"' in page.text
    assert 'name="remember_me" value="y" checked' in page.text
