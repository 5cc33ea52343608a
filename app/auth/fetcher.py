"""The HTTP fetcher python3-openid uses for discovery and verification.

Discovery fetches a URL that a visitor typed, from the server. The library's
default fetcher has no timeout, follows redirects anywhere and reaches any
address. This one:

- speaks only http and https;
- resolves each host itself, refuses loopback, private, link-local and other
  non-public addresses (unless ``OPENID_ALLOW_PRIVATE_NETWORKS``), and then
  connects to the address it checked, so DNS cannot change its answer between
  the check and the connection;
- follows at most a few redirects, checking every hop the same way;
- bounds the whole fetch, headers and body included, by one deadline
  (``OPENID_FETCH_TIMEOUT``), and the body by ``OPENID_FETCH_MAX_BYTES``;
- takes a place at the ``gate`` first, so a slow provider cannot hold every
  thread of a worker: past the caps a fetch is refused at once.
"""

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urljoin, urlsplit

from flask import current_app, g, has_app_context, has_request_context
from openid import fetchers

from ..i18n import gettext as _

MAX_REDIRECTS = 5
REDIRECT_CODES = {301, 302, 303, 307, 308}
DEFAULT_TIMEOUT = 5.0
DEFAULT_MAX_BYTES = 1024 * 1024
# Outgoing requests waiting at once, per process (OUTGOING_MAX_PER_HOST and
# OUTGOING_MAX_TOTAL override them); gunicorn.conf.py gives each worker more
# threads than this, so pages are served while sign-ins wait.
DEFAULT_MAX_PER_HOST = 2
DEFAULT_MAX_TOTAL = 4
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class FetchError(Exception):
    """A fetch was refused or failed; ``str()`` is fit to show a visitor, in
    the words of the request it was made for."""


class FetchRefused(FetchError):
    """The URL is one this server will not fetch."""


class ProviderBusy(FetchError):
    """Too many requests to that host, or in all, are waiting already."""

    def __init__(self):
        super().__init__(_("That provider is not answering; try again in a minute."))


def _setting(key: str, default):
    return current_app.config.get(key, default) if has_app_context() else default


class Gate:
    """Caps the outgoing requests under way at once in this process: per host
    and in all. A request past a cap is refused at once (``ProviderBusy``)
    rather than queued, since queueing is what would hold the threads.

    Every outgoing request of a sign-in passes here, OpenID 2.0 and OpenID
    Connect alike, and is counted for the Server-Timing header. A host name
    lookup keeps its request's place until the resolver answers, however
    late (getaddrinfo cannot be interrupted): so the caps bound the threads
    that hung lookups hold too.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._total = 0
        self._per_host: Counter[str] = Counter()
        # Called before each request leaves (see install_fetcher).
        self.before_waiting: Callable[[], None] | None = None

    @contextmanager
    def place(self, host: str) -> Iterator["Place"]:
        """Hold a place for one request to ``host`` while in the block."""
        host = host.lower()
        per_host = int(_setting("OUTGOING_MAX_PER_HOST", DEFAULT_MAX_PER_HOST))
        total = int(_setting("OUTGOING_MAX_TOTAL", DEFAULT_MAX_TOTAL))
        with self._lock:
            if self._total >= total or self._per_host[host] >= per_host:
                raise ProviderBusy()
            self._total += 1
            self._per_host[host] += 1
        place = Place(self, host)
        started = time.perf_counter()
        try:
            if self.before_waiting is not None:
                self.before_waiting()
            yield place
        finally:
            place.release()
            _count_fetch(time.perf_counter() - started)

    def _free(self, host: str) -> None:
        with self._lock:
            self._total -= 1
            self._per_host[host] -= 1
            if not self._per_host[host]:
                del self._per_host[host]

    def in_use(self) -> int:
        """How many requests hold a place now."""
        with self._lock:
            return self._total


class Place:
    """One request's place at the gate, free once everyone holding it let go."""

    def __init__(self, gate: Gate, host: str):
        self.gate, self.host = gate, host
        self._holders = 1
        self._lock = threading.Lock()

    def hold(self) -> None:
        with self._lock:
            self._holders += 1

    def release(self) -> None:
        with self._lock:
            self._holders -= 1
            free = not self._holders
        if free:
            self.gate._free(self.host)


gate = Gate()


def is_public_address(address: str) -> bool:
    """True if ``address`` is a globally routable unicast address.

    IPv6 forms that embed an IPv4 address (IPv4-mapped, 6to4, NAT64) are
    judged by the IPv4 address inside them.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6:
        if ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        elif ip.sixtofour:
            ip = ip.sixtofour
        elif ip in NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.is_global and not ip.is_multicast


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to an address resolved and checked beforehand."""

    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection to a checked address, verifying the host's certificate."""

    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class SafeFetcher(fetchers.Urllib2Fetcher):
    """A python3-openid fetcher bounded in time, size, scheme and address."""

    def __init__(self, timeout=None, max_bytes=None, allow_private=None):
        # None means: read the current app's configuration at each fetch.
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.allow_private = allow_private

    def _setting(self, value, key, default):
        return value if value is not None else _setting(key, default)

    def fetch(self, url, body=None, headers=None):
        timeout = float(self._setting(self.timeout, "OPENID_FETCH_TIMEOUT", DEFAULT_TIMEOUT))
        max_bytes = int(self._setting(self.max_bytes, "OPENID_FETCH_MAX_BYTES", DEFAULT_MAX_BYTES))
        allow_private = self._setting(self.allow_private, "OPENID_ALLOW_PRIVATE_NETWORKS", False)
        deadline = time.monotonic() + timeout
        headers = dict(headers or {})
        headers.setdefault("User-Agent", fetchers.USER_AGENT)
        headers["Accept-Encoding"] = "identity"
        method = "POST" if body is not None else "GET"
        if isinstance(body, str):
            body = body.encode("utf-8")
        if body is not None:
            # python3-openid POSTs form-encoded bodies and leaves the type to
            # the fetcher, as urllib does.
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")

        for _hop in range(MAX_REDIRECTS + 1):
            status, response_headers, data = self._fetch_once(
                url, method, body, headers, deadline, max_bytes, allow_private
            )
            location = response_headers.get("location")
            if status in REDIRECT_CODES and location:
                url = urljoin(url, location)
                if status == 303 or (status in (301, 302) and method == "POST"):
                    method, body = "GET", None
                    headers.pop("Content-Type", None)
                continue
            return self._response(url, status, response_headers, data)
        raise FetchError(_("%(host)s redirected too many times.", host=_host(url)))

    def _fetch_once(self, url, method, body, headers, deadline, max_bytes, allow_private):
        try:
            parts = urlsplit(url)
        except ValueError:
            raise FetchRefused(_("The address is malformed.")) from None
        if parts.scheme not in ("http", "https"):
            raise FetchRefused(_("Only http and https addresses can be used."))
        host = parts.hostname
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise FetchRefused(_("The address has an invalid port.")) from None
        if not host:
            raise FetchRefused(_("The address has no host name."))
        # A place at the gate for the whole fetch, from the lookup to the last byte.
        with gate.place(host) as place:
            address = _resolve(host, port, _remaining(deadline, host), allow_private, place)
            connection_class = (
                _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
            )
            connection = connection_class(host, port, address, timeout=_remaining(deadline, host))
            target = parts.path or "/"
            if parts.query:
                target += "?" + parts.query
            # A watchdog shuts the socket at the deadline: per-read timeouts alone
            # let a server that sends a byte a second hold the fetch for hours.
            watchdog = threading.Timer(_remaining(deadline, host), _shut, (connection,))
            watchdog.daemon = True
            watchdog.start()
            response = None
            try:
                connection.request(method, target, body=body, headers=headers)
                response = connection.getresponse()
                chunks, size = [], 0
                if response.status not in REDIRECT_CODES:
                    while chunk := response.read1(65536):
                        size += len(chunk)
                        if size > max_bytes:
                            raise FetchError(
                                _(
                                    "%(host)s sent more than %(kilobytes)d KB.",
                                    host=host,
                                    kilobytes=max_bytes // 1024,
                                )
                            )
                        chunks.append(chunk)
                        _remaining(deadline, host)
                return (
                    response.status,
                    {k.lower(): v for k, v in response.getheaders()},
                    b"".join(chunks),
                )
            except FetchError:
                raise
            except ssl.SSLError as exc:
                raise FetchError(
                    _(
                        "The secure connection to %(host)s failed (%(reason)s).",
                        host=host,
                        reason=exc.reason,
                    )
                ) from exc
            except (OSError, http.client.HTTPException) as exc:
                if time.monotonic() >= deadline:
                    raise FetchError(_("%(host)s did not answer in time.", host=host)) from exc
                if isinstance(exc, ConnectionRefusedError):
                    raise FetchError(_("%(host)s refused the connection.", host=host)) from exc
                raise FetchError(_("%(host)s could not be reached.", host=host)) from exc
            finally:
                watchdog.cancel()
                if response is not None:
                    response.close()  # its file object holds the socket open
                connection.close()

    def _response(self, url, status, headers, data):
        response = fetchers.HTTPResponse(final_url=url, status=status, headers=headers)
        _content_type, params = self._parseHeaderValue(headers.get("content-type", ""))
        try:
            response.body = data.decode(params.get("charset", "latin1").strip('"'))
        except (LookupError, UnicodeDecodeError):
            response.body = data.decode("latin1")
        return response


def _count_fetch(seconds: float) -> None:
    """Tally outgoing requests per incoming one, for the Server-Timing header."""
    if has_request_context():
        g.fetches = g.get("fetches", 0) + 1
        g.fetch_seconds = g.get("fetch_seconds", 0.0) + seconds


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or url
    except ValueError:
        return url


def _remaining(deadline: float, host: str) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchError(_("%(host)s did not answer in time.", host=host))
    return left


def _shut(connection: http.client.HTTPConnection) -> None:
    sock = connection.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _resolve(host: str, port: int, timeout: float, allow_private: bool, place: Place) -> str:
    """Resolve ``host`` within ``timeout``; return an address it may connect to.

    Every address the name resolves to must be public, not just the first:
    otherwise the resolver's order would decide what is reachable.
    """
    result: list = []

    def lookup():
        try:
            result.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except (OSError, UnicodeError) as exc:
            result.append(exc)
        finally:
            place.release()

    # getaddrinfo has no timeout of its own: wait for it in a thread, which
    # holds the request's place at the gate until the resolver answers.
    place.hold()
    thread = threading.Thread(target=lookup, daemon=True)
    thread.start()
    thread.join(timeout)
    if not result:
        raise FetchError(_("Looking up %(host)s took too long.", host=host))
    if isinstance(result[0], Exception):
        raise FetchError(_("%(host)s could not be found.", host=host))
    addresses = [info[4][0] for info in result[0]]
    if not addresses:
        raise FetchError(_("%(host)s could not be found.", host=host))
    if not allow_private:
        for address in addresses:
            if not is_public_address(address):
                raise FetchRefused(
                    _(
                        "%(host)s is on a private or local network, which this site does not "
                        "contact.",
                        host=host,
                    )
                )
    return addresses[0]


def install_fetcher(before_waiting: Callable[[], None] | None = None) -> None:
    """Make every python3-openid fetch in this process go through SafeFetcher.

    :param before_waiting: called before each outgoing request, to let go of
        what the request holds meanwhile (its database connection).
    """
    gate.before_waiting = before_waiting
    if not isinstance(_unwrapped(fetchers.getDefaultFetcher()), SafeFetcher):
        fetchers.setDefaultFetcher(SafeFetcher())


def _unwrapped(fetcher):
    return getattr(fetcher, "fetcher", fetcher)
