import secrets
from dataclasses import replace
from functools import lru_cache

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from ..extensions import csrf, db, oid, ratelimit
from ..forms import EmptyForm, csrf_token
from ..i18n import gettext as _
from ..i18n import reader
from ..models import SignedInUser, User, Way, now_utc
from ..urls import external_url, safe_next
from . import oidc, passkeys, sessions
from .accounts import (
    Claim,
    clean_email,
    link_identity,
    note_sign_in,
    record_sign_in,
    sign_in,
)
from .fetcher import FetchError
from .forms import LoginForm
from .reauth import PROVING, NotProved, check_proof, mark_proved, pape_auth_time

bp = Blueprint("auth", __name__)


def providers() -> list[dict]:
    """The provider buttons for the login page, the built-in one first."""
    listed = [dict(p) for p in current_app.config["OPENID_PROVIDERS"]]
    if current_app.config["DEV_OPENID_PROVIDER"]:
        url = external_url("devprovider.identifier")
        listed.insert(0, {"name": _("Built-in provider (development)"), "url": url})
    for provider in listed:
        provider["needs_username"] = "{username}" in provider["url"]
    return listed


def count_sign_in_start() -> None:
    """Starting a sign-in or a link costs (a provider is asked): limit it per
    client address; past SIGNIN_RATE_LIMIT, a 429."""
    ratelimit.hit(current_app.config["SIGNIN_RATE_LIMIT"], f"signin:{request.remote_addr}")


@bp.route("/login", methods=["GET", "POST"])
@oid.loginhandler
def login():
    """Show the sign-in form; on submit, send the visitor to their provider."""
    if current_user.is_authenticated:
        return redirect(oid.get_next_url())
    if (page := blank_login_page()) is not None:
        return page
    form = LoginForm()
    # Asked once: Flask-WTF looks at the request again each time.
    submitted = form.is_submitted()
    if submitted:
        # A provider's answer posted back is handled by oid.loginhandler and
        # never reaches here.
        count_sign_in_start()
    if submitted and form.validate():
        session["remember_me"] = form.remember_me.data
        session["openid_identifier"] = form.openid.data
        forget_unfinished()
        return oid.try_login(form.openid.data, ask_for=["nickname", "email"])
    status = 200
    if submitted and form.csrf_token.errors:
        flash(_("The sign-in form expired. Please try again."), "error")
        status = 400
    elif not submitted:
        # After a failed round trip, show what was typed and ticked.
        form.openid.data = session.get("openid_identifier")
        form.remember_me.data = session.get("remember_me", False)
    return render_login_page(form), status


def render_login_page(form: LoginForm, **context) -> str:
    return render_template(
        "auth/login.html",
        title=_("Sign in"),
        form=form,
        providers=providers(),
        oidc_providers=oidc.providers(),
        passkeys_on=passkeys.relying_party() is not None,
        **context,
    )


# A stand-in for the CSRF token in a remembered page: random, so nothing a
# visitor sends can put it into the page.
TOKEN_STAND_IN = secrets.token_hex(16)
BLANK_LOGIN_PAGES = 256  # a worker's: languages times the addresses /login is asked at


def blank_login_page() -> str | None:
    """The login page with a blank form, as nearly every visit asks for it;
    None when this visit is shown more (a message, what was typed before)
    or is a submit.

    That page is the same for each language and address but for the CSRF
    token, yet building and rendering its form was half of /login's time.
    So it is rendered once, with a stand-in for the token, and each visitor's
    own token (Flask-WTF's, in their session as ever) is put in. Not while
    templates reload (development), whose edits must show.
    """
    if (
        request.method != "GET"
        or current_app.jinja_env.auto_reload
        or not {"_flashes", "openid_identifier", "remember_me"}.isdisjoint(session)
    ):
        return None
    pages = current_app.extensions["auth.login_pages"]
    key = (reader().locale, request.scheme, request.host, request.root_path, request.full_path)
    return pages(*key).replace(TOKEN_STAND_IN, csrf_token())


@bp.record_once
def remember_login_pages(state) -> None:
    # Each app its own: a page shows its app's configuration.
    @lru_cache(maxsize=BLANK_LOGIN_PAGES)
    def remembered(*key) -> str:
        # Everything the page shows but its token comes from ``key`` (the
        # language, and the address, which its links and buttons carry)
        # and from the app's configuration.
        return render_login_page(LoginForm(), csrf_token=lambda: TOKEN_STAND_IN)

    state.app.extensions["auth.login_pages"] = remembered


# The provider may POST its signed answer back to /login; that answer is
# verified by python3-openid and bound to this session, and the sign-in form
# checks its own CSRF token.
csrf.exempt(login)


# Set when a signed-in person starts linking another identity from the
# account page: the session token of the account to link it to.
LINK_TO = "link_to"


def forget_unfinished() -> None:
    """A sign-in starts: it is not the end of an abandoned link or proof."""
    session.pop(LINK_TO, None)
    session.pop(PROVING, None)


@oid.after_login
def after_login(resp):
    """An OpenID 2.0 provider has vouched for ``resp.identity_url``."""
    auth_time = pape_auth_time(resp.extensions.get("pape"))
    claim = Claim("openid", "", resp.identity_url, "OpenID", resp.nickname, resp.email, auth_time)
    return complete_sign_in(claim, oid.get_next_url())


def complete_sign_in(claim: Claim, next_url: str):
    """Sign in to the account behind a verified identity, creating it the
    first time; or link the identity, or take it as proof that it is the
    account's owner, if that is what was started."""
    if PROVING in session:
        return complete_proof(claim)
    if LINK_TO in session:
        return complete_link(claim, session.pop(LINK_TO))
    email = clean_email(claim.email)
    if current_app.config["OPENID_REQUIRE_EMAIL"] and email is None:
        flash(_("Invalid login: this site needs an email address from your provider."), "error")
        return redirect(url_for("auth.login"))
    remember = bool(session.get("remember_me"))
    signed_in = sign_in(replace(claim, email=email), remember)
    if signed_in is None:
        flash(_("This account has been disabled. Contact the site's administrators."), "error")
        return redirect(url_for("auth.login"))
    log_in(signed_in, remember)
    return redirect(next_url)


def log_in(signed_in: SignedInUser, remember: bool) -> None:
    """Sign the browser in to the live session just started and committed."""
    # Start from an empty session: nothing planted before sign-in survives it.
    session.clear()
    login_user(signed_in, remember=remember)
    mark_proved()


# Where to land after an OpenID Connect sign-in (the OpenID 2.0 path keeps
# ``next`` in its return URL instead).
OIDC_NEXT = "oidc_next"


@bp.route("/login/oidc/<key>", methods=["POST"])
def oidc_login(key: str):
    """An OpenID Connect button on the login page: off to the provider."""
    provider = oidc.find_provider(key) or abort(404)
    count_sign_in_start()
    forget_unfinished()
    # The login form's checkbox (CSRFProtect has checked the form's token).
    session["remember_me"] = bool(request.form.get("remember_me"))
    session[OIDC_NEXT] = oid.get_next_url()
    return start_oidc(provider, url_for("auth.login"))


def start_oidc(provider: oidc.Provider, back: str, **params):
    """Redirect to ``provider``; if it cannot be reached, back to ``back`` with why.

    ``params`` go in the authorization request (``prompt``, ``max_age``).
    """
    try:
        return oidc.start(provider, **params)
    except oidc.SignInFailed as failure:
        flash(str(failure), "error")
        return redirect(back)


@bp.route("/login/oidc/<key>/callback")
def oidc_callback(key: str):
    """The provider sends the browser back here with a code, or an error."""
    provider = oidc.find_provider(key) or abort(404)
    try:
        claims, id_token = oidc.finish(provider)
    except oidc.SignInFailed as failure:
        flash(str(failure), "error")
        session.pop(LINK_TO, None)
        proving = session.pop(PROVING, None) is not None
        if current_user.is_anonymous:
            return redirect(url_for("auth.login"))
        return redirect(url_for("account.reauthenticate" if proving else "account.index"))
    # Claims are JSON: only strings are taken as names and addresses.
    text = {k: v for k, v in claims.items() if isinstance(v, str)}
    email = text.get("email") if claims.get("email_verified") is not False else None
    nickname = text.get("preferred_username") or text.get("nickname") or text.get("name")
    sid = text.get("sid") if len(text.get("sid", "")) <= 255 else None
    claim = Claim(
        "oidc", provider.issuer, claims["sub"], provider.configured_name, nickname, email,
        claims.get("auth_time"), sid, id_token,
    )  # fmt: skip
    return complete_sign_in(claim, session.pop(OIDC_NEXT, None) or url_for("main.index"))


def complete_proof(claim: Claim):
    """Take a verified identity as proof that the signed-in person owns the
    account, if it is the account's and the provider asked them again."""
    proving = session.pop(PROVING)
    owner = claim.owner()
    try:
        check_proof(proving, owner and owner.id, claim.kind, claim.auth_time, claim.way.words())
    except NotProved as failure:
        flash(str(failure), "error")
        if current_user.is_anonymous:
            return redirect(url_for("auth.login"))
        return redirect(url_for("account.reauthenticate"))
    mark_proved()
    record_sign_in(current_user.id, claim, request.remote_addr)
    return redirect(url_for("account.resume"))


@bp.route("/login/passkey/options", methods=["POST"])
def passkey_options():
    """What the browser needs to ask for any passkey of this site (the
    passkey says whose it is)."""
    rp = passkeys.relying_party()
    if rp is None:
        return jsonify(error=passkeys.unavailable()), 400
    return current_app.response_class(
        passkeys.authentication_options("sign in", rp), mimetype="application/json"
    )


@bp.route("/login/passkey", methods=["POST"])
def passkey_login():
    """Sign in to the account that owns the passkey the browser answered with.

    A passkey never makes an account: only a provider's first sign-in does.
    """
    if current_user.is_authenticated:
        return redirect(oid.get_next_url())
    rp = passkeys.relying_party()
    if rp is None:
        flash(passkeys.unavailable(), "error")
        return redirect(url_for("auth.login"))
    count_sign_in_start()
    try:
        passkey = passkeys.verify_authentication("sign in", request.form.get("credential"), rp)
    except passkeys.PasskeyFailed as failure:
        flash(str(failure), "error")
        return redirect(url_for("auth.login", next=safe_next(request.args.get("next"))))
    user = db.session.get(User, passkey.user_id)
    if not user.is_active:
        db.session.rollback()
        flash(_("This account has been disabled. Contact the site's administrators."), "error")
        return redirect(url_for("auth.login"))
    forget_unfinished()
    user.last_seen = now_utc()  # a sign-in is being seen
    way, remember = Way("passkey", passkey.name), bool(request.form.get("remember_me"))
    signed_in = sessions.start(user, way, remember)
    note_sign_in(user.id, way, request.remote_addr)  # with the passkey's new count
    log_in(signed_in, remember)
    return redirect(oid.get_next_url())


@bp.route("/login/oidc/<key>/backchannel-logout", methods=["POST"])
@csrf.exempt  # the provider posts here, server to server
def oidc_backchannel_logout(key: str):
    """OpenID Connect Back-Channel Logout 1.0: the provider says a session of
    its has ended; end this site's sessions that came from it. 200, or 400
    with no detail for anything that does not verify."""
    provider = oidc.find_provider(key)
    headers = {"Cache-Control": "no-store"}
    try:
        if provider is None:
            raise oidc.LogoutTokenRefused("no such provider")
        claims = oidc.verify_logout_token(provider, request.form.get("logout_token"))
        sessions.use_logout_token(provider.issuer, claims["jti"])
    except (oidc.LogoutTokenRefused, oidc.SignInFailed, FetchError) as refused:
        current_app.logger.info("back-channel logout from %s refused: %s", key, refused)
        return "", 400, headers
    except Exception:  # the provider unreachable for its keys, say
        current_app.logger.warning("back-channel logout from %s failed", key, exc_info=True)
        return "", 400, headers
    ended = sessions.end_provider_sessions(provider.issuer, claims.get("sub"), claims.get("sid"))
    db.session.commit()
    current_app.logger.info("back-channel logout from %s ended %d sessions", key, ended)
    return "", 200, headers


def link_message(outcome: str, provider: str) -> tuple[str, str]:
    """What to say of ``link_identity``'s ``outcome``, and the flash category."""
    return {
        "linked": (
            _("%(provider)s identity linked. You can now sign in with it too.", provider=provider),
            "info",
        ),
        "already linked": (_("That identity is already linked to your account."), "info"),
        "taken": (
            _(
                "That identity signs in to another account, so it was not linked. Sign in with "
                "it and delete that account first if you want to move it here."
            ),
            "error",
        ),
    }[outcome]


def complete_link(claim: Claim, token: str):
    """Link a verified identity to the signed-in account that asked for it."""
    if not current_user.is_authenticated or current_user.get_id() != token:
        flash(_("You were signed out before the link finished. Sign in and try again."), "error")
        return redirect(url_for("auth.login"))
    outcome = link_identity(db.session.get(User, current_user.id), claim)
    flash(*link_message(outcome, claim.way.words()))
    return redirect(url_for("account.index"))


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """Sign out on POST; a GET only asks for confirmation."""
    if current_user.is_anonymous:
        return redirect(url_for("auth.login"))
    form = EmptyForm()
    if form.validate_on_submit():
        ended = sessions.end(current_user.get_id())
        db.session.commit()
        logout_user()
        flash(_("You have been signed out."), "info")
        at_provider = ended and oidc.provider_logout_url(ended.oidc_issuer, ended.id_token)
        return redirect(at_provider or url_for("auth.login"))
    return render_template("auth/logout.html", title=_("Sign out"), form=form)
