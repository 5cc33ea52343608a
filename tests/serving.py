"""The app as production serves it: gunicorn with the project's gunicorn.conf.py
and the production configuration, on a loopback port; and what tests and the
benchmark need around it (a real sign-in, a host that never answers)."""

import os
import re
import runpy
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urljoin

import requests

from .helpers import STRONG_KEY, csrf_token, forms
from .postgres import free_port

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def gunicorn_config() -> dict:
    """The settings of the project's gunicorn.conf.py (workers, threads...)."""
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def production_environ(database_url: str, store_dir: Path, **extra: str) -> dict:
    """The environment of a production app on loopback: plain http, the tests'
    providers reachable, everything else as configured for production."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    env.update(
        DATABASE_URL=database_url,
        FLASK_SECRET_KEY=STRONG_KEY,
        FLASK_TRUSTED_HOSTS='["127.0.0.1"]',
        # Plain http on loopback: the cookies may not be Secure-only here.
        FLASK_SESSION_COOKIE_SECURE="false",
        FLASK_REMEMBER_COOKIE_SECURE="false",
        FLASK_HSTS_SECONDS="0",
        FLASK_OPENID_ALLOW_PRIVATE_NETWORKS="true",  # the providers are on loopback
        FLASK_OPENID_FS_STORE_PATH=str(store_dir),
    )
    env.update(extra)
    return env


def create_database(env: dict) -> None:
    """Migrate the environment's database to the newest schema."""
    subprocess.run([sys.executable, "db_create.py"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)  # fmt: skip


class Gunicorn:
    """gunicorn with the project's gunicorn.conf.py, on a free loopback port.

    ``workers`` None keeps the configuration's count. Each access log line
    starts with the worker's pid, so a test can see which workers served it.
    """

    def __init__(self, app_spec: str, env: dict, workers: int | None = None, access_log=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.access_log = access_log
        command = [GUNICORN, "-c", str(ROOT / "gunicorn.conf.py"), "-b", f"127.0.0.1:{self.port}",
                   "--access-logfile", str(access_log or "/dev/null"),
                   "--access-logformat", '%(p)s "%(r)s" %(s)s']  # fmt: skip
        if workers is not None:
            command += ["-w", str(workers)]
        self.process = subprocess.Popen(
            [*command, app_spec],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(self.url + "/healthz", timeout=2)
                return
            except requests.ConnectionError:
                if self.process.poll() is not None:
                    raise RuntimeError(self.process.stderr.read().decode()[-2000:]) from None
                time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"gunicorn did not start: {app_spec}")

    def served_by(self, request: str) -> set[str]:
        """The pids of the workers that served ``request`` ("POST /index")."""
        lines = Path(self.access_log).read_text().splitlines()
        return {line.split()[0] for line in lines if f'"{request} ' in line}

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def worker_rss_mb(self) -> list[float]:
        sizes = []
        for pid in self.worker_pids():
            status = Path(f"/proc/{pid}/status").read_text()
            sizes.append(int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024)
        return sizes

    def stop(self) -> None:
        # SIGINT: gunicorn's quick shutdown. SIGTERM's graceful one waits
        # seconds for idle workers, and the tests need none of it.
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stderr.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def sign_in(app_url: str, identity: str) -> tuple[requests.Session, list[requests.Response]]:
    """A real OpenID sign-in with a provider that approves at once; return the
    browser and every response of the app on the way."""
    browser = requests.Session()
    login = browser.get(app_url + "/login", timeout=30)
    form = forms(login)[-1]
    response = browser.post(
        form.action, data={**form.fields, "openid": identity}, allow_redirects=False, timeout=30
    )
    responses = []
    while True:
        if response.url.startswith(app_url):
            responses.append(response)
        if not response.is_redirect:
            break
        response = browser.get(
            urljoin(response.url, response.headers["Location"]), allow_redirects=False, timeout=30
        )
    if "Hi, " not in response.text:
        raise RuntimeError(f"sign-in with {identity} failed: {response.url}")
    return browser, responses


class SilentHost:
    """A host that accepts every connection and never answers, as a provider
    that hangs does. ``connections`` counts what it has accepted."""

    def __init__(self, host="127.0.0.1"):
        self.listener = socket.create_server((host, 0), backlog=512)
        self.url = f"http://{host}:{self.listener.getsockname()[1]}"
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:  # closed
                return
            self.accepted.append(connection)

    @property
    def connections(self) -> int:
        return len(self.accepted)

    def hang_up(self) -> None:
        """Close the connections it holds: whoever waits on them gives up at
        once, so a test need not wait out a fetch's deadline to end."""
        for connection in self.accepted:
            connection.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        # shutdown wakes the accepting thread; close alone may not.
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        self.thread.join(5)
        for connection in self.accepted:
            connection.close()


BUSY = "That provider is not answering; try again in a minute."
TIMED_OUT = "did not answer in time"


class Flood:
    """``size`` visitors signing in with ``identifier`` at once, each trying
    again a second after its answer, as people do, until the block ends.

    ``outcomes`` holds (seconds, what the login page said) for each answer:
    "refused" (the caps turned it away), "timed out" (it waited on the
    provider for the whole fetch timeout) or "other".
    """

    PAUSE = 1.0

    def __init__(self, app_url: str, identifier: str, size: int):
        self.app_url, self.identifier = app_url, identifier
        self.outcomes: list[tuple[float, str]] = []
        self.started = threading.Barrier(size + 1)
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._visitor, daemon=True) for _ in range(size)]

    def _visitor(self):
        browser = requests.Session()
        login = self.app_url + "/login"
        token = csrf_token(browser.get(login, timeout=30))
        self.started.wait(60)
        while not self.stopping.is_set():
            started = time.monotonic()
            page = browser.post(login, data={"openid": self.identifier, "csrf_token": token},
                                timeout=60)  # fmt: skip
            text = page.text
            outcome = "refused" if BUSY in text else "timed out" if TIMED_OUT in text else "other"
            self.outcomes.append((time.monotonic() - started, outcome))
            self.stopping.wait(self.PAUSE)

    def seconds(self, outcome: str) -> list[float]:
        return [seconds for seconds, seen in self.outcomes if seen == outcome]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        self.started.wait(60)  # every visitor has its form and sends it now
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join(60)
