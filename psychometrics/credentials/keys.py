"""Issuer keys and identifiers: Ed25519 or RSA key pairs, ``did:key`` and ``did:web``.

A ``did:key`` identifier is the public key itself (multicodec prefix + key bytes, base58btc
multibase), so anyone can resolve it offline. A ``did:web`` identifier names a domain that hosts
``did.json`` (the DID document, written by :func:`write_issuer_keys`); credkit resolves it only
from a local copy of that file, never over the network.

The private key is written with mode 0600 in PKCS#8 PEM and never printed or put in a report.

References
----------
.. [1] W3C CCG, "The did:key Method v0.7", https://w3c-ccg.github.io/did-method-key/
.. [2] W3C CCG, "did:web Method Specification", https://w3c-ccg.github.io/did-method-web/
.. [3] Multiformats, multicodec table (ed25519-pub 0xed, rsa-pub 0x1205, ed25519-priv 0x1300).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from psychometrics.credentials._deps import require
from psychometrics.errors import InputError
from psychometrics.fileio import atomic_write_bytes, atomic_write_text

__all__ = [
    "ALGORITHMS",
    "IssuerKey",
    "PublicKey",
    "did_web_url",
    "generate_key",
    "load_issuer_key",
    "multibase_decode",
    "multibase_encode",
    "issuer_assertion_keys",
    "public_key_from_did",
    "public_key_from_jwk",
    "write_issuer_keys",
]

ALGORITHMS = ("Ed25519", "RSA")
KEY_FILE = "issuer-key.pem"
DID_FILE = "did.json"

_ED25519_PUB = b"\xed\x01"
_ED25519_PRIV = b"\x80\x26"
_RSA_PUB = b"\x85\x24"
_DID_WEB = re.compile(r"^[A-Za-z0-9.-]+(%3A[0-9]+)?(:[A-Za-z0-9._~%-]+)*$")


def multibase_encode(data: bytes) -> str:
    """base58btc multibase (``z`` + base58 of ``data``)."""
    return "z" + require("base58").b58encode(data).decode("ascii")


def multibase_decode(text: str) -> bytes:
    """Inverse of :func:`multibase_encode`; ValueError for another base or bad characters."""
    if not isinstance(text, str) or not text.startswith("z"):
        raise ValueError("not a base58btc multibase value (must start with 'z')")
    return require("base58").b58decode(text[1:])


@dataclass(frozen=True)
class PublicKey:
    """A public key with the identifiers it is known by.

    Attributes
    ----------
    algorithm : {"Ed25519", "RSA"}
    key : Ed25519PublicKey or RSAPublicKey
    verification_method : str
        The DID URL of the key (``did:...#...``), as proofs cite it.
    """

    algorithm: str
    key: Any = field(repr=False)
    verification_method: str

    @property
    def controller(self) -> str:
        return self.verification_method.split("#", 1)[0]

    def raw(self) -> bytes:
        """The key bytes: 32 raw bytes (Ed25519) or PKCS#1 DER (RSA)."""
        if self.algorithm == "Ed25519":
            return self.key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return self.key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)

    def multibase(self) -> str:
        """``publicKeyMultibase`` (multicodec-prefixed, base58btc)."""
        prefix = _ED25519_PUB if self.algorithm == "Ed25519" else _RSA_PUB
        return multibase_encode(prefix + self.raw())

    def jwk(self) -> dict[str, str]:
        """The public JWK (RFC 8037 OKP for Ed25519, RFC 7518 RSA)."""
        jwk = require("joserfc.jwk")
        if self.algorithm == "Ed25519":
            obj = jwk.OKPKey.import_key(self.key)
        else:
            obj = jwk.RSAKey.import_key(self.key)
        return dict(obj.as_dict(private=False))

    def verify(self, signature: bytes, message: bytes) -> bool:
        """Whether ``signature`` signs ``message`` with this key (RSA: PKCS#1 v1.5, SHA-256)."""
        try:
            if self.algorithm == "Ed25519":
                self.key.verify(signature, message)
            else:
                self.key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class IssuerKey:
    """An issuer's private key and identity. ``repr`` never shows the private key."""

    algorithm: str
    private: Any = field(repr=False)
    issuer_id: str
    verification_method: str

    @property
    def public(self) -> PublicKey:
        return PublicKey(self.algorithm, self.private.public_key(), self.verification_method)

    def sign(self, message: bytes) -> bytes:
        if self.algorithm == "Ed25519":
            return self.private.sign(message)
        return self.private.sign(message, padding.PKCS1v15(), hashes.SHA256())

    def did_document(self) -> dict[str, Any]:
        """The DID document that lists the public key as an assertion method."""
        return did_document(self.public)


def _did_key(public: PublicKey) -> str:
    return "did:key:" + public.multibase()


def did_web_url(did: str) -> str:
    """Where a ``did:web`` DID's document is hosted (the method's DID-to-HTTPS transformation)."""
    if not did.startswith("did:web:") or not _DID_WEB.match(did[8:]):
        raise ValueError(f"not a did:web identifier: {did!r}")
    parts = did[8:].split(":")
    host = parts[0].replace("%3A", ":")
    path = "/".join(parts[1:]) if len(parts) > 1 else ".well-known"
    return f"https://{host}/{path}/did.json"


def did_document(public: PublicKey) -> dict[str, Any]:
    """A DID document for ``public`` (Multikey for Ed25519, JsonWebKey for RSA)."""
    controller = public.controller
    if public.algorithm == "Ed25519":
        method: dict[str, Any] = {
            "id": public.verification_method,
            "type": "Multikey",
            "controller": controller,
            "publicKeyMultibase": public.multibase(),
        }
        ctx = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]
    else:
        method = {
            "id": public.verification_method,
            "type": "JsonWebKey",
            "controller": controller,
            "publicKeyJwk": public.jwk(),
        }
        ctx = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/jwk/v1"]
    return {
        "@context": ctx,
        "id": controller,
        "verificationMethod": [method],
        "assertionMethod": [public.verification_method],
        "authentication": [public.verification_method],
    }


def _identity(algorithm: str, private: Any, did_web: str | None) -> IssuerKey:
    if did_web:
        did = did_web if did_web.startswith("did:web:") else "did:web:" + did_web
        did_web_url(did)  # validates
        return IssuerKey(algorithm, private, did, did + "#key-1")
    public = PublicKey(algorithm, private.public_key(), "")
    did = _did_key(public)
    fragment = public.multibase() if algorithm == "Ed25519" else "key-1"
    return IssuerKey(algorithm, private, did, f"{did}#{fragment}")


def generate_key(*, algorithm: str = "Ed25519", did_web: str | None = None) -> IssuerKey:
    """A new key pair and its issuer identity.

    Parameters
    ----------
    algorithm : {"Ed25519", "RSA"}
        Ed25519 signs both proof formats (EdDSA VC-JWT and ``eddsa-rdfc-2022``); an RSA key
        (3072 bits) signs VC-JWT with RS256 only.
    did_web : str, optional
        A ``did:web`` identifier (``did:web:example.org`` or ``example.org``); default
        ``did:key``.
    """
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {ALGORITHMS}, got {algorithm!r}")
    if algorithm == "Ed25519":
        private = ed25519.Ed25519PrivateKey.generate()
    else:
        private = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    return _identity(algorithm, private, did_web)


def ed25519_from_multibase(private_multibase: str) -> ed25519.Ed25519PrivateKey:
    """An Ed25519 private key from its multibase form (ed25519-priv multicodec + 32-byte seed)."""
    raw = multibase_decode(private_multibase)
    if raw[:2] != _ED25519_PRIV or len(raw) != 34:
        raise ValueError("not an ed25519-priv multikey")
    return ed25519.Ed25519PrivateKey.from_private_bytes(raw[2:])


def issuer_from_private(private: Any, *, did_web: str | None = None) -> IssuerKey:
    """The :class:`IssuerKey` of an existing private key object."""
    if isinstance(private, ed25519.Ed25519PrivateKey):
        return _identity("Ed25519", private, did_web)
    if isinstance(private, rsa.RSAPrivateKey):
        return _identity("RSA", private, did_web)
    raise TypeError("private must be an Ed25519 or RSA private key")


def write_issuer_keys(directory: str | os.PathLike[str], key: IssuerKey) -> tuple[Path, Path]:
    """Write ``issuer-key.pem`` (mode 0600) and ``did.json`` into ``directory``.

    An existing key file is never replaced (losing it would orphan every credential it signed).

    Returns
    -------
    (key_path, did_path)
    """
    folder = Path(directory)
    key_path, did_path = folder / KEY_FILE, folder / DID_FILE
    if key_path.exists():
        raise InputError("a key already exists here; it is never overwritten", file=key_path)
    pem = key.private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        atomic_write_bytes(key_path, pem, mode=0o600)
        atomic_write_text(did_path, json.dumps(key.did_document(), indent=2) + "\n")
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", file=folder) from None
    return key_path, did_path


def load_issuer_key(path: str | os.PathLike[str]) -> IssuerKey:
    """Read a private key PEM; a ``did.json`` next to it names a ``did:web`` identity.

    Raises
    ------
    InputError
        Naming the file when it is missing, not a PEM private key, or of another algorithm, or
        when the ``did.json`` beside it lists another key.
    """
    key_path = Path(path)
    try:
        data = key_path.read_bytes()
    except FileNotFoundError:
        raise InputError("key file not found", file=key_path) from None
    except OSError as exc:
        raise InputError(f"cannot read the key: {exc.strerror}", file=key_path) from None
    try:
        private = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise InputError(
            "not an unencrypted PEM private key (credkit keys new writes one)", file=key_path
        ) from None
    if not isinstance(private, ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey):
        raise InputError("only Ed25519 and RSA keys are supported", file=key_path)
    did_path = key_path.parent / DID_FILE
    did_web = None
    if did_path.is_file():
        doc = read_did_document(did_path)
        if str(doc.get("id", "")).startswith("did:web:"):
            did_web = doc["id"]
    issuer = issuer_from_private(private, did_web=did_web)
    if did_path.is_file():
        listed = resolve_in_document(read_did_document(did_path), issuer.verification_method)
        if listed is None or listed.raw() != issuer.public.raw():
            raise InputError("did.json beside the key lists another public key", file=did_path)
    return issuer


def read_did_document(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A DID document file, checked to be a JSON object with an ``id``."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("DID document not found", file=path) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not a readable JSON DID document: {exc}", file=path) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
        raise InputError("a DID document is a JSON object with an 'id'", file=path, field="id")
    return doc


def resolve_in_document(doc: dict[str, Any], verification_method: str) -> PublicKey | None:
    """The key ``verification_method`` names in a DID document, if it is an assertion method."""
    controller = doc.get("id")
    asserted = {
        (m if isinstance(m, str) else m.get("id", "")) for m in doc.get("assertionMethod", [])
    }
    asserted = {controller + m if m.startswith("#") else m for m in asserted}
    if verification_method not in asserted:
        return None
    for method in doc.get("verificationMethod", []) + [
        m for m in doc.get("assertionMethod", []) if isinstance(m, dict)
    ]:
        if not isinstance(method, dict):
            continue
        mid = method.get("id", "")
        mid = controller + mid if mid.startswith("#") else mid
        if mid != verification_method:
            continue
        try:
            if "publicKeyMultibase" in method:
                return _from_multicodec(
                    multibase_decode(method["publicKeyMultibase"]), verification_method
                )
            if "publicKeyJwk" in method:
                return _from_jwk(method["publicKeyJwk"], verification_method)
        except (ValueError, TypeError):
            return None
    return None


def _from_multicodec(raw: bytes, verification_method: str) -> PublicKey:
    if raw[:2] == _ED25519_PUB and len(raw) == 34:
        return PublicKey(
            "Ed25519", ed25519.Ed25519PublicKey.from_public_bytes(raw[2:]), verification_method
        )
    if raw[:2] == _RSA_PUB:
        key = serialization.load_der_public_key(raw[2:])  # PKCS#1 DER
        return PublicKey("RSA", key, verification_method)
    raise ValueError("unsupported multicodec key type")


def _from_jwk(data: dict[str, Any], verification_method: str) -> PublicKey:
    jwk = require("joserfc.jwk")
    kty = data.get("kty")
    if kty == "OKP" and data.get("crv") == "Ed25519":
        obj = jwk.OKPKey.import_key(data)
        return PublicKey("Ed25519", obj.public_key, verification_method)
    if kty == "RSA":
        obj = jwk.RSAKey.import_key(data)
        return PublicKey("RSA", obj.public_key, verification_method)
    raise ValueError("unsupported JWK")


def public_key_from_jwk(jwk: dict[str, Any]) -> PublicKey:
    """A public key from a JWK (Ed25519 OKP or RSA); ValueError when it is neither."""
    return _from_jwk(jwk, "")


def issuer_assertion_keys(
    issuer: str, *, did_documents: tuple[dict[str, Any], ...] = ()
) -> list[PublicKey]:
    """Every key the issuer's DID lists as an assertion method, resolved offline."""
    if issuer.startswith("did:key:"):
        key = public_key_from_did(issuer)
        return [] if key is None else [key]
    out = []
    for doc in did_documents:
        if doc.get("id") != issuer:
            continue
        for method in doc.get("assertionMethod", []):
            ref = method if isinstance(method, str) else method.get("id", "")
            ref = issuer + ref if ref.startswith("#") else ref
            key = resolve_in_document(doc, ref)
            if key is not None:
                out.append(key)
    return out


def public_key_from_did(
    verification_method: str, *, did_documents: tuple[dict[str, Any], ...] = ()
) -> PublicKey | None:
    """Resolve a verification method offline: ``did:key`` from the identifier itself,
    ``did:web`` (or any other DID) from the DID documents supplied. None when it cannot."""
    did = verification_method.split("#", 1)[0]
    if did.startswith("did:key:"):
        fragment = verification_method.partition("#")[2]
        ident = did[8:]
        if fragment not in ("", ident, "key-1"):
            return None
        try:
            return _from_multicodec(multibase_decode(ident), verification_method)
        except ValueError:
            return None
    for doc in did_documents:
        if doc.get("id") == did:
            return resolve_in_document(doc, verification_method)
    return None
