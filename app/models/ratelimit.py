"""Rate limit counts, when the site's database keeps them (app/ratelimit.py)."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class RateLimitCounter(db.Model):
    """One rate limit's count in its current window (see app/ratelimit.py)."""

    __tablename__ = "rate_limit"
    # limits' own key: the limit and who is counted ("LIMITER/signin:192.0.2.1/10/1/minute").
    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    hits: Mapped[int]
    # When the window ends, in seconds since the epoch.
    expires: Mapped[float] = mapped_column(sa.Double, index=True)
