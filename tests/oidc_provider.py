"""An OpenID Connect provider for the tests, which answers wrongly on request.

Discovery, an authorization endpoint that approves at once, a token endpoint
(client secret and PKCE checked) and JWKS, on loopback over real HTTP; ID
tokens are signed with joserfc. ``mode`` says what goes wrong:

- "ok": nothing.
- "wrong signature": signed by a key that is not published, under the published kid.
- "wrong audience", "wrong issuer", "expired": that claim is wrong.
- "unknown kid": signed under a key id the JWKS does not have.
- "alg none": unsigned, and the discovery document offers "none".
- "replay": the ID token of the previous sign-in again (its nonce is old).
- "no id token": a token response without one.
- "discovery issuer": the discovery document names another issuer.
- "denied": the authorization endpoint answers access_denied.

``redirect_uri``, once set, is the one redirect URI registered for the
client: the authorization endpoint refuses any other, as providers must.
"""

import base64
import json
import secrets
import time
from hashlib import sha256
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.wrappers import Request, Response

from .helpers import ServedApp

KID = "test-key"


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


class OIDCTestProvider(ServedApp):
    client_id = "microblog"
    client_secret = "secret-for-tests"

    def __init__(self):
        self.key = RSAKey.generate_key(2048, parameters={"kid": KID})
        self.impostor = RSAKey.generate_key(2048, parameters={"kid": KID})
        self.mode = "ok"
        self.subject = "248289761001"
        self.claims = {"preferred_username": "alice", "email": "alice@example.com"}
        self.codes: dict[str, dict] = {}
        self.last_id_token = None
        self.hits: list[str] = []
        self.redirect_uri: str | None = None
        super().__init__()

    def config(self, name="Test SSO") -> dict:
        """The OIDC_PROVIDERS entry for this provider."""
        return {
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
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"]
                + (["none"] if self.mode == "alg none" else []),
            }
        )

    def authorize(self, request):
        args = request.args
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
            }
            answer = {"code": code, "state": args["state"]}
        return Response(status=302, headers={"Location": f"{redirect_uri}?{urlencode(answer)}"})

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
        body = {
            "access_token": secrets.token_urlsafe(16),
            "token_type": "Bearer",
            "expires_in": 300,
        }
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
            **self.claims,
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

    def jwks(self, request):
        return self.json({"keys": [self.key.as_dict(private=False)]})

    @staticmethod
    def json(data, status=200):
        return Response(json.dumps(data), status, mimetype="application/json")
