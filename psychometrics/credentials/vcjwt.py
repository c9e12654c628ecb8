"""VC-JWT: an Open Badges credential secured as a compact JWS (JOSE), EdDSA or RS256.

Following Open Badges 3.0 section 8.2, the JWT payload is the credential itself with the
registered claims added at the top level: ``iss`` (issuer id), ``jti`` (credential id), ``nbf``
(validFrom), ``exp`` (validUntil, when set) and ``sub`` (the subject's id, when it has one).
The JOSE header names the key (``kid``: the issuer's verification method). Signing and checking
are done by joserfc.

References
----------
.. [1] 1EdTech, "Open Badges Specification v3.0", section 8.2 JSON Web Token Proof Format,
   https://www.imsglobal.org/spec/ob/v3p0/
.. [2] M. Jones et al., RFC 7515 (JWS), RFC 7519 (JWT), RFC 8037 (EdDSA in JOSE).
"""

from __future__ import annotations

import base64
import json
import warnings
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psychometrics.credentials._deps import require
from psychometrics.credentials.keys import IssuerKey, PublicKey

__all__ = ["JwtCheck", "check_jwt", "jwt_header", "looks_like_jwt", "sign_jwt"]

ALGORITHM = {"Ed25519": "EdDSA", "RSA": "RS256"}
_CLAIMS = ("iss", "jti", "nbf", "exp", "sub", "iat")


def _epoch(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def _registry(alg: str) -> Any:
    jws = require("joserfc.jws")
    registry = jws.JWSRegistry(algorithms=[alg])
    # a did:key of an RSA key is ~600 characters, and the header cites it as kid
    registry.max_header_length = 4096
    registry.max_payload_length = 1 << 20  # a credential may carry a baked image as a data: URI
    return registry


def _jose_key(key: Any, algorithm: str) -> Any:
    jwk = require("joserfc.jwk")
    return (jwk.OKPKey if algorithm == "Ed25519" else jwk.RSAKey).import_key(key)


def sign_jwt(credential: dict[str, Any], key: IssuerKey) -> str:
    """The compact VC-JWT of an unsigned credential (EdDSA for Ed25519 keys, RS256 for RSA)."""
    jws = require("joserfc.jws")
    payload = {k: v for k, v in credential.items() if k != "proof"}
    issuer = credential.get("issuer")
    payload["iss"] = issuer.get("id") if isinstance(issuer, dict) else issuer
    payload["jti"] = credential["id"]
    payload["nbf"] = _epoch(credential["validFrom"])
    if credential.get("validUntil"):
        payload["exp"] = _epoch(credential["validUntil"])
    subject_id = (credential.get("credentialSubject") or {}).get("id")
    if subject_id:
        payload["sub"] = subject_id
    alg = ALGORITHM[key.algorithm]
    header = {"alg": alg, "typ": "JWT", "kid": key.verification_method}
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    with warnings.catch_warnings():
        # joserfc flags "EdDSA" as superseded by "Ed25519" (RFC 9864); Open Badges 3.0 names EdDSA
        warnings.simplefilter("ignore")
        return jws.serialize_compact(
            header, body, _jose_key(key.private, key.algorithm), registry=_registry(alg)
        )


def looks_like_jwt(text: str) -> bool:
    """Whether ``text`` has the shape of a compact JWS (three base64url parts)."""
    parts = text.strip().split(".")
    allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    return len(parts) == 3 and all(p and set(p) <= allowed for p in parts)


def _b64json(part: str) -> Any:
    padded = part + "=" * (-len(part) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


def jwt_header(token: str) -> dict[str, Any]:
    """The (unverified) JOSE header; ValueError when it is not a JSON object."""
    try:
        header = _b64json(token.strip().split(".")[0])
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"the JWT header is not base64url JSON: {exc}") from None
    if not isinstance(header, dict):
        raise ValueError("the JWT header is not a JSON object")
    return header


def jwt_payload_unverified(token: str) -> dict[str, Any]:
    """The payload, decoded without checking the signature (to read which key to use)."""
    try:
        payload = _b64json(token.strip().split(".")[1])
    except (ValueError, UnicodeDecodeError, IndexError) as exc:
        raise ValueError(f"the JWT payload is not base64url JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise ValueError("the JWT payload is not a JSON object")
    return payload


def credential_claims(payload: dict[str, Any]) -> dict[str, Any]:
    """The credential a (decoded) VC-JWT payload carries: the payload less the JWT claims, or its
    ``vc`` claim (VC Data Model 1.1 style)."""
    if isinstance(payload.get("vc"), dict) and "@context" not in payload:
        return dict(payload["vc"])
    return {k: v for k, v in payload.items() if k not in _CLAIMS}


@dataclass(frozen=True)
class JwtCheck:
    """The outcome of checking a VC-JWT: ``credential`` is the payload without the JWT claims."""

    valid: bool
    credential: dict[str, Any] | None
    message: str = ""


def check_jwt(token: str, public: PublicKey) -> JwtCheck:
    """Verify a VC-JWT's signature with ``public`` and its claims against the credential."""
    jws = require("joserfc.jws")
    errors = require("joserfc.errors")
    alg = ALGORITHM[public.algorithm]
    try:
        header = jwt_header(token)
    except ValueError as exc:
        return JwtCheck(False, None, str(exc))
    if header.get("alg") != alg:
        return JwtCheck(False, None, f"JWT alg {header.get('alg')!r} does not fit a {alg} key")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            obj = jws.deserialize_compact(
                token.strip(), _jose_key(public.key, public.algorithm), registry=_registry(alg)
            )
    except errors.BadSignatureError:
        return JwtCheck(False, None, "signature does not match the credential's content")
    except (errors.JoseError, ValueError) as exc:
        return JwtCheck(False, None, f"not a valid JWS: {exc}")
    try:
        payload = json.loads(obj.payload)
    except (ValueError, UnicodeDecodeError):
        return JwtCheck(False, None, "the JWT payload is not JSON")
    if not isinstance(payload, dict):
        return JwtCheck(False, None, "the JWT payload is not a JSON object")
    return _credential_of(payload)


def _credential_of(payload: dict[str, Any]) -> JwtCheck:
    credential = credential_claims(payload)
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    try:
        expected = {
            "iss": issuer_id,
            "jti": credential.get("id"),
            "nbf": _epoch(credential["validFrom"]) if credential.get("validFrom") else None,
            "exp": _epoch(credential["validUntil"]) if credential.get("validUntil") else None,
        }
    except (TypeError, ValueError):
        return JwtCheck(False, credential, "validFrom/validUntil are not dateTimes")
    for claim, value in expected.items():
        # a registered claim present in the payload must agree with the credential it secures
        if claim in payload and value is not None and payload[claim] != value:
            return JwtCheck(False, credential, f"JWT claim '{claim}' does not match the credential")
    return JwtCheck(True, credential)
