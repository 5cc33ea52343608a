"""A real OpenID 2.0 provider for development and tests, with no internet.

Built on python3-openid's ``openid.server`` the way its djopenid example is:
decode the request, answer it, encode the answer. Anyone may sign in as any
username; it exists so that ``make run`` works offline. The factory mounts it
under /dev/openid/ only when ``DEV_OPENID_PROVIDER`` is on.
"""

import os
import re
import time
from urllib.parse import parse_qsl, urlencode

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
)
from markupsafe import Markup
from openid.extensions import ax, sreg
from openid.extensions.draft import pape5 as pape
from openid.server.server import (
    ENCODE_HTML_FORM,
    ENCODE_KVFORM,
    ENCODE_URL,
    CheckIDRequest,
    ProtocolError,
    Server,
)
from openid.store.filestore import FileOpenIDStore

from ..extensions import csrf
from ..i18n import gettext as _
from ..urls import external_url
from .forms import ApproveForm

bp = Blueprint("devprovider", __name__)

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
XRDS_TYPE = "application/xrds+xml"
SIGNON_TYPE = "http://specs.openid.net/auth/2.0/signon"
SERVER_TYPE = "http://specs.openid.net/auth/2.0/server"
AX_NICKNAME = {
    "http://axschema.org/namePerson/friendly",
    "http://schema.openid.net/namePerson/friendly",
}
AX_EMAIL = {"http://axschema.org/contact/email", "http://schema.openid.net/contact/email"}


def openid_server() -> Server:
    store = FileOpenIDStore(os.path.join(current_app.config["OPENID_FS_STORE_PATH"], "devprovider"))
    return Server(store, op_endpoint=external_url("devprovider.endpoint"))


def identity_url(username: str) -> str:
    return external_url("devprovider.identity", username=username)


def username_of(identity: str) -> str | None:
    """Return the username in one of this provider's identity URLs, else None."""
    prefix = identity_url("x")[:-1]
    if identity.startswith(prefix) and USERNAME_RE.match(identity[len(prefix) :]):
        return identity[len(prefix) :]
    return None


def wants_xrds() -> bool:
    """Yadis clients prefer XRDS; browsers (and "*/*") get the HTML page."""
    return request.accept_mimetypes.best_match(["text/html", XRDS_TYPE]) == XRDS_TYPE


def xrds(service_type: str, local_id: str | None = None) -> Response:
    body = render_template(
        "devprovider/xrds.xml",
        service_type=service_type,
        endpoint=external_url("devprovider.endpoint"),
        local_id=local_id,
    )
    return Response(body, mimetype=XRDS_TYPE)


@bp.route("/")
def identifier():
    """The OP identifier: sign in here and choose a username at the provider."""
    if wants_xrds():
        return xrds(SERVER_TYPE)
    response = Response(
        render_template("devprovider/index.html", title=_("Development OpenID provider"))
    )
    response.headers["X-XRDS-Location"] = external_url("devprovider.identifier")
    return response


@bp.route("/id/<username>")
def identity(username):
    """A user's identity page, discoverable by XRDS and by HTML <link>."""
    if not USERNAME_RE.match(username):
        abort(404)
    if wants_xrds():
        return xrds(SIGNON_TYPE, identity_url(username))
    return render_template(
        "devprovider/identity.html",
        title=username,
        username=username,
        endpoint=external_url("devprovider.endpoint"),
        identity=identity_url(username),
    )


@bp.route("/endpoint", methods=["GET", "POST"])
@csrf.exempt  # relying parties POST here server to server
def endpoint():
    """The OpenID endpoint: associations, checks, and sign-in requests."""
    server = openid_server()
    try:
        openid_request = server.decodeRequest(request.values.to_dict())
    except ProtocolError as error:
        return protocol_error(server, error)
    if openid_request is None:
        return render_template("devprovider/endpoint.html", title=_("OpenID endpoint"))
    if isinstance(openid_request, CheckIDRequest):
        if openid_request.immediate:
            return send(server, openid_request.answer(False))
        return show_approval(openid_request)
    return send(server, server.handleRequest(openid_request))


@bp.route("/approve", methods=["POST"])
def approve():
    """Answer the sign-in request the approval page was shown for."""
    server = openid_server()
    form = ApproveForm()
    try:
        openid_request = server.decodeRequest(dict(parse_qsl(form.openid_request.data or "")))
    except ProtocolError as error:
        return protocol_error(server, error)
    if not isinstance(openid_request, CheckIDRequest):
        abort(400)
    if form.cancel.data:
        return send(server, openid_request.answer(False))
    if not form.validate_on_submit():
        return show_approval(openid_request, form)
    username = requested_username(openid_request) or form.username.data
    identity = identity_url(username)
    response = openid_request.answer(True, identity=identity, claimed_id=identity)
    add_profile(openid_request, response, nickname=username, email=form.email.data or None)
    if pape.Request.fromOpenIDRequest(openid_request) is not None:
        # This provider keeps no session: every approval is a new sign-in.
        auth_time = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        response.addExtension(pape.Response(auth_time=auth_time))
    return send(server, response)


def requested_username(openid_request: CheckIDRequest) -> str | None:
    """The username asked for, or None when the provider is to ask for one."""
    if openid_request.idSelect():
        return None
    return username_of(openid_request.identity)


def show_approval(openid_request: CheckIDRequest, form: ApproveForm | None = None):
    if not openid_request.idSelect() and username_of(openid_request.identity) is None:
        return render_template(
            "devprovider/endpoint.html",
            title=_("Unknown identity"),
            error=_(
                "%(identity)s is not an identity of this provider.",
                identity=openid_request.identity,
            ),
        ), 400
    username = requested_username(openid_request)
    form = form or ApproveForm(username=username or "demo")
    form.openid_request.data = urlencode(openid_request.message.toPostArgs())
    pape_request = pape.Request.fromOpenIDRequest(openid_request)
    return render_template(
        "devprovider/approve.html",
        title=_("Approve sign-in"),
        form=form,
        username=username,
        realm=openid_request.trust_root,
        again=pape_request is not None and pape_request.max_auth_age is not None,
    )


def add_profile(openid_request, response, nickname: str, email: str | None) -> None:
    """Send the nickname and email the relying party asked for, by SReg and AX."""
    values = {"nickname": nickname, "email": email}
    sreg_request = sreg.SRegRequest.fromOpenIDRequest(openid_request)
    response.addExtension(
        sreg.SRegResponse.extractResponse(sreg_request, {k: v for k, v in values.items() if v})
    )
    ax_request = ax.FetchRequest.fromOpenIDRequest(openid_request)
    if ax_request is not None:
        ax_response = ax.FetchResponse(request=ax_request)
        for type_uri in ax_request.requested_attributes:
            value = nickname if type_uri in AX_NICKNAME else email if type_uri in AX_EMAIL else None
            if value:
                ax_response.addValue(type_uri, value)
        response.addExtension(ax_response)


def send(server: Server, openid_response):
    """Encode an answer: a redirect, an auto-submitted form, or key-value text."""
    if openid_response.whichEncoding() == ENCODE_HTML_FORM:
        # python3-openid's own page submits the form with inline script, which
        # the site's Content-Security-Policy forbids; ours uses a static file.
        # Its encoder signs the answer; here that is ours to do.
        if openid_response.needsSigning():
            openid_response = server.signatory.sign(openid_response)
        markup = Markup(
            openid_response.fields.toFormMarkup(
                openid_response.request.return_to,
                {"data-autosubmit": "true"},
                submit_text=_("Continue"),  # python3-openid's own is English
            )
        )
        return render_template("devprovider/post.html", title=_("Returning"), form_markup=markup)
    web_response = server.encodeResponse(openid_response)
    return Response(web_response.body, web_response.code, web_response.headers)


def protocol_error(server: Server, error: ProtocolError):
    """Report a malformed request to the relying party if possible, else to the person."""
    encoding = error.whichEncoding()
    if encoding == ENCODE_URL:
        return redirect(error.encodeToURL())
    if encoding == ENCODE_KVFORM:
        return Response(error.encodeToKVForm(), 400, mimetype="text/plain")
    return render_template(
        "devprovider/endpoint.html", title=_("Bad OpenID request"), error=str(error)
    ), 400
