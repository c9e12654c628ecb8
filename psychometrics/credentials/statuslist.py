"""W3C Bitstring Status List: revocation and suspension of issued credentials.

Open Badges 3.0's JSON Schema allows one ``credentialStatus`` object per credential, so one entry
must carry both revocation and suspension. credkit uses the Bitstring Status List's
``statusPurpose: "message"`` with ``statusSize: 2`` and three published messages: ``0x0`` valid,
``0x1`` suspended, ``0x2`` revoked. Revocation is final; a suspension can be lifted.

The list is a GZIP-compressed bitstring of at least 16 KiB (131,072 entries, for group privacy),
base64url-encoded with the multibase prefix ``u``. Entry ``i`` occupies bits
``i*statusSize .. i*statusSize+statusSize-1``, the first bit being the most significant bit of
the first byte.

References
----------
.. [1] W3C, "Bitstring Status List v1.0", https://www.w3.org/TR/vc-bitstring-status-list/
"""

from __future__ import annotations

import base64
import gzip
from typing import Any

__all__ = [
    "MESSAGES",
    "MIN_BITS",
    "STATUS_SIZE",
    "decode_list",
    "encode_list",
    "get_status",
    "set_status",
    "status_entry",
    "status_list_subject",
]

MIN_BITS = 131_072
STATUS_SIZE = 2
VALID, SUSPENDED, REVOKED = 0, 1, 2
MESSAGES = (
    {"status": "0x0", "message": "valid"},
    {"status": "0x1", "message": "suspended"},
    {"status": "0x2", "message": "revoked"},
)
STATUS_NAMES = {VALID: "valid", SUSPENDED: "suspended", REVOKED: "revoked"}


def encode_list(bits: bytes) -> str:
    """``u`` + base64url (no padding) of the GZIP of the bitstring's bytes."""
    # mtime=0: the same list always encodes to the same text
    packed = gzip.compress(bits, mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")


def decode_list(encoded: str) -> bytes:
    """Inverse of :func:`encode_list`; ValueError on a malformed value."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise ValueError("encodedList must be multibase base64url (start with 'u')")
    body = encoded[1:]
    try:
        packed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        return gzip.decompress(packed)
    except (ValueError, OSError, EOFError) as exc:
        raise ValueError(f"encodedList is not a GZIP base64url bitstring: {exc}") from None


def empty_list(size: int = MIN_BITS) -> bytes:
    return bytes(max(size, MIN_BITS) // 8)


def get_status(bits: bytes, index: int, *, size: int = STATUS_SIZE) -> int:
    """The ``size``-bit status value of entry ``index``."""
    start = index * size
    if index < 0 or start + size > len(bits) * 8:
        raise IndexError(f"status index {index} is outside the list")
    value = 0
    for bit in range(start, start + size):
        value = (value << 1) | ((bits[bit // 8] >> (7 - bit % 8)) & 1)
    return value


def set_status(bits: bytes, index: int, value: int, *, size: int = STATUS_SIZE) -> bytes:
    """A copy of ``bits`` with entry ``index`` set to ``value``."""
    start = index * size
    if index < 0 or start + size > len(bits) * 8:
        raise IndexError(f"status index {index} is outside the list")
    if not 0 <= value < (1 << size):
        raise ValueError(f"status value {value} does not fit in {size} bits")
    out = bytearray(bits)
    for offset, bit in enumerate(range(start, start + size)):
        mask = 1 << (7 - bit % 8)
        if (value >> (size - 1 - offset)) & 1:
            out[bit // 8] |= mask
        else:
            out[bit // 8] &= ~mask & 0xFF
    return bytes(out)


def status_list_subject(list_id: str, bits: bytes) -> dict[str, Any]:
    """The ``credentialSubject`` of a BitstringStatusListCredential (``statusSize`` and
    ``statusMessage`` belong to each credential's entry, as the v1.0 Recommendation has it)."""
    return {
        "id": f"{list_id}#list",
        "type": "BitstringStatusList",
        "statusPurpose": "message",
        "encodedList": encode_list(bits),
    }


def status_entry(list_id: str, index: int) -> dict[str, Any]:
    """A credential's ``credentialStatus`` entry pointing at ``index`` of the list ``list_id``."""
    return {
        "id": f"{list_id}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "message",
        "statusListIndex": str(index),
        "statusListCredential": list_id,
        "statusSize": STATUS_SIZE,
        "statusMessage": [dict(m) for m in MESSAGES],
    }
