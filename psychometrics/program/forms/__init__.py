"""Published forms: assembled once, reviewed, frozen, then administered.

A form file (``<forms folder>/<form id>.yaml``) lists the form's items in delivery order, each
with its position and two sha256 fingerprints taken from the bank when the form was written: one
of the item's content (stem, options, key, scoring, its set's stimulus) and one of its IRT
parameters. It also keeps the assembly record (solver, status, gap, targets, the versions of
credkit, numpy and scipy). ``credkit assemble`` writes *proposals* (``status: proposal``);
``credkit forms publish`` freezes them (``status: published``, with the date). Everything
downstream (responses, panel ratings, equating, decisions, credentials) refers to published
forms, and :func:`fingerprint_findings` tells when a bank item changed after publication.

A published form also records a ``digest`` of its item entries (:func:`items_digest`), and
:func:`read_form` refuses a published form file whose entries no longer match it: a frozen form
is never edited, a new form is published instead. Proposals carry no digest and may be edited.

Fingerprints are computed from the parsed values, not the file bytes, so reformatting an item
file (``credkit bank format``) or adding history does not change them; editing the stem or an
option, the key, or recalibrating the item does. Texts (stem, option texts, score levels, the
stimulus) are hashed without trailing whitespace, so ``stem: |`` and ``stem: |-`` (a final
newline only) are the same content; whitespace inside a text is kept exactly. The order of the
options is part of the content fingerprint: it is the display order, so reordering them changes
what candidates see. The outcome is not (candidates do not see it): an item re-classified after
publication is reported separately (``outcome``), because the blueprint table uses the bank's
outcome.

The package: :mod:`~psychometrics.program.forms.model` (the records),
:mod:`~psychometrics.program.forms.fingerprint` (item fingerprints and what changed),
:mod:`~psychometrics.program.forms.files` (reading, loading and writing form files) and
:mod:`~psychometrics.program.forms.publish` (forms from bank items, publication).
"""

from psychometrics.program.forms.files import form_path, load_forms, read_form, write_form
from psychometrics.program.forms.fingerprint import (
    content_fingerprint,
    fingerprint_findings,
    key_text,
    parameters_fingerprint,
)
from psychometrics.program.forms.model import (
    FORM_FORMAT,
    FORM_STATUSES,
    AssemblyRecord,
    FingerprintFinding,
    FormItem,
    PublishedForm,
    items_digest,
)
from psychometrics.program.forms.publish import form_from_items, publish_forms

__all__ = [
    "FORM_FORMAT",
    "FORM_STATUSES",
    "AssemblyRecord",
    "FingerprintFinding",
    "FormItem",
    "PublishedForm",
    "content_fingerprint",
    "fingerprint_findings",
    "form_from_items",
    "form_path",
    "items_digest",
    "key_text",
    "load_forms",
    "parameters_fingerprint",
    "publish_forms",
    "read_form",
    "write_form",
]
