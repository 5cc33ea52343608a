"""An OpenID provider in a process of its own, for the sign-in benchmark.

python3-openid's openid.server (the tests' provider), approving every
request at once. Prints its URL, then serves until stopped.
"""

import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.openid_provider import TestProvider  # noqa: E402

if __name__ == "__main__":
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    with TestProvider() as provider:
        print(provider.url, flush=True)
        while True:
            time.sleep(3600)
