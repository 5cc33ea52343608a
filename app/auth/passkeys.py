"""Passkeys (WebAuthn): a way into an account that needs no provider.

The duo-labs ``webauthn`` library makes the options and does every check of
the browser's answer: challenge, origin, RP ID, user presence and
verification, signature, sign count. This module adds what a site needs
around it: the relying party from configuration, the challenge kept in the
session for one ceremony and refused the second time, and every failure
turned into a sentence.

One ceremony at a time per session: ``begin`` keeps its challenge and
purpose ("register", "sign in" or "prove"), ``verify_*`` takes it back.

The library (with pyOpenSSL and cbor2, 14 MB per worker) is imported only
once a passkey is used, so pages that merely offer passkeys do not carry it.
"""

import base64
import ipaddress
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, request, session
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..i18n import gettext as _
from ..models import Passkey, UsedPasskeyChallenge, User, now_utc

CEREMONY = "passkey_ceremony"
# How long the browser may take: the ceremony's timeout, and the challenge's
# life in the session a little beyond it.
TIMEOUT_SECONDS = 120
CHALLENGE_SECONDS = TIMEOUT_SECONDS + 60
# What a browser sends back is small; anything larger is not an answer.
MAX_ANSWER_CHARS = 16_000
# WebAuthn Level 3's user handle: at most 64 bytes.
USER_HANDLE_BYTES = 64

_used = UsedPasskeyChallenge.__table__
USE_CHALLENGE = _used.insert()
FORGET_USED_CHALLENGES = _used.delete().where(_used.c.used < sa.bindparam("before"))


class PasskeyFailed(Exception):
    """A passkey ceremony did not verify; the message says why, for people."""


@dataclass(frozen=True)
class RelyingParty:
    id: str
    origin: str
    name: str = "microblog"


# Cached: every login page asks, with the configured host and the request's,
# which TRUSTED_HOSTS has already narrowed to a few.
@lru_cache(maxsize=64)
def host_name(host: str) -> str | None:
    """``host`` ("name", "name:port", "[::1]:port") without its port."""
    try:
        return urlsplit(f"//{host}").hostname
    except ValueError:
        return None


def configured_host() -> str | None:
    """The public host name from configuration: SERVER_NAME's, else the first
    TRUSTED_HOSTS entry that names one host. Never the request's Host header."""
    if server_name := current_app.config.get("SERVER_NAME"):
        return host_name(server_name)
    for host in current_app.config.get("TRUSTED_HOSTS") or ():
        if host and not host.startswith("."):
            return host_name(host)
    return None


@lru_cache(maxsize=64)
def is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def relying_party() -> RelyingParty | None:
    """The RP ID and origin passkeys are made for here, or None (see ``unavailable``)."""
    host = configured_host()
    if host is None or is_ip_address(host):
        return None
    if server_name := current_app.config.get("SERVER_NAME"):
        return RelyingParty(host, f"{current_app.config['PREFERRED_URL_SCHEME']}://{server_name}")
    # TRUSTED_HOSTS has vouched for the request's host; it must be this one.
    if host_name(request.host) != host:
        return None
    return RelyingParty(host, request.host_url.rstrip("/"))


def unavailable() -> str | None:
    """Why passkeys cannot be used on this page, or None when they can."""
    host = configured_host()
    if host is None:
        return _(
            "Passkeys are off: a passkey belongs to a site's name, and this site's is not "
            "configured (SERVER_NAME or TRUSTED_HOSTS)."
        )
    if is_ip_address(host):
        return _(
            "Passkeys are off: they need a site name, and this site is configured as %(host)s.",
            host=host,
        )
    if relying_party() is None:
        port = urlsplit(request.host_url).port
        address = f"{request.scheme}://{host}{f':{port}' if port else ''}"
        return _(
            "Passkeys work at %(address)s, the site's own name, not at this address.",
            address=address,
        )
    return None


def begin(purpose: str, options) -> str:
    """Keep the ceremony's challenge in the session; return its options as JSON."""
    from webauthn import options_to_json

    session[CEREMONY] = {
        "purpose": purpose,
        "challenge": base64.urlsafe_b64encode(options.challenge).decode(),
        "at": int(time.time()),
        "token": current_user.get_id() if current_user.is_authenticated else None,
    }
    return options_to_json(options)


def registration_options(user: User, rp: RelyingParty) -> str:
    """Options to make a discoverable passkey for ``user``, with user verification.

    The account's first passkey gives it its WebAuthn user handle (the
    caller commits it): random, so a passkey says nothing of the account.
    """
    from webauthn import generate_registration_options
    from webauthn.helpers.structs import (
        AuthenticatorSelectionCriteria,
        PublicKeyCredentialDescriptor,
        ResidentKeyRequirement,
        UserVerificationRequirement,
    )

    if user.webauthn_handle is None:
        user.webauthn_handle = secrets.token_bytes(USER_HANDLE_BYTES)
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=user.webauthn_handle,
        user_name=user.nickname,
        user_display_name=user.nickname,
        timeout=TIMEOUT_SECONDS * 1000,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        # One passkey per authenticator: the browser says so if it has one.
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=p.credential_id) for p in user.passkeys
        ],
    )
    return begin("register", options)


def authentication_options(purpose: str, rp: RelyingParty, allowed=()) -> str:
    """Options to sign in (any of the site's passkeys the browser has) or to
    prove it is you (only the account's own, ``allowed``)."""
    from webauthn import generate_authentication_options
    from webauthn.helpers.structs import PublicKeyCredentialDescriptor, UserVerificationRequirement

    options = generate_authentication_options(
        rp_id=rp.id,
        timeout=TIMEOUT_SECONDS * 1000,
        allow_credentials=[PublicKeyCredentialDescriptor(id=p.credential_id) for p in allowed],
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return begin(purpose, options)


def take_challenge(purpose: str) -> bytes:
    """The challenge of this session's ceremony, which ends now."""
    ceremony = session.pop(CEREMONY, None)
    if not isinstance(ceremony, dict) or ceremony.get("purpose") != purpose:
        raise PasskeyFailed(_("That passkey request was not started here. Please try again."))
    if ceremony.get("token") != (current_user.get_id() if current_user.is_authenticated else None):
        raise PasskeyFailed(_("You were signed in or out since that passkey request. Try again."))
    if not 0 <= time.time() - ceremony.get("at", 0) <= CHALLENGE_SECONDS:
        raise PasskeyFailed(_("That passkey request timed out. Please try again."))
    return base64.urlsafe_b64decode(ceremony["challenge"])


def answer(value: str | None) -> str:
    if not value:
        raise PasskeyFailed(
            _(
                "Your browser sent no passkey. Passkeys need a browser that supports them, "
                "with JavaScript on."
            )
        )
    if len(value) > MAX_ANSWER_CHARS:
        raise PasskeyFailed(_("That passkey answer could not be read."))
    return value


def verify_registration(user: User, credential: str | None, rp: RelyingParty) -> Passkey:
    """Check the browser's new credential; return it as a Passkey of ``user``, unsaved."""
    from webauthn import verify_registration_response
    from webauthn.helpers import parse_registration_credential_json
    from webauthn.helpers.exceptions import WebAuthnException

    credential = answer(credential)
    challenge = take_challenge("register")
    try:
        parsed = parse_registration_credential_json(credential)
        verified = verify_registration_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        current_app.logger.info("passkey registration refused: %r", error)
        raise PasskeyFailed(
            _("Your browser's answer did not verify, so no passkey was added.")
        ) from None
    transports = [t.value for t in parsed.response.transports or ()]
    use_challenge(challenge)
    return Passkey(
        user_id=user.id,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=",".join(transports),
    )


def verify_authentication(purpose: str, credential: str | None, rp: RelyingParty) -> Passkey:
    """Check the browser's assertion; return the passkey it proves, its sign
    count and last use updated (not committed). For "sign in", any account's;
    for "prove", only the signed-in account's."""
    from webauthn import verify_authentication_response
    from webauthn.helpers import parse_authentication_credential_json
    from webauthn.helpers.exceptions import WebAuthnException

    credential = answer(credential)
    challenge = take_challenge(purpose)
    try:
        parsed = parse_authentication_credential_json(credential)
    except (WebAuthnException, ValueError, TypeError, KeyError):
        raise PasskeyFailed(_("That passkey answer could not be read.")) from None
    passkey = db.session.scalar(sa.select(Passkey).where(Passkey.credential_id == parsed.raw_id))
    if passkey is None or (purpose == "prove" and passkey.user_id != current_user.id):
        raise PasskeyFailed(
            _("That passkey is not one of this site's accounts' (it may have been removed).")
            if passkey is None
            else _("That passkey is not one of this account's, so it does not prove it is you.")
        )
    owner_handle = db.session.scalar(
        sa.select(User.webauthn_handle).where(User.id == passkey.user_id)
    )
    handle = parsed.response.user_handle
    if handle is not None and handle != owner_handle:
        raise PasskeyFailed(_("That passkey answer does not match its account."))
    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        current_app.logger.info("passkey %s refused: %r", passkey.id, error)
        raise PasskeyFailed(
            _("Your passkey's answer did not verify, so you were not signed in.")
        ) from None
    use_challenge(challenge)
    passkey.sign_count = verified.new_sign_count
    passkey.last_used = now_utc()
    return passkey


def use_challenge(challenge: bytes) -> None:
    """Record the challenge as answered, in the caller's transaction; refuse
    one answered before (a replayed session cookie and answer)."""
    now = now_utc()
    db.session.execute(
        FORGET_USED_CHALLENGES, {"before": now - timedelta(seconds=CHALLENGE_SECONDS)}
    )
    try:
        db.session.execute(USE_CHALLENGE, {"challenge": challenge, "used": now})
    except IntegrityError:
        db.session.rollback()
        raise PasskeyFailed(_("That passkey answer was already used. Please try again.")) from None
