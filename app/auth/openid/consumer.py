"""Flask-OpenID, with the parts the 2012 design got wrong made safe.

``SafeOpenID`` keeps Flask-OpenID's flow (``loginhandler``, ``try_login``,
``after_login``, its session wrapper and SReg/AX handling) and changes:

- ``get_next_url``: only a relative path on this site, never the Referer;
- ``try_login`` and the completion in ``loginhandler``: every failure a
  visitor or a provider can cause becomes a flashed message that says what
  went wrong, never a 500;
- completion requires a sign-in started in this browser session, so an
  unsolicited or replayed assertion signs nobody in;
- the sign-in state python3-openid keeps in the session is stored as JSON,
  not pickled as Flask-OpenID does, so even a leaked SECRET_KEY cannot make
  the server unpickle a forged cookie.
"""

import hashlib
import json
import threading
import time
from functools import wraps

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_openid import OpenID, OpenIDResponse, SessionWrapper
from openid.consumer.consumer import CANCEL, FAILURE, SETUP_NEEDED, SUCCESS, Consumer
from openid.consumer.discover import DiscoveryFailure, OpenIDServiceEndpoint, discover
from openid.yadis.manager import YadisServiceManager

from ...i18n import gettext as _
from ...urls import external_url, safe_next, site_root
from ..fetcher import FetchError
from .associations import NegotiatingConsumer

# Prefer SHA-256 associations; SHA-1 only for providers that know nothing else.
# (NegotiatingConsumer asks for no-encryption only over https.)
ASSOCIATION_PREFERENCE = [
    ("HMAC-SHA256", "DH-SHA256"),
    ("HMAC-SHA256", "no-encryption"),
    ("HMAC-SHA1", "DH-SHA1"),
    ("HMAC-SHA1", "no-encryption"),
]

# Marks an answer already posted again from our own page (see complete_login).
BOUNCED = "microblog_bounced"


ENDPOINT_FIELDS = (
    "claimed_id",
    "server_url",
    "type_uris",
    "local_id",
    "canonicalID",
    "used_yadis",
    "display_identifier",
)


def _dump_endpoint(endpoint: OpenIDServiceEndpoint) -> dict:
    return {field: getattr(endpoint, field) for field in ENDPOINT_FIELDS}


def _load_endpoint(data: dict) -> OpenIDServiceEndpoint:
    endpoint = OpenIDServiceEndpoint()
    for field in ENDPOINT_FIELDS:
        setattr(endpoint, field, data[field])
    return endpoint


class JSONSessionWrapper(SessionWrapper):
    """Flask-OpenID's session wrapper, storing JSON instead of pickles.

    python3-openid keeps two kinds of object in the session: the endpoint of
    the sign-in under way, and the list of endpoints found by discovery.
    Anything else, or anything malformed, reads as absent.
    """

    def __getitem__(self, name):
        # Not super().__getitem__: Flask-OpenID's unpickles what it finds.
        data = session[self.name_mapping.get(name, name)]
        try:
            if "endpoint" in data:
                return _load_endpoint(data["endpoint"])
            manager = data["manager"]
            loaded = YadisServiceManager(
                manager["starting_url"],
                manager["yadis_url"],
                [_load_endpoint(e) for e in manager["services"]],
                manager["session_key"],
            )
            if manager["current"] is not None:
                loaded._current = _load_endpoint(manager["current"])
            return loaded
        except (KeyError, TypeError, AttributeError):
            raise KeyError(name) from None

    def __setitem__(self, name, value):
        if isinstance(value, OpenIDServiceEndpoint):
            data = {"endpoint": _dump_endpoint(value)}
        elif isinstance(value, YadisServiceManager):
            current = value.current()
            data = {
                "manager": {
                    "starting_url": value.starting_url,
                    "yadis_url": value.yadis_url,
                    "services": [_dump_endpoint(e) for e in value.services],
                    "session_key": value.session_key,
                    "current": _dump_endpoint(current) if current is not None else None,
                }
            }
        else:
            raise TypeError(f"cannot keep {type(value).__name__} in the session")
        session[self.name_mapping.get(name, name)] = data


class DiscoveryCache:
    """Recent discovery results by URL, for OPENID_DISCOVERY_CACHE_SECONDS.

    python3-openid discovers the identifier when a sign-in starts and, after
    an identifier-select sign-in, the claimed identifier again at the end: a
    fetch each time. Discovery results are public and change rarely, so a
    short cache saves the round trips. Each process keeps what it found, and
    shares it through the OpenID store's place (a table, or files beside the
    file store), since the start and the end of a sign-in may meet different
    gunicorn workers or hosts. Only successes are kept, in the JSON they are
    shared as: each caller gets endpoints of its own from it, since
    python3-openid keeps the endpoints it is given.
    """

    MAX_ENTRIES = 1000

    def __init__(self):
        self._entries: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def discover(self, url: str):
        seconds = current_app.config["OPENID_DISCOVERY_CACHE_SECONDS"]
        if seconds <= 0:
            return discover(url)
        now = time.time()
        with self._lock:
            entry = self._entries.get(url)
        if entry is not None and entry[0] > now:
            return load_discovery(entry[1])[1]
        from .store import discovery_store  # store imports extensions, which import this module

        shared = discovery_store()
        key = hashlib.sha256(url.encode()).hexdigest()
        if (data := shared.getDiscovery(key)) is not None:
            expires, result = load_discovery(data)
        else:
            result = discover(url)  # raises DiscoveryFailure: nothing is kept
            if not result[1]:
                return result
            expires = int(now + seconds)
            data = dump_discovery(expires, result)
            shared.storeDiscovery(key, data, expires)
        with self._lock:
            if len(self._entries) >= self.MAX_ENTRIES:
                self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
            if len(self._entries) < self.MAX_ENTRIES:
                self._entries[url] = (expires, data)
        return result


def dump_discovery(expires: int, result) -> str:
    claimed_id, services = result
    return json.dumps(
        {
            "expires": expires,
            "claimed_id": claimed_id,
            "services": [_dump_endpoint(e) for e in services],
        }
    )


def load_discovery(data: str) -> tuple[int, tuple]:
    loaded = json.loads(data)
    services = [_load_endpoint(e) for e in loaded["services"]]
    return loaded["expires"], (loaded["claimed_id"], services)


def _failure_message(exc: BaseException, identity_url: str) -> str:
    """Turn a discovery failure into a sentence, using the fetcher's reason."""
    seen = exc
    while seen is not None:
        if isinstance(seen, FetchError):
            return _(
                "Could not sign in with %(identity)s: %(reason)s",
                identity=identity_url,
                reason=str(seen),
            )
        why = getattr(seen, "why", None)
        seen = why if isinstance(why, BaseException) else (seen.__cause__ or seen.__context__)
    return _(
        "No OpenID provider was found at %(identity)s. Check the address and try again.",
        identity=identity_url,
    )


class SafeOpenID(OpenID):
    def __init__(self, **kwargs):
        super().__init__(store_factory=self.make_store, **kwargs)

    def make_store(self):
        """The OpenID store OPENID_STORE names: files in tmp/, or the database."""
        from .store import make_store  # store imports extensions, which import this module

        return make_store()

    def signal_error(self, msg):
        flash(msg, "error")

    def get_next_url(self):
        """The page to land on after sign-in: ``next`` if safe, else the index."""
        return safe_next(request.values.get("next")) or url_for("main.index")

    def get_current_url(self):
        """The login URL with ``next``: the return URL the provider sends back to."""
        return external_url(request.endpoint, **request.view_args, next=self.get_next_url())

    def init_app(self, app):
        super().init_app(app)
        app.extensions["openid_discovery_cache"] = DiscoveryCache()

    def consumer(self) -> Consumer:
        consumer = Consumer(JSONSessionWrapper(self), self.store_factory(), NegotiatingConsumer)
        consumer.setAssociationPreference(ASSOCIATION_PREFERENCE)
        # Discovery when a sign-in starts, and again when it completes.
        cached = current_app.extensions["openid_discovery_cache"].discover
        consumer._discover = consumer.consumer._discover = cached
        return consumer

    def try_login(self, identity_url, ask_for=None, ask_for_optional=None, extensions=None):
        """Start a sign-in: discover the provider and redirect to it."""
        try:
            auth_request = self.consumer().begin(identity_url)
        except DiscoveryFailure as exc:
            current_app.logger.info("OpenID discovery failed for %r: %s", identity_url, exc)
            self.signal_error(_failure_message(exc, identity_url))
            return redirect(self.get_current_url())
        except Exception:
            # python3-openid is old; whatever else a hostile provider's
            # documents make it raise must still end on the login page.
            current_app.logger.exception("OpenID sign-in could not start for %r", identity_url)
            self.signal_error(
                _(
                    "Could not sign in with %(identity)s: its answer was not usable.",
                    identity=identity_url,
                )
            )
            return redirect(self.get_current_url())
        self.attach_reg_info(auth_request, ask_for, ask_for_optional)
        for extension in extensions or ():
            auth_request.addExtension(extension)
        return redirect(auth_request.redirectURL(site_root(), self.get_success_url()))

    def loginhandler(self, f):
        """Decorate the login view; the provider's answer is handled here."""

        @wraps(f)
        def decorated(*args, **kwargs):
            if request.args.get("openid_complete") != "yes":
                return f(*args, **kwargs)
            return self.complete_login()

        return decorated

    def complete_login(self):
        """Check the provider's answer; on success hand it to ``after_login``."""
        consumer = self.consumer()
        # python3-openid keeps the started sign-in under this key.
        pending = consumer.session.get(consumer._token_key) is not None
        if not pending and request.method == "POST" and BOUNCED not in request.form:
            # A long answer comes as a cross-site POST, which carries no
            # SameSite=Lax cookie. Post it again from our own page, where the
            # browser does send the session.
            fields = [(k, v) for k, v in request.form.items(multi=True)]
            return render_template(
                "auth/bounce.html", title=_("Signing in"), fields=fields, bounced=BOUNCED
            )
        if not pending:
            # No sign-in was started in this browser session, or its answer
            # was already used: refuse unsolicited and replayed assertions.
            self.signal_error(
                _("That sign-in has expired or was already used. Please sign in again.")
            )
            return redirect(self.get_current_url())
        args = request.args.to_dict()
        args.update(request.form.to_dict())
        args.pop(BOUNCED, None)
        try:
            response = consumer.complete(args, self.get_current_url())
        except Exception:
            current_app.logger.exception("OpenID answer could not be read")
            response = None
        if response is not None and response.status == SUCCESS:
            return self.after_login_func(OpenIDResponse(response, self.extension_responses))
        if response is not None and response.status == CANCEL:
            self.signal_error(_("You cancelled the sign-in at your provider."))
        elif response is not None and response.status == SETUP_NEEDED:
            self.signal_error(_("Your provider needs you to sign in there first."))
        else:
            if response is not None and response.status == FAILURE:
                current_app.logger.info("OpenID verification failed: %s", response.message)
            self.signal_error(
                _(
                    "Your provider's answer could not be verified, so you were not signed in. "
                    "Please try again."
                )
            )
        return redirect(self.get_current_url())
