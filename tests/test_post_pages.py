"""Pages of posts: every post reached exactly once, whatever is written meanwhile."""

import re

import pytest

from app.extensions import db
from app.main.posts import RECENT
from app.models import Follow

from .helpers import add_posts, add_user, post_bodies


def walk(client, path, link="next"):
    """Follow the pager's ``link`` from ``path`` to the end: the pages' bodies
    and paths, in the order visited."""
    pages = []
    while path:
        page = client.get(path)
        assert page.status_code == 200
        pages.append((path, post_bodies(page)))
        found = re.search(rf'href="([^"]+)" rel="{link}"', page.text)
        path = found.group(1).replace("&amp;", "&") if found else None
    return pages


@pytest.fixture
def timeline(app, user):
    """alice follows bob; carol is followed by no one. 45 posts in all."""
    bob, carol = add_user(app, "bob"), add_user(app, "carol")
    for start, author in enumerate([user, bob, carol] * 5):
        add_posts(app, author, 3, start=start * 3)
    with app.app_context():
        db.session.add(Follow(follower_id=user.id, followed_id=bob.id))
        db.session.commit()
    return {"alice": user, "bob": bob, "carol": carol}


def bodies_by(*rounds_of_authors):
    return {f"post {r * 3 + i}" for r in rounds_of_authors for i in range(3)}


@pytest.mark.both_databases
@pytest.mark.parametrize(
    ("path", "rounds"),
    [
        ("/explore", range(15)),
        ("/index", [r for r in range(15) if r % 3 != 2]),  # alice's and bob's
        ("/user/carol", range(2, 15, 3)),
    ],
)
def test_older_links_reach_every_post_exactly_once_newest_first(
    user_client, timeline, path, rounds
):
    pages = walk(user_client, path)
    seen = [body for _, bodies in pages for body in bodies]
    assert len(seen) == len(set(seen))
    assert set(seen) == bodies_by(*rounds)
    assert seen == sorted(seen, key=lambda body: -int(body.split()[1]))
    assert [len(bodies) for _, bodies in pages[:-1]] == [20] * (len(pages) - 1)


def test_newer_links_lead_back_through_the_same_pages(user_client, timeline):
    older = walk(user_client, "/explore")
    assert len(older) == 3
    newer = walk(user_client, older[-1][0], link="prev")
    assert [bodies for _, bodies in newer] == [bodies for _, bodies in reversed(older)]


@pytest.mark.both_databases
def test_a_post_written_between_pages_neither_repeats_nor_hides_one(app, user_client, timeline):
    first = user_client.get("/explore")
    add_posts(app, timeline["carol"], 1, start=100)
    older = re.search(r'href="([^"]+)" rel="next"', first.text).group(1)
    second = post_bodies(user_client.get(older))
    assert set(post_bodies(first)).isdisjoint(second)
    assert second[0] == "post 24"  # the one after the first page's last


@pytest.mark.both_databases
def test_the_timeline_finds_posts_older_than_everyone_elses_recent_ones(app, user, user_client):
    # The timeline looks among the newest posts first (RECENT); posts of the
    # reader's behind more than that many of a stranger's must still be found.
    add_posts(app, user, 25)
    add_posts(app, add_user(app, "stranger"), RECENT + 10, start=100)
    pages = walk(user_client, "/index")
    assert [bodies for _, bodies in pages] == [
        [f"post {i}" for i in range(24, 4, -1)],
        [f"post {i}" for i in range(4, -1, -1)],
    ]
