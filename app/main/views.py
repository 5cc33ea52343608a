from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload

from .. import db, limiter
from ..models import Post
from .forms import PostForm

bp = Blueprint("main", __name__)

# Deeper pages than this are past any real timeline, and an offset beyond
# what the database's integers hold would be an error rather than a miss.
MAX_PAGE = 100_000


def newest_posts(page: int, per_page: int) -> tuple[list[Post], bool]:
    """Return one page of posts, newest first, and whether an older page exists.

    One row more than a page tells whether there is a next page, without a
    COUNT(*) that grows with the table.
    """
    query = (
        sa.select(Post)
        .options(joinedload(Post.author))
        .order_by(Post.timestamp.desc(), Post.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
    )
    posts = list(db.session.scalars(query))
    return posts[:per_page], len(posts) > per_page


@bp.route("/", methods=["GET", "POST"])
@bp.route("/index", methods=["GET", "POST"])
@login_required
@limiter.limit(
    lambda: current_app.config["POST_RATE_LIMIT"],
    methods=["POST"],
    key_func=lambda: f"user:{current_user.id}",
)
def index():
    """Show the newest posts, with a form to write one."""
    form = PostForm()
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
@limiter.exempt
def healthz():
    """Say whether the database answers: 200 or 503, for load balancers."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.warning("health check: the database does not answer", exc_info=True)
        return {"status": "database unavailable"}, 503
    return {"status": "ok"}


@bp.app_template_filter("timeago")
def timeago(moment: datetime, now: datetime | None = None) -> str:
    """Say how long ago ``moment`` was, in words ("3 minutes ago")."""
    if moment.tzinfo is None:
        # SQLite hands back naive datetimes; they were stored in UTC.
        moment = moment.replace(tzinfo=UTC)
    seconds = int(((now or datetime.now(UTC)) - moment).total_seconds())
    if seconds < 60:
        return "just now"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            if unit == "day" and count > 30:
                return moment.strftime("%-d %b %Y")
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"


@bp.app_template_filter("isotime")
def isotime(moment: datetime) -> str:
    """Format ``moment`` as ISO 8601 in UTC, for <time datetime> and tooltips."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
