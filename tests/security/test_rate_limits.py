"""Abuse by volume: starting sign-ins and posting are limited per client."""

from ..helpers import csrf_token


def test_starting_sign_ins_is_limited_per_client_address(app, client):
    app.config["SIGNIN_RATE_LIMIT"] = "3 per minute"
    for _ in range(3):
        assert client.post("/login", data={"openid": ""}).status_code != 429
    response = client.post("/login", data={"openid": ""})
    assert response.status_code == 429
    assert "You are doing that too often." in response.text
    assert int(response.headers["Retry-After"]) > 0
    assert client.get("/login").status_code == 200  # reading the page is not limited
    other = client.post("/login", data={"openid": ""}, environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert other.status_code != 429


def test_a_providers_answer_is_not_counted_as_a_sign_in_start(app, client):
    app.config["SIGNIN_RATE_LIMIT"] = "1 per minute"
    for _ in range(3):
        response = client.post("/login?openid_complete=yes", data={"openid.mode": "id_res"})
        assert response.status_code != 429


def test_posting_is_limited_per_account(app, user_client):
    app.config["POST_RATE_LIMIT"] = "2 per minute"
    token = csrf_token(user_client.get("/index"))
    statuses = [
        user_client.post("/index", data={"post": f"post {i}", "csrf_token": token}).status_code
        for i in range(3)
    ]
    assert statuses == [302, 302, 429]
