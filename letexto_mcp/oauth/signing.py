"""The built-in authorization server's signing key: ES256 (P-256), kept in the state store so every
replica signs and verifies with the same one, and published as a JWKS for outside resource servers."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from letexto_mcp.store.base import StateStore

STORE_SECRET_NAME = "oauth-signing-key"
ALGORITHM = "ES256"
ACCESS_TOKEN_TYPE = "at+jwt"  # RFC 9068


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _new_private_pem() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@dataclass(frozen=True)
class SigningKey:
    """One ES256 key pair: signs access tokens, and its public half is the JWKS."""

    private: ec.EllipticCurvePrivateKey
    public_jwk: dict[str, str]
    kid: str

    @classmethod
    def from_pem(cls, pem: bytes) -> SigningKey:
        private = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(private, ec.EllipticCurvePrivateKey):
            raise ValueError("the OAuth signing key in the state store is not an EC key")
        numbers = private.public_key().public_numbers()
        jwk = {
            "kty": "EC",
            "crv": "P-256",
            "x": _b64(numbers.x.to_bytes(32, "big")),
            "y": _b64(numbers.y.to_bytes(32, "big")),
        }
        # RFC 7638 thumbprint: the members in lexicographic order, no spaces.
        thumbprint = json.dumps(jwk, sort_keys=True, separators=(",", ":")).encode()
        kid = _b64(hashlib.sha256(thumbprint).digest())
        return cls(private, {**jwk, "kid": kid, "use": "sig", "alg": ALGORITHM}, kid)

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(
            claims, self.private, algorithm=ALGORITHM, headers={"kid": self.kid, "typ": ACCESS_TOKEN_TYPE}
        )

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [self.public_jwk]}

    def verifying_key(self) -> ec.EllipticCurvePublicKey:
        return self.private.public_key()


async def load_signing_key(store: StateStore) -> SigningKey:
    """The deployment's signing key, made once and kept in the store."""
    return SigningKey.from_pem(await store.get_or_create_secret(STORE_SECRET_NAME, _new_private_pem))
