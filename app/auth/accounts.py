"""Finding and creating the account behind a verified OpenID."""

import re
import secrets
import unicodedata
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from .. import db
from ..models import NICKNAME_MAX_LENGTH, User

FALLBACK_NICKNAME = "user"
EMAIL_RE = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")


def clean_nickname(value: str | None) -> str:
    """Reduce ``value`` to letters, digits, ``_``, ``.`` and ``-``; maybe empty."""
    if not value:
        return ""
    ascii_value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "", ascii_value.replace(" ", "_"))
    return cleaned.strip("._-")[:NICKNAME_MAX_LENGTH]


def clean_email(value: str | None) -> str | None:
    """Return the provider's email if it looks like one, else None."""
    if not value:
        return None
    value = value.strip()
    if len(value) > 254 or not EMAIL_RE.match(value):
        return None
    return value


def nickname_from(nickname: str | None, email: str | None, identity_url: str) -> str:
    """Pick a nickname: the provider's, else the email's local part, else
    the identity URL's last path segment or host."""
    parts = urlsplit(identity_url)
    segments = [s for s in parts.path.split("/") if s]
    candidates = [nickname, email.split("@", 1)[0] if email else None]
    candidates += [segments[-1] if segments else None, parts.hostname]
    for candidate in candidates:
        if cleaned := clean_nickname(candidate):
            return cleaned
    return FALLBACK_NICKNAME


def unique_nickname(base: str) -> str:
    """Return ``base`` if free, else the first free ``base-2``, ``base-3``..."""
    # Room for a six-digit suffix, so a long base still fits the column.
    stem = base[: NICKNAME_MAX_LENGTH - 7]
    taken = set(
        db.session.scalars(
            sa.select(User.nickname).where(
                sa.or_(User.nickname == base, User.nickname.startswith(f"{stem}-", autoescape=True))
            )
        )
    )
    if base not in taken:
        return base
    suffix = 2
    while f"{stem}-{suffix}" in taken:
        suffix += 1
    return f"{stem}-{suffix}"


def random_nickname(base: str) -> str:
    """``base`` with a random suffix, for when the next free one keeps being taken."""
    return f"{base[: NICKNAME_MAX_LENGTH - 8]}-{secrets.randbelow(10**6)}"


def find_or_create_user(identity_url: str, nickname: str | None, email: str | None) -> User:
    """Return the account for a verified claimed identifier, creating it once.

    Two first sign-ins of one identity at once, or new people wanting one
    nickname, race on the unique constraints: the loser rolls back and either
    takes the winner's account or tries again. Many people racing for one
    nickname all compute the same next suffix, so after a few tries the
    suffix is random instead.
    """
    base = nickname_from(nickname, email, identity_url)
    for attempt in range(10):
        user = db.session.scalar(sa.select(User).where(User.openid == identity_url))
        if user is not None:
            return user
        name = unique_nickname(base) if attempt < 3 else random_nickname(base)
        user = User(openid=identity_url, nickname=name, email=email)
        db.session.add(user)
        try:
            db.session.commit()
            return user
        except IntegrityError:
            db.session.rollback()
    raise RuntimeError(f"could not create an account for {identity_url}")
