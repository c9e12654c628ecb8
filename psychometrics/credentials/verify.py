"""Verifying an Open Badges credential offline: proof, schema, dates, status, issuer key.

A credential is read from a JSON file (embedded ``eddsa-rdfc-2022`` proof), a VC-JWT (file or
text) or a baked SVG or PNG. The checks, in order, each with its own verdict and exit code:

==================  ====  ==================================================================
verdict             code  meaning
==================  ====  ==================================================================
valid               0     every check passed
malformed           3     not a credential (unreadable JSON/JWT, no proof)
unknown-context     4     names a JSON-LD context credkit does not ship (never fetched)
schema              5     fails the official Open Badges 3.0 JSON Schema
wrong-key           6     the signing key is not the issuer's, or cannot be resolved offline
tampered            7     the signature does not match the content
not-yet-valid       8     ``validFrom`` is in the future
expired             9     ``validUntil`` has passed
revoked             10    its status list entry says revoked
suspended           11    its status list entry says suspended
status-unavailable  12    its status list is not available offline or fails its own checks
==================  ====  ==================================================================

Key binding: the proof's verification method must be a key of the issuer's DID (the issuer id),
resolved from the DID itself (``did:key``) or from a DID document the caller supplies
(``did:web``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from psychometrics.credentials import dataintegrity, statuslist, vcjwt
from psychometrics.credentials.bake import extract_png, extract_svg, is_png, is_svg
from psychometrics.credentials.contexts import unknown_contexts
from psychometrics.credentials.keys import (
    issuer_assertion_keys,
    public_key_from_did,
    public_key_from_jwk,
)
from psychometrics.credentials.schema import schema_errors
from psychometrics.credentials.store import read_status_list_document

__all__ = ["EXIT_CODES", "Verification", "load_presented", "verify_credential", "verify_file"]

EXIT_CODES = {
    "valid": 0,
    "malformed": 3,
    "unknown-context": 4,
    "schema": 5,
    "wrong-key": 6,
    "tampered": 7,
    "not-yet-valid": 8,
    "expired": 9,
    "revoked": 10,
    "suspended": 11,
    "status-unavailable": 12,
}


@dataclass(frozen=True)
class Verification:
    """The verdict on one credential.

    Attributes
    ----------
    verdict : str
        A key of :data:`EXIT_CODES` (``valid`` when every check passed).
    reason : str
        Why, in one sentence.
    credential : dict or None
        The credential (for a VC-JWT: the payload without the JWT claims).
    proof_format : str
        ``data-integrity``, ``vc-jwt`` or ``''``.
    """

    verdict: str
    reason: str
    credential: dict[str, Any] | None = field(default=None, repr=False)
    proof_format: str = ""

    @property
    def valid(self) -> bool:
        return self.verdict == "valid"

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    @property
    def credential_id(self) -> str:
        return str((self.credential or {}).get("id", ""))

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "verdict": self.verdict,
            "reason": self.reason,
            "credential_id": self.credential_id,
            "issuer": _issuer_id(self.credential or {}),
            "proof_format": self.proof_format,
        }


def _issuer_id(credential: dict[str, Any]) -> str:
    issuer = credential.get("issuer")
    return str(issuer.get("id", "") if isinstance(issuer, dict) else issuer or "")


def _parse_time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _structure(credential: dict[str, Any]) -> Verification | None:
    unknown = unknown_contexts(credential)
    if unknown:
        return Verification(
            "unknown-context",
            f"unknown JSON-LD context {unknown[0]} (credkit ships its contexts and never "
            "fetches one)",
            credential,
        )
    errors = schema_errors(credential)
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return Verification(
            "schema", f"not a valid Open Badges 3.0 credential: {errors[0]}{more}", credential
        )
    return None


def _binding(credential: dict[str, Any], method: str) -> str | None:
    issuer = _issuer_id(credential)
    if method.split("#", 1)[0] != issuer:
        return f"signed with {method}, which is not a key of the issuer {issuer}"
    return None


def _dates(credential: dict[str, Any], now: datetime) -> Verification | None:
    start, end = _parse_time(credential.get("validFrom")), _parse_time(credential.get("validUntil"))
    if start is None:
        return Verification("schema", "validFrom is not a dateTime", credential)
    if "validUntil" in credential and end is None:
        return Verification("schema", "validUntil is not a dateTime", credential)
    if now < start:
        return Verification(
            "not-yet-valid", f"not valid before {credential['validFrom']}", credential
        )
    if end is not None and now >= end:
        return Verification("expired", f"expired on {credential['validUntil']}", credential)
    return None


@dataclass(frozen=True)
class _Context:
    status_lists: tuple[Path, ...]
    did_documents: tuple[dict[str, Any], ...]
    now: datetime
    near: Path | None
    check_status: bool


def _find_status_list(url: str, ctx: _Context) -> Path | None:
    candidates = list(ctx.status_lists)
    if ctx.near is not None:
        for folder in (ctx.near, *list(ctx.near.parents)[:2]):
            candidates += [folder / "status-list.json", folder / "status-list.jwt"]
    for path in candidates:
        if path.is_file():
            try:
                doc = read_status_list_document(path)
            except Exception:
                continue
            if doc.get("id") == url:
                return path
    return None


def _status(credential: dict[str, Any], ctx: _Context) -> Verification | None:
    entry = credential.get("credentialStatus")
    if entry is None or not ctx.check_status:
        return None
    entries = entry if isinstance(entry, list) else [entry]
    for item in entries:
        if not isinstance(item, dict) or item.get("type") != "BitstringStatusListEntry":
            return Verification(
                "status-unavailable",
                f"unsupported credentialStatus entry {item!r:.80}",
                credential,
            )
        url = str(item.get("statusListCredential", ""))
        path = _find_status_list(url, ctx)
        if path is None:
            return Verification(
                "status-unavailable",
                f"status list {url} is not available offline (give it with --status-list)",
                credential,
            )
        checked = verify_file(
            path,
            did_documents=ctx.did_documents,
            now=None,  # the list in force today, also when the credential is checked at --at
            check_status=False,
            status_list=True,
        )
        if not checked.valid:
            return Verification(
                "status-unavailable", f"status list {path}: {checked.reason}", credential
            )
        listed = checked.credential or {}
        if _issuer_id(listed) != _issuer_id(credential):
            return Verification(
                "status-unavailable",
                f"status list {path} is issued by {_issuer_id(listed)}, "
                "not by the credential's issuer",
                credential,
            )
        subject = listed.get("credentialSubject") or {}
        purpose = item.get("statusPurpose")
        size = int(item.get("statusSize", 1) or 1)
        try:
            index = int(str(item.get("statusListIndex")))
            if subject.get("statusPurpose") != purpose:
                raise ValueError("the list's statusPurpose differs from the entry's")
            bits = statuslist.decode_list(subject.get("encodedList", ""))
            value = statuslist.get_status(bits, index, size=size)
        except (ValueError, IndexError, TypeError) as exc:
            return Verification("status-unavailable", f"status entry unreadable: {exc}", credential)
        if purpose == "revocation" and value:
            return Verification(
                "revoked", f"revoked (status list {url}, entry {index})", credential
            )
        if purpose == "suspension" and value:
            return Verification(
                "suspended", f"suspended (status list {url}, entry {index})", credential
            )
        if purpose == "message" and value:
            messages = {
                int(str(m.get("status", "")), 16): str(m.get("message", ""))
                for m in item.get("statusMessage", [])
                if isinstance(m, dict)
            }
            message = messages.get(value, f"status 0x{value:x}")
            verdict = message if message in ("revoked", "suspended") else "status-unavailable"
            return Verification(
                verdict, f"{message} (status list {url}, entry {index})", credential
            )
    return None


def verify_credential(
    presented: dict[str, Any] | str,
    *,
    status_lists: tuple[str | os.PathLike[str], ...] = (),
    did_documents: tuple[dict[str, Any], ...] = (),
    now: datetime | None = None,
    near: str | os.PathLike[str] | None = None,
    check_status: bool = True,
    status_list: bool = False,
) -> Verification:
    """Verify a credential: a parsed JSON object with an embedded proof, or a VC-JWT string.

    Parameters
    ----------
    presented : dict or str
        The credential.
    status_lists : tuple of paths
        Local copies of status list credentials (matched by their ``id``).
    did_documents : tuple of dict
        DID documents for issuers that are not ``did:key``.
    now : datetime, optional
        The moment to check validity at (default: now, UTC).
    near : path, optional
        The credential's file: status lists named ``status-list.json``/``.jwt`` in its folder or
        the two above it are found without ``status_lists``.
    check_status : bool
        Whether to check ``credentialStatus``.
    status_list : bool
        The document is a status list credential (no Open Badges schema).
    """
    ctx = _Context(
        tuple(Path(p) for p in status_lists),
        tuple(did_documents),
        (now or datetime.now(UTC)).astimezone(UTC),
        Path(near).resolve().parent if near is not None else None,
        check_status,
    )
    if isinstance(presented, str):
        return _verify_jwt(presented, ctx, status_list)
    if not isinstance(presented, dict):
        return Verification("malformed", "not a credential (a JSON object)")
    credential = presented
    fmt = "data-integrity"
    unknown = unknown_contexts(credential)
    if unknown:
        return Verification(
            "unknown-context",
            f"unknown JSON-LD context {unknown[0]} (credkit ships its contexts and never "
            "fetches one)",
            credential,
            fmt,
        )
    if not status_list:
        problem = _structure(credential)
        if problem is not None:
            return Verification(problem.verdict, problem.reason, credential, fmt)
    proof = dataintegrity.proof_of(credential)
    if proof is None:
        return Verification("malformed", "no eddsa-rdfc-2022 proof", credential, fmt)
    method = str(proof.get("verificationMethod", ""))
    if proof.get("proofPurpose") != "assertionMethod":
        return Verification(
            "wrong-key",
            f"proof purpose {proof.get('proofPurpose')!r} is not assertionMethod",
            credential,
            fmt,
        )
    reason = _binding(credential, method)
    if reason is not None:
        return Verification("wrong-key", reason, credential, fmt)
    public = public_key_from_did(method, did_documents=ctx.did_documents)
    if public is None:
        return Verification(
            "wrong-key",
            f"cannot resolve the key {method} offline (give the issuer's did.json)",
            credential,
            fmt,
        )
    try:
        check = dataintegrity.check_proof(credential, public)
    except ValueError as exc:
        return Verification("malformed", str(exc), credential, fmt)
    if not check.valid:
        return Verification("tampered", check.message, credential, fmt)
    return _after_proof(credential, ctx, fmt)


def _after_proof(credential: dict[str, Any], ctx: _Context, fmt: str) -> Verification:
    for problem in (_dates(credential, ctx.now), _status(credential, ctx)):
        if problem is not None:
            return Verification(problem.verdict, problem.reason, credential, fmt)
    return Verification(
        "valid", "proof, schema, dates, status and issuer key all check", credential, fmt
    )


def _verify_jwt(token: str, ctx: _Context, status_list: bool) -> Verification:
    fmt = "vc-jwt"
    try:
        header = vcjwt.jwt_header(token)
    except ValueError as exc:
        return Verification("malformed", str(exc), None, fmt)
    method = str(header.get("kid", ""))
    try:
        claimed = vcjwt.jwt_payload_unverified(token)
    except ValueError:
        claimed = {}  # an unreadable payload: the signature check below says "tampered"
    claimed_issuer = _issuer_id(vcjwt.credential_claims(claimed)) or str(claimed.get("iss", ""))
    if method.startswith("#"):
        method = claimed_issuer + method
    if not method and isinstance(header.get("jwk"), dict):
        return _verify_jwt_with_embedded_key(token, header["jwk"], claimed_issuer, ctx)
    if not method:
        return Verification("wrong-key", "the JWT header names no key (kid or jwk)", None, fmt)
    public = public_key_from_did(method, did_documents=ctx.did_documents)
    if public is None:
        return Verification(
            "wrong-key",
            f"cannot resolve the key {method} offline (give the issuer's did.json)",
            None,
            fmt,
        )
    check = vcjwt.check_jwt(token, public)
    if not check.valid:
        verdict = "tampered" if check.credential is None else "malformed"
        return Verification(verdict, check.message, check.credential, fmt)
    credential = check.credential or {}
    if not status_list:
        problem = _structure(credential)
        if problem is not None:
            return Verification(problem.verdict, problem.reason, credential, fmt)
    reason = _binding(credential, method)
    if reason is not None:
        return Verification("wrong-key", reason, credential, fmt)
    return _after_proof(credential, ctx, fmt)


def _verify_jwt_with_embedded_key(
    token: str, jwk: dict[str, Any], issuer: str, ctx: _Context
) -> Verification:
    """A JWT that carries its key in the header (``jwk``): the key must be one of the issuer's."""
    fmt = "vc-jwt"
    try:
        public = public_key_from_jwk(jwk)
    except (ValueError, TypeError, KeyError) as exc:
        return Verification("malformed", f"the JWT header's jwk is not a key: {exc}", None, fmt)
    issuer_keys = issuer_assertion_keys(issuer, did_documents=ctx.did_documents)
    if not any(k.raw() == public.raw() for k in issuer_keys):
        why = (
            "is not a key of the issuer"
            if issuer_keys
            else "cannot be bound to the issuer offline (give the issuer's did.json)"
        )
        return Verification("wrong-key", f"the JWT's embedded key {why} {issuer}", None, fmt)
    check = vcjwt.check_jwt(token, public)
    if not check.valid:
        verdict = "tampered" if check.credential is None else "malformed"
        return Verification(verdict, check.message, check.credential, fmt)
    credential = check.credential or {}
    problem = _structure(credential)
    if problem is not None:
        return Verification(problem.verdict, problem.reason, credential, fmt)
    return _after_proof(credential, ctx, fmt)


def load_presented(path: str | os.PathLike[str]) -> dict[str, Any] | str:
    """What a file presents: a JSON credential, a VC-JWT, or either baked in an SVG or a PNG.

    Raises
    ------
    ValueError
        When the file holds none of them (the message says what was found).
    """
    raw = Path(path).read_bytes()
    if is_png(raw):
        text = extract_png(raw)
    else:
        text = raw.decode("utf-8-sig", errors="replace").strip()
    if is_svg(text):
        text = extract_svg(text).strip()
    if vcjwt.looks_like_jwt(text):
        return text
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"neither JSON, a JWT nor a baked SVG ({exc.msg}, line {exc.lineno})"
        ) from None
    return doc


def verify_file(
    path: str | os.PathLike[str],
    *,
    status_lists: tuple[str | os.PathLike[str], ...] = (),
    did_documents: tuple[dict[str, Any], ...] = (),
    now: datetime | None = None,
    check_status: bool = True,
    status_list: bool = False,
) -> Verification:
    """:func:`verify_credential` on a file (JSON, VC-JWT or baked SVG)."""
    try:
        presented = load_presented(path)
    except ValueError as exc:
        return Verification("malformed", str(exc))
    return verify_credential(
        presented,
        status_lists=status_lists,
        did_documents=did_documents,
        now=now,
        near=path,
        check_status=check_status,
        status_list=status_list,
    )
