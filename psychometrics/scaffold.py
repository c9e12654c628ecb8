"""``credkit init DIR``: scaffold a new credential program with the example's layout.

Creates::

    DIR/specs/<credential-id>.yaml      a commented spec to fill in
    DIR/specs/data/README.md            where responses and panel ratings go
    DIR/item_bank/items/<ID>.yaml       two example items (one multiple-choice, one rubric)
    DIR/reports/README.md               where ``credkit build`` writes reports

Nothing is ever overwritten: when any of these files exists the command stops before writing
anything, naming the file.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from psychometrics.errors import InputError
from psychometrics.fileio import atomic_write_text

_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """Lower-case letters, digits and single hyphens (``"Data Skills!"`` -> ``data-skills``)."""
    slug = _SLUG.sub("-", text.lower()).strip("-")
    return slug or "my-credential"


SPEC_TEMPLATE = """\
# Credential spec: {title}
#
# Describe the credential here. credkit reads this file to check the bank (`credkit spec check`),
# propose forms (`credkit assemble`), freeze them (`credkit forms publish`), set the cut score and
# build the validity report on their administration (`credkit build specs/{cid}.yaml`). Every path
# below is relative to this file.

# --- What the credential certifies ----------------------------------------------------------
credential:
  id: {cid}                    # the report goes to reports/{cid}/
  title: {title_yaml}
  version: "0.1"
  issuer: Your organization   # who awards the credential
  achievement_type: Certification   # Open Badges 3.0 achievementType, e.g. MicroCredential
  description: >-
    One or two sentences: what a holder can do.
  # The claims the scores are meant to support: the validity argument starts here.
  purpose: >-
    Why the credential exists and what a pass means.
  intended_use: >-
    The decisions the scores are meant for (and those they are not).
  population: >-
    Who takes the examination.

# --- The outcomes (domains) from your job or practice analysis -------------------------------
# Every item in the bank is written to exactly one outcome.
outcomes:
  - id: OUT1
    title: First outcome
    description: What candidates must know or do.
  - id: OUT2
    title: Second outcome
    description: What candidates must know or do.

# --- The item bank: one YAML file per item under ../item_bank/items/ -------------------------
bank: ../item_bank

# --- The forms to assemble (what `credkit assemble` proposes) -----------------------------------
form:
  length: 20                 # items per form
  count: 1                   # parallel forms, assembled together
  max_overlap: 0.25          # largest share of items two forms may have in common
  item_status: [operational] # only calibrated operational items go on forms
  blueprint:                 # items per outcome on every form: an exact count or {{min, max}}
    OUT1: 10
    OUT2: {{min: 8, max: 12}}
  # cognitive_levels: {{apply: {{min: 6}}}}   # optional ranges per cognitive level
  # max_seconds: 2400                      # optional time limit from the items' expected_seconds
  target:
    theta: [0.0]             # where information is maximized: put the cut score here

# --- The published forms: frozen, fingerprinted; what candidates take ---------------------------
# `credkit assemble` writes proposals here; review them, then `credkit forms publish` freezes them.
# `credkit build` reads only published forms (it never re-assembles).
forms: forms/{cid}/

# --- The cut score -------------------------------------------------------------------------------
# Either a theta on the bank's IRT scale (logistic metric, D = 1) ...
cut_score:
  theta: 0.0
  # ... or a standard-setting method and the panel's ratings, for example:
  # method: angoff
  # ratings: data/angoff_ratings.csv    # long format: rater,item_id,rating[,round]
  # form: form-A                        # the published form the panel rated
  # round: 2
  # pass_rule: raw                      # raw: summed score >= the form's raw cut; or theta
  # scale: {{slope: 10, intercept: 500, round: 0, min: 200, max: 800}}   # optional

# --- Administrations: testing windows on the published forms (uncomment when you have responses)
# administrations:
#   - id: 2026-w1
#     window: {{start: 2026-03-02, end: 2026-03-06}}
#     responses: data/responses.csv # wide CSV: person_id, form, group, one column per item
#     group: group                  # demographic column for DIF and pass rates
#     focal: F
#     reference: M
#     omit_code: "*"                # presented but not answered: scored wrong
#     parameters: bank              # bank: the bank's IRT parameters; calibrate: re-estimate

# --- Retakes (`credkit retakes check`; optional) ------------------------------------------------
# retakes: {{max_attempts: 3, wait_days: 30, max_overlap: 0.25}}

# --- Decision accuracy and consistency -----------------------------------------------------------
decision:
  method: rudner             # rudner (needs responses) or lee

# --- Stackable pathways: credentials this one counts toward --------------------------------------
stacks_into: []
"""

MCQ_TEMPLATE = """\
# An example multiple-choice item. Copy it for new items (`credkit bank new --outcome OUT1`
# picks the next free id); check the bank with `credkit bank lint`.
id: {prefix}-0001
version: 1
status: draft              # draft | review | approved | pretest | operational | retired | suspended
outcome: OUT1
cognitive_level: apply     # remember | understand | apply | analyze | evaluate | create
type: mcq
stem: |
  A team records the number of support tickets closed per day for 30 days. Which summary
  best describes a typical day when a few days had unusually many tickets?
options:
  A: The median number of tickets closed per day
  B: The largest number of tickets closed on one day
  C: The total number of tickets closed in the 30 days
  D: The number of days with at least one ticket closed
key: A
rationale: >-
  The median resists the few unusually high days; the maximum and the total do not describe a
  typical day, and the count of days answers a different question.
author: your-name
expected_seconds: 60
"""

RUBRIC_TEMPLATE = """\
# An example rubric (constructed-response) item, scored 0..max_score by trained raters.
id: {prefix}-0002
version: 1
status: draft
outcome: OUT2
cognitive_level: evaluate
type: rubric
stem: |
  Explain, in two or three sentences, why a chart whose vertical axis starts far above zero can
  mislead a reader, and how you would fix it.
max_score: 2
score_levels:
  0: Does not identify the truncated axis as the problem.
  1: Identifies the truncated axis but does not give a fix.
  2: Identifies the truncated axis and gives a sound fix (start at zero or mark the break).
author: your-name
expected_seconds: 180
"""

DATA_README = """\
# Administration data

Put the files the spec's `administration` and `cut_score` blocks name here:

- `responses.csv`: one row per candidate: `person_id`, `form` (the published form taken) and a
  demographic column (e.g. `group`), then one column per item id holding the chosen option letter
  (a blank cell = not presented: an item of another form; `*` = presented but not answered).
- `angoff_ratings.csv`: the standard-setting panel's ratings, long format
  `rater,item_id,rating,round`.
"""

REPORTS_README = """\
Generated reports land here (`credkit build` writes `reports/<credential-id>/`).
"""


@dataclass(frozen=True)
class ScaffoldResult:
    """What :func:`scaffold` created.

    Attributes
    ----------
    root
        The program folder.
    spec
        The spec file to edit first.
    files
        Every file written, in order.
    """

    root: Path
    spec: Path
    files: tuple[Path, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "root": str(self.root),
            "spec": str(self.spec),
            "files": [str(f) for f in self.files],
        }


def _yaml_text(text: str) -> str:
    """A YAML double-quoted scalar for free text."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def scaffold(
    directory: str | os.PathLike[str],
    *,
    credential_id: str | None = None,
    title: str | None = None,
    item_prefix: str = "EX",
) -> ScaffoldResult:
    """Create a new credential program under ``directory`` (see the module docstring).

    Parameters
    ----------
    directory
        The program folder; created when missing. Existing files are never overwritten.
    credential_id
        The credential id (default: the folder name, slugified).
    title
        The credential title (default: the folder name).
    item_prefix
        Prefix of the example item ids (``EX`` gives ``EX-0001``).

    Raises
    ------
    InputError
        When any file to be created already exists, or ``directory`` is a file; nothing is
        written.
    """
    root = Path(directory)
    if root.exists() and not root.is_dir():
        raise InputError("exists and is not a folder", file=root)
    name = root.resolve().name or "my-credential"
    cid = slugify(credential_id or name)
    if credential_id is not None and cid != credential_id:
        raise InputError(
            f"a credential id must be lower-case letters, digits and hyphens (e.g. '{cid}')",
            field="--id",
        )
    title = title or name.replace("-", " ").replace("_", " ").title()
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]{0,9}", item_prefix):
        raise InputError(
            "item prefix must be 1-10 letters/digits, starting with a letter", field="--prefix"
        )
    files = {
        root / "specs" / f"{cid}.yaml": SPEC_TEMPLATE.format(
            title=title.replace("\n", " "), title_yaml=_yaml_text(title), cid=cid
        ),
        root / "specs" / "data" / "README.md": DATA_README,
        root / "item_bank" / "items" / f"{item_prefix}-0001.yaml": MCQ_TEMPLATE.format(
            prefix=item_prefix
        ),
        root / "item_bank" / "items" / f"{item_prefix}-0002.yaml": RUBRIC_TEMPLATE.format(
            prefix=item_prefix
        ),
        root / "reports" / "README.md": REPORTS_README,
    }
    existing = [p for p in files if p.exists() or p.is_symlink()]
    if existing:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise InputError(f"already exists; credkit init never overwrites{more}", file=existing[0])
    written: list[Path] = []
    try:
        for path, text in files.items():
            atomic_write_text(path, text)
            written.append(path)
    except OSError as exc:
        for path in written:  # leave nothing half-made behind
            path.unlink(missing_ok=True)
        raise InputError(f"cannot write: {exc.strerror or exc}", file=path) from None
    return ScaffoldResult(root=root, spec=root / "specs" / f"{cid}.yaml", files=tuple(written))
