"""Association negotiation that finds what each OpenID 2.0 provider supports.

python3-openid asks for our first choice and, when refused, tries only the
provider's suggestion; an unusable suggestion (one providers send is
HMAC-SHA256 with DH-SHA1, which cannot go together) ends in no association,
so every sign-in then costs a failed ``associate`` and a ``check_authentication``.
``NegotiatingConsumer`` walks our whole preference list instead, and remembers
for ``MEMORY_SECONDS`` what the provider's endpoint agreed to (or that it
agreed to nothing), in the place DiscoveryCache shares its results, so every
process and host asks for the right type at once when an association expires.
"""

import hashlib
import json
import time

from openid.consumer.consumer import GenericConsumer, ServerError
from openid.fetchers import HTTPFetchingError
from openid.message import OPENID2_NS, OPENID_NS

MEMORY_SECONDS = 24 * 3600

# Remembered for a provider that made no association of any type we allow.
STATELESS = (None, None)


class Refused(Exception):
    """The provider declined this type; ``suggestion`` is what it offered instead."""

    def __init__(self, suggestion: tuple[str | None, str | None]):
        super().__init__(suggestion)
        self.suggestion = suggestion


class Unusable(Exception):
    """No answer, or one that is neither an association nor a refusal."""


class NegotiatingConsumer(GenericConsumer):
    def allowed_types(self, server_url: str) -> list[tuple[str, str]]:
        """Our preference list, without no-encryption unless over https.

        OpenID 2.0 (8.4.1) forbids it elsewhere, since the MAC key would then
        cross the network in the clear; python3-openid would take it when
        offered.
        """
        secure = server_url.startswith("https://")
        return [t for t in self.negotiator.allowed_types if secure or t[1] != "no-encryption"]

    def _negotiateAssociation(self, endpoint):
        server_url = endpoint.server_url
        allowed = self.allowed_types(server_url)
        remembered = recall(server_url)
        if remembered == STATELESS:
            return None
        candidates = ([remembered] if remembered in allowed else []) + allowed
        tried = []
        while pair := next((p for p in candidates if p not in tried), None):
            tried.append(pair)
            try:
                association = self._associate(endpoint, *pair)
            except Refused as refusal:
                if refusal.suggestion in allowed:
                    # The provider knows best, when what it suggests is ours to use.
                    candidates.insert(0, refusal.suggestion)
                continue
            except Unusable:
                return None  # a fault, not an answer: remember nothing
            remember(server_url, pair)
            return association
        remember(server_url, STATELESS)
        return None

    def _associate(self, endpoint, assoc_type: str, session_type: str):
        """Ask for one association; raise Refused or Unusable when none is made."""
        session, request = self._createAssociateRequest(endpoint, assoc_type, session_type)
        try:
            response = self._makeKVPost(request, endpoint.server_url)
            # python3-openid's own server sends its refusals with a 200.
            if response.hasKey(OPENID_NS, "error") or response.hasKey(OPENID_NS, "error_code"):
                raise ServerError.fromMessage(response)
            return self._extractAssociation(response, session)
        except ServerError as error:
            raise Refused(suggestion(error)) from None
        except (HTTPFetchingError, KeyError, ValueError) as error:
            # ValueError: python3-openid's ProtocolError and malformed messages.
            raise Unusable(str(error)) from None


def suggestion(error: ServerError) -> tuple[str | None, str | None]:
    """The (assoc_type, session_type) an OpenID 2.0 unsupported-type refusal offers."""
    message = error.message
    if error.error_code != "unsupported-type" or not message.isOpenID2():
        return STATELESS
    return message.getArg(OPENID2_NS, "assoc_type"), message.getArg(OPENID2_NS, "session_type")


def _key(server_url: str) -> str:
    # A discovery key is the hash of a URL; no URL starts with this.
    return hashlib.sha256(f"association types {server_url}".encode()).hexdigest()


def recall(server_url: str) -> tuple[str | None, str | None] | None:
    """What ``server_url`` agreed to lately, STATELESS for nothing, or None if unknown."""
    from .store import discovery_store  # store imports extensions, which import this module

    data = discovery_store().getDiscovery(_key(server_url))
    try:
        loaded = json.loads(data)
        return loaded["assoc_type"], loaded["session_type"]
    except (TypeError, ValueError, KeyError):
        return None


def remember(server_url: str, pair: tuple[str | None, str | None]) -> None:
    from .store import discovery_store

    data = json.dumps({"assoc_type": pair[0], "session_type": pair[1]})
    discovery_store().storeDiscovery(_key(server_url), data, int(time.time() + MEMORY_SECONDS))
