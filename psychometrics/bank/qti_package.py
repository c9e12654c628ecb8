"""Safe, in-memory reading of an untrusted QTI package (a zip).

Nothing is extracted. Member names that are absolute, contain ``..`` or backslashes are refused,
size caps apply per member, in total and to the compression ratio (zip bombs), and XML with a
DOCTYPE (entity definitions) is refused.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
import zlib
from pathlib import Path

from psychometrics.errors import InputError

MAX_PACKAGE_BYTES = 256 * 1024 * 1024
MAX_MEMBERS = 20_000
MAX_MEMBER_BYTES = 16 * 1024 * 1024
MAX_TOTAL_BYTES = 512 * 1024 * 1024
MAX_RATIO = 200


def resolve(base: str, href: str) -> str:
    """The package path of ``href`` written in a document of folder ``base``."""
    href = href.split("#", 1)[0].split("?", 1)[0]
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", href) or href.startswith("/"):
        raise InputError(f"href outside the package: {href!r}")
    joined = posixpath.normpath(posixpath.join(base, href))
    if joined.startswith("../") or joined == "..":
        raise InputError(f"href outside the package: {href!r}")
    return joined


class Package:
    """Safe in-memory access to the members of a zip package."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            size = path.stat().st_size
        except OSError:
            raise InputError("package not found", file=path) from None
        if size > MAX_PACKAGE_BYTES:
            raise InputError(f"package is larger than {MAX_PACKAGE_BYTES} bytes", file=path)
        try:
            self.zip = zipfile.ZipFile(path)
        except (*ZIP_ERRORS, UnicodeDecodeError) as exc:
            raise InputError(f"not a zip package: {exc}", file=path) from None
        infos = self.zip.infolist()
        if len(infos) > MAX_MEMBERS:
            raise InputError(f"more than {MAX_MEMBERS} files in the package", file=path)
        total = 0
        self.names: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            name = info.filename
            if (
                name.startswith(("/", "\\"))
                or "\\" in name
                or "\x00" in name
                or re.match(r"^[A-Za-z]:", name)
                or ".." in name.split("/")
            ):
                raise InputError(f"unsafe path in the package: {name!r}", file=path)
            if info.file_size > MAX_MEMBER_BYTES:
                raise InputError(f"{name} is larger than {MAX_MEMBER_BYTES} bytes", file=path)
            if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
                raise InputError(f"{name}: suspicious compression ratio (zip bomb?)", file=path)
            total += info.file_size
            self.names[name] = info
        if total > MAX_TOTAL_BYTES:
            raise InputError(f"package expands to more than {MAX_TOTAL_BYTES} bytes", file=path)

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def where(self, name: str) -> str:
        return f"{self.path}!{name}"

    def read(self, name: str) -> bytes:
        info = self.names.get(name)
        if info is None:
            raise InputError(f"the package has no file {name!r}", file=self.path)
        try:
            with self.zip.open(info) as handle:
                data = handle.read(MAX_MEMBER_BYTES + 1)
        except ZIP_ERRORS as exc:  # corrupt, encrypted or of an unsupported compression
            raise InputError(f"cannot read this member: {exc}", file=self.where(name)) from None
        if len(data) > MAX_MEMBER_BYTES:
            raise InputError(f"{name} is larger than {MAX_MEMBER_BYTES} bytes", file=self.path)
        return data

    def xml(self, name: str) -> ET.Element:
        data = self.read(name)
        text = _xml_text(data, self.where(name)).lower()
        if "<!doctype" in text or "<!entity" in text:
            raise InputError(
                "XML with a DOCTYPE or entity definitions is not accepted", file=self.where(name)
            )
        try:
            root = ET.fromstring(data)
        except ET.ParseError as exc:
            line = exc.position[0] if exc.position else None
            raise InputError(f"malformed XML: {exc}", file=self.where(name), line=line) from None
        if _depth(root) > MAX_XML_DEPTH:
            raise InputError(
                f"elements nested more than {MAX_XML_DEPTH} deep", file=self.where(name)
            )
        return root


ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    NotImplementedError,  # an unsupported compression method
    RuntimeError,  # an encrypted member
    EOFError,
    zlib.error,
    OSError,
    ValueError,
)
MAX_XML_DEPTH = 200


def _xml_text(data: bytes, where: str) -> str:
    """The XML's text in the encoding its byte-order mark or zero bytes show (UTF-8, or UTF-16
    or UTF-32), so that markup checks see every character whatever the encoding."""
    boms = (
        (b"\xff\xfe\x00\x00", "utf-32-le"),
        (b"\x00\x00\xfe\xff", "utf-32-be"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    )
    codec = next((name for bom, name in boms if data.startswith(bom)), None)
    if codec is None:
        codec = "utf-16" if b"\x00" in data[:64] else "utf-8"
    try:
        return data.decode(codec, errors="strict")
    except UnicodeDecodeError:
        if codec == "utf-8":
            return data.decode("latin-1")  # the parser reports the real encoding error
        raise InputError(f"not {codec} text", file=where) from None


def _depth(root: ET.Element) -> int:
    """How deeply elements nest (iteratively: a deep tree must not exhaust Python's stack)."""
    deepest, stack = 0, [(root, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node)
    return deepest
