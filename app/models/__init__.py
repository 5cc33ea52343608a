"""Database models, one module per aggregate: the account (user.py), the ways
in (identity.py), where it is signed in and the user loader (live_session.py),
posts and follows (post.py), rate limit counts (ratelimit.py). Everything is
importable from here."""

from .clock import as_utc, now_utc
from .identity import (
    PASSKEY_NAME_MAX_LENGTH,
    WAY_NAME_MAX_LENGTH,
    Identity,
    Passkey,
    SignIn,
    UsedLogoutToken,
    UsedPasskeyChallenge,
    Way,
)
from .live_session import DEVICE_MAX_LENGTH, SIGNED_IN_USER, LiveSession, load_user
from .post import POST_MAX_LENGTH, Follow, Post
from .ratelimit import RateLimitCounter
from .user import (
    ABOUT_ME_MAX_LENGTH,
    LAST_SEEN_INTERVAL,
    NICKNAME_MAX_LENGTH,
    SignedInUser,
    User,
)

__all__ = [
    "ABOUT_ME_MAX_LENGTH",
    "DEVICE_MAX_LENGTH",
    "LAST_SEEN_INTERVAL",
    "NICKNAME_MAX_LENGTH",
    "PASSKEY_NAME_MAX_LENGTH",
    "POST_MAX_LENGTH",
    "WAY_NAME_MAX_LENGTH",
    "SIGNED_IN_USER",
    "Follow",
    "Identity",
    "LiveSession",
    "Passkey",
    "Post",
    "RateLimitCounter",
    "SignIn",
    "SignedInUser",
    "UsedLogoutToken",
    "UsedPasskeyChallenge",
    "User",
    "Way",
    "as_utc",
    "load_user",
    "now_utc",
]
