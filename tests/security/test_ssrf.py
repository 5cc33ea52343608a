"""Server-side request forgery through discovery, and the fetcher's bounds:
schemes, addresses, redirects, time and size."""

import time

import pytest
from werkzeug.wrappers import Request, Response

from app.auth import fetcher
from app.auth.fetcher import FetchError, FetchRefused, SafeFetcher, is_public_address

from ..helpers import Browser, LiveServer


class Recorder:
    """A loopback web server whose answers a test sets, recording every hit."""

    def __init__(self, answer):
        self.hits = []
        self.answer = answer

    def __call__(self, environ, start_response):
        request = Request(environ)
        self.hits.append(request.path)
        return self.answer(request)(environ, start_response)


@pytest.fixture
def serve():
    servers = []

    def start(answer, host="127.0.0.1"):
        recorder = Recorder(answer)
        live = LiveServer(recorder, host)
        servers.append(live.__enter__())
        recorder.url = live.url
        recorder.port = live.server.server_port
        return recorder

    yield start
    for live in servers:
        live.__exit__(None, None, None)


def hello(request):
    return Response("hello", content_type="text/plain; charset=utf-8")


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:4700::6810:85e5", True),
        ("127.0.0.1", False),
        ("127.1.2.3", False),
        ("0.0.0.0", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("100.64.0.1", False),
        ("169.254.169.254", False),
        ("224.0.0.1", False),
        ("255.255.255.255", False),
        ("::1", False),
        ("::", False),
        ("fc00::1", False),
        ("fd12:3456::1", False),
        ("fe80::1", False),
        ("fe80::1%eth0", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:93.184.215.14", True),
        ("2002:7f00:1::", False),
        ("64:ff9b::7f00:1", False),
        ("ff02::1", False),
    ],
)
def test_is_public_address_knows_private_and_local_ranges(address, public):
    assert is_public_address(address) is public


def test_fetches_a_page_and_decodes_its_charset(serve):
    server = serve(hello)
    response = SafeFetcher(allow_private=True).fetch(server.url + "/x?y=1")
    assert (response.status, response.body, response.final_url) == (
        200,
        "hello",
        server.url + "/x?y=1",
    )
    assert response.headers["content-type"].startswith("text/plain")


def test_posts_a_form_encoded_body(serve):
    server = serve(lambda r: Response(f"{r.content_type}|{r.form['a']}"))
    response = SafeFetcher(allow_private=True).fetch(server.url, body="a=1")
    assert response.body == "application/x-www-form-urlencoded|1"


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/", "gopher://127.0.0.1:70/", "javascript:1"]
)
def test_refuses_schemes_other_than_http(url):
    with pytest.raises(FetchRefused, match="Only http and https"):
        SafeFetcher(allow_private=True).fetch(url)


@pytest.mark.parametrize(
    "template",
    [
        "http://127.0.0.1:{port}/",
        "http://localhost:{port}/",
        "http://0.0.0.0:{port}/",
        "http://[::1]:{port}/",
        "http://[::ffff:127.0.0.1]:{port}/",
        "http://2130706433:{port}/",
        "http://0177.0.0.1:{port}/",
        "http://0x7f.1:{port}/",
        "http://127.1:{port}/",
    ],
)
def test_refuses_loopback_in_every_spelling_without_contacting_it(serve, template):
    server = serve(hello)
    with pytest.raises(FetchRefused, match="private or local network"):
        SafeFetcher(allow_private=False).fetch(template.format(port=server.port))
    assert server.hits == []


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/",
        "http://192.168.0.1/",
        "http://172.20.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fc00::1]/",
        "http://[fe80::1]/",
    ],
)
def test_refuses_private_and_link_local_addresses_before_connecting(url, monkeypatch):
    def no_connection(*args, **kwargs):
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(fetcher.socket, "create_connection", no_connection)
    with pytest.raises(FetchRefused):
        SafeFetcher(allow_private=False).fetch(url)


def test_refuses_a_public_address_that_redirects_to_a_private_one(serve, monkeypatch):
    inside = serve(hello)
    outside = serve(lambda r: Response("", 302, {"Location": inside.url + "/secret"}), "127.0.0.2")
    # Let 127.0.0.2 stand for a public host, so the redirect is the only way in.
    monkeypatch.setattr(fetcher, "is_public_address", lambda address: address == "127.0.0.2")
    with pytest.raises(FetchRefused):
        SafeFetcher(allow_private=False).fetch(outside.url + "/")
    assert outside.hits == ["/"]
    assert inside.hits == []


def test_follows_redirects_and_reports_the_final_url(serve):
    target = serve(hello)
    start = serve(lambda r: Response("", 301, {"Location": target.url + "/end"}))
    response = SafeFetcher(allow_private=True).fetch(start.url + "/")
    assert response.final_url == target.url + "/end"
    assert response.body == "hello"


def test_gives_up_after_too_many_redirects(serve):
    loop = serve(lambda r: Response("", 302, {"Location": "/again"}))
    with pytest.raises(FetchError, match="redirected too many times"):
        SafeFetcher(allow_private=True).fetch(loop.url + "/")
    assert len(loop.hits) == fetcher.MAX_REDIRECTS + 1


def test_refuses_an_answer_larger_than_the_limit(serve):
    big = serve(lambda r: Response(b"x" * (2 * 1024 * 1024)))
    with pytest.raises(FetchError, match="sent more than 1024 KB"):
        SafeFetcher(allow_private=True, max_bytes=1024 * 1024).fetch(big.url)


def test_a_server_sending_a_byte_at_a_time_is_cut_off_at_the_deadline(serve):
    def trickle(request):
        def body():
            for _ in range(100):
                time.sleep(0.1)
                yield b"x"

        return Response(body(), headers={"Content-Length": "100"})

    slow = serve(trickle)
    started = time.monotonic()
    with pytest.raises(FetchError, match="did not answer in time"):
        SafeFetcher(allow_private=True, timeout=1).fetch(slow.url)
    assert time.monotonic() - started < 3


def test_a_hundred_megabyte_answer_is_cut_off_at_the_size_limit(serve):
    sent = []

    def flood(request):
        def body():
            for _ in range(100):
                sent.append(1)
                yield b"x" * (1024 * 1024)

        return Response(body(), headers={"Content-Length": str(100 * 1024 * 1024)})

    server = serve(flood)
    with pytest.raises(FetchError, match="sent more than"):
        SafeFetcher(allow_private=True, max_bytes=1024 * 1024).fetch(server.url)
    assert len(sent) < 100


def test_other_visitors_are_served_while_a_sign_in_waits_on_a_silent_host(app, browser):
    import socket
    import threading

    app.config["OPENID_FETCH_TIMEOUT"] = 3
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        identity = f"http://127.0.0.1:{silent.getsockname()[1]}/me"
        waiting = threading.Thread(target=browser.start_sign_in, args=(identity,))
        waiting.start()
        time.sleep(0.3)  # the sign-in is now blocked on the silent host
        other_visitor = Browser(browser.base_url).get("/login")
        assert other_visitor.status_code == 200
        assert waiting.is_alive()  # served while the sign-in still waited
        waiting.join(10)
    assert not waiting.is_alive()


def test_loopback_identifier_is_refused_when_private_networks_are_off(app, browser, provider):
    app.config["OPENID_ALLOW_PRIVATE_NETWORKS"] = False
    identity = provider.identity("mallory")
    page = browser.start_sign_in(identity)
    assert page.url.startswith(browser.url("/login"))
    assert "private or local network" in page.text
    assert provider.hits == []
