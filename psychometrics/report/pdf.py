"""The validity report as PDF: the same HTML, typeset by WeasyPrint (the optional ``pdf`` extra).

WeasyPrint is a CSS paged-media engine: it honours the report's print style sheet (page size,
page breaks before sections, repeated table headers, page numbers in the margins), which a
hand-written PDF writer would have to re-implement and a browser's "print to PDF" applies only
partly. It needs the Pango text-layout library of the operating system (Debian/Ubuntu:
``libpango-1.0-0 libpangoft2-1.0-0``; macOS: ``brew install pango``); the Python side installs
with ``pip install 'credkit[pdf]'``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from psychometrics.errors import CredkitError

INSTALL_HINT = (
    "PDF output needs WeasyPrint: pip install 'credkit[pdf]' (it also needs the Pango "
    "library: apt-get install libpango-1.0-0 libpangoft2-1.0-0, or brew install pango)"
)


class PdfUnavailable(CredkitError):
    """WeasyPrint (or the system library it needs) is not installed."""


def pdf_engine():
    """The ``weasyprint`` module, or :class:`PdfUnavailable` with the one-line install hint."""
    try:
        import weasyprint
    except ImportError:
        raise PdfUnavailable(INSTALL_HINT) from None
    except OSError as exc:  # the Python package is there but Pango could not be loaded
        raise PdfUnavailable(f"{INSTALL_HINT} [{exc}]") from None
    return weasyprint


def html_to_pdf(html: str, *, base_url: str | Path | None = None) -> bytes:
    """Typeset an HTML document (the validity report) as PDF bytes with its print style sheet.

    Parameters
    ----------
    html
        The document.
    base_url
        Where relative links (``items.csv``, ``inputs.csv``) point: the report folder.

    Raises
    ------
    PdfUnavailable
        When WeasyPrint is not installed.
    """
    weasyprint = pdf_engine()
    base = None if base_url is None else str(base_url).rstrip("/") + "/"
    logger = logging.getLogger("weasyprint")
    level = logger.level
    logger.setLevel(logging.ERROR)  # screen-only CSS it does not know is not the user's concern
    try:
        return weasyprint.HTML(string=html, base_url=base).write_pdf()
    finally:
        logger.setLevel(level)
