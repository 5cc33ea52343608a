"""Host-header forgery: the realm and return URL come from configuration."""

from urllib.parse import parse_qs, urlsplit

import pytest

from app import ConfigError, create_app
from config import ProductionConfig

from ..helpers import STRONG_KEY, csrf_token


def provider_request(client, identity, **headers):
    """Start a sign-in; return the OpenID request the provider would receive."""
    page = client.get("/login", headers=headers)
    token = csrf_token(page)
    response = client.post(
        "/login", data={"openid": identity, "csrf_token": token}, headers=headers
    )
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    return query["openid.realm"][0], query["openid.return_to"][0]


@pytest.mark.parametrize(
    "headers",
    [{"Host": "evil.example"}, {"X-Forwarded-Host": "evil.example"}],
)
def test_a_forged_host_does_not_reach_the_realm_or_return_url(app, client, provider, headers):
    app.config["SERVER_NAME"] = "microblog.example"
    realm, return_to = provider_request(client, provider.identity("alice"), **headers)
    assert realm == "http://microblog.example/"
    assert return_to.startswith("http://microblog.example/login?")
    assert "evil" not in realm + return_to


def test_forwarded_host_is_ignored_without_the_proxy_setting(client, provider):
    realm, return_to = provider_request(
        client, provider.identity("alice"), **{"X-Forwarded-Host": "evil.example"}
    )
    assert "evil" not in realm + return_to


def test_trusted_hosts_refuses_any_other_host(app, client):
    app.config["TRUSTED_HOSTS"] = ["microblog.example"]
    response = client.get("/login", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert "not served under that host name" in response.text
    assert client.get("/login", headers={"Host": "microblog.example"}).status_code == 200


def test_production_uses_https_for_the_configured_host(production_env, monkeypatch, provider):
    monkeypatch.setenv("FLASK_OPENID_ALLOW_PRIVATE_NETWORKS", "true")  # the test provider
    app = create_app(ProductionConfig)
    client = app.test_client()
    realm, return_to = provider_request(
        client, provider.identity("alice"), **{"Host": "evil.example"}
    )
    assert realm == "https://microblog.example/"
    assert return_to.startswith("https://microblog.example/login?")


def test_production_refuses_to_start_without_a_public_host(monkeypatch):
    monkeypatch.setenv("FLASK_SECRET_KEY", STRONG_KEY)
    monkeypatch.delenv("FLASK_SERVER_NAME", raising=False)
    monkeypatch.delenv("FLASK_TRUSTED_HOSTS", raising=False)
    with pytest.raises(ConfigError, match="public host is not configured"):
        create_app(ProductionConfig)
