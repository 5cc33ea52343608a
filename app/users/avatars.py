"""Avatars made by the site itself: an identicon from a keyed hash of the
account's id, never from the email (Gravatar's MD5 of the address told every
reader of a page whose address it was, and needed the internet)."""

import hashlib
import hmac
from functools import lru_cache

from flask import Flask, current_app, url_for

TOKEN_LENGTH = 20  # hex digits: 80 bits
GRID = 5  # cells a side; the left half is mirrored onto the right


@lru_cache(maxsize=4096)
def _token(key: str | bytes, user_id: int) -> str:
    key = key.encode() if isinstance(key, str) else key
    digest = hmac.new(key, b"avatar:%d" % user_id, hashlib.sha256).hexdigest()
    return digest[:TOKEN_LENGTH]


def avatar_token(user_id: int) -> str:
    """A name for the account's avatar that says nothing about the account:
    without the secret key, no one can tell whose it is."""
    return _token(current_app.config["SECRET_KEY"], user_id)


def add_template_filter(app: Flask) -> None:
    """``avatar_token`` as the template filter of ``app``, which it reads its
    key from directly: a page of posts asks for a token for each post, and
    ``current_app`` is four Python calls each time."""
    config = app.config
    app.add_template_filter(lambda user_id: _token(config["SECRET_KEY"], user_id), "avatar_token")


def avatar_url(user_id: int) -> str:
    return url_for("users.avatar_image", token=avatar_token(user_id))


def is_token(value: str) -> bool:
    return len(value) == TOKEN_LENGTH and all(c in "0123456789abcdef" for c in value)


def identicon_svg(token: str) -> str:
    """A symmetric 5 x 5 pattern in one colour, both drawn from ``token``."""
    bits = int(token, 16)
    hue = (bits >> 64) % 360  # colour and cells from different bits
    cells = []
    for row in range(GRID):
        for column in range((GRID + 1) // 2):
            bits >>= 1
            if bits & 1:
                cells.append((column, row))
                if column != GRID - 1 - column:
                    cells.append((GRID - 1 - column, row))
    path = "".join(f"M{x} {y}h1v1h-1z" for x, y in cells)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="-0.5 -0.5 6 6" '
        'shape-rendering="crispEdges">'
        '<rect x="-0.5" y="-0.5" width="6" height="6" fill="#f0f2f5"/>'
        f'<path fill="hsl({hue} 55% 45%)" d="{path}"/></svg>'
    )
