"""The least the app's two measured pages can cost in Flask, for comparison.

/login does what any Flask login page with a CSRF-protected form must: start
a session, put Flask-WTF's CSRF token in it and in the page, render the page
(the app's own HTML, from the file FLOOR_LOGIN_PAGE names) with Jinja, and
send it with the app's security headers.

/index does what any signed-in home timeline must: read Flask's session,
find the account by its session token (so a disabled one loses access at
once), read the newest posts of the account and of whom it follows, and
render them with their authors' avatars and links and the CSRF tokens of
its forms, in the layout's language (the browser's) with the footer's menu
of languages, as the app's page is. It runs the app's own statements on the
app's database with SQLAlchemy Core and the app's engine options.

Neither uses Flask-Login, Flask-SQLAlchemy's session, a form object, the
layout template or flashed messages. bench/run.py serves this beside bare
Flask, alternating, as it does the app.

``libraries`` serves the same two pages, each also doing what the libraries
the app is built on do on it, and nothing of the app's own: Flask-Login
finds the visitor (by the same statement, for /index), the page's form is
the app's own Flask-WTF form, made and asked whether it was submitted, its
CSRF token the one in the page, the flashed messages are asked for, and
/index reads through Flask-SQLAlchemy's session. It shows how much of the floor those
libraries take by themselves: a page that does what they do cannot be nearer
the floor than this, and bench/run.py measures it against the floor in the
same run. (The app's /login, for a new visitor, makes no form: its page is
remembered, its token put in; see app/auth/views.py.)

``signing_in`` serves a warm OpenID sign-in by identity URL or OP identifier
doing only what any must (below), and the floor's /index to land on.
"""

import hashlib
import hmac
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from babel.support import NullTranslations
from flask import Flask, abort, get_flashed_messages, redirect, request, session
from flask_login import LoginManager, current_user, login_required
from flask_openid import AX_MAPPING, REQUIRED_KEYS
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import generate_csrf, validate_csrf
from openid.association import Association
from openid.consumer.consumer import SUCCESS, Consumer
from openid.consumer.discover import discover
from openid.extensions import ax
from openid.extensions.sreg import SRegRequest
from openid.store import nonce
from openid.store.interface import OpenIDStore
from sqlalchemy.exc import IntegrityError
from wtforms.validators import ValidationError

from app.auth.forms import LoginForm
from app.auth.openid.consumer import JSONSessionWrapper, dump_discovery, load_discovery
from app.auth.openid.store import USE_NONCE
from app.auth.sessions import device_of, new_key
from app.database import Session, reads_alone
from app.i18n import Reader, best_match, language_choices, text_direction, zone
from app.i18n.times import time_tag
from app.main.forms import PostForm
from app.main.posts import page_of_posts
from app.models import SIGNED_IN_USER, Identity, LiveSession, SignedInUser, SignIn, User
from app.ratelimit import DatabaseStorage
from app.security import SECURITY_HEADERS, add_server_timing
from app.users.avatars import _token
from config import Config

HEADERS = dict(SECURITY_HEADERS)
INDEX_PAGE = """<!doctype html>
<html lang="{{ page_reader.locale }}" dir="{{ page_dir }}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Home - microblog</title>
  <link rel="stylesheet" href="/static/style.css">
</head>
<body>
  <header class="nav">
    <nav aria-label="Main">
      <a class="brand" href="/index">microblog</a>
      <a href="/index" aria-current="page">Home</a>
      <a href="/explore">Explore</a>
      <a class="nav-user" href="/user/{{ nickname }}" title="Your profile">{{ nickname }}</a>
      <a href="/account">Account</a>
      <form class="nav-logout" method="post" action="/logout">
        <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
        <button type="submit" class="link-button">Logout</button>
      </form>
    </nav>
  </header>
  <main>
<h1>Hi, {{ nickname }}!</h1>
<form class="card post-form" method="post" novalidate>
  <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
  <div class="field">
    <label for="post">Say something</label>
    <textarea id="post" name="post" required maxlength="140" rows="3">
</textarea>
  </div>
  <input type="submit" id="submit" name="submit" value="Post" class="button primary">
</form>
<ul class="posts">
  {% for id, body, timestamp, user_id, author in page.posts %}
  <li class="post">
    <img class="avatar" src="/avatar/{{ avatar(user_id) }}.svg" alt="" width="40" height="40">
    <div class="post-main">
      <div class="post-meta">
        <a class="post-author" href="/user/{{ author }}">{{ author }}</a>
        {{ timestamp | time_tag }}
        {% if user_id == reader %}
        <form class="post-delete" method="post" action="/post/{{ id }}/delete">
          <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
          <input type="hidden" name="next" value="/index">
          <button type="submit" class="link-button">Delete<span class="visually-hidden">{#
            #} this post</span></button>
        </form>
        {% endif %}
      </div>
      <p class="post-body">{{ body }}</p>
    </div>
  </li>
  {% endfor %}
</ul>
<nav class="pager" aria-label="Pages">
  {% if page.older %}
  <a href="/index?before={{ page.older }}" rel="next">Older posts →</a>
  {% endif %}
</nav>
  </main>
  <footer class="footer">
    <form class="language" method="post" action="/language">
      <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
      <input type="hidden" name="next" value="{{ this_page }}">
      <label for="language-choice">Language</label>
      <select id="language-choice" name="locale">
        {% for code, name in languages %}
        <option value="{{ code }}" lang="{{ code }}"
          {%- if code == page_reader.locale %} selected{% endif %}>{{ name }}</option>
        {% endfor %}
      </select>
      <button type="submit" class="button">Change language</button>
    </form>
  </footer>
</body>
</html>
"""

LANGUAGES = tuple(Config.LANGUAGES)
engine = sa.create_engine(os.environ["DATABASE_URL"], **Config.SQLALCHEMY_ENGINE_OPTIONS)
# /index only reads: on PostgreSQL without a transaction, as the app's
# session reads (app/database.py), so no BEGIN and ROLLBACK around it.
reads = reads_alone(engine) if engine.dialect.name == "postgresql" else engine


def flask_app() -> Flask:
    new = Flask(__name__)
    new.secret_key = os.environ["FLASK_SECRET_KEY"]
    new.jinja_env.filters["time_tag"] = time_tag
    new.jinja_env.globals["avatar"] = lambda user_id: _token(new.secret_key.encode(), user_id)
    return new


app = flask_app()
login_page = app.jinja_env.from_string(Path(os.environ["FLOOR_LOGIN_PAGE"]).read_text())
index_page = app.jinja_env.from_string(INDEX_PAGE)


def key_hash(key: str) -> bytes:
    return hmac.new(app.secret_key.encode(), key.encode(), hashlib.sha256).digest()


def page_language() -> dict:
    """The page's language and zone, as the app chooses them for an account
    with no choice saved: the browser's language, UTC (the page is English);
    and the footer's menu of languages, which sends the reader back here."""
    language = best_match(request.environ.get("HTTP_ACCEPT_LANGUAGE", ""), LANGUAGES)
    return {
        "page_reader": Reader(language, zone(None), NullTranslations()),
        "page_dir": text_direction(language),
        "languages": language_choices(LANGUAGES),
        "this_page": request.script_root + request.full_path.rstrip("?"),
    }


@app.route("/login")
def login():
    return login_page.render(csrf_token=generate_csrf), HEADERS


@app.route("/index")
def index():
    key = session.get("_user_id") or ""
    params = {"key_hash": key_hash(key), "oldest": datetime.now(UTC) - Config.SESSION_MAX_AGE}
    with reads.connect() as connection:
        user = connection.execute(SIGNED_IN_USER, params).first()
        if user is None:
            return redirect("/login")
        page = page_of_posts("timeline", 20, user_id=user.id, connection=connection)
    html = index_page.render(
        nickname=user.nickname,
        reader=user.id,
        page=page,
        csrf_token=generate_csrf,
        **page_language(),
    )
    return html, {**HEADERS, "Cache-Control": "no-store"}


libraries = flask_app()
login_manager = LoginManager(libraries)
login_manager.login_view = "login_with_libraries"
libraries.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
libraries.config["SQLALCHEMY_ENGINE_OPTIONS"] = Config.SQLALCHEMY_ENGINE_OPTIONS
# With the app's session class, which reads on PostgreSQL without a transaction.
models = SQLAlchemy(libraries, session_options={"class_": Session})


@login_manager.user_loader
def signed_in(key: str) -> SignedInUser | None:
    params = {"key_hash": key_hash(key), "oldest": datetime.now(UTC) - Config.SESSION_MAX_AGE}
    row = models.session().read(SIGNED_IN_USER, params).first()
    if row is None:
        return None
    return SignedInUser(row.id, row.nickname, key, row.session_id, row.locale, row.timezone)


@libraries.route("/login")
def login_with_libraries():
    form = LoginForm()
    form.validate_on_submit()  # a GET: not submitted
    # The layout asks who is here and shows what was flashed.
    current_user.is_authenticated  # noqa: B018
    get_flashed_messages(with_categories=True)
    return login_page.render(csrf_token=lambda: form.csrf_token.current_token), HEADERS


@libraries.route("/index")
@login_required
def index_with_libraries():
    form = PostForm()
    form.validate_on_submit()
    get_flashed_messages(with_categories=True)
    connection = models.session.connection()
    page = page_of_posts("timeline", 20, user_id=current_user.id, connection=connection)
    html = index_page.render(
        nickname=current_user.nickname,
        reader=current_user.id,
        page=page,
        csrf_token=lambda: form.csrf_token.current_token,
        **page_language(),
    )
    return html, {**HEADERS, "Cache-Control": "no-store"}


# A warm sign-in by identity URL or OP identifier, doing what any must: check
# the form's CSRF token, count the start against the rate limit, send the
# visitor to the provider the identifier names (discovered before, with an
# association made before), asking for a nickname and an email, then check
# the provider's signed answer with python3-openid and refuse it if its
# nonce was used, find the account by the identity and note it seen, record
# the live session (with the browser and system), when the identity was
# used and the sign-in, atomically, and sign the session in: the app's
# three statements on PostgreSQL, on its tables, by SQLAlchemy Core,
# with no Flask-OpenID (but its list of what to ask for), Flask-Login, ORM,
# form object or template around them. Its own requests carry a
# Server-Timing header as the app's do, so bench/run.py measures their time
# as it does the app's.
_user, _identity, _live = User.__table__, Identity.__table__, LiveSession.__table__
_claimed = sa.and_(
    _identity.c.kind == "openid",
    _identity.c.issuer == "",
    _identity.c.subject == sa.bindparam("claimed_subject"),
)
SEEN_ACCOUNT = (
    sa.update(_user)
    .where(_user.c.id == _identity.c.user_id, _claimed)
    .values(last_seen=sa.bindparam("now"))
    .returning(_user.c.id, _user.c.active)
)
USED_IDENTITY = _identity.update().where(_claimed).values(last_used=sa.bindparam("now"))
RETURN_TO = "login?openid_complete=yes"
# On PostgreSQL the same four writes as one statement, data-modifying WITH
# queries, atomic by itself, as the app sends it (accounts.SIGN_IN_AT_ONCE);
# SQLite has no writes in WITH.
_sign_in = SignIn.__table__
_owner = SEEN_ACCOUNT.cte("owner")
_active = sa.select(_owner.c.id).where(_owner.c.active)
_now = sa.bindparam("now", type_=_live.c.created.type)
_address = sa.bindparam("address", type_=_live.c.address.type)
_started = (
    _live.insert()
    .from_select(
        ["user_id", "key_hash", "way_kind", "way_name", "browser", "system", "address",
         "created", "last_seen", "remembered"],
        sa.select(_owner.c.id, sa.bindparam("key_hash", type_=_live.c.key_hash.type),
                  sa.literal("openid"), sa.null(),
                  sa.bindparam("browser", type_=_live.c.browser.type),
                  sa.bindparam("system", type_=_live.c.system.type),
                  _address, _now, _now, sa.false()).where(_owner.c.active),
    )
    .returning(_live.c.id)
    .cte("started")
)  # fmt: skip
_used = USED_IDENTITY.where(sa.exists(_active)).returning(_identity.c.id).cte("used")
_noted = (
    _sign_in.insert()
    .from_select(
        ["user_id", "at", "way_kind", "way_name", "address"],
        sa.select(_owner.c.id, _now, sa.literal("openid"), sa.null(), _address).where(
            _owner.c.active
        ),
    )
    .returning(_sign_in.c.id)
    .cte("noted")
)
SIGN_IN_AT_ONCE = (
    sa.select(_owner.c.id, _owner.c.active)
    .select_from(_owner)
    .outerjoin(_started, sa.true())
    .add_cte(_used, _noted)
)
# Every sign-in asks for a nickname and an email, by SReg and by AX, as the
# app's does (Flask-OpenID's ask_for): at the start it cannot know whether
# the person is new. Only a new account reads the answer, so this does not.
ASK_SREG = SRegRequest(required=["nickname", "email"])
ASK_AX = ax.FetchRequest()
for _name, _uris in AX_MAPPING.items():
    if _name in ("nickname", "email"):
        for _uri in _uris:
            ASK_AX.add(ax.AttrInfo(_uri, required=_name in REQUIRED_KEYS))


def autocommit() -> sa.Connection:
    return engine.connect().execution_options(isolation_level="AUTOCOMMIT")


class FloorStore(OpenIDStore):
    """python3-openid's store: associations kept in the process once made (the
    app keeps them in the process too, once found), nonces inserted in the
    app's table, so that an answer used once is refused. One process: its
    associations are not shared, so bench/run.py serves it with one worker."""

    def __init__(self):
        self.associations: dict[str, Association] = {}

    def storeAssociation(self, server_url, association):
        self.associations[server_url] = association

    def getAssociation(self, server_url, handle=None):
        found = self.associations.get(server_url)
        return found if found is not None and handle in (None, found.handle) else None

    def removeAssociation(self, server_url, handle):
        return self.associations.pop(server_url, None) is not None

    def useNonce(self, server_url, timestamp, salt):
        if abs(timestamp - time.time()) > nonce.SKEW:
            return False
        try:
            with autocommit() as connection:
                connection.execute(
                    USE_NONCE, {"server_url": server_url, "timestamp": timestamp, "salt": salt}
                )
        except IntegrityError:
            return False
        return True


store = FloorStore()
# The app's counter of sign-in starts, its one statement (app/ratelimit.py).
RATE_LIMIT = DatabaseStorage()
SIGN_INS_PER_SECOND = 1_000_000  # the benchmark's SIGNIN_RATE_LIMIT
discovered: dict[str, str] = {}


def discover_once(url: str):
    # Each caller endpoints of its own, from JSON as the app's cache keeps
    # them: python3-openid keeps the endpoints it is given.
    if url not in discovered:
        discovered[url] = dump_discovery(0, discover(url))
    return load_discovery(discovered[url])[1]


def consumer() -> Consumer:
    openid = Consumer(JSONSessionWrapper(None), store)
    openid._discover = openid.consumer._discover = discover_once
    return openid


signing_in = flask_app()


add_server_timing(signing_in)


@signing_in.route("/login", methods=["GET", "POST"])
def sign_in():
    if request.args.get("openid_complete") == "yes":
        return complete_sign_in()
    if request.method == "GET":
        return login_page.render(csrf_token=generate_csrf), HEADERS
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        abort(400)
    now = time.time()
    with autocommit() as connection:
        hits = connection.execute(
            RATE_LIMIT.upsert(connection.dialect.name),
            {"key": f"signin:{request.remote_addr}", "amount": 1, "expires": now + 1, "now": now},
        ).scalar_one()
    if hits > SIGN_INS_PER_SECOND:
        abort(429)
    started = consumer().begin(request.form["openid"])
    started.addExtension(ASK_SREG)
    started.addExtension(ASK_AX)
    return redirect(started.redirectURL(request.host_url, request.host_url + RETURN_TO))


def complete_sign_in():
    answer = consumer().complete(request.args.to_dict(), request.host_url + RETURN_TO)
    if answer.status != SUCCESS:
        abort(403)
    now = datetime.now(UTC)
    key = new_key()
    browser, system = device_of(request.user_agent.string[:1000])
    if engine.dialect.name == "postgresql":
        with autocommit() as connection:
            account = connection.execute(
                SIGN_IN_AT_ONCE,
                {"claimed_subject": answer.identity_url, "now": now, "key_hash": key_hash(key),
                 "browser": browser, "system": system, "address": request.remote_addr},
            ).first()  # fmt: skip
        if account is None or not account.active:
            abort(403)
    else:
        with engine.begin() as connection:
            account = connection.execute(
                SEEN_ACCOUNT, {"claimed_subject": answer.identity_url, "now": now}
            ).first()
            if account is None or not account.active:
                abort(403)
            connection.execute(
                _live.insert(),
                {"key_hash": key_hash(key), "user_id": account.id, "way_kind": "openid",
                 "way_name": None, "browser": browser, "system": system,
                 "address": request.remote_addr, "created": now, "last_seen": now,
                 "remembered": False},
            )  # fmt: skip
            connection.execute(USED_IDENTITY, {"claimed_subject": answer.identity_url, "now": now})
            connection.execute(
                _sign_in.insert(),
                {"user_id": account.id, "at": now, "way_kind": "openid", "way_name": None,
                 "address": request.remote_addr},
            )  # fmt: skip
    session.clear()
    session["_user_id"] = key
    return redirect("/index")


signing_in.add_url_rule("/index", view_func=index)
