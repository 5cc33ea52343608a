"""Profiles, following, editing your profile, and avatars."""

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
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..main.views import page_of
from ..models import NICKNAME_MAX_LENGTH, Follow, User
from .avatars import add_template_filter, avatar_url, identicon_svg, is_token
from .forms import EditProfileForm

bp = Blueprint("users", __name__)

# Deeper pages of a follower list than this are past any real one, and an
# offset beyond what the database's integers hold would be an error.
MAX_PAGE = 10_000

_user, _follow = User.__table__, Follow.__table__
PERSON = sa.select(_user.c.id, _user.c.nickname).where(_user.c.nickname == sa.bindparam("nickname"))
# A profile's head in one statement: the person, their two counts (each from
# an index of the follow table), and whether the reader follows them.
PROFILE = sa.select(
    _user.c.id,
    _user.c.nickname,
    _user.c.about_me,
    _user.c.created,
    _user.c.last_seen,
    sa.select(sa.func.count())
    .where(_follow.c.followed_id == _user.c.id)
    .scalar_subquery()
    .label("followers"),
    sa.select(sa.func.count())
    .where(_follow.c.follower_id == _user.c.id)
    .scalar_subquery()
    .label("following"),
    sa.exists()
    .where(_follow.c.follower_id == sa.bindparam("reader"), _follow.c.followed_id == _user.c.id)
    .label("followed"),
).where(_user.c.nickname == sa.bindparam("nickname"))


def find(statement: sa.Select, nickname: str, **params) -> sa.Row:
    """The row for ``nickname``, or the 404 page."""
    if len(nickname) > NICKNAME_MAX_LENGTH:
        abort(404)
    return db.session.execute(statement, {"nickname": nickname, **params}).first() or abort(404)


@bp.app_template_global()
def avatar(user_id: int) -> str:
    return avatar_url(user_id)


# A filter, not a global: Jinja calls filters directly, globals through the
# context, and a page of posts asks for one avatar per post.
bp.record_once(lambda state: add_template_filter(state.app))


@bp.route("/user/<nickname>")
@login_required
def profile(nickname: str):
    person = find(PROFILE, nickname, reader=current_user.id)
    return render_template(
        "users/profile.html",
        title=person.nickname,
        person=person,
        page=page_of("author", person.id),
    )


@bp.route("/follow/<nickname>", methods=["POST"])
@login_required
def follow(nickname: str):
    person = find(PERSON, nickname)
    if person.id == current_user.id:
        flash(_("You cannot follow yourself."), "error")
        return redirect(url_for(".profile", nickname=nickname))
    try:
        db.session.execute(
            sa.insert(Follow).values(follower_id=current_user.id, followed_id=person.id)
        )
        db.session.commit()
    except IntegrityError:  # already followed, maybe by a request a moment ago
        db.session.rollback()
        flash(_("You already follow %(nickname)s.", nickname=nickname), "info")
    else:
        flash(_("You are following %(nickname)s.", nickname=nickname), "info")
    return redirect(url_for(".profile", nickname=nickname))


@bp.route("/unfollow/<nickname>", methods=["POST"])
@login_required
def unfollow(nickname: str):
    person = find(PERSON, nickname)
    stopped = db.session.execute(
        sa.delete(Follow).where(
            Follow.follower_id == current_user.id, Follow.followed_id == person.id
        )
    ).rowcount
    db.session.commit()
    if stopped:
        flash(_("You are no longer following %(nickname)s.", nickname=nickname), "info")
    else:
        flash(_("You do not follow %(nickname)s.", nickname=nickname), "info")
    return redirect(url_for(".profile", nickname=nickname))


# Who follows someone (followers) and whom someone follows (following),
# newest follow first.
PEOPLE = {
    "followers": (_follow.c.follower_id, _follow.c.followed_id),
    "following": (_follow.c.followed_id, _follow.c.follower_id),
}


def people_statement(shown: sa.Column, of: sa.Column) -> sa.Select:
    return (
        sa.select(_user.c.id, _user.c.nickname, _user.c.about_me)
        .join(_follow, shown == _user.c.id)
        .where(of == sa.bindparam("person_id"))
        .order_by(_follow.c.created.desc(), _user.c.id.desc())
        .offset(sa.bindparam("offset"))
        .limit(sa.bindparam("limit"))
    )


PEOPLE_STATEMENTS = {name: people_statement(*columns) for name, columns in PEOPLE.items()}


@bp.route("/user/<nickname>/followers", defaults={"which": "followers"})
@bp.route("/user/<nickname>/following", defaults={"which": "following"})
@login_required
def people(nickname: str, which: str):
    person = find(PERSON, nickname)
    per_page = current_app.config["POSTS_PER_PAGE"]
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    params = {"person_id": person.id, "offset": (page - 1) * per_page, "limit": per_page + 1}
    rows = db.session.execute(PEOPLE_STATEMENTS[which], params).all()
    title = (
        _("Who follows %(nickname)s", nickname=person.nickname)
        if which == "followers"
        else _("Whom %(nickname)s follows", nickname=person.nickname)
    )
    return render_template(
        "users/people.html",
        title=title,
        person=person,
        which=which,
        people=rows[:per_page],
        page=page,
        has_next=len(rows) > per_page,
    )


TAKEN = _l("That nickname is taken; choose another.")


def nickname_taken(nickname: str, user_id: int) -> bool:
    return db.session.scalar(
        sa.select(sa.exists().where(User.nickname == nickname, User.id != user_id))
    )


@bp.route("/edit_profile", methods=["GET", "POST"])
@login_required
def edit_profile():
    user = db.session.get(User, current_user.id)
    form = EditProfileForm(obj=user)
    if form.validate_on_submit():
        if nickname_taken(form.nickname.data, user.id):
            form.nickname.errors.append(TAKEN)
        else:
            user.nickname = form.nickname.data
            user.about_me = form.about_me.data or None
            try:
                db.session.commit()
            except IntegrityError:  # taken a moment ago
                db.session.rollback()
                form.nickname.errors.append(TAKEN)
            else:
                flash(_("Your profile is saved."), "info")
                return redirect(url_for(".profile", nickname=form.nickname.data))
    return render_template("users/edit_profile.html", title=_("Edit your profile"), form=form)


@bp.route("/avatar/<token>.svg")
def avatar_image(token: str):
    """An identicon, the same for ever for its token: cached for a year."""
    if not is_token(token):
        abort(404)
    response = current_app.response_class(identicon_svg(token), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
