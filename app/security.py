"""Response headers that keep pages from being framed, sniffed or leaked."""

from flask import Flask, request
from flask_login import current_user

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


def init_app(app: Flask) -> None:
    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        # OpenID answers travel in URLs (/login?openid.sig=...): never send
        # them to another site as a Referer.
        headers.setdefault("Referrer-Policy", "same-origin")
        if app.config["HSTS_SECONDS"]:
            headers.setdefault("Strict-Transport-Security", f"max-age={app.config['HSTS_SECONDS']}")
        # Keep signed-in pages out of caches, so Back after logout shows nothing.
        if request.endpoint != "static" and current_user.is_authenticated:
            headers["Cache-Control"] = "no-store"
        return response
