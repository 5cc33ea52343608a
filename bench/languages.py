"""What the languages cost a page: the app as it is against the app just
before it spoke more than English, each serving the same page in process.

    make bench-languages
    .venv/bin/python bench/languages.py --quick      # seconds, rough figures

Issue 16's budget: choosing the reader's language and zone and translating
may cost the signed-in page at most 5% of its throughput. A page's worker
is busy on the CPU for the whole request, so its throughput is the inverse
of its CPU time per request: that is what is compared here, in two
processes (one per tree), alternating rounds, with the ratio by round.
Over gunicorn and wrk (``make bench``) this host's noise is larger than the
effect. The tree before languages comes from git (``--before``); both
trees run on this checkout's virtualenv.
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The last commit before the languages (the parent of 2970e2c).
BEFORE = "db80e34"
BUDGET = 1.05
PAGES = {"/index": True, "/login": False}  # page: signed in

# Run in each tree's own process: makes a signed-in client with a page of
# posts, then times N requests for each number it reads.
WORKER = r"""
import os, sys, tempfile, time
root, path, signed_in = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
sys.path.insert(0, root)
folder = tempfile.mkdtemp()
os.environ["FLASK_SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{folder}/bench.db"
os.environ["FLASK_OPENID_FS_STORE_PATH"] = folder
from app import create_app
from app.extensions import db
from app.models import User
from config import TestingConfig
from tests.helpers import SignedInClient, add_posts, openid_identity
app = create_app(TestingConfig)
app.test_client_class = SignedInClient
with app.app_context():
    db.create_all()
    user = User(nickname="reader", identities=[openid_identity("https://op.example/reader")])
    db.session.add(user)
    db.session.commit()
    user = db.session.get(User, user.id)
add_posts(app, user, 30)
client = app.test_client(user=user) if signed_in else app.test_client()
for _ in range(100):
    assert client.get(path).status_code == 200
print("ready", flush=True)
for line in sys.stdin:
    count = int(line)
    start = time.process_time()
    for _ in range(count):
        client.get(path)
    print((time.process_time() - start) / count * 1e6, flush=True)
"""


def export(commit: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def compare(path: str, signed_in: bool, roots: list[Path], rounds: int, count: int):
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(root), path, "1" if signed_in else "0"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for root in roots
    ]
    try:
        for worker in workers:
            if worker.stdout.readline().strip() != "ready":
                raise SystemExit(f"{path}: a worker did not start")
        times = [[] for _ in workers]
        for _ in range(rounds):
            for worker, found in zip(workers, times, strict=True):
                worker.stdin.write(f"{count}\n")
                worker.stdin.flush()
                found.append(float(worker.stdout.readline()))
    finally:
        for worker in workers:
            worker.stdin.close()
            worker.wait()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default=BEFORE, help="the commit to compare against")
    parser.add_argument("--quick", action="store_true", help="a few rounds, rough figures")
    args = parser.parse_args()
    rounds, count = (3, 20) if args.quick else (30, 100)
    print(f"microblog: CPU time per request, now against {args.before} (before languages)")
    print(f"in process, SQLite, {rounds} alternating rounds of {count} requests\n")
    met = True
    with tempfile.TemporaryDirectory() as folder:
        before = export(args.before, Path(folder))
        for path, signed_in in PAGES.items():
            old, new = compare(path, signed_in, [before, ROOT], rounds, count)
            ratios = [b / a for a, b in zip(old, new, strict=True)]
            ratio = statistics.median(ratios)
            print(
                f"{path:7s} before {statistics.median(old):7.0f} µs  now"
                f" {statistics.median(new):7.0f} µs  cost {ratio - 1:+.1%}"
                f"  (by round: {', '.join(f'{r:.3f}' for r in ratios)})"
            )
            if signed_in:
                met = ratio <= BUDGET
                print(
                    f"        the signed-in page's budget, at most {BUDGET - 1:.0%}:"
                    f" {'met' if met else 'NOT met'}"
                )
    return 0 if met or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())
