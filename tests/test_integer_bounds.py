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


LISTS = ["/index?before=", "/explore?after=", "/user/alice?before=", "/user/alice/followers?page="]


@pytest.mark.parametrize("number", OUT_OF_RANGE + [-1])
@pytest.mark.parametrize("path", LISTS)
def test_a_position_no_list_can_have_shows_a_page(user_client, path, number):
    assert user_client.get(f"{path}{number}").status_code == 200


@pytest.mark.parametrize("number", OUT_OF_RANGE)
def test_deleting_a_post_no_id_can_name_is_a_404(user_client, number):
    token = csrf_token(user_client.get("/index"))
    response = user_client.post(f"/post/{number}/delete", data={"csrf_token": token})
    assert response.status_code == 404
