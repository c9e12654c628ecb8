"""The evidence map: which accreditation requirements the report's evidence speaks to.

Three frameworks are mapped:

* NCCA Standards for the Accreditation of Certification Programs (Institute for Credentialing
  Excellence). Standard numbers follow the published table of contents of the 2014 revision
  (effective 2016): 1 Purpose, 12 Security, 13 Panel Composition, 14 Job Analysis, 15 Examination
  Specifications, 16 Examination Development, 17 Standard Setting, 18 Examination Administration,
  19 Scoring and Score Reporting, 20 Reliability, 21 Examination Score Equating, 23 Quality
  Assurance. ICE's 2021 revision reorganised some text; check the numbering against the edition
  your accreditor applies.
* ISO/IEC 17024:2012, Conformity assessment: general requirements for bodies operating
  certification of persons: clause 8 (certification schemes), 9.3 (examination process:
  9.3.1 design and comparability of examinations including the validity of pass/fail decisions,
  9.3.2 consistent administration, 9.3.5 documented methods, e.g. statistical data, to reaffirm
  at defined intervals the fairness, validity, reliability and performance of each examination),
  clause 7 (records) and clause 10 (management system).
* AERA, APA & NCME (2014), Standards for Educational and Psychological Testing: chapters 1
  (validity), 2 (reliability/precision), 3 (fairness), 4 (test design and development), 5 (scores,
  scales, score linking and cut scores) and 11 (workplace testing and credentialing). Individual
  standards are cited only in chapter 11 (11.13 content domain of a credentialing test, 11.14
  consistency of credentialing decisions, 11.16 passing level not adjusted to control pass
  rates), from the 2014 text; elsewhere the chapter and its topic are named, because the
  standard numbers could not be checked against a copy here.

Each row is *met* (the report carries the evidence the requirement asks for), *partly met* (the
report carries part of it, the rest is the program's to supply) or *outside credkit* (a policy or
study credkit cannot produce; the row says what to supply). The status is decided from which
report sections could be produced: a requirement whose evidence is missing in this build is
never shown as met.

References
----------
American Educational Research Association, American Psychological Association, & National
    Council on Measurement in Education (2014). *Standards for Educational and Psychological
    Testing*. AERA.
Institute for Credentialing Excellence (2014). *NCCA Standards for the Accreditation of
    Certification Programs*. ICE.
ISO/IEC 17024:2012. *Conformity assessment: General requirements for bodies operating
    certification of persons*. ISO.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from html.parser import HTMLParser

from psychometrics.report.model import EvidenceRow

MET = "met"
PARTLY = "partly met"
OUTSIDE = "outside credkit"
STATUSES = (MET, PARTLY, OUTSIDE)

NCCA = "NCCA Standards"
ISO = "ISO/IEC 17024:2012"
AERA = "AERA/APA/NCME (2014)"


@dataclass(frozen=True)
class Requirement:
    """One requirement and what evidence would satisfy it.

    Attributes
    ----------
    needs
        Report sections that must all be available for the requirement to be *met* (or
        *partly met* when ``full`` is False). Empty for requirements outside credkit.
    full
        Whether the sections in ``needs`` satisfy the requirement entirely.
    evidence
        What the report shows (or, for requirements outside credkit, what to supply).
    section
        Anchor of the report section that holds the evidence.
    needs_method
        The requirement is met only when the cut was set by a documented standard-setting method
        (not a theta typed into the spec).
    elements
        Ids of the report elements (tables, figures, paragraphs) that carry the evidence. A row
        shown as met must point at elements that are present and not empty
        (:func:`missing_evidence` checks the rendered report).
    """

    framework: str
    clause: str
    requirement: str
    evidence: str
    section: str | None
    needs: tuple[str, ...] = ()
    full: bool = True
    needs_method: bool = False
    elements: tuple[str, ...] = ()


REQUIREMENTS: tuple[Requirement, ...] = (
    # ---- NCCA
    Requirement(
        NCCA,
        "Standard 1 (Purpose)",
        "A stated purpose of the credential and the population it certifies.",
        "Purpose, intended use and population are printed from the spec; the governance behind "
        "them is the program's.",
        "purpose",
        ("purpose",),
        full=False,
        elements=("purpose-facts",),
    ),
    Requirement(
        NCCA,
        "Standard 12 (Security)",
        "Security of examination materials and of the item bank.",
        "Outside credkit: supply your security policy. Item exposure (forms each item is on) is "
        "listed in the item table.",
        "items",
        elements=("item-table",),
    ),
    Requirement(
        NCCA,
        "Standard 13 (Panel Composition)",
        "Subject-matter expert panels representative of the profession.",
        "Outside credkit: supply panelist qualifications and demographics. The report lists the "
        "standard-setting panel by rater id only.",
        "standard-setting",
    ),
    Requirement(
        NCCA,
        "Standard 14 (Job Analysis)",
        "A job/practice analysis that defines the content of the examination.",
        "Outside credkit: supply your job analysis study. The report shows the outcomes it led to.",
        "purpose",
        elements=("outcomes-table",),
    ),
    Requirement(
        NCCA,
        "Standard 15 (Examination Specifications)",
        "Examination specifications (blueprint) derived from the job analysis.",
        "Blueprint by outcome and cognitive level against every assembled form.",
        "content",
        ("content",),
        elements=("blueprint-table",),
    ),
    Requirement(
        NCCA,
        "Standard 16 (Examination Development)",
        "Items written, reviewed and evaluated statistically before operational use.",
        "Bank by status and review state, lint results, classical and IRT item statistics, fit "
        "and flags. Item-writer training and review records are the program's.",
        "items",
        ("bank", "items"),
        full=False,
        elements=("bank-table", "item-table"),
    ),
    Requirement(
        NCCA,
        "Standard 17 (Standard Setting)",
        "A documented standard-setting study relating the passing score to competence.",
        "Method, panel, rounds, rater cuts and agreement, cut with its SE and impact.",
        "standard-setting",
        ("standard_setting",),
        needs_method=True,
        elements=("cut-facts", "panel-table"),
    ),
    Requirement(
        NCCA,
        "Standard 18 (Examination Administration)",
        "Standardized, secure administration conditions.",
        "Outside credkit: supply administration procedures and proctoring records.",
        None,
    ),
    Requirement(
        NCCA,
        "Standard 19 (Scoring and Score Reporting)",
        "Accurate scoring and score reports to candidates.",
        "Responses are scored against the bank's keys; a raw-to-scale conversion table per form; "
        "a score report per candidate (scale score, pass/fail, performance by outcome with its "
        "measurement error, the intended-use caveat) written beside this report. Delivering "
        "them is the program's.",
        "comparability",
        ("structure", "scores"),
        full=False,
        elements=("conversion-tables", "score-reports"),
    ),
    Requirement(
        NCCA,
        "Standard 20 (Reliability)",
        "Reliability of scores and of pass/fail decisions.",
        "Alpha, marginal reliability, SEM and CSEM at the cut, decision accuracy and consistency.",
        "decisions",
        ("structure", "decisions"),
        elements=("reliability-table", "decision-table"),
    ),
    Requirement(
        NCCA,
        "Standard 21 (Examination Score Equating)",
        "Scores on different forms made comparable.",
        "All forms on one IRT scale; raw-to-raw equating tables to the rated form (IRT true-score "
        "and observed-score), the equated cut, pass rate and score distribution of every form, "
        "and the raw-to-scale conversion of each.",
        "comparability",
        ("structure", "scores"),
        elements=("conversion-tables", "equating-tables", "form-results"),
    ),
    Requirement(
        NCCA,
        "Standard 23 (Quality Assurance)",
        "Ongoing review of the program's processes and examination performance.",
        "This report, rebuilt on every administration, with its manifest; the review cycle itself "
        "is the program's.",
        "manifest",
        ("structure",),
        full=False,
        elements=("manifest-files",),
    ),
    # ---- ISO/IEC 17024
    Requirement(
        ISO,
        "8 (certification scheme)",
        "A certification scheme with the scope, the competence required, and the assessment "
        "methods, based on a job or practice analysis.",
        "Outcomes and blueprint from the spec; the scheme document and job analysis are the "
        "program's.",
        "content",
        ("content",),
        full=False,
        elements=("blueprint-table",),
    ),
    Requirement(
        ISO,
        "9.3.1 (examination design)",
        "Examinations assess competence consistently with the scheme; results of each "
        "examination comparable in content and difficulty, including the validity of pass/fail "
        "decisions.",
        "Blueprint per form, forms' TIF/TCC overlaid, raw cut per form, decision accuracy.",
        "comparability",
        ("content", "structure", "decisions"),
        elements=("blueprint-table", "form-results", "decision-table"),
    ),
    Requirement(
        ISO,
        "9.3.2-9.3.4 (administration)",
        "Procedures for consistent administration; documented examination conditions; "
        "equipment checked.",
        "Outside credkit: supply administration procedures.",
        None,
    ),
    Requirement(
        ISO,
        "9.3.5 (statistical monitoring)",
        "Documented methods (e.g. statistical data) to reaffirm at defined intervals the "
        "fairness, validity, reliability and general performance of each examination, and to "
        "correct deficiencies.",
        "Item analysis, DIF, reliability and decision consistency, with the open problems to "
        "correct; the interval is the program's to define.",
        "summary",
        ("items", "fairness", "structure"),
        elements=("open-problems", "item-table", "dif-summary", "reliability-table"),
    ),
    Requirement(
        ISO,
        "7 (records)",
        "Records sufficient to confirm the certification process.",
        "Manifest: sha256 of every input, versions, seeds and the command line.",
        "manifest",
        (),
        full=False,
        elements=("manifest-files",),
    ),
    Requirement(
        ISO,
        "10 (management system)",
        "A management system: document control, internal audits, corrective action.",
        "Outside credkit: supply your management system documentation.",
        None,
    ),
    # ---- AERA/APA/NCME
    Requirement(
        AERA,
        "Ch. 1 (validity), content",
        "Evidence based on test content: the forms represent the intended domain.",
        "Blueprint by outcome and cognitive level against each form.",
        "content",
        ("content",),
        elements=("blueprint-table",),
    ),
    Requirement(
        AERA,
        "Ch. 1 (validity), internal structure",
        "Evidence that the relationships among items support the intended score interpretation.",
        "Eigenvalues of the inter-item correlations, IRT model fit, local dependence (Q3).",
        "structure",
        ("structure",),
        full=False,
        elements=("dimensionality", "model-fit"),
    ),
    Requirement(
        AERA,
        "Ch. 2 (reliability/precision)",
        "Reliability and standard errors of measurement for the scores as used, including "
        "conditional SEMs near the cut.",
        "Alpha, marginal reliability, SEM, CSEM curve and CSEM at the cut per form.",
        "structure",
        ("structure",),
        elements=("reliability-table",),
    ),
    Requirement(
        AERA,
        "Ch. 2 (classification consistency)",
        "For classification decisions, the percentage of candidates classified the same way on "
        "two replications.",
        "Decision consistency (and accuracy) per form.",
        "decisions",
        ("decisions",),
        elements=("decision-table",),
    ),
    Requirement(
        AERA,
        "Ch. 3 (fairness)",
        "Evidence that scores mean the same across groups; items reviewed for bias.",
        "Mantel-Haenszel and logistic-regression DIF with ETS classes, IRT likelihood-ratio DIF "
        "with its effect on the score scale and the DTF at the cut, pass rates by group, "
        "adverse impact (four-fifths ratio with its interval, Fisher's exact and z tests, a "
        "sample-size note). Sensitivity review and accommodations are the program's.",
        "fairness",
        ("fairness",),
        full=False,
        elements=("dif-summary", "adverse-impact"),
    ),
    Requirement(
        AERA,
        "Ch. 4 (test design and development)",
        "Test specifications, item development and review, item statistics used in assembly.",
        "Blueprint, bank by status, item statistics, automated assembly results.",
        "content",
        ("content", "items"),
        elements=("blueprint-table", "item-table"),
    ),
    Requirement(
        AERA,
        "Ch. 5 (cut scores)",
        "The rationale and procedures for establishing cut scores documented clearly.",
        "Standard-setting method, inputs, rounds and rater cuts.",
        "standard-setting",
        ("standard_setting",),
        needs_method=True,
        elements=("cut-facts", "panel-table"),
    ),
    Requirement(
        AERA,
        "Ch. 5 (score scales, linking)",
        "Score scales defined; scores on alternate forms linked.",
        "Theta scale (logistic, D = 1), the reporting scale's raw-to-scale table per form, and "
        "raw-to-raw equating tables between the forms.",
        "comparability",
        ("structure", "scores"),
        elements=("conversion-tables", "equating-tables"),
    ),
    Requirement(
        AERA,
        "11.13",
        "The content domain of a credentialing test defined and justified by its importance for "
        "credential-worthy performance.",
        "Outcomes and blueprint are shown; the justification (job analysis) is the program's.",
        "content",
        ("content",),
        full=False,
        elements=("blueprint-table",),
    ),
    Requirement(
        AERA,
        "11.14",
        "Estimates of the consistency of credentialing decisions.",
        "Decision consistency per form.",
        "decisions",
        ("decisions",),
        elements=("decision-table",),
    ),
    Requirement(
        AERA,
        "11.16",
        "The passing level based on the competence required, not adjusted to control pass rates.",
        "The cut comes from the standard-setting study; impact is reported, not used to move it. "
        "The policy commitment is the program's.",
        "standard-setting",
        ("standard_setting",),
        full=False,
        needs_method=True,
        elements=("cut-facts",),
    ),
)


def evidence_map(
    available: Collection[str],
    *,
    cut_from_method: bool,
    requirements: tuple[Requirement, ...] = REQUIREMENTS,
) -> tuple[EvidenceRow, ...]:
    """Mark every requirement met / partly met / outside credkit for this build.

    Parameters
    ----------
    available
        Names of the report sections that were produced (``content``, ``bank``, ``structure``,
        ``items``, ``fairness``, ``standard_setting``, ``decisions``, ``purpose``).
    cut_from_method
        Whether the cut came from a standard-setting method with ratings (True) or was typed
        into the spec as a theta (False).
    requirements
        The requirements to map (default: :data:`REQUIREMENTS`).

    Returns
    -------
    tuple of EvidenceRow
        In the order of ``requirements``. A requirement with no sections in ``needs`` and
        ``full=True`` is outside credkit; one whose needed sections are only partly available is
        at most partly met, and one with none available is marked outside credkit with the reason.
    """
    have = set(available)
    rows = []
    for req in requirements:
        evidence = req.evidence
        if not req.needs:
            status = PARTLY if not req.full else OUTSIDE
        else:
            present = [n for n in req.needs if n in have]
            if not present:
                status = OUTSIDE
                evidence = f"Not available in this build ({', '.join(req.needs)} missing). " + (
                    evidence
                )
            elif len(present) < len(req.needs) or not req.full:
                status = PARTLY
            else:
                status = MET
            if req.needs_method and not cut_from_method and status != OUTSIDE:
                status = PARTLY
                evidence += (
                    " The cut was given directly as a theta in the spec, not set by a documented "
                    "method: supply the standard-setting study."
                )
        rows.append(
            EvidenceRow(
                framework=req.framework,
                clause=req.clause,
                requirement=req.requirement,
                status=status,
                evidence=evidence,
                section=req.section,
                elements=req.elements,
            )
        )
    return tuple(rows)


class _Elements(HTMLParser):
    """Collects, per element id, its text and (for tables) the number of body rows."""

    _VOID = frozenset(("br", "img", "meta", "link", "input", "hr", "col", "source", "wbr"))

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str | None]] = []
        self.text: dict[str, list[str]] = {}
        self.rows: dict[str, int] = {}
        self.graphics: dict[str, int] = {}
        self.tag: dict[str, str] = {}

    def _open_ids(self):
        return [i for _, i in self.stack if i is not None]

    def handle_starttag(self, tag, attrs):
        ident = dict(attrs).get("id")
        if ident is not None:
            self.text.setdefault(ident, [])
            self.rows.setdefault(ident, 0)
            self.graphics.setdefault(ident, 0)
            self.tag.setdefault(ident, tag)
        for i in self._open_ids():
            if tag == "tr" and any(t == "tbody" for t, _ in self.stack):
                self.rows[i] += 1
            if tag in ("svg", "img"):
                self.graphics[i] += 1
        if tag not in self._VOID:
            self.stack.append((tag, ident))

    def handle_endtag(self, tag):
        for k in range(len(self.stack) - 1, -1, -1):
            if self.stack[k][0] == tag:
                del self.stack[k:]
                break

    def handle_data(self, data):
        if data.strip():
            for i in self._open_ids():
                self.text[i].append(data.strip())


def missing_evidence(html: str, rows: Collection[EvidenceRow]) -> list[str]:
    """Problems with the evidence of the rows shown as met, in the rendered report.

    For every *met* row, each element it names must be in ``html`` and not empty: a table needs
    at least one body row, any other element some text or a figure. Returns one message per
    problem (empty when every met row's evidence is there).
    """
    parser = _Elements()
    parser.feed(html)
    problems = []
    for row in rows:
        if row.status != MET:
            continue
        if not row.elements:
            problems.append(f"{row.framework} {row.clause}: met, but names no report element")
        for el in row.elements:
            if el not in parser.text:
                problems.append(f"{row.framework} {row.clause}: element #{el} is missing")
            elif parser.tag[el] == "table" and parser.rows[el] == 0:
                problems.append(f"{row.framework} {row.clause}: table #{el} has no rows")
            elif not (parser.rows[el] or parser.graphics[el] or parser.text[el]):
                problems.append(f"{row.framework} {row.clause}: element #{el} is empty")
    return problems
