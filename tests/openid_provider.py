"""An OpenID 2.0 provider for tests, on python3-openid's ``openid.server``.

It approves every sign-in at once (no page to click) and sends, by SReg, the
profile a test gave the identity. It records every request it receives, so a
test can prove that the app never contacted it, and the direct requests (the
app's own POSTs to its endpoint: associate, check_authentication) apart.

``pape`` says how it answers a PAPE request (python3-openid's draft PAPE 5)
to authenticate again: "honour" (``auth_time`` now), "ignore" (no PAPE
answer, as a provider without PAPE), "stale" (``auth_time`` an hour ago) or
"no auth_time" (a PAPE answer without one). ``checkids`` keeps the fields of
each sign-in request.

``offers`` narrows the associations it makes, as an independent provider's
may; ``suggestion`` replaces what it suggests when it refuses a type, and
``garbled`` makes it answer some direct requests with a page of HTML.
"""

import html
import time

from openid.association import SessionNegotiator
from openid.extensions import sreg
from openid.extensions.draft import pape5 as pape
from openid.message import OPENID_NS
from openid.server.server import AssociateRequest, CheckIDRequest, ProtocolError, Server
from openid.store.memstore import MemoryStore
from openid.store.nonce import mkNonce
from werkzeug.wrappers import Request, Response

from .helpers import ServedApp


class TestProvider(ServedApp):
    __test__ = False  # not a test class, despite its name

    def __init__(self, host="127.0.0.1"):
        self.profiles: dict[str, dict] = {}
        # Who signs in when the relying party lets the provider choose.
        self.select_as = "selected"
        # Backdate the nonce of every answer by this many seconds.
        self.nonce_age = 0
        self.hits: list[str] = []
        # (path, openid.mode) of every request, to tell the browser's from the app's.
        self.requests: list[tuple[str, str | None]] = []
        # The openid.* fields of each associate and check_authentication request.
        self.direct: list[dict[str, str]] = []
        # The (assoc_type, session_type) pairs it makes associations of, best
        # first; None for python3-openid's default (all of them).
        self.offers: list[tuple[str, str]] | None = None
        # What it suggests when it refuses a type; None for its best offer.
        self.suggestion: tuple[str, str] | None = None
        # The HTTP status of a refused associate request.
        self.refusal_status = 400
        # Direct requests (by openid.mode) answered with a body that is not key-value form.
        self.garbled: set[str] = set()
        # Extra documents to serve: path -> (body, content type).
        self.documents: dict[str, tuple[str, str]] = {}
        self.pape = "honour"
        self.checkids: list[dict[str, str]] = []
        self.store = MemoryStore()
        super().__init__(host)

    def identity(self, name: str, **profile) -> str:
        """Create an identity whose sign-in sends ``profile`` (nickname, email)."""
        self.profiles[name] = profile
        return f"{self.url}/id/{name}"

    def wsgi(self, environ, start_response):
        request = Request(environ)
        self.hits.append(request.path)
        self.requests.append((request.path, request.values.get("openid.mode")))
        if request.path in self.documents:
            body, content_type = self.documents[request.path]
            response = Response(body, content_type=content_type)
        elif request.path == "/op":
            response = self.op_identifier_document()
        elif request.path.startswith("/id/"):
            response = self.identity_page()
        elif request.path == "/endpoint":
            response = self.endpoint(request)
        else:
            response = Response("<html><body>No OpenID here.</body></html>", mimetype="text/html")
        return response(environ, start_response)

    @property
    def op_identifier(self) -> str:
        """The URL to type to let the provider choose the identity (identifier select)."""
        return f"{self.url}/op"

    def op_identifier_document(self):
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<xrds:XRDS xmlns:xrds="xri://$xrds" xmlns="xri://$xrd*($v*2.0)"><XRD><Service>'
            "<Type>http://specs.openid.net/auth/2.0/server</Type>"
            f"<URI>{html.escape(self.url)}/endpoint</URI></Service></XRD></xrds:XRDS>"
        )
        return Response(body, content_type="application/xrds+xml")

    def identity_page(self):
        endpoint = html.escape(f"{self.url}/endpoint")
        body = f'<html><head><link rel="openid2.provider" href="{endpoint}"></head></html>'
        return Response(body, mimetype="text/html")

    def requests_of_the_app(self) -> list[tuple[str, str | None]]:
        """The requests the relying party made itself: all but the browser's checkid."""
        return [r for r in self.requests if r[1] not in ("checkid_setup", "checkid_immediate")]

    def associations_asked(self) -> list[tuple[str, str]]:
        """The (assoc_type, session_type) of each associate request, in order."""
        return [
            (fields.get("openid.assoc_type"), fields.get("openid.session_type"))
            for fields in self.direct
            if fields.get("openid.mode") == "associate"
        ]

    def endpoint(self, request):
        server = Server(self.store, op_endpoint=f"{self.url}/endpoint")
        if self.offers is not None:
            server.negotiator = SessionNegotiator(self.offers)
        fields = request.values.to_dict()
        if fields.get("openid.mode") in ("associate", "check_authentication"):
            self.direct.append({k: v for k, v in fields.items() if k.startswith("openid.")})
        if fields.get("openid.mode") in self.garbled:
            return Response("<html>Service temporarily unavailable</html>", mimetype="text/html")
        try:
            openid_request = server.decodeRequest(fields)
        except ProtocolError as error:
            return Response(str(error), 400)
        if isinstance(openid_request, AssociateRequest) and self.offers is not None:
            return self.associate(server, openid_request)
        if isinstance(openid_request, CheckIDRequest):
            self.checkids.append(fields)
            if openid_request.idSelect():
                name = self.select_as
                identity = f"{self.url}/id/{name}"
                openid_response = openid_request.answer(
                    True, identity=identity, claimed_id=identity
                )
            else:
                name = openid_request.identity.rsplit("/", 1)[-1]
                openid_response = openid_request.answer(True)
            if self.nonce_age:
                nonce = mkNonce(int(time.time()) - self.nonce_age)
                openid_response.fields.setArg(OPENID_NS, "response_nonce", nonce)
            profile = {k: v for k, v in self.profiles.get(name, {}).items() if v}
            if profile:
                sreg_request = sreg.SRegRequest.fromOpenIDRequest(openid_request)
                openid_response.addExtension(
                    sreg.SRegResponse.extractResponse(sreg_request, profile)
                )
            self.answer_pape(openid_request, openid_response)
        else:
            openid_response = server.handleRequest(openid_request)
        return self.encode(server, openid_response)

    def answer_pape(self, openid_request, openid_response):
        if pape.Request.fromOpenIDRequest(openid_request) is None or self.pape == "ignore":
            return
        if self.pape == "no auth_time":
            openid_response.addExtension(pape.Response(auth_policies=[pape.AUTH_NONE]))
            return
        age = 3600 if self.pape == "stale" else 0
        when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - age))
        openid_response.addExtension(pape.Response(auth_time=when))

    def associate(self, server, openid_request):
        """Make an association of a type it offers, or refuse with a suggestion.

        A refusal is a 400, as OpenID 2.0 (5.1.2.2) says, unless ``refusal_status``
        says otherwise (python3-openid's own server answers 200).
        """
        session_type = openid_request.session.session_type
        if server.negotiator.isAllowed(openid_request.assoc_type, session_type):
            return self.encode(server, server.handleRequest(openid_request))
        suggestion = self.suggestion or server.negotiator.getAllowedType()
        refusal = openid_request.answerUnsupported(
            f"{openid_request.assoc_type} with {session_type} is not supported", *suggestion
        )
        return self.encode(server, refusal, self.refusal_status)

    @staticmethod
    def encode(server, openid_response, status=None):
        web = server.encodeResponse(openid_response)
        return Response(web.body, status or web.code, web.headers)
