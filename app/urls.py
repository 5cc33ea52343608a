"""URLs: row ids in them, where a redirect may go, and this site's public
URLs for providers.

Every absolute URL the site hands out (the OpenID 2.0 realm and return URL,
the OpenID Connect redirect URI, the built-in providers' endpoints and
issuer) is built here, so each carries the site's path prefix once.
"""

from collections.abc import Callable
from functools import lru_cache
from urllib.parse import urlsplit

from flask import Flask, current_app, request, url_for
from werkzeug.routing import IntegerConverter

# Ids are sa.Integer columns: 32 bits on PostgreSQL, 64 on SQLite. An id
# past what the smaller holds names no row on either, and would make the
# database raise instead of finding nothing.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<id:name>``: a row id, 1 to MAX_ID; any other number is a 404."""

    def __init__(self, map, **kwargs):
        super().__init__(map, min=1, max=MAX_ID, **kwargs)


def init_app(app: Flask) -> None:
    # Before the blueprints, whose rules use it.
    app.url_map.converters["id"] = IdConverter
    app.jinja_env.globals["external_url"] = external_url
    app.jinja_env.globals["url_for"] = remembered_url_for(app)


# URLs a worker keeps: a page's own few, times the prefixes it is served under.
REMEMBERED_URLS = 4096


def remembered_url_for(app: Flask) -> Callable[..., str]:
    """``url_for`` for templates, which remembers what it built.

    Every page builds the layout's URLs again (about 25 calls each through
    Flask and Werkzeug's routing). A URL depends only on the endpoint, its
    values and the path prefix the request came under, as long as no
    url_defaults function adds values, which this app has none of. Relative
    endpoints (".name"), Flask's own arguments (``_external`` and the like)
    and values that cannot be a key are built each time.
    """

    @lru_cache(maxsize=REMEMBERED_URLS)
    def built(root_path: str, endpoint: str, values: tuple) -> str:
        return app.url_for(endpoint, **dict(values))

    def template_url_for(endpoint: str, **values) -> str:
        if endpoint[:1] == "." or any(name[:1] == "_" for name in values):
            return app.url_for(endpoint, **values)
        try:
            return built(request.root_path, endpoint, tuple(values.items()))
        # A value that cannot be a key (a list of query values), or no request.
        except (TypeError, RuntimeError):
            return app.url_for(endpoint, **values)

    return template_url_for


def public_origin() -> str:
    """This site's public scheme and host, as ``https://host``.

    From ``SERVER_NAME`` and ``PREFERRED_URL_SCHEME`` when set, never from a
    Host header a client can forge; else from the request, whose host
    ``TRUSTED_HOSTS`` or the reverse proxy (``PROXY_HOPS``) then vouches for.
    Production refuses to start with none of the three.
    """
    server_name = current_app.config.get("SERVER_NAME")
    if not server_name:
        return request.host_url.rstrip("/")
    return f"{current_app.config['PREFERRED_URL_SCHEME']}://{server_name}"


def site_root() -> str:
    """This site's public root URL, its path prefix included, ending in "/"."""
    return f"{public_origin()}{request.script_root}/"


def external_url(endpoint: str, **values) -> str:
    """``url_for(endpoint, **values)`` as an absolute public URL.

    ``url_for`` already starts the path with the prefix the site is served
    under (``SCRIPT_NAME``, or ``X-Forwarded-Prefix`` through ``PROXY_HOPS``).
    """
    return public_origin() + url_for(endpoint, **values)


def id_arg(name: str) -> int | None:
    """The query argument ``name`` as a row id, or None when it is missing or
    not one (out of range included): a bad link shows the first page."""
    value = request.args.get(name, type=int)
    return value if value is not None and 1 <= value <= MAX_ID else None


def safe_next(target: str | None) -> str | None:
    """Return ``target`` if it is a path on this site, else None.

    Browsers read ``//host``, ``/\\host`` and ``\\/host`` as other sites, and
    ignore tabs and newlines inside URLs, so all of those are refused.
    """
    if not target or not target.startswith("/"):
        return None
    if "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return None
    try:
        parts = urlsplit(target)
    except ValueError:  # "/[" and other unparseable URLs
        return None
    if parts.scheme or parts.netloc or target.startswith("//"):
        return None
    return target
