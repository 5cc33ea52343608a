"""A live server in a thread, and a small browser made of requests and html.parser."""

import os
import re
import threading
import time
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
import requests
from flask.testing import FlaskClient
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

# A key that passes production's check, for tests that build the production app.
STRONG_KEY = "7f3c9a1e5b2d8f4a6c0e9b3d7a1f5c8e2b6d0a4f8c3e7b1d5a9f2c6e0b4d8a3f"
PUBLIC_HOST = "microblog.example"


# Tests marked both_databases run on each of these (see conftest.py).
BACKENDS = ["sqlite", "postgresql"]


class LiveServer:
    """Serve a WSGI app on a free loopback port in a background thread."""

    def __init__(self, wsgi_app, host="127.0.0.1"):
        self.server = make_server(host, 0, wsgi_app, threaded=True)
        self.url = f"http://{host}:{self.server.server_port}"
        # A short poll interval makes shutdown, and so each test, quick.
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.005}, daemon=True
        )

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class ServedApp:
    """A WSGI app of the tests' own (``self.wsgi``), served on loopback
    while in a ``with`` block; ``url`` is where."""

    def __init__(self, host="127.0.0.1"):
        self.live = LiveServer(self.wsgi, host)
        self.url = self.live.url

    def wsgi(self, environ, start_response):
        raise NotImplementedError

    def __enter__(self):
        self.live.__enter__()
        return self

    def __exit__(self, *exc):
        self.live.__exit__(*exc)


class PrefixProxy(ServedApp):
    """A reverse proxy serving ``backend`` under ``prefix``, as nginx does with
    ``location /blog/ { proxy_pass http://backend/; }`` and the X-Forwarded-*
    headers, X-Forwarded-Prefix among them. Anything else is a 404."""

    # Hop-by-hop, or recomputed for the body as sent on.
    DROPPED = {"connection", "keep-alive", "transfer-encoding", "content-length"}

    def __init__(self, backend: str, prefix: str):
        self.backend = backend
        self.prefix = prefix
        super().__init__()

    def wsgi(self, environ, start_response):
        request = Request(environ)
        if not (request.path + "/").startswith(self.prefix + "/"):
            return Response("not found", 404)(environ, start_response)
        path = request.path.removeprefix(self.prefix) or "/"
        query = environ.get("QUERY_STRING")
        headers = {k: v for k, v in request.headers if k.lower() not in self.DROPPED}
        headers.update(
            {
                "X-Forwarded-For": request.remote_addr,
                "X-Forwarded-Proto": request.scheme,
                "X-Forwarded-Host": request.host,
                "X-Forwarded-Prefix": self.prefix,
                "Accept-Encoding": "identity",
            }
        )
        answer = requests.request(
            request.method,
            self.backend + path + (f"?{query}" if query else ""),
            headers=headers,
            data=request.get_data(),
            allow_redirects=False,
            timeout=30,
        )
        kept = [(k, v) for k, v in answer.raw.headers.items() if k.lower() not in self.DROPPED]
        return Response(answer.content, answer.status_code, kept)(environ, start_response)


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"attrs": attrs, "fields": [], "buttons": []})
        elif not self.forms:
            return
        elif tag == "input":
            kind = attrs.get("type", "text")
            if kind == "submit":
                self.forms[-1]["buttons"].append(attrs)
            elif kind != "checkbox" or "checked" in attrs:
                self.forms[-1]["fields"].append((attrs.get("name"), attrs.get("value", "")))
        elif tag == "textarea":
            self.forms[-1]["fields"].append((attrs.get("name"), ""))
        elif tag == "button" and attrs.get("type", "submit") == "submit":
            self.forms[-1]["buttons"].append(attrs)


class Form:
    """A form on a page: its action, method and the values a browser would send."""

    def __init__(self, page_url, parsed):
        self.action = urljoin(page_url, parsed["attrs"].get("action", "") or page_url)
        self.method = parsed["attrs"].get("method", "get").lower()
        self.fields = {name: value for name, value in parsed["fields"] if name}
        self.buttons = parsed["buttons"]


def forms(response) -> list[Form]:
    """The forms of a page: a response of requests or of Flask's test client;
    not the footer's language menu, which every page has."""
    parser = _FormParser()
    parser.feed(response.text)
    url = response.url if hasattr(response, "url") else response.request.url
    found = [Form(url, f) for f in parser.forms]
    return [form for form in found if not form.action.endswith("/language")]


class Browser:
    """A cookie-keeping client that fills and submits forms as a browser does."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.session = requests.Session()

    def url(self, path):
        # A path from the site's root, under the prefix it may be served at.
        if path.startswith("/"):
            return self.base_url.rstrip("/") + path
        return urljoin(self.base_url, path)

    def get(self, path, **kwargs):
        kwargs.setdefault("timeout", 30)
        return self.session.get(self.url(path), **kwargs)

    def submit(self, response, values=None, form_index=None, button=None, **kwargs):
        """Submit a form of ``response`` (the one with most fields by default).

        ``values`` overrides fields; a value of None leaves the field out, as an
        unticked checkbox is. ``button`` names the submit button pressed.
        """
        page_forms = forms(response)
        form = (
            page_forms[form_index]
            if form_index is not None
            else max(page_forms, key=lambda f: len(f.fields))
        )
        data = dict(form.fields)
        for name, value in (values or {}).items():
            if value is None:
                data.pop(name, None)
            else:
                data[name] = value
        if button is not None:
            data[button] = next(b.get("value", "") for b in form.buttons if b.get("name") == button)
        kwargs.setdefault("timeout", 30)
        if form.method == "post":
            return self.session.post(form.action, data=data, **kwargs)
        return self.session.get(form.action, params=data, **kwargs)

    def restart(self):
        """Close and reopen the browser: cookies without an expiry are gone."""
        for cookie in list(self.session.cookies):
            if cookie.expires is None:
                self.session.cookies.clear(cookie.domain, cookie.path, cookie.name)

    def cookie(self, name):
        return next((c for c in self.session.cookies if c.name == name), None)

    def start_sign_in(self, identity, remember=False, next_path=None, **kwargs):
        """Type ``identity`` on the login page and press Sign in."""
        page = self.get("/login", params={"next": next_path} if next_path else None)
        values = {"openid": identity, "remember_me": "y" if remember else None}
        return self.submit(page, values, **kwargs)

    def approve(self, approval_page, username=None, email=None, cancel=False, **kwargs):
        """Answer the built-in provider's approval page."""
        values = {}
        if username is not None:
            values["username"] = username
        if email is not None:
            values["email"] = email
        button = "cancel" if cancel else "approve"
        return self.submit(approval_page, values, button=button, **kwargs)

    def sign_in(self, identity, username=None, email=None, remember=False, next_path=None):
        """Sign in with the built-in provider; return the page landed on."""
        page = self.start_sign_in(identity, remember=remember, next_path=next_path)
        if "/dev/openid/" in page.url:
            page = self.approve(page, username=username, email=email)
        return page


def submit_form(browser: Browser, page, path: str, values=None):
    """Submit the form of ``page`` that posts to ``path``."""
    [index] = [i for i, f in enumerate(forms(page)) if f.action == browser.url(path)]
    return browser.submit(page, values, form_index=index)


def dev_identifier(browser: Browser) -> str:
    """The built-in provider's OP identifier on the app under test."""
    return browser.url("/dev/openid/")


def csrf_token(response) -> str:
    """The CSRF token in a page's form, as a browser would send it back."""
    return re.search(r'name="csrf_token" value="([^"]+)"', response.text).group(1)


def missing(what: str, how: str):
    """A tool the tests need is not installed: skip, but under CI=true fail."""
    message = f"{what} is not installed, so these tests cannot run: {how}"
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def openid_identity(url: str):
    """An OpenID 2.0 identity for a test account."""
    from app.models import Identity

    return Identity(kind="openid", issuer="", subject=url, provider="OpenID")


def openids(user) -> list[str]:
    """The OpenID 2.0 claimed identifiers linked to ``user``."""
    return [i.subject for i in user.identities if i.kind == "openid"]


def post_bodies(response) -> list[str]:
    """The bodies of the posts a page shows, in order."""
    return re.findall(r'<p class="post-body">(.*?)</p>', response.text, re.S)


def add_user(app, nickname: str, email: str | None = None):
    """Make an account (one OpenID identity) directly in the database."""
    from app.extensions import db
    from app.models import User

    with app.app_context():
        user = User(
            nickname=nickname,
            email=email,
            identities=[openid_identity(f"https://openid.example/{nickname}")],
        )
        db.session.add(user)
        db.session.commit()
        return db.session.get(User, user.id)


def add_posts(app, user, count: int, start: int = 0) -> None:
    """``count`` posts by ``user``, "post <start>" first and a minute apart."""
    from datetime import UTC, datetime, timedelta

    from app.extensions import db
    from app.models import Post

    first = datetime(2026, 1, 1, tzinfo=UTC)
    with app.app_context():
        db.session.add_all(
            Post(body=f"post {i}", user_id=user.id, timestamp=first + timedelta(minutes=i))
            for i in range(start, start + count)
        )
        db.session.commit()


def proved(client, user=None):
    """A ``SignedInClient``, as if its account had just signed in: what needs
    a recent proof that it is them goes through at once."""
    from app.auth.reauth import PROVED

    with client.session_transaction() as session:
        session[PROVED] = {"token": client.session_key, "at": int(time.time())}
    return client


class SignedInClient(FlaskClient):
    """Flask's test client; ``app.test_client(user=user)`` is signed in as
    ``user`` through a live session made for it, as a sign-in makes one
    (Flask-Login's FlaskLoginClient would put the account's id in the cookie)."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.session_key = None
        if user is None:
            return
        from app.auth import sessions
        from app.extensions import db
        from app.models import Way

        app = self.application
        with app.test_request_context(headers={"User-Agent": "test client"}):
            self.session_key = sessions.start(user, Way("openid"), remembered=False).session_key
            db.session.commit()
        with self.session_transaction() as session:
            session["_user_id"] = self.session_key
            session["_fresh"] = True
