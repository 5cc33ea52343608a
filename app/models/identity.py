"""The ways into an account: verified identities, passkeys, and the record of
sign-ins."""

from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import gettext
from .clock import now_utc
from .user import User

PASSKEY_NAME_MAX_LENGTH = 64
WAY_NAME_MAX_LENGTH = 255


class Way(NamedTuple):
    """How a sign-in was made: "openid"; "oidc" and the provider's configured
    name, none for the built-in provider; or "passkey" and its name. Kept so,
    not in words, because the words are the reader's language, not the
    signer's."""

    kind: str
    name: str | None = None

    def words(self) -> str:
        """In the reader's language: "OpenID", the provider's name, or the passkey's."""
        if self.kind == "passkey":
            return gettext("Passkey “%(name)s”", name=self.name)
        if self.kind == "oidc":
            return self.name or gettext("Built-in OpenID Connect (development)")
        return "OpenID"


class WayIn:
    """The way (a ``Way``) a sign-in was made, kept with it."""

    # "openid", "oidc" or "passkey", as in Way.
    way_kind: Mapped[str] = mapped_column(sa.String(16))
    # The provider's configured name (none for the built-in provider), or the
    # passkey's name.
    way_name: Mapped[str | None] = mapped_column(sa.String(WAY_NAME_MAX_LENGTH))

    @property
    def way(self) -> str:
        return Way(self.way_kind, self.way_name).words()


class Identity(db.Model):
    """A verified identity that signs in to an account.

    OpenID 2.0: kind "openid", issuer "", subject the claimed identifier.
    OpenID Connect: kind "oidc", issuer the provider's issuer URL, subject
    its ``sub`` claim. Only the three together name an identity.
    """

    __table_args__ = (sa.UniqueConstraint("kind", "issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey(User.id, ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    issuer: Mapped[str] = mapped_column(sa.String(255))
    subject: Mapped[str] = mapped_column(sa.String(2048))
    # The provider's configured name when linked ("Example SSO", "OpenID" for
    # OpenID 2.0); none for the built-in provider, named in the reader's language.
    provider: Mapped[str | None] = mapped_column(sa.String(WAY_NAME_MAX_LENGTH))
    created: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc)
    last_used: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    user: Mapped[User] = relationship(back_populates="identities")

    @property
    def provider_name(self) -> str:
        return Way(self.kind, self.provider).words()

    def __repr__(self) -> str:
        return f"<Identity {self.kind} {self.issuer} {self.subject}>"


class SignIn(WayIn, db.Model):
    """One sign-in to an account, for its owner to review."""

    __table_args__ = (sa.Index(None, "user_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey(User.id, ondelete="CASCADE"))
    # Indexed alone too, for deleting everyone's old ones.
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc, index=True)
    address: Mapped[str | None] = mapped_column(sa.String(64))


class Passkey(db.Model):
    """A WebAuthn credential of an account: a way in that needs no provider.

    The checks themselves (challenge, origin, RP ID, signature, sign count)
    are the webauthn library's; this keeps what they need between sign-ins.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey(User.id, ondelete="CASCADE"), index=True)
    # At most 1,023 bytes (WebAuthn Level 3, credential ID).
    credential_id: Mapped[bytes] = mapped_column(sa.LargeBinary(1023), unique=True)
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary)
    # An unsigned 32-bit counter in the authenticator: past a signed INTEGER.
    sign_count: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # What the browser said the authenticator speaks ("internal,hybrid").
    transports: Mapped[str] = mapped_column(sa.String(255), default="")
    name: Mapped[str] = mapped_column(sa.String(PASSKEY_NAME_MAX_LENGTH))
    created: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc)
    last_used: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    def __repr__(self) -> str:
        return f"<Passkey {self.id} of {self.user_id}>"


class UsedPasskeyChallenge(db.Model):
    """A WebAuthn challenge already answered.

    Each challenge waits in the signed session cookie, which a client can
    send again with the same answer; this row, unlike the cookie, cannot be
    made twice. Rows older than a challenge's lifetime are removed.
    """

    challenge: Mapped[bytes] = mapped_column(sa.LargeBinary(64), primary_key=True)
    used: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), index=True)


class UsedLogoutToken(db.Model):
    """An OpenID Connect back-channel logout token already taken, by issuer
    and ``jti``: the same token sent again is refused. Rows older than a
    logout token's accepted age are removed."""

    issuer: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    jti: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    used: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), index=True)
