"""What the validity report shows: frozen, typed records filled by the build, read by the template.

The report never recomputes anything. :mod:`psychometrics.program.build` runs the library, copies
the numbers it needs into these records (one per report section) and hands a :class:`ReportData` to
:func:`psychometrics.report.render.render_report`. A section that could not be produced is ``None``
in :class:`ReportData` and its reason is in :attr:`ReportData.unavailable`, so the report says
plainly "not available: <why>" instead of showing invented numbers.

All IRT numbers are in the logistic metric (D = 1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "1. Summary"),
    ("purpose", "2. Purpose, intended use and population"),
    ("content", "3. Test content"),
    ("bank", "4. The item bank"),
    ("structure", "5. Internal structure"),
    ("items", "6. Item analysis"),
    ("fairness", "7. Fairness"),
    ("standard-setting", "8. Standard setting"),
    ("decisions", "9. Decision accuracy and consistency"),
    ("comparability", "10. Scores, equating and form comparability"),
    ("evidence", "11. Evidence map"),
    ("manifest", "12. Appendix: manifest"),
)
"""Anchor id and heading of every report section, in order."""


class _Dict:
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict of the record."""
        return asdict(self)  # type: ignore[call-overload]


@dataclass(frozen=True)
class Outcome(_Dict):
    """One outcome (content domain) of the credential."""

    id: str
    title: str
    description: str = ""


@dataclass(frozen=True)
class CredentialInfo(_Dict):
    """Section 2: who the credential is for and what a pass means (from the spec)."""

    id: str
    title: str
    version: str = ""
    issuer: str = ""
    achievement_type: str = ""
    description: str = ""
    purpose: str = ""
    intended_use: str = ""
    population: str = ""
    outcomes: tuple[Outcome, ...] = ()


@dataclass(frozen=True)
class BlueprintRow(_Dict):
    """Required and assembled item counts for one outcome (or cognitive level).

    ``required`` is the blueprint's text ("6" or "6-8"); ``counts`` has one entry per form;
    ``within`` is True when every form meets the requirement.
    """

    key: str
    title: str
    required: str
    counts: tuple[int, ...]
    within: bool = True


@dataclass(frozen=True)
class ContentSection(_Dict):
    """Section 3: the blueprint against each assembled form."""

    form_ids: tuple[str, ...]
    outcome_rows: tuple[BlueprintRow, ...]
    level_rows: tuple[BlueprintRow, ...] = ()
    solver_status: str = ""
    solver_gap: float | None = None
    solver_seconds: float | None = None
    max_overlap: float | None = None
    overlap: tuple[tuple[str, str, int], ...] = ()
    forms_note: str = ""
    proposal: bool = False
    fingerprint_findings: tuple[str, ...] = ()


@dataclass(frozen=True)
class BankRow(_Dict):
    """Item counts of one outcome by status (in the order of :attr:`BankSection.statuses`).

    ``reviewed`` counts items with at least one reviewer other than the author; ``needed`` is
    the fewest distinct eligible items the spec's forms need (None without a blueprint entry).
    """

    outcome_id: str
    counts: tuple[int, ...]
    total: int
    calibrated: int
    needed: int | None = None
    reviewed: int = 0


@dataclass(frozen=True)
class BankSection(_Dict):
    """Section 4: the bank by status and outcome, lint results, and where to write next."""

    path: str
    statuses: tuple[str, ...]
    rows: tuple[BankRow, ...]
    n_items: int
    n_calibrated: int
    n_reviewed: int = 0
    lint_errors: tuple[str, ...] = ()
    lint_warnings: tuple[str, ...] = ()
    gaps: tuple[str, ...] = ()
    levels: tuple[tuple[str, int], ...] = ()
    types: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Curve(_Dict):
    """A curve on a theta grid (TIF, TCC, CSEM)."""

    theta: tuple[float, ...]
    values: tuple[float, ...]


@dataclass(frozen=True)
class FormStats(_Dict):
    """Statistics of one assembled form.

    Attributes
    ----------
    alpha, sem
        Cronbach's alpha and the raw-score SEM from the responses to the form's items (None when
        no responses cover the form).
    marginal_reliability
        IRT marginal reliability of the form's theta estimates.
    csem_at_cut, csem_raw_at_cut
        Conditional SEM at the theta cut: in theta, 1 / sqrt(information); in raw-score points,
        the SD of the summed score given theta at the cut.
    information_at_cut, information_at_target
        Test information at the cut and at the assembly targets.
    raw_cut, raw_cut_exact
        The form's raw cut (a candidate passes with a summed score at or above it) and the
        unrounded expected raw score at the theta cut (the form's TCC at the cut).
    """

    form_id: str
    item_ids: tuple[str, ...]
    n_persons: int | None = None
    mean: float | None = None
    sd: float | None = None
    alpha: float | None = None
    sem: float | None = None
    marginal_reliability: float | None = None
    csem_at_cut: float | None = None
    csem_raw_at_cut: float | None = None
    information_at_cut: float | None = None
    information_at_target: tuple[float, ...] = ()
    raw_cut: float | None = None
    raw_cut_exact: float | None = None
    max_score: int | None = None
    tif: Curve | None = None
    tcc: Curve | None = None
    csem: Curve | None = None
    sum_scores: tuple[float, ...] = ()


@dataclass(frozen=True)
class FitSummary(_Dict):
    """Global and local fit of the IRT model to the responses."""

    m2: float | None = None
    m2_df: float | None = None
    m2_p: float | None = None
    rmsea: float | None = None
    n_misfit: int = 0
    alpha_level: float = 0.01
    q3_flags: tuple[tuple[str, str, float], ...] = ()
    q3_threshold: float | None = None
    note: str = ""
    q3_rule: str = ""


@dataclass(frozen=True)
class Dimensionality(_Dict):
    """Eigenvalues of the inter-item correlation matrix."""

    eigenvalues: tuple[float, ...]
    ratio: float | None
    correlation: str = ""


@dataclass(frozen=True)
class StructureSection(_Dict):
    """Section 5: reliability, SEM, information, dimensionality, fit."""

    forms: tuple[FormStats, ...]
    dimensionality: Dimensionality | None = None
    fit: FitSummary | None = None
    parameters_source: str = ""
    calibration_note: str = ""


@dataclass(frozen=True)
class ItemRow(_Dict):
    """One item in the item-analysis table (None where a statistic is not available)."""

    item_id: str
    outcome: str = ""
    status: str = ""
    forms: tuple[str, ...] = ()
    model: str = ""
    a: float | None = None
    b: float | None = None
    c: float | None = None
    n: int | None = None
    p: float | None = None
    rpbis: float | None = None
    sx2: float | None = None
    sx2_df: float | None = None
    sx2_p: float | None = None
    mh_delta: float | None = None
    ets_class: str = ""
    flags: tuple[str, ...] = ()
    by_form: str = ""
    se_a: float | None = None
    se_b: float | None = None
    se_c: float | None = None
    thresholds: tuple[float, ...] = ()
    se_thresholds: tuple[float | None, ...] = ()


@dataclass(frozen=True)
class OptionRow(_Dict):
    """One option of a flagged item: share choosing it overall and in the score groups."""

    option: str
    is_key: bool
    n: int
    share: float
    share_low: float
    share_middle: float
    share_high: float
    rpbis: float | None = None


@dataclass(frozen=True)
class DistractorTable(_Dict):
    """The options of one flagged item on one form (why it was flagged, too)."""

    item_id: str
    form_id: str
    flags: tuple[str, ...]
    options: tuple[OptionRow, ...]


@dataclass(frozen=True)
class ItemCurve(_Dict):
    """Model curve (and observed proportions, when available) of one flagged item."""

    item_id: str
    theta: tuple[float, ...]
    expected: tuple[float, ...]
    observed_theta: tuple[float, ...] = ()
    observed: tuple[float, ...] = ()
    reason: str = ""


@dataclass(frozen=True)
class ItemsSection(_Dict):
    """Section 6: every item's statistics, curves of flagged items, the Wright map."""

    rows: tuple[ItemRow, ...]
    curves: tuple[ItemCurve, ...] = ()
    person_theta: tuple[float, ...] = ()
    flag_rules: tuple[str, ...] = ()
    distractors: tuple[DistractorTable, ...] = ()
    all_rows: tuple[ItemRow, ...] = ()
    bank_csv: str = ""


@dataclass(frozen=True)
class DifRow(_Dict):
    """DIF statistics of one item."""

    item_id: str
    n_reference: int | None = None
    n_focal: int | None = None
    mh_delta: float | None = None
    mh_p: float | None = None
    ets_class: str = ""
    favors: str = ""
    lr_p: float | None = None
    lr_r2_delta: float | None = None
    on_forms: tuple[str, ...] = ()
    irt_g2: float | None = None
    irt_p: float | None = None
    irt_signed: float | None = None
    irt_at_cut: float | None = None
    irt_flagged: bool = False
    flagged_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class GroupRate(_Dict):
    """Pass rate of one group."""

    group: str
    n: int
    pass_rate: float


@dataclass(frozen=True)
class ImpactSummary(_Dict):
    """Adverse impact of the pass/fail decisions (:class:`psychometrics.fairness.AdverseImpact`)."""

    focal: str
    reference: str
    n_focal: int
    n_reference: int
    pass_focal: int
    pass_reference: int
    rate_focal: float
    rate_reference: float
    impact_ratio: float
    ratio_low: float
    ratio_high: float
    below_four_fifths: bool
    difference: float
    difference_low: float
    difference_high: float
    fisher_p: float
    z: float
    z_p: float
    flip_flop: bool
    shortfall: int
    detectable_difference: float
    note: str


@dataclass(frozen=True)
class DtfRow(_Dict):
    """Differential test functioning of one form (IRT DIF): the expected raw-score difference,
    reference minus focal, at the same ability."""

    form_id: str
    n_items: int
    focal_mean: float
    focal_sd: float
    signed: float
    at_cut: float | None = None


@dataclass(frozen=True)
class FairnessSection(_Dict):
    """Section 7: DIF by item, pass rates by group and adverse impact."""

    group_column: str
    focal: str
    reference: str
    rows: tuple[DifRow, ...]
    pass_rates: tuple[GroupRate, ...] = ()
    method_note: str = ""
    impact: ImpactSummary | None = None
    classes_note: str = ""
    irt_note: str = ""
    dtf: tuple[DtfRow, ...] = ()


@dataclass(frozen=True)
class RaterRow(_Dict):
    """One panelist's cut (raw score on the rated form) per round."""

    rater: str
    cuts: tuple[float | None, ...]
    flagged: bool = False
    deviations: tuple[float | None, ...] = ()
    flags: tuple[bool, ...] = ()


@dataclass(frozen=True)
class StandardSettingSection(_Dict):
    """Section 8: how the cut was set, by whom, and its impact."""

    method: str
    theta_cut: float
    se_theta: float | None = None
    raw_cut: float | None = None
    se_raw: float | None = None
    ratings_file: str = ""
    rated_items: int | None = None
    rounds: tuple[str, ...] = ()
    round_cuts: tuple[float | None, ...] = ()
    raters: tuple[RaterRow, ...] = ()
    agreement: float | None = None
    agreement_label: str = ""
    agreement_average: float | None = None
    reference_form: str = ""
    item_means: tuple[tuple[str, float], ...] = ()
    scale_cut: float | None = None
    scale_note: str = ""
    pass_rate: float | None = None
    pass_rates: tuple[GroupRate, ...] = ()
    note: str = ""
    outlier_rule: str = ""
    outlier_notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class DecisionRow(_Dict):
    """Decision accuracy and consistency on one form."""

    form_id: str
    accuracy: float
    consistency: float
    false_positive: float | None = None
    false_negative: float | None = None
    kappa: float | None = None


@dataclass(frozen=True)
class DecisionSection(_Dict):
    """Section 9."""

    method: str
    rows: tuple[DecisionRow, ...]
    note: str = ""


@dataclass(frozen=True)
class ConversionRow(_Dict):
    """One raw score of a form: its theta, scale score, decision, equivalents and frequency."""

    raw: int
    theta: float | None
    scale: float
    passes: bool
    true_equivalent: float | None
    observed_equivalent: float | None
    frequency: int | None = None


@dataclass(frozen=True)
class FormScores(_Dict):
    """Section 10: one form's conversion table, equating to the reference form, cut, results."""

    form_id: str
    reference_form: str
    rows: tuple[ConversionRow, ...]
    raw_cut: float
    raw_cut_exact: float
    observed_cut: float
    max_score: int
    n: int | None = None
    pass_rate: float | None = None
    mean: float | None = None
    sd: float | None = None


@dataclass(frozen=True)
class ScoresSection(_Dict):
    """Section 10: how raw scores become reported scores and how the forms are made comparable."""

    forms: tuple[FormScores, ...]
    reference_form: str
    scale_label: str
    scale_cut: float | None
    population: str
    pass_rule: str
    score_reports: int = 0
    score_reports_folder: str = ""


@dataclass(frozen=True)
class Problem(_Dict):
    """One line of the summary's traffic light: level is 'red', 'amber' or 'green'."""

    level: str
    area: str
    message: str
    section: str


@dataclass(frozen=True)
class EvidenceRow(_Dict):
    """One requirement of an accreditation standard and the evidence the report gives for it."""

    framework: str
    clause: str
    requirement: str
    status: str
    evidence: str
    section: str | None
    elements: tuple[str, ...] = ()


@dataclass(frozen=True)
class ManifestFile(_Dict):
    """One input file of the build."""

    role: str
    path: str
    sha256: str
    bytes: int


@dataclass(frozen=True)
class Manifest(_Dict):
    """Everything needed to reproduce the report."""

    credkit_version: str
    created: str
    command: str
    python: str
    platform: str
    packages: Mapping[str, str]
    files: tuple[ManifestFile, ...]
    seeds: Mapping[str, int]
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StageRecord(_Dict):
    """How one pipeline stage went: 'ok', 'not available' (with why) or 'failed'."""

    index: int
    name: str
    status: str
    seconds: float
    message: str = ""


@dataclass(frozen=True)
class ReportData(_Dict):
    """Everything the report shows; ``None`` sections are listed in :attr:`unavailable`."""

    credential: CredentialInfo
    manifest: Manifest
    problems: tuple[Problem, ...]
    evidence: tuple[EvidenceRow, ...]
    stages: tuple[StageRecord, ...] = ()
    content: ContentSection | None = None
    bank: BankSection | None = None
    structure: StructureSection | None = None
    items: ItemsSection | None = None
    fairness: FairnessSection | None = None
    standard_setting: StandardSettingSection | None = None
    decisions: DecisionSection | None = None
    scores: ScoresSection | None = None
    unavailable: Mapping[str, str] = field(default_factory=dict)
    theta_cut: float | None = None
    simulated_note: str = ""
    candidates: int | None = None
    pass_rate: float | None = None
    administration: str = ""
    proposal_note: str = ""
    files_csv: str = ""
