"""Python function calls per page, counted in process with cProfile: a figure
that does not drift with this machine's speed.

    .venv/bin/python -m bench.calls URL [COOKIE]    # environment as for gunicorn

bench/run.py runs this with the environment it gives gunicorn (the
production configuration, on the benchmark's seeded database) for the
signed-in /index, with the session cookie of its reader, and for /login as
wrk asks for it, with no cookie: a new visitor each time. Each request is a
WSGI call on an environ made beforehand, its body read to the end, so only
the app's own work is counted. Every generator step is a call to cProfile,
so a page's template output, handed up through each template around it,
counts too. Prints one JSON object: the calls per request of each page.
"""

import cProfile
import json
import pstats
import sys
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WARM_UP = 20  # templates compiled, catalogs and caches loaded
COUNTED = 100


def calls_per_request(app, url: str, cookie: str | None) -> float:
    from werkzeug.test import EnvironBuilder

    parts = urlsplit(url)
    headers = {"Cookie": cookie} if cookie else {}

    def environ():
        # From wrk's address, as gunicorn gives it, which Flask-Login checks.
        return EnvironBuilder(
            path=parts.path,
            base_url=f"{parts.scheme}://{parts.netloc}",
            headers=headers,
            environ_overrides={"REMOTE_ADDR": "127.0.0.1"},
        ).get_environ()

    def start_response(status, headers, exc_info=None):
        if not status.startswith("200"):
            raise RuntimeError(f"{url} answered {status}, not the page")
        if cookie and any(name.lower() == "set-cookie" for name, _ in headers):
            raise RuntimeError(f"{url} set the cookie it was sent again: not a browser's visit")

    def serve(environ):
        body = app(environ, start_response)
        for _ in body:
            pass
        body.close()

    for _ in range(WARM_UP):
        serve(environ())
    environs = [environ() for _ in range(COUNTED)]
    profile = cProfile.Profile()
    profile.enable()
    for each in environs:
        serve(each)
    profile.disable()
    return pstats.Stats(profile).total_calls / COUNTED


def main() -> None:
    from app import create_app

    app_url, cookie = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None
    app = create_app()
    print(
        json.dumps(
            {
                "index": calls_per_request(app, app_url + "/index", cookie),
                "login": calls_per_request(app, app_url + "/login", None),
            }
        )
    )


if __name__ == "__main__":
    main()
