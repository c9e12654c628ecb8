"""Validate QTI 3.0 packages against 1EdTech's XSDs, shipped in ``psychometrics/data/qti``.

The schemas are 1EdTech's QTI 3.0 release files as redistributed by TAO's qti-sdk
(``oat-sa/qti-sdk``, ``src/qtism/data/storage/xml/schemes``); see ``data/qti/SOURCES.md``. The
item, test and stimulus schema is the ASI XSD of the 1EdTech SBAC profile: the only public copy
of the full ASI XSD is too large to be redistributed here, and the profile differs from the base
only in HTML5 ``data-*`` attributes, which credkit never writes (a test checks that).

Validation needs the optional :mod:`xmlschema` package (the ``test`` extra installs it).

References
----------
1EdTech (2022). *QTI 3.0 XML Schema and Vocabulary Documents*.
    https://www.imsglobal.org/spec/qti/v3p0/schema/
"""

from __future__ import annotations

import io
import zipfile
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

SCHEMA_DIR = Path(str(resources.files("psychometrics") / "data" / "qti"))
_XLINK = "http://www.w3.org/1999/xlink"
_SCHEMAS = {
    "item": "qtiv3p0/imsqti_asiv3p0_sbacv1p0_v1p0.xsd",
    "manifest": "qtiv3p0/imsqtiv3p0_imscpv1p2_v1p0.xsd",
    "usage": "qtiv3p0/imsqti_usagedatav3p0_v1p0.xsd",
}
_ROOTS = {
    "manifest": "manifest",
    "usageData": "usage",
    "qti-assessment-item": "item",
    "qti-assessment-test": "item",
    "qti-assessment-stimulus": "item",
}


@cache
def _schema(kind: str) -> Any:
    try:
        import xmlschema
    except ImportError as exc:  # pragma: no cover - the test extra installs it
        raise RuntimeError("QTI validation needs the xmlschema package") from exc
    locations = [(_XLINK, str(SCHEMA_DIR / "w3" / "xlink.xsd"))]
    return xmlschema.XMLSchema(str(SCHEMA_DIR / _SCHEMAS[kind]), locations=locations)


def schema_errors(document: bytes, *, name: str = "document") -> list[str]:
    """Schema errors of one QTI 3.0 XML document (item, test, stimulus, manifest, usage data).

    Returns one ``name: line N: message`` string per error (empty when valid); a root element
    credkit has no schema for is an error too.
    """
    import xml.etree.ElementTree as ET

    root = ET.fromstring(document)
    local = root.tag.rsplit("}", 1)[-1]
    kind = _ROOTS.get(local)
    if kind is None:
        return [f"{name}: no QTI 3.0 schema for <{local}>"]
    out = []
    for err in _schema(kind).iter_errors(io.BytesIO(document)):
        line = getattr(err, "sourceline", None)
        reason = (err.reason or str(err)).splitlines()[0]
        out.append(f"{name}: line {line}: {reason}" if line else f"{name}: {reason}")
    return out


def package_errors(package: str | Path | bytes) -> list[str]:
    """Schema errors of every XML member of a QTI 3.0 package (a zip path or its bytes)."""
    data = package if isinstance(package, bytes) else Path(package).read_bytes()
    out: list[str] = []
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for member in zf.namelist():
            if member.endswith(".xml"):
                out.extend(schema_errors(zf.read(member), name=member))
    return out
