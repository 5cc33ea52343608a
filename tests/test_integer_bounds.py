"""Integers in URLs: a number no row can have is a 404 page, never a database
error, on SQLite (64-bit integers) and PostgreSQL (32-bit ids)."""

import pytest

from .helpers import csrf_token

pytestmark = pytest.mark.both_databases

OUT_OF_RANGE = [0, 2**31, 2**63, 2**64, 99999999999999999999999]


@pytest.mark.parametrize("number", OUT_OF_RANGE + ["-1"])
def test_unlinking_an_identity_no_row_can_have_is_a_404(user_client, number):
    token = csrf_token(user_client.get("/account"))
    response = user_client.post(f"/account/identities/{number}/unlink", data={"csrf_token": token})
    assert response.status_code == 404
    assert "There is no page at this address." in response.text


@pytest.mark.parametrize("number", OUT_OF_RANGE + [-1])
def test_a_page_number_no_page_can_have_shows_a_page(user_client, number):
    response = user_client.get(f"/index?page={number}")
    assert response.status_code == 200
    assert "Say something" in response.text
