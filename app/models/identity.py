"""The ways into an account: verified identities, passkeys, and the record of
sign-ins."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .clock import now_utc
from .user import User

PASSKEY_NAME_MAX_LENGTH = 64


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
    # The provider's name when linked ("Example SSO"), for the account page.
    provider: Mapped[str] = mapped_column(sa.String(255))
    created: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc)
    last_used: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    user: Mapped[User] = relationship(back_populates="identities")

    def __repr__(self) -> str:
        return f"<Identity {self.kind} {self.issuer} {self.subject}>"


class SignIn(db.Model):
    """One sign-in to an account, for its owner to review."""

    __table_args__ = (sa.Index(None, "user_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey(User.id, ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc)
    provider: Mapped[str] = mapped_column(sa.String(255))
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
