"""The built-in OpenID Connect provider, under /dev/oidc/: Authlib's
authorization server with the authorization code flow, PKCE and ID tokens.

For development and tests only: anyone can sign in as anyone, its signing
key and codes live in this process's memory, and its one client is this
site. Mounted only when DEV_OPENID_PROVIDER is on, so production has no
/dev/oidc/ at all.
"""

import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc9207 import IssuerParameter
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.models import AuthorizationCodeMixin
from flask import Blueprint, current_app, jsonify, redirect, render_template, request
from joserfc.jwk import RSAKey

from ..auth.oidc import DEV_KEY
from ..extensions import csrf
from ..i18n import gettext as _
from ..urls import external_url, site_root
from .forms import ApproveForm

bp = Blueprint("devoidc", __name__)

SCOPES = {"openid", "email", "profile"}
CODE_SECONDS = 60
_key_lock = threading.Lock()
_key: RSAKey | None = None


def signing_key() -> RSAKey:
    """This process's ID token signing key, made on first use."""
    global _key
    with _key_lock:
        if _key is None:
            _key = RSAKey.generate_key(2048, private=True, auto_kid=True)
        return _key


def issuer() -> str:
    return external_url("devoidc.index").rstrip("/")


@dataclass
class Person:
    username: str
    email: str | None = None


class Client(ClientMixin):
    """The one client: this site, whose callback for this provider is registered."""

    def get_client_id(self):
        return current_app.config["DEV_OIDC_CLIENT_ID"]

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        return " ".join(s for s in scope.split() if s in SCOPES)

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri == external_url("auth.oidc_callback", key=DEV_KEY)

    def check_client_secret(self, client_secret):
        return hmac.compare_digest(client_secret, current_app.config["DEV_OIDC_CLIENT_SECRET"])

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


@dataclass
class Code(AuthorizationCodeMixin):
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    person: Person
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))
    # This provider keeps no sessions of its own: each approval is one, named
    # in the ID token (sid) for back-channel logout.
    sid: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time


class Codes:
    """Codes issued and not yet used, in memory; each works once, for a minute."""

    def __init__(self):
        self.lock = threading.Lock()
        self.codes: dict[str, tuple[float, Code]] = {}

    def add(self, code: Code) -> None:
        with self.lock:
            now = time.monotonic()
            self.codes = {k: v for k, v in self.codes.items() if v[0] > now}
            self.codes[code.code] = (now + CODE_SECONDS, code)

    def get(self, code: str) -> Code | None:
        with self.lock:
            expires, found = self.codes.get(code, (0, None))
            return found if expires > time.monotonic() else None

    def remove(self, code: Code) -> None:
        with self.lock:
            self.codes.pop(code.code, None)


codes = Codes()


class RequiredCodeChallenge(CodeChallenge):
    """PKCE with S256 from every client, confidential ones too (RFC 9700 2.1.1);
    Authlib's CodeChallenge requires it of public clients only."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if not data.get("code_challenge") or data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("PKCE with S256 is required.")
        super().validate_code_challenge(grant, redirect_uri)


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def save_authorization_code(self, code, request):
        payload = request.payload
        codes.add(
            Code(
                code=code,
                client_id=payload.client_id,
                redirect_uri=payload.redirect_uri,
                scope=payload.scope,
                person=request.user,
                nonce=payload.data.get("nonce"),
                code_challenge=payload.data.get("code_challenge"),
                code_challenge_method=payload.data.get("code_challenge_method"),
            )
        )

    def query_authorization_code(self, code, client):
        found = codes.get(code)
        return found if found and found.client_id == client.get_client_id() else None

    def delete_authorization_code(self, authorization_code):
        codes.remove(authorization_code)

    def authenticate_user(self, authorization_code):
        return authorization_code.person


class IDToken(OpenIDCode):
    def resolve_client_private_key(self, client):
        return signing_key()

    def get_encode_header(self, client):
        return {"alg": "RS256", "kid": signing_key().kid}

    def get_client_claims(self, client):
        return {"iss": issuer(), "aud": [client.get_client_id()], "exp": int(time.time()) + 300}

    def get_authorization_code_claims(self, authorization_code):
        return {
            **super().get_authorization_code_claims(authorization_code),
            "sid": authorization_code.sid,
        }

    def exists_nonce(self, nonce, request):
        return False  # a nonce is the client's to check; codes are single use

    def generate_user_info(self, person, scope):
        info = UserInfo(sub=person.username, preferred_username=person.username)
        if "email" in scope.split() and person.email:
            info["email"] = person.email
        return info


class Issuer(IssuerParameter):
    """RFC 9207: name this provider in every authorization response."""

    def get_issuer(self):
        return issuer()


def authorization_server() -> AuthorizationServer:
    server = current_app.extensions.get("devoidc")
    if server is None:
        server = AuthorizationServer(
            current_app,
            query_client=lambda cid: Client() if cid == Client().get_client_id() else None,
            save_token=lambda token, request: None,  # tokens are not used afterwards
        )
        server.register_grant(CodeGrant, [RequiredCodeChallenge(), IDToken(require_nonce=True)])
        server.register_extension(Issuer())
        current_app.extensions["devoidc"] = server
    return server


@bp.route("/")
def index():
    return render_template("devprovider/oidc.html", title=_("Development OpenID Connect provider"))


@bp.route("/.well-known/openid-configuration")
def configuration():
    return jsonify(
        issuer=issuer(),
        authorization_endpoint=external_url(".authorize"),
        token_endpoint=external_url(".token"),
        jwks_uri=external_url(".jwks"),
        response_types_supported=["code"],
        subject_types_supported=["public"],
        id_token_signing_alg_values_supported=["RS256"],
        scopes_supported=sorted(SCOPES),
        token_endpoint_auth_methods_supported=CodeGrant.TOKEN_ENDPOINT_AUTH_METHODS,
        code_challenge_methods_supported=["S256"],
        authorization_response_iss_parameter_supported=True,
        end_session_endpoint=external_url(".logout"),
        backchannel_logout_supported=True,
        backchannel_logout_session_supported=True,
        claims_supported=["sub", "preferred_username", "email", "sid", "auth_time"],
    )


@bp.route("/jwks")
def jwks():
    return jsonify(keys=[signing_key().as_dict(private=False, use="sig", alg="RS256")])


@bp.route("/authorize", methods=["GET", "POST"])
def authorize():
    """Ask who to sign in as; answer the client with a code, or a refusal."""
    server = authorization_server()
    try:
        grant = server.get_consent_grant(end_user=None)
    except OAuth2Error as error:
        # Not a request this provider can send anyone back from.
        return render_template(
            "devprovider/endpoint.html",
            title=_("Bad OpenID Connect request"),
            error=f"{error.error}: {error.description}",
        ), 400
    form = ApproveForm()
    if request.method == "POST":
        if form.cancel.data:
            return server.create_authorization_response(grant_user=None, grant=grant)
        if form.validate_on_submit():
            person = Person(form.username.data, form.email.data or None)
            return server.create_authorization_response(grant_user=person, grant=grant)
    elif not form.username.data:
        form.username.data = "demo"
    return render_template(
        "devprovider/approve.html",
        title=_("Approve sign-in"),
        form=form,
        action=request.script_root + request.full_path,
        realm=site_root(),
        protocol="OpenID Connect",
        # prompt=login or max_age: asked to sign in again. This provider keeps
        # no session, so every approval is one, and its auth_time says so.
        again="login" in request.values.get("prompt", "").split() or "max_age" in request.values,
    )


@bp.route("/token", methods=["POST"])
def token():
    return authorization_server().create_token_response()


# The client authenticates with its secret; there is no browser session here.
csrf.exempt(token)


@bp.route("/logout")
def logout():
    """RP-initiated logout: end the session the ID token names, tell the
    client by back-channel logout, and send the browser back to it."""
    from joserfc import jwt
    from joserfc.errors import JoseError

    back = request.args.get("post_logout_redirect_uri")
    try:
        hint = jwt.decode(request.args.get("id_token_hint", ""), signing_key(), ["RS256"]).claims
    except (JoseError, ValueError, TypeError):
        hint = {}
    client_id = Client().get_client_id()
    audience = hint.get("aud") if isinstance(hint.get("aud"), list) else [hint.get("aud")]
    if client_id not in audience or back != external_url("auth.login"):
        return render_template(
            "devprovider/endpoint.html",
            title=_("Bad logout request"),
            error=_("The ID token hint or the address to return to is not this site's."),
        ), 400
    send_backchannel_logout(hint.get("sub"), hint.get("sid"))
    return redirect(back)


def send_backchannel_logout(sub: str | None, sid: str | None) -> None:
    """Post a logout token to the client's back-channel logout endpoint."""
    import requests
    from joserfc import jwt

    now = int(time.time())
    claims = {
        "iss": issuer(),
        "aud": Client().get_client_id(),
        "iat": now,
        "exp": now + 120,
        "jti": secrets.token_urlsafe(16),
        "sub": sub,
        "sid": sid,
        "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
    }
    header = {"alg": "RS256", "kid": signing_key().kid, "typ": "logout+jwt"}
    token = jwt.encode(header, {k: v for k, v in claims.items() if v}, signing_key())
    url = external_url("auth.oidc_backchannel_logout", key=DEV_KEY)
    try:
        requests.post(url, data={"logout_token": token}, timeout=5).raise_for_status()
    except requests.RequestException as error:
        current_app.logger.warning("development provider: back-channel logout failed: %r", error)
