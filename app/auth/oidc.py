"""OpenID Connect sign-in: Authlib's Flask client, one per provider.

Authlib does the protocol: the authorization code flow with PKCE, ``state``
kept in the session and checked, a ``nonce`` per sign-in, and the ID token's
signature (against the provider's JWKS), issuer, audience, expiry and nonce.
This module adds what a site needs around it: providers from configuration,
the discovery document's issuer checked against the configured one, no
unsigned tokens even if a provider offers them, the UserInfo endpoint asked
for the names and email an ID token may leave out, and every failure turned
into a sentence for the login page.

Authlib (with requests, joserfc and cryptography, about 10 MB per worker)
is imported only once a provider is used, so a site without OpenID Connect
does not carry it.
"""

import re
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

from flask import Flask, current_app

from ..i18n import gettext as _
from ..models import WAY_NAME_MAX_LENGTH, Way
from ..urls import external_url
from .fetcher import FetchError, gate

DEFAULT_SCOPES = "openid email profile"
LOGOUT_CHOICES = ("local", "provider")
DEV_KEY = "dev"


class OIDCConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Provider:
    key: str
    name: str
    issuer: str
    client_id: str
    client_secret: str
    scopes: str = DEFAULT_SCOPES
    # "provider": Logout also ends the session at the provider (RP-initiated
    # logout), when it publishes end_session_endpoint; "local": only here.
    logout: str = "local"

    @property
    def configured_name(self) -> str | None:
        """The name kept with its identities and sign-ins: none for the
        built-in provider, which each reader sees named in their language."""
        return None if self.key == DEV_KEY else self.name

    @property
    def metadata_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


class SignInFailed(Exception):
    """An OpenID Connect sign-in did not verify; the message says why, for people."""


def parse_providers(entries) -> list[Provider]:
    """Read OIDC_PROVIDERS; raise OIDCConfigError naming what is wrong."""
    providers = []
    for entry in entries or ():
        missing = [k for k in ("name", "issuer", "client_id", "client_secret") if not entry.get(k)]
        if missing:
            raise OIDCConfigError(f"OIDC_PROVIDERS entry {entry!r} lacks {', '.join(missing)}")
        key = entry.get("key") or re.sub(r"[^a-z0-9]+", "-", entry["name"].lower()).strip("-")
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", key) or key == DEV_KEY:
            raise OIDCConfigError(f"OIDC_PROVIDERS: {key!r} cannot be a provider key")
        if len(entry["name"]) > WAY_NAME_MAX_LENGTH:
            raise OIDCConfigError(f"OIDC_PROVIDERS: the name of {key} is too long")
        if not entry["issuer"].startswith(("https://", "http://")) or len(entry["issuer"]) > 255:
            raise OIDCConfigError(f"OIDC_PROVIDERS: the issuer of {key} must be a URL")
        scopes = entry.get("scopes") or DEFAULT_SCOPES
        if "openid" not in scopes.split():
            scopes = "openid " + scopes
        logout = entry.get("logout") or "local"
        if logout not in LOGOUT_CHOICES:
            raise OIDCConfigError(
                f"OIDC_PROVIDERS: the logout of {key} must be one of {LOGOUT_CHOICES}"
            )
        providers.append(
            Provider(key, entry["name"], entry["issuer"], entry["client_id"],
                     entry["client_secret"], scopes, logout)
        )  # fmt: skip
    keys = [p.key for p in providers]
    if len(keys) != len(set(keys)):
        raise OIDCConfigError("OIDC_PROVIDERS: two providers have the same key")
    return providers


def init_app(app: Flask) -> None:
    parse_providers(app.config["OIDC_PROVIDERS"])  # fail at start, not at sign-in


def configured_providers() -> list[Provider]:
    """OIDC_PROVIDERS, parsed once for as long as the setting stays the same."""
    entries = current_app.config["OIDC_PROVIDERS"]
    cached = current_app.extensions.get("oidc_providers")
    if cached is None or cached[0] is not entries:
        cached = current_app.extensions["oidc_providers"] = (entries, parse_providers(entries))
    return cached[1]


def providers() -> list[Provider]:
    """The providers to offer, the built-in one first when it is on."""
    listed = list(configured_providers())
    if current_app.config["DEV_OPENID_PROVIDER"]:
        listed.insert(0, dev_provider())
    return listed


def dev_provider() -> Provider:
    # The built-in provider lives on this site, so its issuer is this site's.
    issuer = external_url("devoidc.index").rstrip("/")
    return Provider(
        DEV_KEY,
        Way("oidc").words(),
        issuer,
        current_app.config["DEV_OIDC_CLIENT_ID"],
        current_app.config["DEV_OIDC_CLIENT_SECRET"],
        logout="provider",  # so that make run shows RP-initiated logout
    )


def find_provider(key: str) -> Provider | None:
    return next((p for p in providers() if p.key == key), None)


def client(provider: Provider):
    """Authlib's client for ``provider``, made once per issuer."""
    from authlib.integrations.flask_client import OAuth

    registry = current_app.extensions.get("authlib.integrations.flask_client") or OAuth(
        current_app._get_current_object()
    )
    # The issuer is part of the name: the state Authlib keeps in the session
    # is then bound to one issuer, and the built-in provider's issuer follows
    # the host it is reached on.
    name = f"{provider.key}@{provider.issuer}"
    return registry.create_client(name) or registry.register(
        name,
        client_cls=gated_app_class(),
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        server_metadata_url=provider.metadata_url,
        client_kwargs={
            "scope": provider.scopes,
            "code_challenge_method": "S256",
            "default_timeout": current_app.config["OIDC_TIMEOUT"],
        },
    )


@cache
def gated_app_class():
    """Authlib's Flask client whose every HTTP request (discovery, keys, token,
    UserInfo) takes a place at the fetcher's gate, as OpenID 2.0 fetches do:
    the same caps per host and in all, the same Server-Timing count."""
    from authlib.integrations.flask_client import FlaskOAuth2App
    from authlib.integrations.requests_client import OAuth2Session
    from requests.adapters import HTTPAdapter

    class GatedAdapter(HTTPAdapter):
        def send(self, request, *args, **kwargs):
            with gate.place(urlsplit(request.url).hostname or ""):
                return super().send(request, *args, **kwargs)

    class GatedSession(OAuth2Session):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            adapter = GatedAdapter()
            self.mount("https://", adapter)
            self.mount("http://", adapter)

    class GatedApp(FlaskOAuth2App):
        client_cls = GatedSession

    return GatedApp


def metadata(provider: Provider) -> dict:
    """The provider's discovery document, checked.

    Its issuer must be the configured one (OpenID Connect Discovery 4.3), so
    one provider cannot pose as another; and "none" is struck from the
    signing algorithms, so an unsigned ID token is never accepted.
    """
    data = client(provider).load_server_metadata()
    if data.get("issuer") != provider.issuer:
        raise SignInFailed(
            _(
                "%(provider)s is not set up correctly: its discovery document names "
                "another issuer. You were not signed in.",
                provider=provider.name,
            )
        )
    algorithms = data.get("id_token_signing_alg_values_supported") or ["RS256"]
    data["id_token_signing_alg_values_supported"] = [
        a for a in algorithms if str(a).lower() != "none"
    ] or ["RS256"]
    return data


def start(provider: Provider, **params):
    """Redirect to the provider's authorization endpoint, with ``params``
    (``prompt``, ``max_age``) in the request."""
    import requests

    try:
        metadata(provider)
        redirect_uri = external_url("auth.oidc_callback", key=provider.key)
        return client(provider).authorize_redirect(redirect_uri, **params)
    except SignInFailed:
        raise
    except FetchError as error:  # the gate turned it away: say so at once
        raise SignInFailed(str(error)) from None
    except (requests.RequestException, ValueError, KeyError, RuntimeError) as error:
        current_app.logger.warning("OpenID Connect: %s did not answer: %s", provider.key, error)
        raise SignInFailed(
            _("Could not reach %(provider)s. Try again later.", provider=provider.name)
        ) from None


def finish(provider: Provider) -> tuple[dict, str]:
    """Verify the provider's answer; return the ID token's claims, and the
    ID token itself (the hint for the provider's logout)."""
    import requests
    from authlib.integrations.flask_client import OAuthError
    from joserfc.errors import JoseError

    try:
        check_issuer_parameter(provider, metadata(provider))
        token = client(provider).authorize_access_token()
    except SignInFailed:
        raise
    except FetchError as error:
        raise SignInFailed(str(error)) from None
    except OAuthError as error:
        raise SignInFailed(failure_message(provider, error)) from None
    except JoseError as error:
        current_app.logger.warning("OpenID Connect: %s ID token refused: %r", provider.key, error)
        raise SignInFailed(
            _(
                "%(provider)s's answer could not be verified, so you were not signed in.",
                provider=provider.name,
            )
        ) from None
    except (requests.RequestException, ValueError, KeyError, RuntimeError) as error:
        current_app.logger.warning("OpenID Connect: %s failed: %r", provider.key, error)
        raise SignInFailed(
            _("%(provider)s did not complete the sign-in. Try again later.", provider=provider.name)
        ) from None
    claims = token.get("userinfo")
    if not claims:
        raise SignInFailed(
            _("%(provider)s sent no ID token, so you were not signed in.", provider=provider.name)
        )
    sub = claims.get("sub")
    # OpenID Connect Core 2: a case-sensitive string of at most 255 ASCII characters.
    if not isinstance(sub, str) or not 0 < len(sub) <= 255 or not sub.isascii():
        raise SignInFailed(
            _(
                "%(provider)s sent an unusable identity, so you were not signed in.",
                provider=provider.name,
            )
        )
    claims = dict(claims)
    if lacks_profile(provider, claims):
        claims = with_userinfo(claims, userinfo(provider, token, sub))
    return claims, token["id_token"]


def check_issuer_parameter(provider: Provider, data: dict) -> None:
    """RFC 9207: the authorization response's ``iss`` must be the provider's
    issuer, and must be there when the provider says it sends one. Otherwise
    the answer may be another provider's, mixed up with this one's."""
    from flask import request

    iss = request.args.get("iss")
    advertised = data.get("authorization_response_iss_parameter_supported") is True
    if (advertised and iss is None) or (iss is not None and iss != provider.issuer):
        current_app.logger.warning("OpenID Connect: %s answered with iss %r", provider.key, iss)
        raise SignInFailed(
            _(
                "That answer did not come from %(provider)s, so you were not signed in.",
                provider=provider.name,
            )
        )


NAME_CLAIMS = ("preferred_username", "nickname", "name")


def lacks_profile(provider: Provider, claims: dict) -> bool:
    """Whether the ID token lacks a name or email its scopes asked for.

    OpenID Connect Core 5.4 lets a provider answer those scopes in UserInfo alone.
    """
    scopes = provider.scopes.split()
    no_name = not any(isinstance(claims.get(c), str) for c in NAME_CLAIMS)
    no_email = not isinstance(claims.get("email"), str)
    return ("profile" in scopes and no_name) or ("email" in scopes and no_email)


def userinfo(provider: Provider, token: dict, sub: str) -> dict:
    """The provider's UserInfo claims for ``sub``, or {} when it has none to give.

    Asked through Authlib's client, with the access token. An answer for
    another subject is not used (OpenID Connect Core 5.3.2); a failure costs
    only the names and email, never the sign-in.
    """
    import requests
    from authlib.integrations.flask_client import OAuthError

    endpoint = client(provider).load_server_metadata().get("userinfo_endpoint")
    if not isinstance(endpoint, str) or not isinstance(token.get("access_token"), str):
        return {}
    try:
        response = client(provider).get(endpoint, token=token)
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError, OAuthError, FetchError) as error:
        current_app.logger.warning("OpenID Connect: %s UserInfo failed: %r", provider.key, error)
        return {}
    if not isinstance(data, dict) or data.get("sub") != sub:
        current_app.logger.warning("OpenID Connect: %s UserInfo is not for %r", provider.key, sub)
        return {}
    return data


def with_userinfo(claims: dict, info: dict) -> dict:
    """The ID token's claims, with the names and email it lacks taken from UserInfo."""
    merged = dict(claims)
    for name in NAME_CLAIMS:
        if not isinstance(merged.get(name), str) and isinstance(info.get(name), str):
            merged[name] = info[name]
    if not isinstance(merged.get("email"), str) and isinstance(info.get("email"), str):
        # An address and whether it is verified come together, from one answer.
        merged["email"] = info["email"]
        merged.pop("email_verified", None)
        if "email_verified" in info:
            merged["email_verified"] = info["email_verified"]
    return merged


def failure_message(provider: Provider, error) -> str:
    """Say why ``error`` (Authlib's OAuthError) ended the sign-in."""
    if error.error == "mismatching_state":
        return _("That sign-in was not started in this browser, or it expired. Please try again.")
    if error.error == "access_denied":
        return _("You cancelled the sign-in at %(provider)s.", provider=provider.name)
    return _(
        "%(provider)s refused the sign-in (%(error)s). Please try again.",
        provider=provider.name,
        error=error.error,
    )


BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
# How old a logout token may be (its iat), and how far ahead clocks may be.
LOGOUT_TOKEN_SECONDS = 300
CLOCK_SKEW_SECONDS = 60


class LogoutTokenRefused(Exception):
    """A back-channel logout token that does not verify (the reason is logged only)."""


def verify_logout_token(provider: Provider, value: str) -> dict:
    """Check a back-channel logout token as OpenID Connect Back-Channel Logout
    1.0 (2.6) says; return its claims.

    The signature against the provider's JWKS (fetched again for a key id it
    lacks, not for a bad signature, so forged tokens cost the provider
    nothing), no "none"; ``iss``, ``aud``; ``iat`` recent; ``exp`` if
    present; ``jti``; the back-channel event; ``sub`` or ``sid``; no
    ``nonce``. That ``jti`` was not used before is the caller's to record.
    """
    import time

    from joserfc import jwt
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet
    from joserfc.jws import extract_compact

    if not isinstance(value, str) or not 0 < len(value) <= 16_000:
        raise LogoutTokenRefused("no token")
    algorithms = metadata(provider)["id_token_signing_alg_values_supported"]
    app = client(provider)
    try:
        kid = extract_compact(value.encode()).headers().get("kid")
        keys = KeySet.import_key_set(app.fetch_jwk_set())
        if kid is not None and kid not in {k.kid for k in keys.keys}:
            keys = KeySet.import_key_set(app.fetch_jwk_set(force=True))
        token = jwt.decode(value, keys, algorithms)
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise LogoutTokenRefused(f"signature: {error!r}") from None
    claims, now = token.claims, time.time()
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    events = claims.get("events")
    problems = {
        "iss": claims.get("iss") != provider.issuer,
        "aud": provider.client_id not in audiences,
        "iat": not isinstance(claims.get("iat"), int | float)
        or not now - LOGOUT_TOKEN_SECONDS <= claims["iat"] <= now + CLOCK_SKEW_SECONDS,
        "exp": "exp" in claims
        and (
            not isinstance(claims["exp"], int | float) or claims["exp"] < now - CLOCK_SKEW_SECONDS
        ),
        "jti": not isinstance(claims.get("jti"), str) or not 0 < len(claims["jti"]) <= 255,
        "events": not isinstance(events, dict)
        or not isinstance(events.get(BACKCHANNEL_EVENT), dict),
        "nonce": "nonce" in claims,
        "sub or sid": not any(isinstance(claims.get(c), str) for c in ("sub", "sid")),
        "sub": "sub" in claims and not isinstance(claims["sub"], str),
        "sid": "sid" in claims and not isinstance(claims["sid"], str),
    }
    if wrong := [name for name, bad in problems.items() if bad]:
        raise LogoutTokenRefused(", ".join(wrong))
    return claims


def provider_logout_url(issuer: str | None, id_token: str | None) -> str | None:
    """Where Logout sends the browser after ending the session here: the
    provider's end_session_endpoint (RP-initiated logout 1.0), with the ID
    token as hint and /login to come back to; None to stay here (a provider
    set to "local", one without the endpoint, or one that cannot be reached)."""
    from urllib.parse import urlencode

    provider = next((p for p in providers() if p.issuer == issuer), None)
    if provider is None or provider.logout != "provider" or not id_token:
        return None
    try:
        endpoint = metadata(provider).get("end_session_endpoint")
    except Exception as error:  # unreachable: the sign-out here still holds
        current_app.logger.warning("OpenID Connect: %s logout skipped: %r", provider.key, error)
        return None
    if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")):
        return None
    query = urlencode(
        {
            "id_token_hint": id_token,
            "post_logout_redirect_uri": external_url("auth.login"),
            "client_id": provider.client_id,
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"
