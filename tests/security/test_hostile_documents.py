"""Hostile discovery documents: XML bombs, external entities, malformed markup."""

import pytest

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">]>
<xrds:XRDS xmlns:xrds="xri://$xrds" xmlns="xri://$xrd*($v*2.0)"><XRD><Service>
<Type>&lol5;</Type><URI>http://127.0.0.1:1/</URI></Service></XRD></xrds:XRDS>"""


EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xrds:XRDS xmlns:xrds="xri://$xrds" xmlns="xri://$xrd*($v*2.0)"><XRD><Service>
<Type>http://specs.openid.net/auth/2.0/signon</Type><URI>&xxe;</URI></Service></XRD></xrds:XRDS>"""


XRDS_OPEN = '<xrds:XRDS xmlns:xrds="xri://$xrds" xmlns="xri://$xrd*($v*2.0)"><XRD>'
DEEP_XRDS = XRDS_OPEN + "<Service>" * 50_000 + "</Service>" * 50_000 + "</XRD></xrds:XRDS>"
DEEP_HTML = "<html><head>" + "<div>" * 100_000 + "</head></html>"
MALFORMED_HTML = '<html><head><link rel="openid2.provider" href=<<>>"</head><body><'
HUGE_HTML = "<html><head></head><body>" + "x" * (2 * 1024 * 1024) + "</body></html>"


@pytest.mark.parametrize(
    ("document", "content_type"),
    [
        (BILLION_LAUGHS, "application/xrds+xml"),
        (EXTERNAL_ENTITY, "application/xrds+xml"),
        ("<xrds:XRDS><unclosed", "application/xrds+xml"),
        (DEEP_XRDS, "application/xrds+xml"),
        (DEEP_HTML, "text/html"),
        (MALFORMED_HTML, "text/html"),
        (HUGE_HTML, "text/html"),
    ],
    ids=[
        "billion-laughs",
        "external-entity",
        "unclosed",
        "deep-xrds",
        "deep-html",
        "malformed-html",
        "huge",
    ],
)
def test_hostile_discovery_document_ends_on_login_with_a_message(
    browser, provider, document, content_type
):
    provider.documents["/hostile"] = (document, content_type)
    identity = f"{provider.url}/hostile"
    page = browser.start_sign_in(identity)
    assert page.url.startswith(browser.url("/login"))
    assert f"No OpenID provider was found at {identity}" in page.text or (
        f"Could not sign in with {identity}" in page.text
    )
