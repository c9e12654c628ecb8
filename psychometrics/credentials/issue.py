"""Issuing OpenBadgeCredentials to the candidates who passed.

For each passing candidate of the administration the credential carries the achievement, the
candidate's scale score as a ``Result``, ``validFrom`` (the day the test was taken) and
``validUntil`` (the spec's ``valid_for_months`` later), the recipient as a salted SHA-256
``IdentityObject`` of the email and/or the candidate's DID, a Bitstring Status List entry and the
validity report as evidence. It is signed as VC-JWT and, with an Ed25519 key, with an embedded
``eddsa-rdfc-2022`` proof.

Issuance is idempotent: the credential id is a UUID derived from the issuer, the achievement,
the candidate and the administration, and a candidate already in the ledger is left as is
(``reissue=True`` gives a new id and a new status entry instead).

References
----------
.. [1] 1EdTech, "Open Badges Specification v3.0", B.1.2 AchievementCredential, B.1.11
   IdentityObject, https://www.imsglobal.org/spec/ob/v3p0/
.. [2] W3C, "Verifiable Credentials Data Model v2.0", https://www.w3.org/TR/vc-data-model-2.0/
"""

from __future__ import annotations

import calendar
import copy
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from psychometrics.credentials import dataintegrity, statuslist, vcjwt
from psychometrics.credentials.contexts import CREDENTIAL_CONTEXT
from psychometrics.credentials.keys import IssuerKey
from psychometrics.credentials.results import Candidate, ResultRow
from psychometrics.credentials.store import BadgeStore, LedgerEntry, utc_stamp
from psychometrics.errors import InputError

__all__ = [
    "IssueSummary",
    "add_months",
    "build_credential",
    "credential_id",
    "email_matches",
    "free_status_index",
    "identity_object",
    "issue_credentials",
    "sign_credential",
]

_NAMESPACE = uuid.UUID("6f1c1a62-9a61-5b0c-8a49-6372656b6974")  # credkit's uuid5 namespace


def identity_object(email: str, *, salt: str | None = None) -> dict[str, Any]:
    """A hashed ``emailAddress`` IdentityObject: ``sha256$`` + hex(sha256(email + salt)).

    The address is trimmed and lower-cased first, so a verifier who knows it can recompute the
    hash; ``salt`` defaults to 16 random bytes (hex) so that the hash alone reveals nothing.
    """
    salt = secrets.token_hex(16) if salt is None else salt
    normalized = email.strip().lower()
    digest = hashlib.sha256((normalized + salt).encode("utf-8")).hexdigest()
    return {
        "type": "IdentityObject",
        "identityHash": f"sha256${digest}",
        "identityType": "emailAddress",
        "hashed": True,
        "salt": salt,
    }


def email_matches(identity: dict[str, Any], email: str) -> bool:
    """Whether a hashed emailAddress IdentityObject is the hash of ``email``."""
    if identity.get("identityType") != "emailAddress":
        return False
    if not identity.get("hashed"):
        return str(identity.get("identityHash", "")).strip().lower() == email.strip().lower()
    expected = identity_object(email, salt=str(identity.get("salt", "")))["identityHash"]
    return secrets.compare_digest(expected, str(identity.get("identityHash", "")))


def credential_id(
    issuer_id: str, achievement_id: str, candidate_id: str, administration: str
) -> str:
    """The stable id ``urn:uuid:<uuid5>`` of one candidate's credential in one administration."""
    name = "\x1f".join((issuer_id, achievement_id, candidate_id, administration))
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, name)}"


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months (the 31st becomes the month's last day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _stamp(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def build_credential(
    *,
    achievement: dict[str, Any],
    issuer: dict[str, Any],
    cred_id: str,
    candidate: Candidate,
    scale_score: float | None,
    valid_from: date,
    valid_until: date | None,
    status: dict[str, Any] | None,
    evidence: list[dict[str, Any]] | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """An unsigned ``OpenBadgeCredential`` (see the module docstring)."""
    subject: dict[str, Any] = {"type": ["AchievementSubject"]}
    if candidate.did:
        subject["id"] = candidate.did
    if candidate.email:
        subject["identifier"] = [identity_object(candidate.email)]
    subject["achievement"] = achievement
    descriptions = achievement.get("resultDescription") or []
    if scale_score is not None:
        score = float(scale_score)
        value = str(int(score)) if score.is_integer() else f"{score:g}"
        result: dict[str, Any] = {"type": ["Result"], "value": value}
        if descriptions:
            result["resultDescription"] = descriptions[0]["id"]
        subject["result"] = [result]
    subject["activityEndDate"] = _stamp(valid_from)
    credential: dict[str, Any] = {
        "@context": list(CREDENTIAL_CONTEXT),
        "id": cred_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": name or achievement.get("name", "Open Badge"),
        "issuer": issuer,
        "validFrom": _stamp(valid_from),
    }
    if valid_until is not None:
        credential["validUntil"] = _stamp(valid_until)
    credential["credentialSubject"] = subject
    if status is not None:
        credential["credentialStatus"] = status
    if evidence:
        credential["evidence"] = evidence
    return credential


def sign_credential(
    credential: dict[str, Any], key: IssuerKey
) -> tuple[dict[str, Any] | None, str]:
    """``(credential with an eddsa-rdfc-2022 proof or None for an RSA key, VC-JWT)``.

    The embedded proof is a one-element list, as the Open Badges 3.0 schema requires.
    """
    token = vcjwt.sign_jwt(credential, key)
    if key.algorithm != "Ed25519":
        return None, token
    signed = dataintegrity.sign(credential, key)
    signed["proof"] = [signed["proof"]]
    return signed, token


@dataclass(frozen=True)
class IssueSummary:
    """What one issuance run did.

    Attributes
    ----------
    issued : tuple of (candidate_id, credential_id, file stem)
        Credentials written in this run.
    unchanged : tuple of (candidate_id, credential_id)
        Candidates already in the ledger (idempotent rerun).
    not_passed : int
        Candidates of the administration who did not pass.
    status_list : str
        The status list file.
    """

    issued: tuple[tuple[str, str, str], ...]
    unchanged: tuple[tuple[str, str], ...]
    not_passed: int
    status_list: str


def free_status_index(used: set[int], capacity: int) -> int:
    """A random unused entry of the status list (an index says nothing about issuance order)."""
    if len(used) >= capacity:
        raise InputError("the status list is full")
    while True:
        index = secrets.randbelow(capacity)
        if index not in used:
            return index


def issue_credentials(
    rows: list[ResultRow],
    *,
    candidates: dict[str, Candidate],
    key: IssuerKey,
    store: BadgeStore,
    achievement: dict[str, Any],
    issuer: dict[str, Any],
    status_list_url: str,
    valid_for_months: int | None,
    evidence: list[dict[str, Any]] | None = None,
    reissue: bool = False,
    today: date | None = None,
    candidates_file: str = "candidates file",
) -> IssueSummary:
    """Issue a credential to every passing row (see the module docstring).

    Every passing candidate must have an identity in ``candidates``; that is checked before
    anything is written.
    """
    passing = [r for r in rows if r.passed]
    missing = [r for r in passing if r.candidate_id not in candidates]
    if missing:
        first = missing[0]
        raise InputError(
            f"no email or DID for candidate {first.candidate_id} (and {len(missing) - 1} more "
            "passing candidates)" if len(missing) > 1 else
            f"no email or DID for candidate {first.candidate_id}",
            file=candidates_file,
            field="candidate_id",
        )  # fmt: skip
    ledger = store.read_ledger()
    by_key = {(e.candidate_id, e.administration_id): e for e in ledger}
    bits = store.read_status_bits()
    list_id = store.read_status_list_id() or status_list_url
    if bits is None:
        bits = statuslist.empty_list()
    capacity = len(bits) * 8 // statuslist.STATUS_SIZE
    used = {e.status_index for e in ledger}
    issued: list[tuple[str, str, str]] = []
    unchanged: list[tuple[str, str]] = []
    now = datetime.now(UTC)
    day = today or now.date()
    for row in passing:
        previous = by_key.get((row.candidate_id, row.administration_id))
        stem = store.credential_stem(row.candidate_id, row.administration_id)
        files_present = stem.with_suffix(".jwt").is_file()
        if previous is not None and not reissue and files_present:
            unchanged.append((row.candidate_id, previous.credential_id))
            continue
        if previous is not None and not reissue:
            cred_id, index = previous.credential_id, previous.status_index
        else:
            cred_id = credential_id(
                key.issuer_id, achievement["id"], row.candidate_id, row.administration_id
            )
            if reissue or any(e.credential_id == cred_id for e in ledger):
                cred_id = f"urn:uuid:{uuid.uuid4()}"
            index = free_status_index(used, capacity)
            used.add(index)
        valid_from = row.completed_on or day
        until = add_months(valid_from, valid_for_months) if valid_for_months else None
        credential = build_credential(
            achievement=copy.deepcopy(achievement),
            issuer=issuer,
            cred_id=cred_id,
            candidate=candidates[row.candidate_id],
            scale_score=row.scale_score,
            valid_from=valid_from,
            valid_until=until,
            status=statuslist.status_entry(list_id, index),
            evidence=evidence,
        )
        embedded, token = sign_credential(credential, key)
        if embedded is not None:
            store.write_json(stem.with_suffix(".json"), embedded)
        store.write_text(stem.with_suffix(".jwt"), token + "\n")
        entry = LedgerEntry(
            cred_id,
            row.candidate_id,
            row.administration_id,
            index,
            utc_stamp(now),
            str(stem.relative_to(store.folder)),
        )
        ledger = [
            e
            for e in ledger
            if (e.candidate_id, e.administration_id) != (row.candidate_id, row.administration_id)
            or reissue
        ]
        ledger.append(entry)
        issued.append((row.candidate_id, cred_id, str(stem)))
    status_path = store.existing_status_list()
    if status_path is None or issued:
        status_path = (
            store.write_status_list(list_id, bits, key) if status_path is None else status_path
        )
    store.write_ledger(ledger)
    return IssueSummary(tuple(issued), tuple(unchanged), len(rows) - len(passing), str(status_path))
