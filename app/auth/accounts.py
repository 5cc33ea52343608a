"""Finding, creating, signing in to and linking the account behind a verified identity."""

import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, request
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ..extensions import autocommit, db
from ..models import (
    NICKNAME_MAX_LENGTH,
    Identity,
    LiveSession,
    SignedInUser,
    SignIn,
    User,
    Way,
    now_utc,
)
from . import sessions
from .openid.store import CleanupSchedule
from .sessions import FORGET_EXPIRED, max_age

log = logging.getLogger(__name__)

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


def nickname_from(nickname: str | None, email: str | None, identity_url: str | None = None) -> str:
    """Pick a nickname: the provider's, else the email's local part, else
    the identity URL's last path segment or host (OpenID 2.0 only: an OpenID
    Connect subject is an opaque id)."""
    candidates = [nickname, email.split("@", 1)[0] if email else None]
    if identity_url:
        parts = urlsplit(identity_url)
        segments = [s for s in parts.path.split("/") if s]
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


# The statements of every sign-in, built once with parameters: building a
# statement, and SQLAlchemy's working out its cache key to find the compiled
# SQL, cost more than running it.
_identity, _sign_in = Identity.__table__, SignIn.__table__
_is_claimed_identity = sa.and_(
    _identity.c.kind == sa.bindparam("claimed_kind"),
    _identity.c.issuer == sa.bindparam("claimed_issuer"),
    _identity.c.subject == sa.bindparam("claimed_subject"),
)
IDENTITY_OWNER = sa.select(User).join_from(User, _identity).where(_is_claimed_identity)
_user = User.__table__
# The same account, seen now as it signs in: one statement, not a SELECT and
# an UPDATE, returning only what the sign-in needs. Core columns, not the
# ORM's bulk UPDATE of User objects: that, and the live session's flush
# through the unit of work (sessions.START), were a seventh of a warm
# sign-in's own time under cProfile. A copy of the account the session may
# hold goes stale only in last_seen, until the sign-in's commit expires it.
SEEN_OWNER = (
    sa.update(_user)
    .where(_user.c.id == _identity.c.user_id, _is_claimed_identity)
    .values(last_seen=sa.bindparam("now"))
    .returning(_user.c.id, _user.c.nickname, _user.c.locale, _user.c.timezone, _user.c.active)
)
# Core tables rather than the ORM's bulk statements, for the same reason.
TOUCH_IDENTITY = (
    _identity.update().where(_is_claimed_identity).values(last_used=sa.bindparam("now"))
)
ADD_SIGN_IN = _sign_in.insert()
FORGET_SIGN_INS = _sign_in.delete().where(_sign_in.c.at < sa.bindparam("before"))


class Account(NamedTuple):
    """An account as a sign-in needs it: who, their choices of language and
    time zone, and whether it may sign in."""

    id: int
    nickname: str
    locale: str | None
    timezone: str | None
    active: bool


# On PostgreSQL, a returning person's whole sign-in in one statement: the
# account seen, its new live session, the identity's last use and the
# sign-in, by data-modifying WITH queries, which PostgreSQL runs atomically
# by themselves. As four statements in a transaction it took six round trips
# (BEGIN and COMMIT too): about a millisecond of a warm sign-in's own time
# here (bench/floor.py's sign-in, 6.6 against 5.6 ms in paired runs). SQLite
# has no writes in WITH, so it takes the four (see sign_in).
_live = LiveSession.__table__
_seen = SEEN_OWNER.where(_user.c.active).cte("seen")


def _params(*names: str) -> list:
    # Named apart from every column: an UPDATE takes a parameter named as one
    # of its table's columns for a value to set.
    return [sa.bindparam(f"new_{name}", type_=_live.c[name].type) for name in names]


# Every column of a live session but its id and account.
_LIVE = [name for name in _live.c.keys() if name not in ("id", "user_id")]
_started = (
    _live.insert()
    .from_select(["user_id", *_LIVE], sa.select(_seen.c.id, *_params(*_LIVE)))
    .returning(_live.c.id)
    .cte("started")
)
_touched = (
    TOUCH_IDENTITY.where(_identity.c.user_id.in_(sa.select(_seen.c.id)))
    .returning(_identity.c.id)
    .cte("touched")
)
_noted = (
    _sign_in.insert()
    .from_select(
        ["user_id", "at", "way_kind", "way_name", "address"],
        sa.select(_seen.c.id, *_params("created", "way_kind", "way_name", "address")),
    )
    .returning(_sign_in.c.id)
    .cte("noted")
)
SIGN_IN_AT_ONCE = (
    sa.select(_seen, _started.c.id.label("session_id"))
    .join_from(_seen, _started, sa.true())
    .add_cte(_touched, _noted)  # rendered though the SELECT does not read them
)


@dataclass(frozen=True)
class Claim:
    """An identity a provider has just proved, with what it said about the person.

    ``kind`` is "openid" (OpenID 2.0: no issuer, the claimed identifier as
    subject) or "oidc" (the issuer URL and the ``sub`` claim).
    """

    kind: str
    issuer: str
    subject: str
    # The provider's configured name, "OpenID" for OpenID 2.0; none for the
    # built-in provider (see Way).
    provider: str | None
    nickname: str | None = None
    email: str | None = None
    # When the provider says the person authenticated, if it said (Unix
    # seconds; OpenID 2.0's PAPE may give "missing" or "invalid").
    auth_time: int | str | None = None
    # OpenID Connect only: the provider's session id (``sid``) and the ID
    # token, kept with the live session for logging out.
    sid: str | None = None
    id_token: str | None = None

    @property
    def way(self) -> Way:
        return Way(self.kind, self.provider if self.kind == "oidc" else None)

    def owner(self) -> User | None:
        """The account this identity belongs to, if any."""
        return db.session.scalar(IDENTITY_OWNER, self.key())

    def signing_in_owner(self, now: datetime) -> Account | None:
        """The account this identity belongs to, if any, noted as seen ``now``
        (not committed)."""
        row = db.session.execute(SEEN_OWNER, {**self.key(), "now": now}).first()
        return None if row is None else Account(*row)

    def key(self) -> dict[str, str]:
        """The parameters of ``_is_claimed_identity``."""
        return {
            "claimed_kind": self.kind,
            "claimed_issuer": self.issuer,
            "claimed_subject": self.subject,
        }

    def identity(self) -> Identity:
        return Identity(
            kind=self.kind, issuer=self.issuer, subject=self.subject, provider=self.provider
        )


def find_or_create_user(claim: Claim) -> Account:
    """Return the account ``claim`` signs in to, seen now, creating it the first time.

    Only the identity finds an account, never the email: any provider can
    assert any email, so a match would hand an account to whoever claims it.
    Two first sign-ins of one identity at once, or new people wanting one
    nickname, race on the unique constraints: the loser rolls back and either
    takes the winner's account or tries again. Many people racing for one
    nickname all compute the same next suffix, so after a few tries the
    suffix is random instead.
    """
    url = claim.subject if claim.kind == "openid" else None
    base = nickname_from(claim.nickname, claim.email, url)
    now = now_utc()
    for attempt in range(10):
        user = claim.signing_in_owner(now)
        if user is not None:
            return user
        # That UPDATE found no one; on SQLite it took the write lock anyway.
        db.session.rollback()
        name = unique_nickname(base) if attempt < 3 else random_nickname(base)
        user = User(nickname=name, email=claim.email, last_seen=now, identities=[claim.identity()])
        db.session.add(user)
        try:
            db.session.flush()
            account = Account(user.id, name, None, None, True)
            db.session.commit()
            return account
        except IntegrityError:
            db.session.rollback()
    raise RuntimeError(f"could not create an account for {claim.subject}")


def sign_in(claim: Claim, remembered: bool) -> SignedInUser | None:
    """Sign in to the account ``claim`` belongs to, creating it the first
    time: its new live session, when the identity was used and the sign-in,
    all committed. Return who it signs in, for login_user; None, with
    nothing written, when the account is disabled."""
    if db.session.get_bind().dialect.name == "postgresql":
        key, row = sessions.new_row(claim.way, remembered, claim)
        # Its own connection: a statement that commits by itself.
        with autocommit() as connection:
            params = {f"new_{name}": value for name, value in row.items()}
            params.update(claim.key(), now=row["created"])
            seen = connection.execute(SIGN_IN_AT_ONCE, params).first()
        if seen is not None:
            forget_the_past_now_and_then()
            return SignedInUser(seen.id, seen.nickname, key, seen.session_id, seen.locale,
                                seen.timezone)  # fmt: skip
    # The long way: a first sign-in, a disabled account, or SQLite.
    account = find_or_create_user(claim)
    if not account.active:
        db.session.rollback()  # not seen: refused
        return None
    signed_in = sessions.start(account, claim.way, remembered, claim)
    record_sign_in(account.id, claim, request.remote_addr)
    return signed_in


def link_identity(user: User, claim: Claim) -> str:
    """Add ``claim`` to ``user``'s identities, if no account has it yet.

    :return: "linked", "already linked" (to this account) or "taken" (by
        another account, which keeps it).
    """
    owner = claim.owner()
    if owner is not None:
        return "already linked" if owner.id == user.id else "taken"
    user.identities.append(claim.identity())
    try:
        db.session.commit()
    except IntegrityError:  # linked elsewhere at this very moment
        db.session.rollback()
        return "taken"
    return "linked"


# Sign-ins older than this are forgotten.
SIGN_IN_HISTORY = timedelta(days=90)


def record_sign_in(user_id: int, claim: Claim, address: str | None) -> None:
    """Note the sign-in for the account page, and when the identity was last used."""
    db.session.execute(TOUCH_IDENTITY, {**claim.key(), "now": now_utc()})
    note_sign_in(user_id, claim.way, address)


def note_sign_in(user_id: int, way: Way, address: str | None) -> None:
    """Note a sign-in made ``way`` and commit it with whatever the caller changed."""
    db.session.execute(
        ADD_SIGN_IN,
        {
            "user_id": user_id,
            "at": now_utc(),
            "way_kind": way.kind,
            "way_name": way.name,
            "address": address,
        },
    )
    db.session.commit()
    forget_the_past_now_and_then()


def forget_the_past_now_and_then() -> None:
    """Delete everyone's sign-ins past SIGN_IN_HISTORY and sessions past
    SESSION_MAX_AGE, on a process's first sign-in and then every
    CLEANUP_INTERVAL: pages never show either (they ask for what is recent),
    so this only keeps the tables small, and a sign-in need not wait for it."""
    schedule = current_app.extensions.setdefault("sign_in_cleanup", CleanupSchedule())
    schedule.run_if_due(forget_the_past)


def forget_the_past() -> None:
    """Delete everyone's sign-ins past SIGN_IN_HISTORY and sessions past
    SESSION_MAX_AGE. The sign-in is made: a failure here is only logged."""
    now = now_utc()
    try:
        with autocommit() as connection:
            connection.execute(FORGET_SIGN_INS, {"before": now - SIGN_IN_HISTORY})
            connection.execute(FORGET_EXPIRED, {"before": now - max_age()})
    except SQLAlchemyError:
        log.warning("could not delete old sign-ins and sessions", exc_info=True)
