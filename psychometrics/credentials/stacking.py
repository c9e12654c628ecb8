"""Issuing the stacked credential of a completed pathway, citing the credentials it rests on."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

from psychometrics.credentials import statuslist
from psychometrics.credentials.issue import (
    add_months,
    build_credential,
    credential_id,
    free_status_index,
    sign_credential,
)
from psychometrics.credentials.keys import IssuerKey
from psychometrics.credentials.pathway import Pathway, PathwayCheck
from psychometrics.credentials.results import Candidate
from psychometrics.credentials.store import BadgeStore, LedgerEntry, utc_stamp
from psychometrics.errors import InputError

__all__ = ["pathway_achievement", "pathway_issuer", "issue_stacked"]

_KNOWN_TYPES = {
    "Certificate",
    "Certification",
    "MicroCredential",
    "Badge",
    "Award",
    "LearningProgram",
}


def pathway_issuer(pathway: Pathway, issuer_id: str) -> dict[str, Any]:
    """The issuer Profile of the stacked credential."""
    profile: dict[str, Any] = {"id": issuer_id, "type": ["Profile"]}
    for key, name in (("issuer", "name"), ("issuer_url", "url"), ("issuer_email", "email")):
        if pathway.get(key):
            profile[name] = str(pathway.get(key))
    return profile


def pathway_achievement(pathway: Pathway, issuer_id: str) -> dict[str, Any]:
    """The stacked credential's Achievement: its criteria are the pathway's requirement."""
    aid = pathway.achievement_id
    achievement: dict[str, Any] = {
        "id": aid,
        "type": ["Achievement"],
        "name": pathway.title,
        "description": str(pathway.get("description") or pathway.title),
        "criteria": {
            "id": f"{aid}#criteria",
            "narrative": "Earned by holding valid credentials that meet this requirement: "
            f"{pathway.requirement.describe()}.",
        },
        "creator": pathway_issuer(pathway, issuer_id),
        "humanCode": pathway.id,
    }
    kind = str(pathway.get("achievement_type") or "")
    if kind:
        achievement["achievementType"] = (
            kind
            if kind in _KNOWN_TYPES or kind.startswith("ext:")
            else ("ext:" + "".join(ch for ch in kind if ch.isalnum() or ch in ".-_"))
        )
    if pathway.get("version"):
        achievement["version"] = str(pathway.get("version"))
    if pathway.get("image"):
        achievement["image"] = {"id": str(pathway.get("image")), "type": "Image"}
    alignment = []
    for leaf in pathway.requirement.leaves():
        alignment.append(
            {
                "type": ["Alignment"],
                "targetName": leaf.label,
                "targetUrl": leaf.achievement_id,
                "targetType": "ext:Credential",
            }
        )
    achievement["alignment"] = alignment
    return achievement


def issue_stacked(
    pathway: Pathway,
    check: PathwayCheck,
    *,
    key: IssuerKey,
    store: BadgeStore,
    holder: Candidate,
    reissue: bool = False,
) -> tuple[str, str, bool]:
    """Issue the pathway's credential to ``holder`` once ``check`` says the pathway is complete.

    Returns
    -------
    (credential_id, file stem, written)
        ``written`` is False when the holder already had it (idempotent).
    """
    if not check.complete:
        raise InputError(
            "the pathway is not complete: " + "; ".join(check.missing), field="credentials"
        )
    if not pathway.base_url:
        raise InputError("the pathway names no base_url or issuer_url", file=pathway.path)
    declared = str(pathway.get("issuer_id") or "")
    if declared and declared != key.issuer_id:
        raise InputError(
            f"pathway.issuer_id is {declared}, but the key's identity is {key.issuer_id}",
            file=pathway.path,
            field="pathway.issuer_id",
        )
    held = [leaf for leaf in check.leaves if leaf.met]
    holder_key = holder.candidate_id or holder.did
    if not holder_key:
        holder_key = (
            "email-" + hashlib.sha256(holder.email.strip().lower().encode()).hexdigest()[:16]
        )
    ledger = store.read_ledger()
    previous = [
        e for e in ledger if e.candidate_id == holder_key and e.administration_id == pathway.id
    ]
    stem = store.credential_stem(holder_key, pathway.id)
    if previous and not reissue and stem.with_suffix(".jwt").is_file():
        return previous[-1].credential_id, str(stem), False
    achievement = pathway_achievement(pathway, key.issuer_id)
    cid = credential_id(key.issuer_id, achievement["id"], holder_key, pathway.id)
    if reissue and previous:
        cid = f"urn:uuid:{uuid.uuid4()}"
    bits = store.read_status_bits()
    list_id = store.read_status_list_id() or store.status_list_url(pathway.base_url, pathway.id)
    if bits is None:
        bits = statuslist.empty_list()
    used = {e.status_index for e in ledger}
    if previous and not reissue:
        index = previous[-1].status_index
    else:
        index = free_status_index(used, len(bits) * 8 // statuslist.STATUS_SIZE)
    now = datetime.now(UTC)
    months = pathway.get("valid_for_months", None)
    evidence = [
        {
            "id": leaf.credential_id,
            "type": ["Evidence"],
            "name": leaf.requirement,
            "description": f"Credential {leaf.credential_id} for {leaf.achievement_id}, "
            f"verified by the issuer on {now.date().isoformat()}.",
            "genre": "Credential",
        }
        for leaf in held
    ]
    credential = build_credential(
        achievement=achievement,
        issuer=pathway_issuer(pathway, key.issuer_id),
        cred_id=cid,
        candidate=holder,
        scale_score=None,
        valid_from=now.date(),
        valid_until=add_months(now.date(), int(months)) if months else None,
        status=statuslist.status_entry(list_id, index),
        evidence=evidence,
    )
    embedded, token = sign_credential(credential, key)
    if embedded is not None:
        store.write_json(stem.with_suffix(".json"), embedded)
    store.write_text(stem.with_suffix(".jwt"), token + "\n")
    if store.existing_status_list() is None:
        store.write_status_list(list_id, bits, key)
    ledger.append(
        LedgerEntry(
            cid, holder_key, pathway.id, index, utc_stamp(now), str(stem.relative_to(store.folder))
        )
    )
    store.write_ledger(ledger)
    return cid, str(stem), True
