"""The account page: identities, recent sign-ins, signing out everywhere, deleting."""

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, logout_user
from openid.extensions.draft import pape5 as pape
from sqlalchemy.exc import IntegrityError

from ..auth import oidc, passkeys, reauth, sessions
from ..auth.accounts import SIGN_IN_HISTORY, note_sign_in
from ..auth.forms import LinkOpenIDForm
from ..auth.reauth import proof_required
from ..auth.views import LINK_TO, count_sign_in_start, start_oidc
from ..extensions import csrf, db, oid
from ..forms import EmptyForm
from ..i18n import (
    DEFAULT_TIMEZONE,
    LOCALE_COOKIE,
    language_name,
    languages,
    ngettext,
    refresh,
    timezone_choices,
)
from ..i18n import gettext as _
from ..models import Identity, LiveSession, Passkey, Post, SignIn, User, Way, now_utc
from .forms import DeleteAccountForm, NewPasskeyForm, PasskeyNameForm, PreferencesForm

bp = Blueprint("account", __name__)

RECENT_SIGN_INS = 10


def account() -> User:
    return db.session.get(User, current_user.id)


def preferences_form(user: User, formdata=None) -> PreferencesForm:
    form = PreferencesForm(
        formdata=formdata, locale=user.locale or "", timezone=user.timezone or DEFAULT_TIMEZONE
    )
    form.locale.choices = [("", _("The browser’s language"))] + [
        (code, language_name(code)) for code in languages()
    ]
    form.timezone.choices = timezone_choices()
    return form


def render_account(
    link_form: LinkOpenIDForm | None = None,
    passkey_form: PasskeyNameForm | None = None,
    preferences: PreferencesForm | None = None,
    status: int = 200,
):
    user = account()
    # Sign-ins and sessions too old to count are deleted only now and then.
    now = now_utc()
    sign_ins = db.session.scalars(
        sa.select(SignIn)
        .where(SignIn.user_id == user.id, SignIn.at >= now - SIGN_IN_HISTORY)
        .order_by(SignIn.at.desc(), SignIn.id.desc())
        .limit(RECENT_SIGN_INS)
    )
    live = db.session.scalars(
        sa.select(LiveSession)
        .where(LiveSession.user_id == user.id, LiveSession.created >= now - sessions.max_age())
        .order_by(LiveSession.last_seen.desc(), LiveSession.id.desc())
    )
    return render_template(
        "account/index.html",
        title=_("Your account"),
        user=user,
        live_sessions=list(live),
        this_session=current_user.session_id,
        sign_ins=list(sign_ins),
        link_form=link_form or LinkOpenIDForm(formdata=None),
        passkey_form=passkey_form or PasskeyNameForm(formdata=None),
        preferences=preferences or preferences_form(user),
        passkeys_unavailable=passkeys.unavailable(),
        oidc_providers=oidc.providers(),
    ), status


@bp.route("")
@login_required
def index():
    return render_account()


@bp.route("/link/openid", methods=["GET", "POST"])
@login_required
@oid.loginhandler  # the provider's answer is no new request to prove
@proof_required("link")
def link_openid():
    """Start linking an OpenID 2.0 identity; the provider's answer comes back
    here and is linked by auth.views.complete_link."""
    form = LinkOpenIDForm()
    if not form.is_submitted():
        return redirect(url_for(".index"))  # back from a cancelled or failed link
    count_sign_in_start()
    if form.validate_on_submit():
        session[LINK_TO] = current_user.get_id()
        session.pop(reauth.PROVING, None)
        return oid.try_login(form.openid.data)
    if form.csrf_token.errors:
        flash(_("The form expired. Please try again."), "error")
    return render_account(link_form=form, status=400)


# As for /login: a provider may POST its signed answer back here; the link
# form checks its own CSRF token.
csrf.exempt(link_openid)


@bp.route("/link/oidc/<key>", methods=["POST"])
@login_required
@proof_required("link")
def link_oidc(key: str):
    """Start linking an OpenID Connect identity; the provider sends the browser
    to auth.oidc_callback, which links it."""
    provider = oidc.find_provider(key) or abort(404)
    count_sign_in_start()
    session[LINK_TO] = current_user.get_id()
    session.pop(reauth.PROVING, None)
    return start_oidc(provider, url_for(".index"))


_identity, _passkey = Identity.__table__, Passkey.__table__


def _locked_count(table: sa.Table):
    """The account's rows of ``table``, locked in id order (FOR UPDATE)."""
    rows = table.alias()
    return (
        sa.select(sa.func.count())
        .select_from(
            sa.select(rows.c.id)
            .where(rows.c.user_id == sa.bindparam("user_id"))
            .order_by(rows.c.id)
            .with_for_update()
            .subquery()
        )
        .scalar_subquery()
    )


# The account's ways in: identities and passkeys, counted under lock, the
# identities first (SQLite, which has no FOR UPDATE, takes its write lock
# before a DELETE reads anything). Concurrent removals from one account then
# take their locks in one order, so none can deadlock another, and each
# counts what the one before it left: a row deleted meanwhile is not counted.
WAYS_IN = _locked_count(_identity) + _locked_count(_passkey)
# Delete this way in unless it is the account's last, in one statement.
UNLINK_UNLESS_LAST = sa.delete(_identity).where(
    _identity.c.id == sa.bindparam("identity_id"),
    _identity.c.user_id == sa.bindparam("user_id"),
    WAYS_IN > 1,
)
REMOVE_PASSKEY_UNLESS_LAST = sa.delete(_passkey).where(
    _passkey.c.id == sa.bindparam("passkey_id"),
    _passkey.c.user_id == sa.bindparam("user_id"),
    WAYS_IN > 1,
)


@bp.route("/identities/<id:identity_id>/unlink", methods=["POST"])
@login_required
@proof_required("unlink")
def unlink(identity_id: int):
    """Unlink one of the account's identities, unless it is the last way in."""
    identity = db.session.scalar(
        sa.select(Identity).where(Identity.id == identity_id, Identity.user_id == current_user.id)
    )
    if identity is None:
        # Unlinked already (a second click, or another tab): nothing to do.
        flash(_("That identity is not linked to your account."), "info")
        return redirect(url_for(".index"))
    return remove_way_in(
        UNLINK_UNLESS_LAST,
        {"identity_id": identity_id},
        _("%(provider)s identity unlinked.", provider=identity.provider_name),
    )


def remove_way_in(statement: sa.Delete, params: dict, done: str):
    """Run ``statement``, which deletes a way in unless it is the account's
    last; say which happened."""
    removed = db.session.execute(statement, {**params, "user_id": current_user.id}).rowcount
    db.session.commit()
    if removed:
        flash(done, "info")
    else:
        flash(_("This is your only way to sign in, so it stays. Add another way first."), "error")
    return redirect(url_for(".index"))


@bp.route("/preferences", methods=["POST"])
@login_required
def save_preferences():
    """The language and time zone of every page, saved with the account."""
    user = account()
    form = preferences_form(user, request.form)
    if not form.validate():
        return render_account(preferences=form, status=400)
    user.locale = form.locale.data or None
    user.timezone = form.timezone.data
    db.session.commit()
    # This very response, flash included, in the new language.
    current_user.locale, current_user.timezone = user.locale, user.timezone
    refresh()
    flash(_("Your language and time zone are saved."), "info")
    response = redirect(url_for(".index"))
    if user.locale is None:
        # "The browser's language": an earlier choice in the footer goes too.
        response.delete_cookie(LOCALE_COOKIE)
    return response


@bp.route("/sign-out-elsewhere", methods=["POST"])
@login_required
def sign_out_elsewhere():
    """End every session of the account but this one."""
    ended = sessions.end_all(current_user.id, keep=current_user.get_id())
    db.session.commit()
    flash(
        ngettext(
            "Signed out everywhere else (%(num)d other session).",
            "Signed out everywhere else (%(num)d other sessions).",
            ended,
        ),
        "info",
    )
    return redirect(url_for(".index"))


@bp.route("/sessions/<id:session_id>/end", methods=["POST"])
@login_required
def end_session(session_id: int):
    """End one session of the account: that browser is signed out at its
    next request, remember cookie included."""
    live = db.session.get(LiveSession, session_id)
    if live is None or live.user_id != current_user.id:
        flash(_("That session has already ended."), "info")
    elif live.id == current_user.session_id:
        flash(_("That is this session: use Logout to end it."), "info")
    else:
        device = live.device
        db.session.delete(live)
        db.session.commit()
        flash(_("Signed out %(device)s.", device=device), "info")
    return redirect(url_for(".index"))


@bp.route("/sign-out-everywhere", methods=["POST"])
@login_required
def sign_out_everywhere():
    """End every session and remember cookie of the account, this one too."""
    sessions.end_all(current_user.id)
    db.session.commit()
    logout_user()
    flash(_("You have been signed out everywhere, on this device too."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/delete", methods=["GET", "POST"])
@login_required
@proof_required("delete")
def delete():
    form = DeleteAccountForm(current_user.nickname)
    if form.validate_on_submit():
        # The database deletes the posts, identities and sign-ins with it.
        db.session.delete(account())
        db.session.commit()
        logout_user()
        session.clear()
        flash(_("Your account and its posts have been deleted."), "info")
        return redirect(url_for("auth.login"))
    posts = db.session.scalar(sa.select(sa.func.count()).where(Post.user_id == current_user.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "account/delete.html", title=_("Delete your account"), form=form, posts=posts
    ), status


@bp.route("/reauthenticate")
@login_required
def reauthenticate():
    """Ask the person to prove it is them, with one of the account's own ways in."""
    user = account()
    return render_template(
        "account/reauthenticate.html",
        title=_("Prove it is you"),
        user=user,
        pending=reauth.pending_action(),
        seconds=current_app.config["REAUTH_SECONDS"],
        providers={p.issuer: p for p in oidc.providers()},
        passkeys_unavailable=passkeys.unavailable(),
    )


def own_identity(identity_id: int) -> Identity:
    identity = db.session.get(Identity, identity_id)
    if identity is None or identity.user_id != current_user.id:
        abort(404)
    return identity


@bp.route("/reauthenticate/oidc/<id:identity_id>", methods=["POST"])
@login_required
def prove_oidc(identity_id: int):
    """Ask the identity's provider to authenticate the person again, now."""
    identity = own_identity(identity_id)
    provider = next((p for p in oidc.providers() if p.issuer == identity.issuer), None)
    if identity.kind != "oidc" or provider is None:
        flash(
            _(
                "%(provider)s is not available here any more. Choose another way.",
                provider=identity.provider_name,
            ),
            "error",
        )
        return redirect(url_for(".reauthenticate"))
    count_sign_in_start()
    session.pop(LINK_TO, None)
    reauth.start_proof()
    # OpenID Connect Core 3.1.2.1: sign in again, whatever session the
    # provider has; its ID token then carries auth_time.
    return start_oidc(provider, url_for(".reauthenticate"), prompt="login", max_age=0)


@bp.route("/reauthenticate/openid/<id:identity_id>", methods=["GET", "POST"])
@login_required
@oid.loginhandler
def prove_openid(identity_id: int):
    """Ask the OpenID 2.0 provider to authenticate the person again (PAPE);
    its answer comes back here and is checked by auth.views.complete_proof."""
    identity = own_identity(identity_id)
    if identity.kind != "openid" or not EmptyForm().validate_on_submit():
        session.pop(reauth.PROVING, None)  # back from a cancelled or failed proof
        return redirect(url_for(".reauthenticate"))
    count_sign_in_start()
    session.pop(LINK_TO, None)
    reauth.start_proof()
    return oid.try_login(identity.subject, extensions=[pape.Request(max_auth_age=0)])


# A provider may POST its signed answer back here, as to /login.
csrf.exempt(prove_openid)


@bp.route("/reauthenticate/continue")
@login_required
def resume():
    """After the proof: post the waiting action again, once."""
    pending = reauth.take_pending_action() if reauth.recently_proved() else None
    if pending is None:
        flash(_("You have proved it is you."), "info")
        return redirect(url_for(".index"))
    return render_template(
        "account/resume.html", title=_("Continuing"), pending=pending, form=EmptyForm()
    )


@bp.route("/reauthenticate/cancel", methods=["POST"])
@login_required
def cancel_reauthentication():
    reauth.take_pending_action()
    session.pop(reauth.PROVING, None)
    flash(_("Nothing was changed."), "info")
    return redirect(url_for(".index"))


def relying_party() -> passkeys.RelyingParty | None:
    """This page's relying party; when there is none, say why on the next page."""
    rp = passkeys.relying_party()
    if rp is None:
        flash(passkeys.unavailable(), "error")
    return rp


@bp.route("/passkeys/new", methods=["POST"])
@login_required
@proof_required("add-passkey")
def new_passkey():
    """Named: ask the browser to make the passkey."""
    form = PasskeyNameForm()
    if (rp := relying_party()) is None:
        return redirect(url_for(".index"))
    if not form.validate_on_submit():
        return render_account(passkey_form=form, status=400)
    user = account()
    options = passkeys.registration_options(user, rp)
    db.session.commit()  # the account's user handle, made with its first passkey
    return render_template(
        "account/new_passkey.html",
        title=_("Add a passkey"),
        form=NewPasskeyForm(formdata=None, name=form.name.data),
        options=options,
    )


@bp.route("/passkeys", methods=["POST"])
@login_required
def add_passkey():
    """Keep the passkey the browser made, once the library has checked it.

    No new proof: the ceremony was started by a proved request of this
    session, a minute or two ago, and its challenge works once.
    """
    form = NewPasskeyForm()
    if (rp := relying_party()) is None:
        return redirect(url_for(".index"))
    if not form.validate():
        errors = " ".join(str(error) for error in form.name.errors)
        flash(errors or _("The form expired. Please try again."), "error")
        return redirect(url_for(".index"))
    try:
        passkey = passkeys.verify_registration(account(), form.credential.data, rp)
    except passkeys.PasskeyFailed as failure:
        flash(str(failure), "error")
        return redirect(url_for(".index"))
    passkey.name = form.name.data
    db.session.add(passkey)
    try:
        db.session.commit()
    except IntegrityError:  # this very credential, added from another tab
        db.session.rollback()
        flash(_("That passkey is already added."), "info")
        return redirect(url_for(".index"))
    flash(
        _("Passkey \u201c%(name)s\u201d added. You can now sign in with it.", name=passkey.name),
        "info",
    )
    return redirect(url_for(".index"))


def own_passkey(passkey_id: int) -> Passkey | None:
    passkey = db.session.get(Passkey, passkey_id)
    return passkey if passkey is not None and passkey.user_id == current_user.id else None


@bp.route("/passkeys/<id:passkey_id>/rename", methods=["POST"])
@login_required
def rename_passkey(passkey_id: int):
    passkey = own_passkey(passkey_id)
    form = PasskeyNameForm()
    if passkey is None:
        flash(_("That passkey is not one of your account's."), "info")
    elif not form.validate_on_submit():
        flash(" ".join(str(error) for error in form.name.errors), "error")
    else:
        passkey.name = form.name.data
        db.session.commit()
        flash(_("Passkey renamed \u201c%(name)s\u201d.", name=passkey.name), "info")
    return redirect(url_for(".index"))


@bp.route("/passkeys/<id:passkey_id>/remove", methods=["POST"])
@login_required
@proof_required("remove-passkey")
def remove_passkey(passkey_id: int):
    """Remove one of the account's passkeys, unless it is the last way in."""
    passkey = own_passkey(passkey_id)
    if passkey is None:
        flash(_("That passkey is not one of your account's."), "info")
        return redirect(url_for(".index"))
    return remove_way_in(
        REMOVE_PASSKEY_UNLESS_LAST,
        {"passkey_id": passkey_id},
        _("Passkey \u201c%(name)s\u201d removed. It no longer signs in.", name=passkey.name),
    )


@bp.route("/reauthenticate/passkey/options", methods=["POST"])
@login_required
def prove_passkey_options():
    """What the browser needs to ask for one of the account's passkeys."""
    rp = passkeys.relying_party()
    user = account()
    if rp is None or not user.passkeys:
        return jsonify(error=passkeys.unavailable() or _("This account has no passkey.")), 400
    return current_app.response_class(
        passkeys.authentication_options("prove", rp, user.passkeys), mimetype="application/json"
    )


@bp.route("/reauthenticate/passkey", methods=["POST"])
@login_required
def prove_passkey():
    """The account's own passkey, with user verification, is proof."""
    if (rp := relying_party()) is None:
        return redirect(url_for(".reauthenticate"))
    try:
        passkey = passkeys.verify_authentication("prove", request.form.get("credential"), rp)
    except passkeys.PasskeyFailed as failure:
        flash(str(failure), "error")
        return redirect(url_for(".reauthenticate"))
    reauth.mark_proved()
    note_sign_in(current_user.id, Way("passkey", passkey.name), request.remote_addr)
    return redirect(url_for(".resume"))
