"""Embedded Data Integrity proofs with the ``eddsa-rdfc-2022`` cryptosuite.

The document and the proof options are each canonicalized to N-Quads with RDFC-1.0 (pyld's
URDNA2015, which produces the same output for these documents), hashed with SHA-256, and the
Ed25519 signature of ``hash(proof options) || hash(document)`` is the base58btc ``proofValue``.
Contexts come from :mod:`psychometrics.credentials.contexts` only.

References
----------
.. [1] W3C, "Data Integrity EdDSA Cryptosuites v1.0", section 3.3 (eddsa-rdfc-2022),
   https://www.w3.org/TR/vc-di-eddsa/
.. [2] W3C, "RDF Dataset Canonicalization (RDFC-1.0)", https://www.w3.org/TR/rdf-canon/
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from psychometrics.credentials._deps import require
from psychometrics.credentials.contexts import UnknownContextError, document_loader
from psychometrics.credentials.keys import IssuerKey, PublicKey, multibase_decode, multibase_encode

__all__ = ["CRYPTOSUITE", "ProofCheck", "canonicalize", "check_proof", "hash_data", "sign"]

CRYPTOSUITE = "eddsa-rdfc-2022"
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def canonicalize(document: dict[str, Any]) -> str:
    """RDFC-1.0 canonical N-Quads of a JSON-LD document (shipped contexts only).

    Raises
    ------
    UnknownContextError
        When the document names a context credkit does not ship.
    """
    jsonld = require("pyld.jsonld")
    try:
        return jsonld.normalize(
            copy.deepcopy(document),
            {
                "algorithm": "URDNA2015",
                "format": "application/n-quads",
                "documentLoader": document_loader,
            },
        )
    except jsonld.JsonLdError as exc:
        cause: BaseException | None = exc
        while cause is not None:
            if isinstance(cause, UnknownContextError):
                raise cause from None
            cause = getattr(cause, "cause", None) or cause.__cause__ or cause.__context__
        raise ValueError(
            f"not valid JSON-LD: {exc.type if hasattr(exc, 'type') else exc}"
        ) from None


def hash_data(document: dict[str, Any], proof_config: dict[str, Any]) -> bytes:
    """``sha256(canonical proof config) || sha256(canonical document)`` (64 bytes)."""
    config = dict(proof_config)
    config["@context"] = document.get("@context")
    proof_hash = hashlib.sha256(canonicalize(config).encode("utf-8")).digest()
    doc_hash = hashlib.sha256(canonicalize(document).encode("utf-8")).digest()
    return proof_hash + doc_hash


def sign(
    document: dict[str, Any],
    key: IssuerKey,
    *,
    created: datetime | None = None,
    proof_purpose: str = "assertionMethod",
) -> dict[str, Any]:
    """A copy of ``document`` with an ``eddsa-rdfc-2022`` DataIntegrityProof added.

    Parameters
    ----------
    document : dict
        An unsigned JSON-LD document (a ``proof`` already present is an error).
    key : IssuerKey
        An Ed25519 issuer key.
    created : datetime, optional
        The proof's creation time (UTC); default now.
    proof_purpose : str
        ``assertionMethod`` for credentials.
    """
    if key.algorithm != "Ed25519":
        raise ValueError("eddsa-rdfc-2022 needs an Ed25519 key")
    if "proof" in document:
        raise ValueError("document already has a proof")
    when = (created or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    proof = {
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "verificationMethod": key.verification_method,
        "proofPurpose": proof_purpose,
    }
    signature = key.sign(hash_data(document, proof))
    signed = copy.deepcopy(document)
    signed["proof"] = {**proof, "proofValue": multibase_encode(signature)}
    return signed


@dataclass(frozen=True)
class ProofCheck:
    """The outcome of checking one embedded proof.

    Attributes
    ----------
    valid : bool
    verification_method : str
        The key the proof names ('' when the proof is malformed).
    message : str
        Why it failed ('' when valid).
    """

    valid: bool
    verification_method: str
    message: str = ""


def proof_of(document: dict[str, Any]) -> dict[str, Any] | None:
    """The document's single ``eddsa-rdfc-2022`` proof, or None."""
    proof = document.get("proof")
    proofs = proof if isinstance(proof, list) else [proof]
    for p in proofs:
        if isinstance(p, dict) and p.get("cryptosuite") == CRYPTOSUITE:
            return p
    return None


def check_proof(document: dict[str, Any], public: PublicKey) -> ProofCheck:
    """Verify the ``eddsa-rdfc-2022`` proof of ``document`` with ``public``.

    ``public`` must be the key the proof's ``verificationMethod`` resolves to; the caller resolves
    it (and decides whether it belongs to the issuer).
    """
    proof = proof_of(document)
    if proof is None:
        return ProofCheck(False, "", f"no {CRYPTOSUITE} proof")
    vm = proof.get("verificationMethod", "")
    if proof.get("type") != "DataIntegrityProof":
        return ProofCheck(False, vm, "proof type is not DataIntegrityProof")
    if not isinstance(proof.get("created", ""), str) or (
        "created" in proof and not _DATETIME.match(proof["created"])
    ):
        return ProofCheck(False, vm, "proof 'created' is not an XML Schema dateTime")
    if public.algorithm != "Ed25519":
        return ProofCheck(False, vm, "the verification method is not an Ed25519 key")
    try:
        signature = multibase_decode(proof.get("proofValue", ""))
    except ValueError:
        return ProofCheck(False, vm, "proofValue is not base58btc multibase")
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    data = hash_data(unsecured, config)
    if len(signature) != 64 or not public.verify(signature, data):
        return ProofCheck(False, vm, "signature does not match the credential's content")
    return ProofCheck(True, vm)
