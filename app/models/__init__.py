"""Database models, one module per aggregate: the account and the user loader
(user.py), the ways in (identity.py), posts and follows (post.py), rate limit
counts (ratelimit.py). Everything is importable from here."""

from .clock import as_utc, now_utc
from .identity import PASSKEY_NAME_MAX_LENGTH, Identity, Passkey, SignIn, UsedPasskeyChallenge
from .post import POST_MAX_LENGTH, Follow, Post
from .ratelimit import RateLimitCounter
from .user import (
    ABOUT_ME_MAX_LENGTH,
    LAST_SEEN_INTERVAL,
    NICKNAME_MAX_LENGTH,
    SESSION_TOKEN_MAX_LENGTH,
    SIGNED_IN_USER,
    SignedInUser,
    User,
    load_user,
    new_session_token,
)

__all__ = [
    "ABOUT_ME_MAX_LENGTH",
    "LAST_SEEN_INTERVAL",
    "NICKNAME_MAX_LENGTH",
    "PASSKEY_NAME_MAX_LENGTH",
    "POST_MAX_LENGTH",
    "SESSION_TOKEN_MAX_LENGTH",
    "SIGNED_IN_USER",
    "Follow",
    "Identity",
    "Passkey",
    "Post",
    "RateLimitCounter",
    "SignIn",
    "SignedInUser",
    "UsedPasskeyChallenge",
    "User",
    "as_utc",
    "load_user",
    "new_session_token",
    "now_utc",
]
