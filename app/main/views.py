from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db, ratelimit
from ..models import Post, User
from .forms import PostForm

bp = Blueprint("main", __name__)

# Deeper pages than this are past any real timeline, and an offset beyond
# what the database's integers hold would be an error rather than a miss.
MAX_PAGE = 100_000


_post, _user = Post.__table__, User.__table__
# Built once, with the page as parameters: building a statement and its cache
# key on every request showed up in profiles. Table columns, not the mapped
# classes: a page only shows the rows, and the ORM layer was a large share
# of its cost.
NEWEST_POSTS = (
    sa.select(_post.c.body, _post.c.timestamp, _user.c.nickname)
    .join_from(_post, _user)
    .order_by(_post.c.timestamp.desc(), _post.c.id.desc())
    .offset(sa.bindparam("offset"))
    .limit(sa.bindparam("limit"))
)


def newest_posts(page: int, per_page: int) -> tuple[list[sa.Row], bool]:
    """Return one page of posts (body, timestamp, nickname), newest first, and
    whether an older page exists.

    One row more than a page tells whether there is a next page, without a
    COUNT(*) that grows with the table.
    """
    params = {"offset": (page - 1) * per_page, "limit": per_page + 1}
    posts = db.session.execute(NEWEST_POSTS, params).all()
    return posts[:per_page], len(posts) > per_page


@bp.route("/", methods=["GET", "POST"])
@bp.route("/index", methods=["GET", "POST"])
@login_required
def index():
    """Show the newest posts, with a form to write one."""
    form = PostForm()
    if form.is_submitted():
        ratelimit.hit(current_app.config["POST_RATE_LIMIT"], f"post:user:{current_user.id}")
    if form.validate_on_submit():
        db.session.add(Post(body=form.post.data, user_id=current_user.id))
        db.session.commit()
        flash("Your post is now live!", "info")
        return redirect(url_for("main.index"))
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    posts, has_next = newest_posts(page, current_app.config["POSTS_PER_PAGE"])
    return render_template(
        "main/index.html", title="Home", form=form, posts=posts, page=page, has_next=has_next
    )


@bp.route("/healthz")
def healthz():
    """Say whether the database answers: 200 or 503, for load balancers."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.warning("health check: the database does not answer", exc_info=True)
        return {"status": "database unavailable"}, 503
    return {"status": "ok"}


def as_utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were stored in UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


@bp.app_template_filter("timeago")
def timeago(moment: datetime, now: datetime | None = None) -> str:
    """Say how long ago ``moment`` was, in words ("3 minutes ago"); past a
    month, the date ("2 Jan 2026")."""
    moment = as_utc(moment)
    seconds = ((now or datetime.now(UTC)) - moment).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds >= 31 * 86400:
        return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}"
    unit, size = (
        ("minute", 60) if seconds < 3600 else ("hour", 3600) if seconds < 86400 else ("day", 86400)
    )
    count = int(seconds // size)
    return f"{count} {unit}{'' if count == 1 else 's'} ago"


@bp.app_template_filter("time_tag")
def time_tag(moment: datetime) -> Markup:
    """A <time> element: how long ago in words, with the exact UTC time as its
    machine-readable value and its tooltip."""
    moment = as_utc(moment)
    # isoformat is much cheaper than strftime: "2026-01-01T09:30+00:00".
    iso = moment.isoformat(timespec="minutes")
    # Every part is made here from a datetime: nothing to escape.
    return Markup(
        f'<time datetime="{iso[:16]}Z" title="{iso[:10]} {iso[11:16]} UTC">{timeago(moment)}</time>'
    )
