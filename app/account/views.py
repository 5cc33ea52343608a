"""The account page: identities, recent sign-ins, signing out everywhere, deleting."""

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_login import current_user, login_required, logout_user

from ..auth import oidc
from ..auth.forms import LinkOpenIDForm
from ..auth.views import LINK_TO, count_sign_in_start, start_oidc
from ..extensions import csrf, db, oid
from ..models import Identity, Post, SignIn, User
from .forms import DeleteAccountForm

bp = Blueprint("account", __name__)

RECENT_SIGN_INS = 10


def account() -> User:
    return db.session.get(User, current_user.id)


def render_account(link_form: LinkOpenIDForm, status: int = 200):
    user = account()
    sign_ins = db.session.scalars(
        sa.select(SignIn)
        .where(SignIn.user_id == user.id)
        .order_by(SignIn.at.desc(), SignIn.id.desc())
        .limit(RECENT_SIGN_INS)
    )
    return render_template(
        "account/index.html",
        title="Your account",
        user=user,
        sign_ins=list(sign_ins),
        link_form=link_form,
        oidc_providers=oidc.providers(),
    ), status


@bp.route("")
@login_required
def index():
    return render_account(LinkOpenIDForm(formdata=None))


@bp.route("/link/openid", methods=["GET", "POST"])
@login_required
@oid.loginhandler
def link_openid():
    """Start linking an OpenID 2.0 identity; the provider's answer comes back
    here and is linked by auth.views.complete_link."""
    form = LinkOpenIDForm()
    if not form.is_submitted():
        return redirect(url_for(".index"))  # back from a cancelled or failed link
    count_sign_in_start()
    if form.validate_on_submit():
        session[LINK_TO] = current_user.get_id()
        return oid.try_login(form.openid.data)
    if form.csrf_token.errors:
        flash("The form expired. Please try again.", "error")
    return render_account(form, 400)


# As for /login: a provider may POST its signed answer back here; the link
# form checks its own CSRF token.
csrf.exempt(link_openid)


@bp.route("/link/oidc/<key>", methods=["POST"])
@login_required
def link_oidc(key: str):
    """Start linking an OpenID Connect identity; the provider sends the browser
    to auth.oidc_callback, which links it."""
    provider = oidc.find_provider(key) or abort(404)
    count_sign_in_start()
    session[LINK_TO] = current_user.get_id()
    return start_oidc(provider, url_for(".index"))


_identity = Identity.__table__
_way_in = _identity.alias("way_in")
# The account's ways in, locked in id order (FOR UPDATE; SQLite, which has
# none, takes its write lock before a DELETE reads anything). Concurrent
# unlinks of one account then take their locks in one order, so neither can
# deadlock the other, and each counts what the one before it left: a row
# deleted meanwhile is not counted. A later kind of way in (passkeys) adds
# its own locked count here.
WAYS_IN = (
    sa.select(sa.func.count())
    .select_from(
        sa.select(_way_in.c.id)
        .where(_way_in.c.user_id == sa.bindparam("user_id"))
        .order_by(_way_in.c.id)
        .with_for_update()
        .subquery()
    )
    .scalar_subquery()
)
# Delete this way in unless it is the account's last, in one statement.
UNLINK_UNLESS_LAST = sa.delete(_identity).where(
    _identity.c.id == sa.bindparam("identity_id"),
    _identity.c.user_id == sa.bindparam("user_id"),
    WAYS_IN > 1,
)


@bp.route("/identities/<id:identity_id>/unlink", methods=["POST"])
@login_required
def unlink(identity_id: int):
    """Unlink one of the account's identities, unless it is the last way in."""
    provider = db.session.scalar(
        sa.select(Identity.provider).where(
            Identity.id == identity_id, Identity.user_id == current_user.id
        )
    )
    if provider is None:
        abort(404)
    params = {"identity_id": identity_id, "user_id": current_user.id}
    unlinked = db.session.execute(UNLINK_UNLESS_LAST, params).rowcount
    db.session.commit()
    if unlinked:
        flash(f"{provider} identity unlinked.", "info")
    else:
        flash(
            "This is your only way to sign in, so it stays. Link another identity first.",
            "error",
        )
    return redirect(url_for(".index"))


@bp.route("/sign-out-everywhere", methods=["POST"])
@login_required
def sign_out_everywhere():
    """A new session token ends every session and remember cookie, this one too."""
    account().sign_out_everywhere()
    db.session.commit()
    logout_user()
    flash("You have been signed out everywhere, on this device too.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/delete", methods=["GET", "POST"])
@login_required
def delete():
    form = DeleteAccountForm(current_user.nickname)
    if form.validate_on_submit():
        # The database deletes the posts, identities and sign-ins with it.
        db.session.delete(account())
        db.session.commit()
        logout_user()
        session.clear()
        flash("Your account and its posts have been deleted.", "info")
        return redirect(url_for("auth.login"))
    posts = db.session.scalar(sa.select(sa.func.count()).where(Post.user_id == current_user.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "account/delete.html", title="Delete your account", form=form, posts=posts
    ), status
