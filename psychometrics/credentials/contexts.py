"""The JSON-LD contexts credkit signs and verifies with, shipped in the package.

Data Integrity proofs are computed over the RDF dataset a credential expands to, so the contexts
it names decide what is signed. A verifier that fetched them at run time would trust whoever
serves them (and would need the network); credkit reads them from ``psychometrics/data`` and
refuses every other URL: an unknown context is an error, never a download.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

VC_V2 = "https://www.w3.org/ns/credentials/v2"
VC_EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"

SHIPPED: dict[str, str] = {
    VC_V2: "credentials-v2.jsonld",
    VC_EXAMPLES_V2: "credentials-examples-v2.jsonld",
    OB_V3: "ob-v3p0-context-3.0.3.jsonld",
    # earlier Open Badges 3.0 context versions, which credentials from other issuers may name
    "https://purl.imsglobal.org/spec/ob/v3p0/context.json": "ob-v3p0-context.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json": "ob-v3p0-context-3.0.1.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json": "ob-v3p0-context-3.0.2.jsonld",
    # Data Integrity terms, which some issuers add beside the VC 2.0 context
    "https://w3id.org/security/data-integrity/v2": "data-integrity-v2.jsonld",
    "https://w3id.org/security/multikey/v1": "multikey-v1.jsonld",
}
"""Context URL -> file under ``psychometrics/data/credentials/contexts`` (sources: SOURCES.md)."""

CREDENTIAL_CONTEXT = (VC_V2, OB_V3)
"""The ``@context`` of every credential credkit issues (VC Data Model 2.0, Open Badges 3.0.3)."""


class UnknownContextError(ValueError):
    """A document names a JSON-LD context that is not shipped with credkit."""

    def __init__(self, url: str) -> None:
        super().__init__(f"unknown JSON-LD context '{url}' (credkit never fetches contexts)")
        self.url = url


@cache
def _context_text(url: str) -> str:
    name = SHIPPED[url]
    return (
        resources.files("psychometrics")
        .joinpath("data", "credentials", "contexts", name)
        .read_text(encoding="utf-8")
    )


def load_context(url: str) -> dict[str, Any]:
    """The parsed context document served for ``url``; :class:`UnknownContextError` otherwise."""
    if url not in SHIPPED:
        raise UnknownContextError(url)
    return json.loads(_context_text(url))


def document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """A pyld document loader that serves the shipped contexts and refuses everything else."""
    return {
        "contextUrl": None,
        "documentUrl": url,
        "document": load_context(url),
        "contentType": "application/ld+json",
    }


def unknown_contexts(document: Any) -> list[str]:
    """The context URLs of ``document`` (top level and nested) that are not shipped."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ctx = node.get("@context")
            for entry in ctx if isinstance(ctx, list) else [ctx]:
                if isinstance(entry, str) and entry not in SHIPPED and entry not in found:
                    found.append(entry)
            for key, value in node.items():
                if key != "@context":
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    return found
