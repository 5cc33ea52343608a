"""Live sessions: made at each sign-in, found by the user loader through the
key in the cookies, ended one by one, all but this one, or all."""

import hashlib
import hmac
import secrets
from datetime import timedelta
from functools import cache, lru_cache
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app, request
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import (
    DEVICE_MAX_LENGTH,
    LiveSession,
    SignedInUser,
    UsedLogoutToken,
    User,
    Way,
    now_utc,
)

if TYPE_CHECKING:  # accounts imports this module
    from .accounts import Account

_session, _used_token = LiveSession.__table__, UsedLogoutToken.__table__
FORGET_EXPIRED = _session.delete().where(_session.c.created < sa.bindparam("before"))


def max_age() -> timedelta:
    """SESSION_MAX_AGE, which the environment may give in seconds."""
    value = current_app.config["SESSION_MAX_AGE"]
    return value if isinstance(value, timedelta) else timedelta(seconds=value)


def new_key() -> str:
    return secrets.token_urlsafe(32)


def key_hash(key: str) -> bytes:
    """What is stored of a session's key: its HMAC-SHA256 under SECRET_KEY."""
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret, key.encode(), hashlib.sha256).digest()


@cache
def _parse():
    # ua-parser compiles its rules on first use (about 0.2 s and 6 MB), so it
    # is loaded by the first sign-in of a process, not by every page.
    from ua_parser import parse

    return parse


# Parsing takes a millisecond or two; most sign-ins come from a few browsers.
@lru_cache(maxsize=512)
def device_of(user_agent: str | None) -> tuple[str | None, str | None]:
    """The browser's and system's names in a User-Agent ("Firefox",
    "Windows"), None for what it does not say."""
    if not user_agent:
        return None, None
    parsed = _parse()(user_agent)
    browser = parsed.user_agent.family if parsed.user_agent else None
    system = parsed.os.family if parsed.os else None
    return tuple(
        name[:DEVICE_MAX_LENGTH] if name not in (None, "Other") else None
        for name in (browser, system)
    )


# Core, not a LiveSession object through the unit of work, as the account's
# UPDATE (accounts.SEEN_OWNER).
START = _session.insert().returning(_session.c.id)


def new_row(way: Way, remembered: bool, claim=None) -> tuple[str, dict]:
    """A new session's key, and its row but for the account (``user_id``).
    ``claim``, an OpenID Connect sign-in's, ties the session to the provider's."""
    key = new_key()
    browser, system = device_of(request.user_agent.string[:1000])
    oidc = claim is not None and claim.kind == "oidc"
    now = now_utc()
    return key, {
        "key_hash": key_hash(key),
        "way_kind": way.kind,
        "way_name": way.name,
        "browser": browser,
        "system": system,
        "address": request.remote_addr,
        "created": now,
        "last_seen": now,
        "remembered": remembered,
        "oidc_issuer": claim.issuer if oidc else None,
        "oidc_subject": claim.subject if oidc else None,
        "oidc_sid": claim.sid if oidc else None,
        "id_token": claim.id_token if oidc else None,
    }


def start(account: "User | Account", way: Way, remembered: bool, claim=None) -> SignedInUser:
    """Record a new session of ``account`` (a User or an Account: its id,
    nickname, locale and time zone), in the caller's transaction; return who
    it signs in, for login_user, with the key its cookies will carry."""
    key, row = new_row(way, remembered, claim)
    session_id = db.session.execute(START, {**row, "user_id": account.id}).scalar_one()
    return SignedInUser(
        account.id, account.nickname, key, session_id, account.locale, account.timezone
    )


def end(key: str):
    """End the session whose cookies carry ``key`` (not committed); return
    its provider's issuer and ID token, if it had any."""
    return db.session.execute(
        _session.delete()
        .where(_session.c.key_hash == key_hash(key))
        .returning(_session.c.oidc_issuer, _session.c.id_token)
    ).first()


def end_all(user_id: int, keep: str | None = None) -> int:
    """End every session of ``user_id``, but the one of ``keep``; return how many."""
    statement = _session.delete().where(_session.c.user_id == user_id)
    if keep is not None:
        statement = statement.where(_session.c.key_hash != key_hash(keep))
    return db.session.execute(statement).rowcount


def forget_expired() -> int:
    """Remove the sessions past SESSION_MAX_AGE; return how many."""
    return db.session.execute(FORGET_EXPIRED, {"before": now_utc() - max_age()}).rowcount


def end_provider_sessions(issuer: str, subject: str | None, sid: str | None) -> int:
    """End the sessions a provider's logout names: those of its session
    ``sid`` (of ``subject`` too, when given), else every one of ``subject``."""
    statement = _session.delete().where(_session.c.oidc_issuer == issuer)
    if sid is not None:
        statement = statement.where(_session.c.oidc_sid == sid)
    if subject is not None:
        statement = statement.where(_session.c.oidc_subject == subject)
    return db.session.execute(statement).rowcount


def use_logout_token(issuer: str, jti: str) -> None:
    """Record a back-channel logout token as taken, in the caller's
    transaction; refuse (LogoutTokenRefused) one taken before."""
    from .oidc import LOGOUT_TOKEN_SECONDS, LogoutTokenRefused

    now = now_utc()
    before = now - timedelta(seconds=LOGOUT_TOKEN_SECONDS * 2)
    db.session.execute(_used_token.delete().where(_used_token.c.used < before))
    try:
        db.session.execute(_used_token.insert(), {"issuer": issuer, "jti": jti, "used": now})
    except IntegrityError:
        db.session.rollback()
        raise LogoutTokenRefused("jti used before") from None
