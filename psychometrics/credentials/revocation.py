"""Revoking, suspending and reinstating issued credentials in the issuer's status list.

The status list credential is re-signed and replaced atomically: a verifier reading it during
the change sees the old list or the new one. Revocation is final; a suspension can be lifted
(``reinstate``).
"""

from __future__ import annotations

from dataclasses import dataclass

from psychometrics.credentials import statuslist
from psychometrics.credentials.keys import IssuerKey
from psychometrics.credentials.store import BadgeStore, LedgerEntry, read_status_list_document
from psychometrics.errors import InputError

__all__ = ["ACTIONS", "StatusChange", "change_status"]

ACTIONS = {
    "revoke": statuslist.REVOKED,
    "suspend": statuslist.SUSPENDED,
    "reinstate": statuslist.VALID,
}


@dataclass(frozen=True)
class StatusChange:
    """One status change: the credential, its entry, and the status before and after."""

    credential_id: str
    status_index: int
    before: str
    after: str
    status_list: str


def find_entry(store: BadgeStore, ref: str) -> LedgerEntry:
    """The ledger entry of a credential id (``urn:uuid:...``) or of a candidate id (its latest)."""
    entries = store.read_ledger()
    if not entries:
        raise InputError("no credentials have been issued here (no ledger.csv)", file=store.folder)
    by_id = [e for e in entries if e.credential_id == ref]
    if by_id:
        return by_id[-1]
    by_candidate = [e for e in entries if e.candidate_id == ref]
    if len(by_candidate) > 1:
        ids = ", ".join(e.credential_id for e in by_candidate)
        raise InputError(f"candidate {ref} holds several credentials; name one of: {ids}")
    if by_candidate:
        return by_candidate[0]
    raise InputError(f"no credential {ref!r} in the ledger", file=store.ledger_path)


def change_status(store: BadgeStore, ref: str, action: str, *, key: IssuerKey) -> StatusChange:
    """Set the status of the credential ``ref`` (credential or candidate id) and re-sign the list.

    Parameters
    ----------
    store : BadgeStore
        The issuer's badge folder.
    ref : str
        A credential id or a candidate id.
    action : {"revoke", "suspend", "reinstate"}
    key : IssuerKey
        The issuer's key (it must be the status list's issuer).
    """
    if action not in ACTIONS:
        raise ValueError(f"action must be one of {tuple(ACTIONS)}, got {action!r}")
    entry = find_entry(store, ref)
    path = store.existing_status_list()
    if path is None:
        raise InputError("no status list here", file=store.folder)
    doc = read_status_list_document(path)
    if doc.get("issuer") != key.issuer_id:
        raise InputError(
            f"the status list is issued by {doc.get('issuer')}, not by this key ({key.issuer_id})",
            file=path,
        )
    bits = store.read_status_bits()
    assert bits is not None
    before = statuslist.get_status(bits, entry.status_index)
    name = statuslist.STATUS_NAMES.get(before, f"0x{before:x}")
    target = ACTIONS[action]
    if before == statuslist.REVOKED and target != statuslist.REVOKED:
        raise InputError(f"credential {entry.credential_id} is revoked; revocation is final")
    if action == "reinstate" and before != statuslist.SUSPENDED:
        raise InputError(f"credential {entry.credential_id} is {name}, not suspended")
    if before != target:
        bits = statuslist.set_status(bits, entry.status_index, target)
        path = store.write_status_list(str(doc["id"]), bits, key)
    return StatusChange(
        entry.credential_id, entry.status_index, name, statuslist.STATUS_NAMES[target], str(path)
    )
