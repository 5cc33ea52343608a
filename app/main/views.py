import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db, ratelimit
from ..forms import blank
from ..i18n import gettext as _
from ..models import Post
from ..urls import id_arg, safe_next
from .forms import DeletePostForm, PostForm
from .posts import page_of_posts

bp = Blueprint("main", __name__)


def page_of(which: str, user_id: int | None = None):
    """The page of posts the query string asks for (``before``/``after``)."""
    return page_of_posts(
        which,
        current_app.config["POSTS_PER_PAGE"],
        before=id_arg("before"),
        after=id_arg("after"),
        user_id=user_id,
    )


@bp.route("/", methods=["GET", "POST"])
@bp.route("/index", methods=["GET", "POST"])
@login_required
def index():
    """The home timeline: your posts and those of whom you follow, with a
    form to write one."""
    form = PostForm() if request.method == "POST" else blank(PostForm)
    if form.is_submitted():
        ratelimit.hit(current_app.config["POST_RATE_LIMIT"], f"post:user:{current_user.id}")
    if form.validate_on_submit():
        db.session.add(Post(body=form.post.data, user_id=current_user.id))
        db.session.commit()
        flash(_("Your post is now live!"), "info")
        return redirect(url_for("main.index"))
    return render_template(
        "main/index.html", title=_("Home"), form=form, page=page_of("timeline", current_user.id)
    )


@bp.route("/explore")
@login_required
def explore():
    """Everyone's posts, newest first."""
    return render_template("main/explore.html", title=_("Explore"), page=page_of("everyone"))


@bp.route("/post/<id:post_id>/delete", methods=["POST"])
@login_required
def delete_post(post_id: int):
    """Delete one of your posts, after a confirmation page (no script needed):
    the button beside a post asks; the confirmation page's button deletes."""
    post = db.session.get(Post, post_id) or abort(404)
    if post.user_id != current_user.id:
        abort(403)
    form = DeletePostForm()
    back = safe_next(form.next.data) or url_for("users.profile", nickname=current_user.nickname)
    if not form.confirm.data:
        form.next.data = back
        return render_template(
            "main/delete_post.html", title=_("Delete post"), post=post, form=form
        )
    if form.validate_on_submit():
        db.session.delete(post)
        db.session.commit()
        flash(_("Your post is deleted."), "info")
    return redirect(back)


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
