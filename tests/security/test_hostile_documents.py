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


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY, "<xrds:XRDS><unclosed"])
def test_hostile_xrds_document_ends_on_login_with_a_message(browser, provider, document):
    provider.documents["/hostile"] = (document, "application/xrds+xml")
    identity = f"{provider.url}/hostile"
    page = browser.start_sign_in(identity)
    assert page.url.startswith(browser.url("/login"))
    assert f"No OpenID provider was found at {identity}" in page.text
