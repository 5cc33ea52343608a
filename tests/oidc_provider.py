"""An OpenID Connect provider for the tests, which answers wrongly on request.

Discovery, an authorization endpoint that approves at once, a token endpoint
(client secret and PKCE checked), JWKS and UserInfo (its Bearer token
checked), on loopback over real HTTP; ID tokens are signed with joserfc.
``claims`` go in the ID token and in UserInfo, or only in UserInfo when
``claims_in_id_token`` is false, as OpenID Connect Core 5.4 allows.
``mode`` says what goes wrong:

- "ok": nothing.
- "wrong signature": signed by a key that is not published, under the published kid.
- "wrong audience", "wrong issuer", "expired": that claim is wrong.
- "unknown kid": signed under a key id the JWKS does not have.
- "alg none": unsigned, and the discovery document offers "none".
- "replay": the ID token of the previous sign-in again (its nonce is old).
- "no id token": a token response without one.
- "discovery issuer": the discovery document names another issuer.
- "denied": the authorization endpoint answers access_denied.
- "no userinfo": the discovery document names no UserInfo endpoint.
- "userinfo other sub", "userinfo error", "userinfo garbage", "userinfo not an
  object": UserInfo answers for another subject, a 500, an HTML page, a JSON list.
- "userinfo silent": UserInfo never answers (until the provider stops).

``reauth`` says how it answers a request to authenticate again (``prompt=login``
or ``max_age``): "honour" (``auth_time`` now; otherwise that of its standing
session, an hour old), "ignore" (never an ``auth_time``) or "stale" (always its
standing session's). ``authorize_args`` keeps each authorization request.

``iss`` is the RFC 9207 ``iss`` parameter it adds to its authorization
responses (None: none), and ``advertise_iss`` whether its discovery document
says it does.

``redirect_uri``, once set, is the one redirect URI registered for the
client: the authorization endpoint refuses any other, as providers must.
"""

import base64
import functools
import json
import secrets
import threading
import time
from hashlib import sha256
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.wrappers import Request, Response

from .helpers import ServedApp

KID = "test-key"


@functools.cache
def signing_key(role: str) -> RSAKey:
    """The provider's key, or an impostor's: made once for the whole run, since
    a 2048-bit RSA key takes tens of milliseconds and hundreds of tests start a
    provider. Each test's app is new, so none has seen another test's keys."""
    return RSAKey.generate_key(2048, parameters={"kid": KID})


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


class OIDCTestProvider(ServedApp):
    client_id = "microblog"
    client_secret = "secret-for-tests"

    def __init__(self):
        self.key = signing_key("provider")
        self.impostor = signing_key("impostor")
        self.mode = "ok"
        self.subject = "248289761001"
        self.claims = {"preferred_username": "alice", "email": "alice@example.com"}
        self.claims_in_id_token = True
        # What UserInfo answers, if not ``claims``.
        self.userinfo_claims: dict | None = None
        self.access_tokens: set[str] = set()
        self.stopping = threading.Event()
        self.codes: dict[str, dict] = {}
        self.last_id_token = None
        self.hits: list[str] = []
        self.redirect_uri: str | None = None
        self.reauth = "honour"
        self.iss: str | None = None
        self.advertise_iss = False
        # The provider's session id in its ID tokens (None: no sid claim).
        self.sid: str | None = None
        self.session_started = int(time.time()) - 3600
        self.authorize_args: list[dict] = []
        # The query of each request to its end_session_endpoint, and whether
        # its discovery document names one.
        self.logouts: list[dict] = []
        self.end_session = True
        super().__init__()

    def config(self, name="Test SSO", **more) -> dict:
        """The OIDC_PROVIDERS entry for this provider."""
        return {
            **more,
            "name": name,
            "issuer": self.url,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }

    def wsgi(self, environ, start_response):
        request = Request(environ)
        self.hits.append(request.path)
        routes = {
            "/.well-known/openid-configuration": self.discovery,
            "/authorize": self.authorize,
            "/token": self.token,
            "/jwks": self.jwks,
            "/userinfo": self.userinfo,
            "/logout": self.logout,
        }
        handler = routes.get(request.path)
        response = handler(request) if handler else Response("not found", 404)
        return response(environ, start_response)

    def discovery(self, request):
        return self.json(
            {
                "issuer": "https://elsewhere.example"
                if self.mode == "discovery issuer"
                else self.url,
                "authorization_endpoint": self.url + "/authorize",
                "token_endpoint": self.url + "/token",
                "jwks_uri": self.url + "/jwks",
                **({"end_session_endpoint": self.url + "/logout"} if self.end_session else {}),
                **(
                    {}
                    if self.mode == "no userinfo"
                    else {"userinfo_endpoint": self.url + "/userinfo"}
                ),
                "response_types_supported": ["code"],
                **(
                    {"authorization_response_iss_parameter_supported": True}
                    if self.advertise_iss
                    else {}
                ),
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"]
                + (["none"] if self.mode == "alg none" else []),
            }
        )

    def authorize(self, request):
        args = request.args
        self.authorize_args.append(args.to_dict())
        redirect_uri = args["redirect_uri"]
        if self.redirect_uri is not None and redirect_uri != self.redirect_uri:
            # Never redirect to an unregistered URI (OAuth 2.0, 4.1.2.1).
            return Response(f"invalid redirect_uri {redirect_uri}", 400)
        if self.mode == "denied":
            answer = {"error": "access_denied", "state": args["state"]}
        else:
            code = secrets.token_urlsafe(16)
            self.codes[code] = {
                "nonce": args.get("nonce"),
                "redirect_uri": redirect_uri,
                "challenge": args.get("code_challenge"),
                "client_id": args.get("client_id"),
                "auth_time": self.auth_time(args),
            }
            answer = {"code": code, "state": args["state"]}
        if self.iss is not None:
            answer["iss"] = self.iss
        return Response(status=302, headers={"Location": f"{redirect_uri}?{urlencode(answer)}"})

    def auth_time(self, args) -> int | None:
        asked = "login" in args.get("prompt", "").split() or "max_age" in args
        if self.reauth == "ignore":
            return None
        if self.reauth == "honour" and asked:
            return int(time.time())
        return self.session_started

    def token(self, request):
        form = request.form
        auth = request.authorization
        secret = auth.password if auth else form.get("client_secret")
        if secret != self.client_secret:
            return self.json({"error": "invalid_client"}, 401)
        grant = self.codes.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(sha256(verifier.encode()).digest()).rstrip(b"=")
        if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
            return self.json({"error": "invalid_grant"}, 400)
        if challenge.decode() != grant["challenge"]:
            return self.json({"error": "invalid_grant", "error_description": "PKCE"}, 400)
        access_token = secrets.token_urlsafe(16)
        self.access_tokens.add(access_token)
        body = {"access_token": access_token, "token_type": "Bearer", "expires_in": 300}
        if self.mode != "no id token":
            body["id_token"] = self.id_token(grant)
        return self.json(body)

    def id_token(self, grant) -> str:
        if self.mode == "replay" and self.last_id_token:
            return self.last_id_token
        now = int(time.time())
        claims = {
            "iss": self.url,
            "sub": self.subject,
            "aud": grant["client_id"],
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            **({"sid": self.sid} if self.sid else {}),
            **({"auth_time": grant["auth_time"]} if grant.get("auth_time") else {}),
            **(self.claims if self.claims_in_id_token else {}),
        }
        header = {"alg": "RS256", "kid": KID}
        key = self.key
        if self.mode == "wrong audience":
            claims["aud"] = "another-client"
        elif self.mode == "wrong issuer":
            claims["iss"] = "https://elsewhere.example"
        elif self.mode == "expired":
            claims.update(iat=now - 7200, exp=now - 3600)
        elif self.mode == "wrong signature":
            key = self.impostor
        elif self.mode == "unknown kid":
            header["kid"] = "rotated-away"
        elif self.mode == "alg none":
            return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."
        token = jwt.encode(header, claims, key)
        self.last_id_token = token
        return token

    def logout_token(self, key=None, header=None, **claims) -> str:
        """A back-channel logout token for this site: ``claims`` change or
        (as None) remove the standard ones."""
        now = int(time.time())
        standard = {
            "iss": self.url,
            "aud": self.client_id,
            "iat": now,
            "exp": now + 120,
            "jti": secrets.token_urlsafe(16),
            "sub": self.subject,
            "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
        }
        standard.update(claims)
        body = {k: v for k, v in standard.items() if v is not None}
        header = header or {"alg": "RS256", "kid": KID, "typ": "logout+jwt"}
        if header.get("alg") == "none":
            return f"{b64(header)}.{b64(body)}."
        return jwt.encode(header, body, key or self.key)

    def logout(self, request):
        """RP-initiated logout: note the request, send the browser back."""
        self.logouts.append(request.args.to_dict())
        back = request.args.get("post_logout_redirect_uri", "")
        return Response(status=302, headers={"Location": back})

    def userinfo(self, request):
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[len("Bearer ") :] not in self.access_tokens:
            headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
            return Response("", 401, headers=headers)
        if self.mode == "userinfo silent":
            self.stopping.wait(30)
        if self.mode == "userinfo error":
            return self.json({"error": "server_error"}, 500)
        if self.mode == "userinfo garbage":
            return Response("<html>Sign in to continue</html>", mimetype="text/html")
        if self.mode == "userinfo not an object":
            return self.json([["sub", self.subject], ["preferred_username", "alice"]])
        sub = "someone-else" if self.mode == "userinfo other sub" else self.subject
        claims = self.claims if self.userinfo_claims is None else self.userinfo_claims
        return self.json({"sub": sub, **claims})

    def __exit__(self, *exc):
        self.stopping.set()  # let a request that never answers end
        super().__exit__(*exc)

    def jwks(self, request):
        return self.json({"keys": [self.key.as_dict(private=False)]})

    @staticmethod
    def json(data, status=200):
        return Response(json.dumps(data), status, mimetype="application/json")
