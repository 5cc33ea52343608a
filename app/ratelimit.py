"""Rate limits for the few actions that cost: starting a sign-in, posting.

The counting is the `limits` library's (the one under Flask-Limiter). The
views call ``ratelimit.hit`` for the action they limit, so other requests pay
nothing: Flask-Limiter checked every request and cost signed-in pages about a
seventh of their time. The counts live in RATELIMIT_STORAGE_URI: in memory,
per process, by default; a shared store (redis://...) for several processes.
"""

import math
import time

from flask import Flask, current_app
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests


class RateLimit:
    def init_app(self, app: Flask) -> None:
        storage = storage_from_string(app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://"))
        app.extensions["ratelimit"] = FixedWindowRateLimiter(storage)

    def hit(self, limits: str, key: str) -> None:
        """Count one action by ``key``; past ``limits``, answer 429 with Retry-After.

        :param limits: e.g. "10 per minute; 100 per hour"
        :param key: who acts, and on what: "signin:192.0.2.1"
        """
        limiter = current_app.extensions["ratelimit"]
        for limit in parse_many(limits):
            if not limiter.hit(limit, key):
                reset = limiter.get_window_stats(limit, key).reset_time
                raise TooManyRequests(retry_after=max(1, math.ceil(reset - time.time())))
