"""A passkey authenticator in Python, for tests that must shape what a
browser sends: an ES256 key, "none" attestation, the WebAuthn Level 3
formats (authenticator data, attestation object, client data) built by the
spec, answers in the JSON a browser's ``toJSON()`` gives.

The site's checks of those answers are the webauthn library's, unchanged;
Chromium's own virtual authenticator drives the end-to-end tests.
"""

import base64
import json
import os
from hashlib import sha256

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftAuthenticator:
    """One discoverable credential, made by ``create`` and used by ``get``."""

    def __init__(self, origin="http://localhost", rp_id="localhost", counts=True):
        self.origin = origin
        self.rp_id = rp_id
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(16)
        self.user_handle: bytes | None = None
        self.sign_count = 0
        # Synced passkeys count nothing: their sign count stays 0.
        self.counts = counts

    def cose_public_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32), -3: numbers.y.to_bytes(32)}
        )

    def authenticator_data(self, rp_id: str, flags: int, attested: bytes = b"") -> bytes:
        rp_id_hash = sha256(rp_id.encode()).digest()
        return rp_id_hash + bytes([flags]) + self.sign_count.to_bytes(4, "big") + attested

    def client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        data = {"type": kind, "challenge": challenge, "origin": origin or self.origin}
        return json.dumps({**data, "crossOrigin": False}).encode()

    def create(self, options: dict, origin=None, rp_id=None) -> str:
        """Answer registration ``options`` (PublicKeyCredentialCreationOptionsJSON)."""
        self.user_handle = unb64url(options["user"]["id"])
        attested = (
            bytes(16)  # AAGUID: none
            + len(self.credential_id).to_bytes(2, "big")
            + self.credential_id
            + self.cose_public_key()
        )
        auth_data = self.authenticator_data(rp_id or self.rp_id, UP | UV | AT, attested)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self.client_data("webauthn.create", options["challenge"], origin)
        return self.credential(
            {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            }
        )

    def get(self, options: dict, origin=None, rp_id=None, flags=UP | UV, tamper=None) -> str:
        """Answer authentication ``options``; ``tamper`` may change the client
        data after it is signed."""
        self.sign_count += 1 if self.counts else 0
        auth_data = self.authenticator_data(rp_id or self.rp_id, flags)
        client_data = self.client_data("webauthn.get", options["challenge"], origin)
        signature = self.key.sign(
            auth_data + sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        if tamper is not None:
            client_data = tamper(client_data)
        response = {
            "clientDataJSON": b64url(client_data),
            "authenticatorData": b64url(auth_data),
            "signature": b64url(signature),
        }
        if self.user_handle is not None:
            response["userHandle"] = b64url(self.user_handle)
        return self.credential(response)

    def credential(self, response: dict) -> str:
        return json.dumps(
            {
                "id": b64url(self.credential_id),
                "rawId": b64url(self.credential_id),
                "type": "public-key",
                "authenticatorAttachment": "platform",
                "clientExtensionResults": {},
                "response": response,
            }
        )
