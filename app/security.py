"""Response headers that keep pages from being framed, sniffed or leaked;
the signed session cookie; and, when SERVER_TIMING is on, where a request's
time went."""

import hashlib
import hmac
import time

from flask import Flask, g, request, session
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import Signer, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.signer import HMACAlgorithm

# Scripts and styles only from static files of this site, so injected markup
# cannot run. No form-action: the sign-in form redirects to the provider, and
# browsers apply form-action to that redirect too.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
    ]
)


SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    # OpenID answers travel in URLs (/login?openid.sig=...): never send them
    # to another site as a Referer.
    ("Referrer-Policy", "same-origin"),
)

# Responses the same for every visitor, which caches may keep.
SHARED_ENDPOINTS = {"static", "users.avatar_image"}


class OneShotHMAC(HMACAlgorithm):
    """itsdangerous' HMAC made by ``hmac.digest``, one call into OpenSSL for
    a hashlib digest, where ``hmac.new`` builds an object: 24 calls fewer."""

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        return hmac.digest(key, value, self.digest_method)


class KeptKeySigner(TimestampSigner):
    """itsdangerous' timestamp signer, each key's HMAC key derived once: it
    derives it again for every signature it makes or checks (26 calls)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.derived: dict[bytes | None, bytes] = {}
        if type(self.algorithm) is HMACAlgorithm:
            self.algorithm = OneShotHMAC(self.digest_method)

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        try:
            return self.derived[secret_key]
        except KeyError:
            # The same bytes whichever thread writes first.
            key = self.derived[secret_key] = super().derive_key(secret_key)
            return key


class KeptSignerSerializer(URLSafeTimedSerializer):
    """itsdangerous' URL-safe timed serializer, its signer made once for each
    salt: itsdangerous makes a new one (and so derives its key) for every
    value it signs or opens. The session cookie's and the CSRF token's."""

    default_signer = KeptKeySigner

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.signers: dict[str | bytes | None, Signer] = {}

    def make_signer(self, salt: str | bytes | None = None) -> Signer:
        try:
            return self.signers[salt]
        except KeyError:
            signer = self.signers[salt] = super().make_signer(salt)
            return signer


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, its serializer made once for each set
    of keys: Flask makes it again to open and to save every session, 45 to
    90 Python calls a request."""

    # Flask's SHA-1, but hashlib's own function, which ``hmac.digest`` hands
    # to OpenSSL; Flask wraps it in Python only to defer the lookup.
    digest_method = staticmethod(hashlib.sha1)

    def __init__(self):
        self.serializers: dict[tuple, URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        try:
            return self.serializers[keys]
        except KeyError:
            serializer = self.serializers[keys] = self.make_serializer(app)
            return serializer

    def make_serializer(self, app: Flask) -> KeptSignerSerializer | None:
        flasks = super().get_signing_serializer(app)  # Flask's keys, salt and signer options
        if flasks is None:
            return None
        return KeptSignerSerializer(
            flasks.secret_keys,
            salt=flasks.salt,
            serializer=flasks.serializer,
            signer_kwargs=flasks.signer_kwargs,
        )


def add_server_timing(app: Flask) -> None:
    """Time each request in a Server-Timing header: the app's own time, and the
    time and count of outgoing requests (OpenID discovery and verification) it
    waited on. The benchmark reads it, from the app and from its floor alike."""

    @app.before_request
    def start_timer():
        g.started = time.perf_counter()

    @app.after_request
    def server_timing(response):
        total = (time.perf_counter() - g.started) * 1000
        fetch = g.get("fetch_seconds", 0.0) * 1000
        response.headers["Server-Timing"] = (
            f'app;dur={total - fetch:.2f}, fetch;dur={fetch:.2f};desc="{g.get("fetches", 0)}"'
        )
        return response


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
    if app.config["SERVER_TIMING"]:
        add_server_timing(app)

    defaults = list(SECURITY_HEADERS)
    if app.config["HSTS_SECONDS"]:
        defaults.append(("Strict-Transport-Security", f"max-age={app.config['HSTS_SECONDS']}"))

    @app.after_request
    def security_headers(response):
        headers = response.headers
        # Each header unless the view set its own. One pass over what is set:
        # Werkzeug's Headers.setdefault scans and lower-cases for each.
        present = {name.lower() for name, _ in headers}
        for name, value in defaults:
            if name.lower() not in present:
                headers.add(name, value)
        # Keep signed-in pages out of caches, so Back after logout shows nothing.
        # Judged by the cookies, not current_user: no database query here, so
        # this works for every response, a 503 during an outage included.
        if request.endpoint not in SHARED_ENDPOINTS and signed_in_cookies(app):
            headers["Cache-Control"] = "no-store"
        return response


def signed_in_cookies(app: Flask) -> bool:
    """Whether the request carries a session or remember cookie naming a user."""
    remember_cookie = app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    return "_user_id" in session or remember_cookie in request.cookies
