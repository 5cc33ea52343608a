"""Proving it is you again, before what cannot be undone.

A sign-in to this account within the last REAUTH_SECONDS, in this browser
session, is proof. Without one, the action waits in the session (its URL and
form, never carried out) while the person proves it is them with one of the
account's own identities or passkeys; then the browser posts it again, once.

A remember-me cookie is no proof: it restores a session, but nobody signed in.
"""

import json
import time
from datetime import UTC, datetime
from functools import wraps
from typing import NamedTuple

from flask import current_app, flash, redirect, request, session, url_for
from flask_login import current_user
from openid.extensions.draft import pape5 as pape

from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l

# When this session last proved who it is: {"token", "at"}. The account's
# session token ties it to the account: it is no proof for anyone else.
PROVED = "reauth_proved"
# The action waiting for a proof: {"token", "at", "url", "fields", "action"}.
PENDING = "reauth_pending"
# A proof under way at a provider: {"token", "started"}.
PROVING = "reauth_proving"
# An action waits this long for its proof, then is dropped.
PENDING_SECONDS = 600
# How far this site's clock and a provider's may disagree.
CLOCK_SKEW_SECONDS = 60
# A form bigger than this is not kept in the session cookie.
MAX_PENDING_CHARS = 2500


class Action(NamedTuple):
    """What waits for a proof, in two whole sentences: asking for the proof,
    and carrying on after it (a sentence per action, since no language puts a
    verb phrase into another sentence the way English does)."""

    ask: str
    resume: str


# The session keeps an action's key, so its sentences are in the language of
# the page that shows them, whatever the language of the page that asked.
ACTIONS = {
    "link": Action(
        _l("To link another identity, sign in again with one of your account's own ways in."),
        _l("Now to link another identity."),
    ),
    "unlink": Action(
        _l("To unlink an identity, sign in again with one of your account's own ways in."),
        _l("Now to unlink the identity."),
    ),
    "delete": Action(
        _l("To delete your account, sign in again with one of your account's own ways in."),
        _l("Now to delete your account."),
    ),
    "add-passkey": Action(
        _l("To add a passkey, sign in again with one of your account's own ways in."),
        _l("Now to add the passkey."),
    ),
    "remove-passkey": Action(
        _l("To remove a passkey, sign in again with one of your account's own ways in."),
        _l("Now to remove the passkey."),
    ),
}


def _mine(record) -> bool:
    return isinstance(record, dict) and record.get("token") == current_user.get_id()


def _age(record: dict) -> float:
    at = record.get("at")
    return time.time() - at if isinstance(at, int | float) else float("inf")


def mark_proved() -> None:
    """Note that the person signed in (or proved it is them) just now."""
    session[PROVED] = {"token": current_user.get_id(), "at": int(time.time())}


def recently_proved() -> bool:
    proved = session.get(PROVED)
    if not current_user.is_authenticated or not _mine(proved):
        return False
    return -CLOCK_SKEW_SECONDS <= _age(proved) <= current_app.config["REAUTH_SECONDS"]


def proof_required(action: str):
    """Let a POST to the decorated view through only after a recent proof.

    ``action`` is a key of ACTIONS, which say what waits. Without a proof, the
    request is kept and the person is sent to prove it; CSRFProtect has
    already checked the form's token.
    """
    if action not in ACTIONS:
        raise ValueError(f"no sentences for the action {action!r}")

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if request.method != "POST" or recently_proved():
                return view(*args, **kwargs)
            fields = [(k, v) for k, v in request.form.items(multi=True) if k != "csrf_token"]
            if len(json.dumps(fields)) > MAX_PENDING_CHARS:
                flash(_("That form is too long to keep while you prove it is you."), "error")
                return redirect(url_for("account.index"))
            query = request.query_string.decode()
            session[PENDING] = {
                "token": current_user.get_id(),
                "at": int(time.time()),
                "url": request.script_root + request.path + (f"?{query}" if query else ""),
                "fields": fields,
                "action": action,
            }
            session.pop(PROVING, None)
            return redirect(url_for("account.reauthenticate"))

        return wrapped

    return decorator


def pending_action() -> dict | None:
    """The action waiting for this account's proof, if it has not expired,
    with its sentences (``sentences``, an Action)."""
    pending = session.get(PENDING)
    if not _mine(pending) or not 0 <= _age(pending) <= PENDING_SECONDS:
        return None
    action = ACTIONS.get(pending.get("action"))
    if action is None:  # kept by a version of the site before this one
        return None
    return {**pending, "sentences": action}


def take_pending_action() -> dict | None:
    """The waiting action, removed from the session: it is posted once."""
    pending = pending_action()
    session.pop(PENDING, None)
    return pending


def start_proof() -> None:
    """A proof at a provider starts now: its sign-in must be newer."""
    session[PROVING] = {"token": current_user.get_id(), "started": int(time.time())}


class NotProved(Exception):
    """The answer did not prove it is this account's owner; the message says why."""


def check_proof(proving: dict | None, owner_id: int | None, kind: str, auth_time, provider: str):
    """Check that a provider's answer proves it is the signed-in account's owner.

    :param owner_id: the account the verified identity belongs to, if any.
    :param kind: "oidc" or "openid".
    :param auth_time: when the provider says the person authenticated (Unix
        seconds): OpenID Connect's ``auth_time`` claim, which it must send;
        OpenID 2.0 PAPE's, which a provider without PAPE cannot send
        ("missing" when it answered PAPE without one, "invalid" when
        unreadable).
    :raise NotProved: with a sentence for the person.
    """
    if not current_user.is_authenticated or not _mine(proving):
        raise NotProved(_("You were signed out before you finished proving it is you."))
    if owner_id != current_user.id:
        raise NotProved(
            _("That identity is not one of this account's, so it does not prove it is you.")
        )
    if auth_time is None and kind == "openid":
        return  # no PAPE at this provider: its word is all there is (README)
    started = proving.get("started", 0)
    if not isinstance(auth_time, int | float) or isinstance(auth_time, bool):
        raise NotProved(
            _(
                "%(provider)s did not say when you signed in, so this did not prove it is you.",
                provider=provider,
            )
        )
    if auth_time < started - CLOCK_SKEW_SECONDS:
        raise NotProved(
            _(
                "%(provider)s did not ask you to sign in again, so this did not prove it is you.",
                provider=provider,
            )
        )


class PAPEAnswer(pape.Response):
    """PAPE's answer, as Flask-OpenID hands it to ``after_login``: None when the
    provider sent none, not an empty answer (that python3-openid would make)."""

    @classmethod
    def fromSuccessResponse(cls, success_response):
        if not success_response.getSignedNS(cls.ns_uri):
            return None
        return super().fromSuccessResponse(success_response)


def pape_auth_time(pape_response) -> int | str | None:
    """PAPE's ``auth_time`` as Unix seconds; None when the provider sent no
    PAPE answer, "missing" or "invalid" when its answer has none or garbage."""
    if pape_response is None:
        return None
    value = getattr(pape_response, "auth_time", None)
    if not value:
        return "missing"
    try:
        return int(datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())
    except (TypeError, ValueError):
        return "invalid"
