"""Credential specs: the model, loading and validation of ``specs/<credential>.yaml``.

A spec describes one credential: what it certifies (``credential``, ``outcomes``), where its item
bank is (``bank``), the forms to assemble (``form``), how the cut score is set (``cut_score``), the
responses the validity report analyses (``administration``) and how decision accuracy is estimated
(``decision``). Every path in a spec is relative to the spec file and is resolved when it is loaded.

:func:`load_spec` returns a frozen :class:`Spec` or raises :class:`~psychometrics.errors.InputError`
naming the file, the line and the field of the first problem; :func:`check_spec` returns every
problem found (errors and warnings) as :class:`Problem` records, which ``credkit spec check`` prints
as ``file:line: message``.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from psychometrics.bank.model import STATUSES
from psychometrics.bank.specinfo import SpecInfo
from psychometrics.bank.yamlio import first_invalid_timestamp
from psychometrics.errors import InputError
from psychometrics.program.conditions import (
    AttributeConstraintKey,
    Condition,
    parse_condition,
    parse_constraint_key,
)

__all__ = [
    "CUT_SCORE_METHODS",
    "DECISION_METHODS",
    "ITEM_STATUSES",
    "PASS_RULES",
    "AdministrationSpec",
    "Credential",
    "CutScoreSpec",
    "DecisionSpec",
    "FormSpec",
    "FormsSpec",
    "Outcome",
    "Problem",
    "Range",
    "RetakePolicy",
    "ScaleSpec",
    "Spec",
    "check_spec",
    "load_spec",
    "parse_spec",
]

CUT_SCORE_METHODS = (
    "angoff",
    "yes-no-angoff",
    "bookmark",
    "hofstee",
    "beuk",
    "contrasting-groups",
    "borderline-group",
    "borderline-regression",
)
"""Standard-setting methods a ``cut_score.method`` may name."""

DECISION_METHODS = ("rudner", "lee")
"""Decision accuracy/consistency methods a ``decision.method`` may name."""

ITEM_STATUSES = STATUSES
"""Item statuses a ``form.item_status`` may list (those of the bank's item model)."""

ADMINISTRATION_PARAMETERS = ("bank", "calibrate")

PASS_RULES = ("raw", "theta")
"""How a candidate passes: ``raw``, a summed score at or above the raw cut of the form taken (the
theta cut carried through that form's TCC); ``theta``, an EAP theta at or above the theta cut."""

# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Range:
    """An inclusive count range ``min <= n <= max`` (a blueprint or cognitive-level entry)."""

    min: int
    max: int

    def to_dict(self) -> dict[str, int]:
        return {"min": self.min, "max": self.max}


@dataclass(frozen=True)
class Credential:
    """What the credential is: identity and the statements a validity argument starts from.

    Attributes
    ----------
    id, title, version, issuer, achievement_type, description
        Identity (``achievement_type`` as in Open Badges 3.0, e.g. ``MicroCredential``).
    purpose, intended_use, population
        The claims the scores are meant to support, and for whom; empty when not given.
    issuer_id, issuer_url, issuer_email
        The Open Badges issuer Profile: its id (a ``did:web``/``did:key`` or an https URL;
        default: the signing key's DID), home page and contact address.
    base_url
        Where the program hosts its public badge files (achievement, status lists, validity
        report); default ``issuer_url``.
    image
        URL of the badge image.
    valid_for_months
        How long an awarded credential is valid (``validUntil``); None: it does not expire.
    """

    id: str
    title: str
    version: str = ""
    issuer: str = ""
    achievement_type: str = ""
    description: str = ""
    purpose: str = ""
    intended_use: str = ""
    population: str = ""
    issuer_id: str = ""
    issuer_url: str = ""
    issuer_email: str = ""
    base_url: str = ""
    image: str = ""
    valid_for_months: int | None = None


@dataclass(frozen=True)
class Outcome:
    """A learning outcome the credential certifies; items are written to one outcome each."""

    id: str
    title: str
    description: str = ""
    case_uri: str = ""
    """The outcome's CASE CFItem URI (1EdTech CASE), aligned to in Open Badges achievements."""


@dataclass(frozen=True)
class AttributeRange:
    """A per-form range on items' attributes: ``count where dok >= 3: {min: 4}``.

    ``key.kind`` is ``count`` (items meeting ``key.condition``), ``sum`` or ``mean`` (of the
    value ``key.name`` over the form); ``min``/``max`` None leave that side open.
    """

    key: AttributeConstraintKey
    min: float | None
    max: float | None


@dataclass(frozen=True)
class PassageSpec:
    """Passages per form (``count``) and items of a used passage (``items``)."""

    count: Range | None
    items: Range


@dataclass(frozen=True)
class FormSpec:
    """The forms to assemble.

    Attributes
    ----------
    length
        Items per form.
    count
        Number of parallel forms to build together.
    max_overlap
        Largest share (0-1) of ``length`` that any two forms may have in common.
    item_status
        Statuses an item must have to be eligible.
    blueprint
        Per outcome id, the range of items of that outcome on every form. When it is not empty,
        only items of the outcomes it names are eligible.
    cognitive_levels
        Per cognitive level (as written in the items), the range of items on every form.
    max_seconds
        Upper bound on the sum of the items' ``expected_seconds`` per form, or None.
    target_theta
        Abilities where information is maximized; None means "at the cut score".
    include, exclude
        Item ids forced onto every form / kept off every form.
    parallel_tolerance
        Forms are kept parallel: at every target, the largest form information may exceed the
        smallest by at most this share (0.05 = 5 %).
    constraints
        Ranges on any item attribute (:class:`AttributeRange`): ``count where dok >= 3``,
        ``sum words``, ``mean p``.
    passages
        When set, the bank's item sets are passages whose items are chosen one by one
        (:class:`PassageSpec`) instead of all-or-none.
    objective
        ``maximin`` (default), ``sum`` (weighted sum of information at ``target.theta``),
        ``information`` (closest to ``target.information``) or ``tcc`` (closest to
        ``target.tcc``, expected raw scores).
    target_weights, target_information, target_tcc
        Per target theta: the weights of ``sum``; the target values of ``information``/``tcc``.
    parallel_tcc
        Forms are kept parallel by their test characteristic curves: at every target theta
        any two forms' expected raw scores differ by at most this many points; None = not.
    exclude_when
        Conditions (:mod:`psychometrics.program.conditions`) that keep items off every form,
        e.g. ``rpbis < .15`` or ``exposure > 3``.
    node_limit
        Deterministic work limit of the solver (branch-and-bound nodes per solve), or None.
    """

    length: int
    count: int = 1
    max_overlap: float = 0.0
    item_status: tuple[str, ...] = ("operational",)
    blueprint: Mapping[str, Range] = field(default_factory=dict)
    cognitive_levels: Mapping[str, Range] = field(default_factory=dict)
    max_seconds: float | None = None
    target_theta: tuple[float, ...] | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    parallel_tolerance: float = 0.05
    constraints: tuple[AttributeRange, ...] = ()
    passages: PassageSpec | None = None
    objective: str = "maximin"
    target_weights: tuple[float, ...] | None = None
    target_information: tuple[float, ...] | None = None
    target_tcc: tuple[float, ...] | None = None
    parallel_tcc: float | None = None
    exclude_when: tuple[Condition, ...] = ()
    node_limit: int | None = None

    @property
    def max_overlap_items(self) -> int:
        """The overlap limit in items: ``floor(max_overlap * length)``."""
        return int(math.floor(self.max_overlap * self.length + 1e-9))


@dataclass(frozen=True)
class ScaleSpec:
    """A linear reporting scale: ``round(slope * theta + intercept)`` clipped to ``[min, max]``."""

    slope: float = 1.0
    intercept: float = 0.0
    round: int = 0
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class CutScoreSpec:
    """How the cut score is set: a theta given directly, or a standard-setting method and inputs.

    Exactly one of ``theta`` and ``method`` is set.

    Attributes
    ----------
    theta
        The cut on the IRT scale (logistic metric), when given directly.
    method
        One of :data:`CUT_SCORE_METHODS`.
    ratings
        The judges' ratings file (absolute path, resolved relative to the spec), long format:
        ``rater,item_id,rating[,round]`` for the Angoff family and bookmark placements, or the
        judges' inputs of the examinee-centred and compromise methods.
    round
        The rating round to use (None = the last).
    rp
        Response probability of the bookmark method.
    min_cut, max_cut, min_fail, max_fail
        Hofstee / Beuk bounds (percent-correct cut and percent failing).
    expected_pass_rate
        Beuk's expected pass rate (percent).
    scale
        Optional reporting scale.
    form
        The published form the panel rated (test-centred methods) or whose scores the
        compromise methods use; None = the first published form.
    pass_rule
        One of :data:`PASS_RULES` (default ``raw``).
    """

    theta: float | None = None
    method: str | None = None
    ratings: Path | None = None
    round: int | None = None
    rp: float | None = None
    min_cut: float | None = None
    max_cut: float | None = None
    min_fail: float | None = None
    max_fail: float | None = None
    expected_pass_rate: float | None = None
    scale: ScaleSpec | None = None
    form: str | None = None
    pass_rule: str = "raw"


@dataclass(frozen=True)
class AdministrationSpec:
    """One administration (a testing window): its responses and who took which published form.

    Attributes
    ----------
    id
        The administration's id (``administration`` when a spec gives a single one unnamed).
    responses
        Wide CSV of responses (absolute path), option letters scored against the bank's keys:
        the person id first, a form column naming the published form each candidate took.
    form_column
        The column holding the form id (default: ``form`` or ``form_id``, whichever the header
        has).
    start, end
        The testing window (ISO dates), used by the retake policy; None when not given.
    group, focal, reference
        Demographic column and its focal/reference values for DIF and pass rates (or None).
    omit_code
        The code of a presented-but-omitted response (or None).
    parameters
        ``bank``: use the bank's IRT parameters; ``calibrate``: calibrate anchored on the bank
        scale.
    """

    responses: Path
    group: str | None = None
    focal: str | None = None
    reference: str | None = None
    omit_code: str | None = None
    parameters: str = "bank"
    id: str = "administration"
    form_column: str | None = None
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class FormsSpec:
    """Where the program's published forms live.

    Attributes
    ----------
    folder
        The folder of published form files (absolute; default ``forms/<credential id>`` next
        to the spec, where ``credkit assemble`` proposes and ``credkit forms publish`` freezes).
    proposal
        True asks ``credkit build`` for a clearly labelled proposal report: when the folder has
        no published form, the forms are assembled for the report and marked as not
        administered. False (the default) makes published forms required.
    """

    folder: Path
    proposal: bool = False


@dataclass(frozen=True)
class RetakePolicy:
    """Rules for candidates who take the exam again (checked across administrations).

    Attributes
    ----------
    max_attempts
        Most attempts a candidate may make in all (None = no limit).
    wait_days
        Fewest days between the windows of two attempts (None = no waiting period).
    max_overlap
        Largest share (0-1) of the items a retake form presents (scored and pretest) that the
        candidate was already presented on earlier attempts (None = no limit).
    """

    max_attempts: int | None = None
    wait_days: int | None = None
    max_overlap: float | None = None


@dataclass(frozen=True)
class DecisionSpec:
    """Decision accuracy/consistency method: ``rudner`` or ``lee``."""

    method: str = "rudner"


@dataclass(frozen=True)
class Spec:
    """A loaded, validated credential spec. Paths are absolute.

    Attributes
    ----------
    path
        The spec file.
    credential, outcomes, bank, form, cut_score, decision, stacks_into
        The spec's blocks (``cut_score`` may be None when absent).
    forms
        Where the published forms are (:class:`FormsSpec`).
    administrations
        The administrations in spec order (``administrations:`` or a single ``administration:``);
        :attr:`administration` is the last of them, the one a build reports by default.
    retakes
        The retake policy, or None.
    lines
        1-based line of every key in the file, keyed by its path (``("form", "length")``), so
        that consumers can report problems at the right line (see :meth:`line`).
    """

    path: Path
    credential: Credential
    outcomes: tuple[Outcome, ...]
    bank: Path
    form: FormSpec
    forms: FormsSpec
    cut_score: CutScoreSpec | None = None
    administrations: tuple[AdministrationSpec, ...] = ()
    decision: DecisionSpec = field(default_factory=DecisionSpec)
    stacks_into: tuple[str, ...] = ()
    retakes: RetakePolicy | None = None
    lines: Mapping[tuple[str | int, ...], int] = field(default_factory=dict, repr=False)

    @property
    def administration(self) -> AdministrationSpec | None:
        """The most recent administration (the last listed), or None."""
        return self.administrations[-1] if self.administrations else None

    def administration_field(self, admin: AdministrationSpec) -> str:
        """How messages name ``admin``'s block: ``administration`` or ``administrations[k]``."""
        if ("administration",) in self.lines and ("administrations",) not in self.lines:
            return "administration"
        return f"administrations[{self.administrations.index(admin)}]"

    def get_administration(self, admin_id: str | None) -> AdministrationSpec | None:
        """The administration ``admin_id`` (None = the most recent).

        Raises
        ------
        InputError
            Naming the spec when no administration has that id.
        """
        if admin_id is None:
            return self.administration
        for admin in self.administrations:
            if admin.id == admin_id:
                return admin
        known = ", ".join(a.id for a in self.administrations) or "none"
        raise InputError(
            f"no administration '{admin_id}' (the spec has: {known})",
            file=self.path,
            field="administrations",
        )

    @property
    def outcome_ids(self) -> tuple[str, ...]:
        return tuple(o.id for o in self.outcomes)

    @property
    def target_theta(self) -> tuple[float, ...] | None:
        """``form.target_theta``, else the cut score theta, else None."""
        if self.form.target_theta is not None:
            return self.form.target_theta
        if self.cut_score is not None and self.cut_score.theta is not None:
            return (self.cut_score.theta,)
        return None

    def line(self, *keys: str | int) -> int | None:
        """Line of the key path ``keys`` (or of its nearest ancestor that has one)."""
        return _line_of(self.lines, tuple(keys))

    def bank_info(self) -> SpecInfo:
        """What the bank layer needs of this spec (outcomes, blueprint, eligible statuses)."""
        form = self.form
        return SpecInfo(
            outcomes={o.id: o.title for o in self.outcomes},
            length=int(form.length),
            count=int(form.count),
            max_overlap=float(form.max_overlap),
            item_status=tuple(form.item_status),
            blueprint={k: (int(r.min), int(r.max)) for k, r in form.blueprint.items()},
            credential_id=self.credential.id,
        )

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("lines")
        return _jsonable(out)


@dataclass(frozen=True)
class Problem:
    """One problem found in a spec: ``severity`` is ``"error"`` or ``"warning"``."""

    file: str
    line: int | None
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        prefix = "" if self.severity == "error" else "warning: "
        return f"{where}: {prefix}{self.message}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, date):
        return obj.isoformat()
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    return obj


# --------------------------------------------------------------------------------------------
# YAML with line numbers
# --------------------------------------------------------------------------------------------

Key = tuple[str | int, ...]


def _line_of(lines: Mapping[Key, int], path: Key) -> int | None:
    while True:
        if path in lines:
            return lines[path]
        if not path:
            return None
        path = path[:-1]


MAX_SPEC_BYTES = 1024 * 1024
MAX_SPEC_DEPTH = 40
MAX_SPEC_NODES = 100_000


def _guard(text: str, file: str) -> None:
    """Refuse a hostile document before composing it (composing recurses and expands aliases):
    too large, YAML aliases (the "billion laughs" bomb), too deep or too many nodes. The parser's
    event stream is read iteratively, so this check itself neither recurses nor expands."""
    if len(text) > MAX_SPEC_BYTES:
        raise InputError(f"the spec is larger than {MAX_SPEC_BYTES} bytes", file=file)
    depth = nodes = 0
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        while loader.check_event():
            event = loader.get_event()
            line = event.start_mark.line + 1 if event.start_mark is not None else None
            if isinstance(event, yaml.AliasEvent):
                raise InputError(
                    f"YAML aliases (*{event.anchor}) are not allowed in spec files",
                    file=file,
                    line=line,
                )
            if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                depth += 1
                if depth > MAX_SPEC_DEPTH:
                    raise InputError(
                        f"nested more than {MAX_SPEC_DEPTH} levels deep", file=file, line=line
                    )
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                depth -= 1
            if isinstance(event, yaml.NodeEvent):
                nodes += 1
                if nodes > MAX_SPEC_NODES:
                    raise InputError(f"more than {MAX_SPEC_NODES} YAML nodes", file=file, line=line)
    except yaml.MarkedYAMLError as exc:
        # malformed, or deeper than libyaml's own nesting limit: report it here, because the
        # pure-Python composer that would otherwise report it recurses on deep documents
        problem = (exc.problem or exc.context or "").strip()
        message = (
            f"nested more than {MAX_SPEC_DEPTH} levels deep"
            if "nesting depth" in problem
            else f"not valid YAML: {problem}"
        )
        raise InputError(message, file=file, line=_mark_line(exc)) from None
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {exc}", file=file) from None
    finally:
        loader.dispose()


def _mark_line(exc: yaml.MarkedYAMLError) -> int | None:
    mark = exc.problem_mark or exc.context_mark
    return mark.line + 1 if mark is not None else None


def _compose(text: str, file: str) -> tuple[Any, dict[Key, int], list[Problem]]:
    """Parse YAML safely: the data, the line of every key path, and duplicate-key problems."""
    _guard(text, file)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        raise InputError(
            f"not valid YAML: {exc.problem or exc.context}", file=file, line=_mark_line(exc)
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {exc}", file=file) from None
    except RecursionError:
        raise InputError(f"nested more than {MAX_SPEC_DEPTH} levels deep", file=file) from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. a date 2026-13-02
        bad = first_invalid_timestamp(node)
        where = f"'{bad[1].value}' is not a valid date: " if bad is not None else ""
        raise InputError(
            f"not valid YAML: {where}{exc}",
            file=file,
            line=None if bad is None else bad[1].start_mark.line + 1,
        ) from None
    finally:
        loader.dispose()
    lines: dict[Key, int] = {}
    problems: list[Problem] = []
    if node is not None:
        _walk(node, (), lines, problems, file)
    return data, lines, problems


def _walk(node: yaml.Node, path: Key, lines: dict[Key, int], problems: list[Problem], file: str):
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(Problem(file, line, f"{_dotted(path + (key,))}: duplicate key"))
            seen.add(key)
            lines[path + (key,)] = line
            _walk(value_node, path + (key,), lines, problems, file)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, path + (i,), lines, problems, file)


def _dotted(path: Key) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------

_TOP_KEYS = (
    "credential",
    "outcomes",
    "bank",
    "form",
    "forms",
    "cut_score",
    "administration",
    "administrations",
    "decision",
    "retakes",
    "stacks_into",
)
_CREDENTIAL_KEYS = tuple(Credential.__dataclass_fields__)
_OUTCOME_KEYS = ("id", "title", "description", "case_uri")
_FORM_KEYS = (
    "length",
    "count",
    "max_overlap",
    "item_status",
    "blueprint",
    "cognitive_levels",
    "max_seconds",
    "target",
    "include",
    "exclude",
    "parallel_tolerance",
    "constraints",
    "passages",
    "objective",
    "parallel_tcc",
    "exclude_when",
    "node_limit",
)
_FORM_OBJECTIVES = ("maximin", "sum", "information", "tcc")
_CUT_KEYS = (
    "theta",
    "method",
    "ratings",
    "round",
    "rp",
    "min_cut",
    "max_cut",
    "min_fail",
    "max_fail",
    "expected_pass_rate",
    "scale",
    "form",
    "pass_rule",
)
_SCALE_KEYS = ("slope", "intercept", "round", "min", "max")
_ADMIN_KEYS = (
    "responses",
    "group",
    "focal",
    "reference",
    "omit_code",
    "parameters",
    "id",
    "form_column",
    "window",
)
_FORMS_KEYS = ("folder", "proposal")
_RETAKE_KEYS = ("max_attempts", "wait_days", "max_overlap")
_DECISION_KEYS = ("method",)


class _Checker:
    """Collects problems while turning the parsed YAML into the spec model."""

    def __init__(self, file: str, base: Path, lines: Mapping[Key, int]) -> None:
        self.file = file
        self.base = base
        self.lines = lines
        self.problems: list[Problem] = []

    # reporting ------------------------------------------------------------------------------
    def error(self, path: Key, message: str) -> None:
        self.problems.append(Problem(self.file, _line_of(self.lines, path), message))

    def warn(self, path: Key, message: str) -> None:
        self.problems.append(Problem(self.file, _line_of(self.lines, path), message, "warning"))

    # typed getters -----------------------------------------------------------------------------
    def mapping(self, value: Any, path: Key, allowed: tuple[str, ...]) -> dict[str, Any] | None:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.error(path, f"{_dotted(path)}: expected a mapping, got {_kind(value)}")
            return None
        for key in value:
            if key not in allowed:
                hint = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
                suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
                self.error(
                    path + (key,),
                    f"{_dotted(path + (str(key),))}: unknown key '{key}'{suggestion}"
                    f" (known: {', '.join(allowed)})",
                )
        return {k: v for k, v in value.items() if k in allowed}

    def text(self, value: Any, path: Key, *, required: bool = False) -> str | None:
        if value is None:
            if required:
                self.error(path, f"{_dotted(path)}: required")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.error(path, f"{_dotted(path)}: expected text, got {_kind(value)}")
            return None
        text = str(value).strip()
        if required and not text:
            self.error(path, f"{_dotted(path)}: must not be empty")
            return None
        return text

    def number(
        self,
        value: Any,
        path: Key,
        *,
        integer: bool = False,
        low: float | None = None,
        high: float | None = None,
        low_open: bool = False,
        required: bool = False,
    ) -> float | int | None:
        if value is None:
            if required:
                self.error(path, f"{_dotted(path)}: required")
            return None
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok and integer and isinstance(value, float):
            ok = value.is_integer()
            value = int(value) if ok else value
        if not ok or (isinstance(value, float) and not math.isfinite(value)):
            kind = "a whole number" if integer else "a number"
            self.error(path, f"{_dotted(path)}: expected {kind}, got {value!r}")
            return None
        if (low is not None and (value <= low if low_open else value < low)) or (
            high is not None and value > high
        ):
            lo = "" if low is None else (f"> {low}" if low_open else f">= {low}")
            hi = "" if high is None else f"<= {high}"
            self.error(path, f"{_dotted(path)}: must be {' and '.join(filter(None, (lo, hi)))}")
            return None
        return value

    def string_list(self, value: Any, path: Key) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.error(path, f"{_dotted(path)}: expected a list, got {_kind(value)}")
            return ()
        out = []
        for i, item in enumerate(value):
            text = self.text(item, path + (i,), required=True)
            if text is not None:
                out.append(text)
        return tuple(out)

    def path(
        self, value: Any, path: Key, *, what: str, directory: bool = False, optional: bool = False
    ) -> Path | None:
        text = self.text(value, path, required=True)
        if text is None:
            return None
        resolved = Path(os.path.normpath(self.base / Path(text).expanduser()))
        if not resolved.exists():
            report = self.warn if optional else self.error
            report(path, f"{_dotted(path)}: {what} '{text}' not found (looked for {resolved})")
        elif directory and not resolved.is_dir():
            self.error(path, f"{_dotted(path)}: {what} '{text}' is not a directory")
        elif not directory and not resolved.is_file():
            self.error(path, f"{_dotted(path)}: {what} '{text}' is not a file")
        return resolved

    def range_(self, value: Any, path: Key) -> Range | None:
        if isinstance(value, Mapping):
            body = self.mapping(value, path, ("min", "max"))
            if body is None:
                return None
            if not body:
                self.error(path, f"{_dotted(path)}: give a count, or min and/or max")
                return None
            lo = self.number(body.get("min", 0), path + ("min",), integer=True, low=0)
            hi = self.number(body.get("max", 10**9), path + ("max",), integer=True, low=0)
            if lo is None or hi is None:
                return None
            if lo > hi:
                self.error(path, f"{_dotted(path)}: min {lo} is larger than max {hi}")
                return None
            return Range(int(lo), int(hi))
        n = self.number(value, path, integer=True, low=0, required=True)
        return None if n is None else Range(int(n), int(n))


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false"}.get(
        type(value), type(value).__name__
    )


def parse_spec(path: str | os.PathLike[str]) -> tuple[Spec | None, list[Problem]]:
    """Read and validate a spec; return the spec (None when there are errors) and every problem.

    Raises
    ------
    InputError
        When the file cannot be read or is not YAML at all.
    """
    spec_path = Path(path)
    file = os.fspath(path)
    try:
        text = spec_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("spec file not found", file=file) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the spec: {exc}", file=file) from None
    data, lines, problems = _compose(text, file)
    check = _Checker(file, spec_path.resolve().parent, lines)
    check.problems.extend(problems)
    if data is None:
        check.error((), "the spec is empty")
        return None, check.problems
    top = check.mapping(data, (), _TOP_KEYS)
    if top is None:
        return None, check.problems
    for key in ("credential", "outcomes", "bank", "form"):
        if key not in top:
            check.error((), f"missing required block '{key}'")
        elif top[key] is None:
            check.error((key,), f"{key}: the block is empty (null)")

    credential = _parse_credential(check, top.get("credential"))
    outcomes = _parse_outcomes(check, top.get("outcomes"))
    bank = (
        check.path(top["bank"], ("bank",), what="bank", directory=True) if "bank" in top else None
    )
    form = _parse_form(check, top.get("form"), outcomes) if "form" in top else None
    cut = _parse_cut(check, top["cut_score"]) if top.get("cut_score") is not None else None
    admins = _parse_admins(check, top)
    forms = _parse_forms(check, top.get("forms"), credential) if credential is not None else None
    retakes = _parse_retakes(check, top["retakes"]) if top.get("retakes") is not None else None
    decision = _parse_decision(check, top.get("decision"))
    stacks = check.string_list(top.get("stacks_into"), ("stacks_into",))

    if form is not None and form.target_theta is None and (cut is None or cut.theta is None):
        check.warn(
            ("form",),
            "form.target.theta is not set and the cut score is not a theta: assembly needs "
            "form.target.theta (or run the standard setting first)",
        )
    if top.get("cut_score") is None:  # an invalid block has its own error already
        check.warn((), "no cut_score block: forms cannot be scored pass/fail")

    errors = [p for p in check.problems if p.severity == "error"]
    if (
        errors
        or credential is None
        or outcomes is None
        or bank is None
        or form is None
        or forms is None
    ):
        return None, check.problems
    spec = Spec(
        path=spec_path.resolve(),
        credential=credential,
        outcomes=outcomes,
        bank=bank,
        form=form,
        forms=forms,
        cut_score=cut,
        administrations=admins,
        decision=decision or DecisionSpec(),
        stacks_into=stacks,
        retakes=retakes,
        lines=dict(lines),
    )
    return spec, check.problems


def _parse_credential(check: _Checker, value: Any) -> Credential | None:
    path: Key = ("credential",)
    body = check.mapping(value, path, _CREDENTIAL_KEYS)
    if body is None:
        return None
    values: dict[str, Any] = {}
    months = body.get("valid_for_months")
    values["valid_for_months"] = (
        None
        if months is None
        else check.number(months, path + ("valid_for_months",), integer=True, low=1)
    )
    for key in _CREDENTIAL_KEYS:
        if key == "valid_for_months":
            continue
        required = key in ("id", "title")
        text = check.text(body.get(key), path + (key,), required=required and value is not None)
        values[key] = text or ""
    if not values["id"] or not values["title"]:
        if value is not None:
            return None
    if values["id"] and not all(ch.isalnum() or ch in "-_." for ch in values["id"]):
        check.error(path + ("id",), "credential.id: use letters, digits, '-', '_' and '.' only")
        return None
    for key in ("issuer_url", "base_url", "image"):
        if values[key] and not re.match(r"^https?://[^\s/]+", values[key]):
            check.error(path + (key,), f"credential.{key}: expected an http(s) URL")
    if values["issuer_id"] and not re.match(
        r"^(https?://[^\s/]+|did:[a-z0-9]+:\S+)", values["issuer_id"]
    ):
        check.error(path + ("issuer_id",), "credential.issuer_id: expected a DID or an http(s) URL")
    if values["issuer_email"] and not re.match(r"^[^@\s]+@[^@\s]+$", values["issuer_email"]):
        check.error(path + ("issuer_email",), "credential.issuer_email: expected an email address")
    return Credential(**values) if values["id"] and values["title"] else None


def _parse_outcomes(check: _Checker, value: Any) -> tuple[Outcome, ...] | None:
    path: Key = ("outcomes",)
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        check.error(path, "outcomes: expected a non-empty list of {id, title, description}")
        return None
    out: list[Outcome] = []
    seen: set[str] = set()
    for i, item in enumerate(value):
        body = check.mapping(item, path + (i,), _OUTCOME_KEYS)
        if body is None:
            continue
        oid = check.text(body.get("id"), path + (i, "id"), required=True)
        title = check.text(body.get("title"), path + (i, "title"), required=True)
        desc = check.text(body.get("description"), path + (i, "description")) or ""
        case_uri = check.text(body.get("case_uri"), path + (i, "case_uri")) or ""
        if case_uri and not re.match(r"^https?://\S+$", case_uri):
            check.error(path + (i, "case_uri"), f"outcomes[{i}].case_uri: expected a URI")
        if oid is None or title is None:
            continue
        if oid in seen:
            check.error(path + (i, "id"), f"outcomes[{i}].id: duplicate outcome id '{oid}'")
            continue
        seen.add(oid)
        out.append(Outcome(oid, title, desc, case_uri))
    return tuple(out) if len(out) == len(value) else None


def _parse_form(check: _Checker, value: Any, outcomes: tuple[Outcome, ...] | None):
    path: Key = ("form",)
    body = check.mapping(value, path, _FORM_KEYS)
    if body is None:
        return None
    length = check.number(
        body.get("length"), path + ("length",), integer=True, low=1, required=True
    )
    count = check.number(body.get("count", 1), path + ("count",), integer=True, low=1)
    overlap = check.number(body.get("max_overlap", 0.0), path + ("max_overlap",), low=0, high=1)
    statuses = check.string_list(body.get("item_status", ["operational"]), path + ("item_status",))
    for i, status in enumerate(statuses):
        if status not in ITEM_STATUSES:
            hint = difflib.get_close_matches(status, ITEM_STATUSES, n=1)
            check.error(
                path + ("item_status", i),
                f"form.item_status: unknown status '{status}'"
                + (f"; did you mean '{hint[0]}'?" if hint else "")
                + f" (known: {', '.join(ITEM_STATUSES)})",
            )
    if "item_status" in body and not statuses:
        check.error(path + ("item_status",), "form.item_status: list at least one status")
    max_seconds = check.number(
        body.get("max_seconds"), path + ("max_seconds",), low=0, low_open=True
    )
    tolerance = check.number(
        body.get("parallel_tolerance", 0.05), path + ("parallel_tolerance",), low=0
    )

    blueprint = _parse_ranges(check, body.get("blueprint"), path + ("blueprint",))
    levels = _parse_ranges(check, body.get("cognitive_levels"), path + ("cognitive_levels",))

    target = None
    curves: dict[str, tuple[float, ...] | None] = {}
    if body.get("target") is not None:
        tbody = check.mapping(
            body["target"], path + ("target",), ("theta", "weights", "information", "tcc")
        )
        if tbody is not None:
            curves = _parse_curves(check, tbody, path + ("target",))
            raw = tbody.get("theta")
            tpath = path + ("target", "theta")
            raw_list = raw if isinstance(raw, list) else [raw]
            if raw is None or not raw_list:
                check.error(tpath, "form.target.theta: give one theta or a list of thetas")
            else:
                values = [
                    check.number(t, tpath + (i,) if isinstance(raw, list) else tpath, low=-10)
                    for i, t in enumerate(raw_list)
                ]
                if all(v is not None and v <= 10 for v in values):
                    target = tuple(float(v) for v in values)
                elif all(v is not None for v in values):
                    check.error(tpath, "form.target.theta: thetas must lie in [-10, 10]")

    include = check.string_list(body.get("include"), path + ("include",))
    exclude = check.string_list(body.get("exclude"), path + ("exclude",))
    both = sorted(set(include) & set(exclude))
    if both:
        check.error(path + ("exclude",), f"form: items both included and excluded: {both}")

    if outcomes is not None and blueprint is not None:
        known = {o.id for o in outcomes}
        for oid in blueprint:
            if oid not in known:
                hint = difflib.get_close_matches(oid, sorted(known), n=1)
                check.error(
                    path + ("blueprint", oid),
                    f"form.blueprint: outcome '{oid}' is not among the spec's outcomes"
                    + (f"; did you mean '{hint[0]}'?" if hint else "")
                    + f" (outcomes: {', '.join(sorted(known))})",
                )
        if blueprint:
            for oid in (o.id for o in outcomes):
                if oid not in blueprint:
                    check.warn(
                        path + ("blueprint",),
                        f"form.blueprint: outcome '{oid}' has no entry, so no item of it "
                        "will be on the forms",
                    )

    if length is not None and blueprint:
        lo = sum(r.min for r in blueprint.values())
        hi = sum(min(r.max, length) for r in blueprint.values())
        if lo > length:
            check.error(
                path + ("blueprint",),
                f"form.blueprint: the minimums sum to {lo}, more than the form length {length}",
            )
        if hi < length:
            check.error(
                path + ("blueprint",),
                f"form.blueprint: the maximums sum to {hi}, fewer than the form length {length}",
            )
    if length is not None and levels:
        lo = sum(r.min for r in levels.values())
        if lo > length:
            check.error(
                path + ("cognitive_levels",),
                f"form.cognitive_levels: the minimums sum to {lo}, more than the form length "
                f"{length}",
            )
    if length is not None and len(include) > length:
        check.error(
            path + ("include",),
            f"form.include: {len(include)} items forced in, more than the form length {length}",
        )
    if (
        length is not None
        and overlap is not None
        and count is not None
        and count > 1
        and len(include) > int(math.floor(overlap * length + 1e-9))
    ):
        check.error(
            path + ("include",),
            f"form.include: {len(include)} items forced onto every form exceed the overlap "
            f"limit of {int(math.floor(overlap * length + 1e-9))} items "
            f"(max_overlap {overlap} x length {length})",
        )
    extras = _parse_form_extras(check, body, path, target, curves, length)
    if None in (length, count, overlap, blueprint, levels, tolerance) or extras is None:
        return None
    return FormSpec(
        **extras,
        length=int(length),
        count=int(count),
        max_overlap=float(overlap),
        item_status=statuses,
        blueprint=blueprint,
        cognitive_levels=levels,
        max_seconds=None if max_seconds is None else float(max_seconds),
        target_theta=target,
        include=include,
        exclude=exclude,
        parallel_tolerance=float(tolerance),
    )


def _parse_curves(check: _Checker, tbody: Mapping[str, Any], path: Key) -> dict[str, Any]:
    """``target.weights``, ``target.information``, ``target.tcc``: one number per theta."""
    out: dict[str, tuple[float, ...] | None] = {}
    theta = tbody.get("theta")
    n_theta = len(theta) if isinstance(theta, list) else 1
    for key in ("weights", "information", "tcc"):
        raw = tbody.get(key)
        if raw is None:
            continue
        kpath = path + (key,)
        raw_list = raw if isinstance(raw, list) else [raw]
        values = [
            check.number(v, kpath + (i,) if isinstance(raw, list) else kpath, low=0)
            for i, v in enumerate(raw_list)
        ]
        if any(v is None for v in values):
            out[key] = None
        elif len(values) != n_theta:
            check.error(
                kpath,
                f"form.target.{key}: {len(values)} values for {n_theta} target thetas "
                "(give one per theta)",
            )
            out[key] = None
        else:
            out[key] = tuple(float(v) for v in values)
    return out


def _parse_form_extras(
    check: _Checker,
    body: Mapping[str, Any],
    path: Key,
    target: tuple[float, ...] | None,
    curves: Mapping[str, Any],
    length: int | None,
) -> dict[str, Any] | None:
    """Attribute constraints, passages, objective, TCC parallelism, exclusions, node limit."""
    ok = True
    objective = body.get("objective", "maximin")
    if objective not in _FORM_OBJECTIVES:
        hint = difflib.get_close_matches(str(objective), _FORM_OBJECTIVES, n=1)
        check.error(
            path + ("objective",),
            f"form.objective: unknown objective {objective!r}"
            + (f"; did you mean '{hint[0]}'?" if hint else "")
            + f" (known: {', '.join(_FORM_OBJECTIVES)})",
        )
        ok = False
    for key, needs in (("information", "information"), ("tcc", "tcc")):
        if objective == needs and curves.get(key) is None:
            check.error(
                path + ("objective",),
                f"form.objective: '{needs}' needs form.target.{key} (one value per target "
                "theta) and form.target.theta",
            )
            ok = False
    if any(v is None for v in curves.values()):
        ok = False
    if curves and target is None:
        check.error(path + ("target",), "form.target: the curves need form.target.theta")
        ok = False
    constraints: list[AttributeRange] = []
    raw = body.get("constraints")
    cpath = path + ("constraints",)
    if raw is not None and not isinstance(raw, Mapping):
        check.error(
            cpath,
            "form.constraints: expected a mapping such as 'count where dok >= 3: {min: 4}'",
        )
        ok = False
    for key, entry in (raw or {}).items() if isinstance(raw, Mapping) else ():
        kpath = cpath + (key,)
        try:
            parsed = parse_constraint_key(str(key))
        except ValueError as exc:
            check.error(kpath, f"form.constraints: {exc}")
            ok = False
            continue
        bounds = check.mapping(entry, kpath, ("min", "max")) if entry is not None else None
        if not bounds:
            if bounds is not None:
                check.error(kpath, f"form.constraints.{key}: give min, max or both")
            ok = False
            continue
        integer = parsed.kind == "count"
        lo = check.number(bounds.get("min"), kpath + ("min",), integer=integer)
        hi = check.number(bounds.get("max"), kpath + ("max",), integer=integer)
        if (bounds.get("min") is not None and lo is None) or (
            bounds.get("max") is not None and hi is None
        ):
            ok = False
            continue
        if lo is not None and hi is not None and hi < lo:
            check.error(kpath, f"form.constraints.{key}: max {hi} is below min {lo}")
            ok = False
            continue
        if integer and length is not None and lo is not None and lo > length:
            check.error(kpath, f"form.constraints.{key}: min {lo} exceeds the length {length}")
            ok = False
            continue
        constraints.append(AttributeRange(parsed, lo, hi))
    passages = None
    if body.get("passages") is not None:
        ppath = path + ("passages",)
        pbody = check.mapping(body["passages"], ppath, ("count", "items"))
        if pbody is None:
            ok = False
        else:
            count = None if pbody.get("count") is None else check.range_(
                pbody["count"], ppath + ("count",))  # fmt: skip
            items = check.range_(pbody.get("items", {"min": 1, "max": 1000}), ppath + ("items",))
            if items is not None and items.min < 1:
                check.error(ppath + ("items",), "form.passages.items: min must be at least 1")
                items = None
            if items is None or (pbody.get("count") is not None and count is None):
                ok = False
            else:
                passages = PassageSpec(count, items)
    parallel_tcc = check.number(body.get("parallel_tcc"), path + ("parallel_tcc",), low=0)
    if body.get("parallel_tcc") is not None and parallel_tcc is None:
        ok = False
    exclude_when = []
    epath = path + ("exclude_when",)
    for i, text in enumerate(check.string_list(body.get("exclude_when"), epath)):
        try:
            exclude_when.append(parse_condition(text))
        except ValueError as exc:
            check.error(epath + (i,), f"form.exclude_when: {exc}")
            ok = False
    node_limit = check.number(body.get("node_limit"), path + ("node_limit",), integer=True, low=1)
    if body.get("node_limit") is not None and node_limit is None:
        ok = False
    if not ok:
        return None
    return {
        "constraints": tuple(constraints),
        "passages": passages,
        "objective": str(objective),
        "target_weights": curves.get("weights"),
        "target_information": curves.get("information"),
        "target_tcc": curves.get("tcc"),
        "parallel_tcc": None if parallel_tcc is None else float(parallel_tcc),
        "exclude_when": tuple(exclude_when),
        "node_limit": None if node_limit is None else int(node_limit),
    }


def _parse_ranges(check: _Checker, value: Any, path: Key) -> dict[str, Range] | None:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        check.error(path, f"{_dotted(path)}: expected a mapping of name: count or {{min, max}}")
        return None
    out: dict[str, Range] = {}
    ok = True
    for key, entry in value.items():
        rng = check.range_(entry, path + (key,))
        if rng is None:
            ok = False
        else:
            out[str(key)] = rng
    return out if ok else None


def _parse_cut(check: _Checker, value: Any) -> CutScoreSpec | None:
    path: Key = ("cut_score",)
    body = check.mapping(value, path, _CUT_KEYS)
    if body is None:
        return None
    theta = check.number(body.get("theta"), path + ("theta",), low=-10, high=10)
    method = check.text(body.get("method"), path + ("method",))
    if "theta" in body and "method" in body:
        check.error(path, "cut_score: give either theta or method, not both")
        return None
    if "theta" not in body and "method" not in body:
        check.error(path, "cut_score: give either theta or a method and its inputs")
        return None
    if method is not None and method not in CUT_SCORE_METHODS:
        hint = difflib.get_close_matches(method, CUT_SCORE_METHODS, n=1)
        check.error(
            path + ("method",),
            f"cut_score.method: unknown method '{method}'"
            + (f"; did you mean '{hint[0]}'?" if hint else "")
            + f" (known: {', '.join(CUT_SCORE_METHODS)})",
        )
        return None
    if theta is not None and set(body) - {"theta", "scale", "pass_rule"}:
        extra = sorted(set(body) - {"theta", "scale", "pass_rule"})
        check.error(path + (extra[0],), f"cut_score: {', '.join(extra)} need a method, not a theta")
        return None

    ratings = None
    if "ratings" in body:
        ratings = check.path(body["ratings"], path + ("ratings",), what="ratings file")
    rated_form = check.text(body.get("form"), path + ("form",))
    pass_rule = check.text(body.get("pass_rule", "raw"), path + ("pass_rule",)) or "raw"
    if pass_rule not in PASS_RULES:
        check.error(
            path + ("pass_rule",),
            f"cut_score.pass_rule: '{pass_rule}' is not one of {', '.join(PASS_RULES)}",
        )
    rnd = check.number(body.get("round"), path + ("round",), integer=True, low=1)
    rp = check.number(body.get("rp"), path + ("rp",), low=0, high=1, low_open=True)
    bounds = {
        k: check.number(body.get(k), path + (k,), low=0, high=100)
        for k in ("min_cut", "max_cut", "min_fail", "max_fail", "expected_pass_rate")
    }
    if method is not None:
        compromise = method in ("hofstee", "beuk")
        if not compromise and "ratings" not in body:
            check.error(path, f"cut_score: method '{method}' needs 'ratings' (a file)")
        if compromise and "ratings" not in body:
            need = ["min_cut", "max_cut", "min_fail", "max_fail"]
            if method == "beuk":
                need += ["expected_pass_rate"]
            missing = [k for k in need if k not in body]
            if missing:
                check.error(
                    path,
                    f"cut_score: method '{method}' needs 'ratings' or {', '.join(need)} "
                    f"(missing: {', '.join(missing)})",
                )
        if "rp" in body and method != "bookmark":
            check.error(path + ("rp",), "cut_score.rp: only the bookmark method takes rp")
        for lo, hi in (("min_cut", "max_cut"), ("min_fail", "max_fail")):
            if bounds[lo] is not None and bounds[hi] is not None and bounds[lo] > bounds[hi]:
                check.error(path + (lo,), f"cut_score: {lo} {bounds[lo]} > {hi} {bounds[hi]}")
    scale = None
    if body.get("scale") is not None:
        sbody = check.mapping(body["scale"], path + ("scale",), _SCALE_KEYS)
        if sbody is not None:
            sp = path + ("scale",)
            slope = check.number(sbody.get("slope", 1.0), sp + ("slope",), low=0, low_open=True)
            intercept = check.number(sbody.get("intercept", 0.0), sp + ("intercept",))
            digits = check.number(sbody.get("round", 0), sp + ("round",), integer=True, low=0)
            smin = check.number(sbody.get("min"), sp + ("min",))
            smax = check.number(sbody.get("max"), sp + ("max",))
            if smin is not None and smax is not None and smin >= smax:
                check.error(sp, f"cut_score.scale: min {smin} must be below max {smax}")
            elif None not in (slope, intercept, digits):
                scale = ScaleSpec(float(slope), float(intercept), int(digits), smin, smax)
    return CutScoreSpec(
        theta=None if theta is None else float(theta),
        method=method,
        ratings=ratings,
        round=None if rnd is None else int(rnd),
        rp=rp,
        scale=scale,
        form=rated_form,
        pass_rule=pass_rule,
        **bounds,
    )


def _parse_admins(check: _Checker, top: Mapping[str, Any]) -> tuple[AdministrationSpec, ...]:
    single, many = top.get("administration"), top.get("administrations")
    if single is not None and many is not None:
        check.error(
            ("administrations",),
            "give either 'administration' (one) or 'administrations' (a list), not both",
        )
        return ()
    if single is not None:
        admin = _parse_admin(check, single, ("administration",), default_id="administration")
        return () if admin is None else (admin,)
    if many is None:
        return ()
    if not isinstance(many, list):
        check.error(("administrations",), f"administrations: expected a list, got {_kind(many)}")
        return ()
    out: list[AdministrationSpec] = []
    seen: set[str] = set()
    for k, entry in enumerate(many):
        path: Key = ("administrations", k)
        if not isinstance(entry, Mapping) or "id" not in entry:
            check.error(path, f"{_dotted(path)}: each administration needs an 'id'")
            continue
        admin = _parse_admin(check, entry, path, default_id=None)
        if admin is None:
            continue
        if admin.id in seen:
            check.error(path + ("id",), f"{_dotted(path)}.id: duplicate id '{admin.id}'")
            continue
        seen.add(admin.id)
        out.append(admin)
    return tuple(out)


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(check: _Checker, value: Any, path: Key) -> date | None:
    if value is None:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    check.error(path, f"{_dotted(path)}: expected a date YYYY-MM-DD, got {value!r}")
    return None


def _parse_admin(
    check: _Checker, value: Any, path: Key, *, default_id: str | None
) -> AdministrationSpec | None:
    body = check.mapping(value, path, _ADMIN_KEYS)
    if body is None:
        return None
    if "responses" not in body:
        check.error(path, f"{_dotted(path)}: 'responses' (a CSV file) is required")
        return None
    admin_id = check.text(body.get("id", default_id), path + ("id",), required=True)
    # a missing responses file is a warning: only `credkit build` needs it, and reports it itself
    responses = check.path(
        body["responses"], path + ("responses",), what="responses file", optional=True
    )
    texts = {
        k: check.text(body.get(k), path + (k,))
        for k in ("group", "focal", "reference", "omit_code", "form_column")
    }
    params = check.text(body.get("parameters", "bank"), path + ("parameters",)) or "bank"
    if params not in ADMINISTRATION_PARAMETERS:
        check.error(
            path + ("parameters",),
            f"{_dotted(path + ('parameters',))}: '{params}' is not one of "
            f"{', '.join(ADMINISTRATION_PARAMETERS)}",
        )
        return None
    if texts["group"] is None and (texts["focal"] or texts["reference"]):
        check.error(path, f"{_dotted(path)}: focal/reference need a 'group' column")
    if texts["group"] is not None and (texts["focal"] is None or texts["reference"] is None):
        check.error(path + ("group",), f"{_dotted(path)}: a group needs both focal and reference")
    start = end = None
    if body.get("window") is not None:
        wpath = path + ("window",)
        window = check.mapping(body["window"], wpath, ("start", "end"))
        if window is not None:
            start = _iso_date(check, window.get("start"), wpath + ("start",))
            end = _iso_date(check, window.get("end"), wpath + ("end",))
            if start is not None and end is not None and end < start:
                check.error(wpath, f"{_dotted(wpath)}: end {end} is before start {start}")
    if responses is None or admin_id is None:
        return None
    return AdministrationSpec(
        responses=responses,
        parameters=params,
        id=admin_id,
        start=start,
        end=end,
        **texts,
    )


def _parse_forms(check: _Checker, value: Any, credential: Credential) -> FormsSpec | None:
    path: Key = ("forms",)
    default = Path(os.path.normpath(check.base / "forms" / credential.id))
    if value is None:
        return FormsSpec(default)
    if isinstance(value, str):
        value = {"folder": value}
    body = check.mapping(value, path, _FORMS_KEYS)
    if body is None:
        return None
    folder = default
    if body.get("folder") is not None:
        text = check.text(body["folder"], path + ("folder",), required=True)
        if text is None:
            return None
        folder = Path(os.path.normpath(check.base / Path(text).expanduser()))
        if folder.exists() and not folder.is_dir():
            check.error(path + ("folder",), f"forms.folder: '{text}' is not a folder")
            return None
    proposal = body.get("proposal", False)
    if not isinstance(proposal, bool):
        check.error(path + ("proposal",), f"forms.proposal: expected true/false, got {proposal!r}")
        return None
    return FormsSpec(folder, proposal)


def _parse_retakes(check: _Checker, value: Any) -> RetakePolicy | None:
    path: Key = ("retakes",)
    body = check.mapping(value, path, _RETAKE_KEYS)
    if body is None:
        return None
    attempts = check.number(body.get("max_attempts"), path + ("max_attempts",), integer=True, low=1)
    wait = check.number(body.get("wait_days"), path + ("wait_days",), integer=True, low=0)
    overlap = check.number(body.get("max_overlap"), path + ("max_overlap",), low=0, high=1)
    return RetakePolicy(
        max_attempts=None if attempts is None else int(attempts),
        wait_days=None if wait is None else int(wait),
        max_overlap=None if overlap is None else float(overlap),
    )


def _parse_decision(check: _Checker, value: Any) -> DecisionSpec | None:
    path: Key = ("decision",)
    body = check.mapping(value, path, _DECISION_KEYS)
    if body is None:
        return None
    method = check.text(body.get("method", "rudner"), path + ("method",)) or "rudner"
    if method not in DECISION_METHODS:
        check.error(
            path + ("method",),
            f"decision.method: '{method}' is not one of {', '.join(DECISION_METHODS)}",
        )
        return None
    return DecisionSpec(method)


# --------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------


def load_spec(path: str | os.PathLike[str]) -> Spec:
    """Load and validate a credential spec.

    Parameters
    ----------
    path
        The spec YAML file. Paths inside it are resolved relative to its directory.

    Returns
    -------
    Spec
        The validated spec (warnings are not raised; see :func:`check_spec`).

    Raises
    ------
    InputError
        At the first error, with the file, line and field (``file:line: field: message``).
    """
    spec, problems = parse_spec(path)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more; run 'credkit spec check')" if len(errors) > 1 else ""
        raise InputError(first.message + more, file=first.file, line=first.line)
    if spec is None:  # pragma: no cover - parse_spec returns a spec whenever there are no errors
        raise InputError("the spec could not be read", file=os.fspath(path))
    return spec


def check_spec(path: str | os.PathLike[str]) -> list[Problem]:
    """Every problem of a spec's structure, values and paths (see also
    :func:`psychometrics.program.check.check_spec_and_bank`, which adds its fit to the bank).

    Returns
    -------
    list of Problem
        Errors and warnings in file order; empty when the spec is clean.
    """
    try:
        _, problems = parse_spec(path)
    except InputError as exc:
        return [Problem(exc.file or os.fspath(path), exc.line, exc.message)]
    return sort_problems(problems)


def sort_problems(problems: list[Problem]) -> list[Problem]:
    """Problems in file order (by line, then as found)."""
    order = {id(p): i for i, p in enumerate(problems)}
    return sorted(problems, key=lambda p: (p.line if p.line is not None else 0, order[id(p)]))


def read_spec_info(path: str | os.PathLike[str]) -> SpecInfo:
    """The bank layer's view of a fully validated spec (see :meth:`Spec.bank_info`)."""
    return load_spec(path).bank_info()
