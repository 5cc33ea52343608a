"""An OpenID 2.0 provider for tests, on python3-openid's ``openid.server``.

It approves every sign-in at once (no page to click) and sends, by SReg, the
profile a test gave the identity. It records every request it receives, so a
test can prove that the app never contacted it.
"""

import html
import time

from openid.extensions import sreg
from openid.message import OPENID_NS
from openid.server.server import CheckIDRequest, ProtocolError, Server
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
        # Extra documents to serve: path -> (body, content type).
        self.documents: dict[str, tuple[str, str]] = {}
        self.store = MemoryStore()
        super().__init__(host)

    def identity(self, name: str, **profile) -> str:
        """Create an identity whose sign-in sends ``profile`` (nickname, email)."""
        self.profiles[name] = profile
        return f"{self.url}/id/{name}"

    def wsgi(self, environ, start_response):
        request = Request(environ)
        self.hits.append(request.path)
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

    def endpoint(self, request):
        server = Server(self.store, op_endpoint=f"{self.url}/endpoint")
        try:
            openid_request = server.decodeRequest(request.values.to_dict())
        except ProtocolError as error:
            return Response(str(error), 400)
        if isinstance(openid_request, CheckIDRequest):
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
        else:
            openid_response = server.handleRequest(openid_request)
        web = server.encodeResponse(openid_response)
        return Response(web.body, web.code, web.headers)
