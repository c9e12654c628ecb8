"""Lint: every problem of a bank in one run.

Errors (the bank cannot be used as is) come from :mod:`psychometrics.bank.parse` (per file) and
from the bank-wide checks here: duplicate ids, enemies that do not exist or are not mutual, and
outcomes that are not in the credential spec. Warnings follow item-writing guidelines
(Haladyna, Downing & Rodriguez, 2002):

* an option "all of the above" / "none of the above" (guideline 27);
* a negative stem (NOT, EXCEPT, LEAST) without emphasis (guideline 17: "if used, emphasize");
* a key much longer than its distractors (guideline 24/25, length as a cue): the key has more
  than ``key_length_ratio`` (1.5) times the mean distractor length and is at least
  ``key_length_min_diff`` (10) characters longer;
* key positions unbalanced across the bank (guideline 22): for the mcq items with k options,
  a chi-square goodness-of-fit test of the key positions against the uniform distribution,
  warning when p < ``balance_alpha`` (0.01); the test is run only when every expected count is
  at least 5 (Cochran's rule).

References
----------
Haladyna, T. M., Downing, S. M., & Rodriguez, M. C. (2002). A review of multiple-choice
    item-writing guidelines for classroom assessment. *Applied Measurement in Education*, 15(3),
    309-333.
"""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scipy import stats as _stats

from psychometrics.bank.findings import ERROR, WARNING, Finding
from psychometrics.bank.model import Bank, Item
from psychometrics.bank.parse import count_words
from psychometrics.bank.qti_fields import item_extras
from psychometrics.bank.specinfo import spec_outcomes
from psychometrics.bank.store import enemy_findings as _enemy_findings
from psychometrics.bank.store import item_files, read_bank
from psychometrics.bank.yamlio import MAX_ITEM_BYTES
from psychometrics.errors import InputError

KEY_LENGTH_RATIO = 1.5
KEY_LENGTH_MIN_DIFF = 10
BALANCE_ALPHA = 0.01

_ABOVE = re.compile(
    r"\b(all|none|both|neither)\s+of\s+(the\s+)?(above|these|options|answers)\b", re.I
)
_EMPHASIS = re.compile(
    r"\*\*[^*\n]+\*\*|__[^_\n]+__|\*[^*\n]+\*|(?<!\w)_[^_\n]+_(?!\w)|"
    r"<(em|strong|b|i|u)>.*?</\1>",
    re.I | re.S,
)
_NEG_UPPER = re.compile(r"\b(NOT|EXCEPT|LEAST)\b")
_NEG_ANY = re.compile(r"\b(not|except|least)\b", re.I)


@dataclass(frozen=True)
class LintReport:
    """Result of :func:`lint_bank`.

    Attributes
    ----------
    bank_dir
        The bank that was checked.
    n_files
        Item files read.
    findings
        Every problem, sorted by file, line and field.
    """

    bank_dir: str
    n_files: int
    findings: tuple[Finding, ...]

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == WARNING)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return (
            f"{self.n_files} item files: {len(self.errors)} errors, {len(self.warnings)} warnings"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "bank_dir": self.bank_dir,
            "n_files": self.n_files,
            "n_errors": len(self.errors),
            "n_warnings": len(self.warnings),
            "findings": [f.to_dict() for f in self.findings],
        }


def lint_bank(
    bank_dir: str | os.PathLike[str],
    *,
    spec: str | os.PathLike[str] | None = None,
    outcomes: Iterable[str] | None = None,
    key_length_ratio: float = KEY_LENGTH_RATIO,
    key_length_min_diff: int = KEY_LENGTH_MIN_DIFF,
    balance_alpha: float = BALANCE_ALPHA,
    max_item_bytes: int = MAX_ITEM_BYTES,
) -> LintReport:
    """Check every item file of a bank and return all findings.

    Parameters
    ----------
    bank_dir
        The bank directory (holding ``items/``).
    spec
        A credential spec; every item's outcome must be one of its outcome ids.
    outcomes
        Outcome ids to check against without a spec file.
    key_length_ratio, key_length_min_diff
        The "key much longer than its distractors" threshold (see the module docstring).
    balance_alpha
        Significance level of the key-position balance test.
    max_item_bytes
        Size limit of one item file.

    Raises
    ------
    InputError
        Only when the bank directory itself (or the spec) cannot be read; problems in item
        files are findings.
    """
    if not 0 < balance_alpha < 1:
        raise ValueError("balance_alpha must be in (0, 1)")
    allowed = None
    if spec is not None:
        allowed = list(spec_outcomes(spec))
    elif outcomes is not None:
        allowed = list(outcomes)
    bank, findings = read_bank(bank_dir, max_item_bytes=max_item_bytes)
    n_files = len(item_files(bank_dir))
    for item in bank:
        findings.extend(_guidelines(item, key_length_ratio, key_length_min_diff))
        try:  # shuffle, fixed, scoring, feedback (QTI interchange fields)
            item_extras(item)
        except InputError as exc:
            findings.append(_at(item, exc.field or "yaml", ERROR, exc.message, "bad-field"))
        if allowed is not None and item.outcome is not None and item.outcome not in allowed:
            findings.append(
                _at(
                    item,
                    "outcome",
                    ERROR,
                    f"outcome '{item.outcome}' is not in the spec ({', '.join(allowed)})",
                    "unknown-outcome",
                )
            )
        if item.status == "operational" and item.irt is None:
            findings.append(
                _at(
                    item,
                    "status",
                    WARNING,
                    "operational item has no irt parameters",
                    "uncalibrated",
                )
            )
    findings.extend(_enemy_findings(bank))
    findings.extend(_set_findings(bank))
    findings.extend(_balance_findings(bank, balance_alpha))
    return LintReport(
        bank_dir=str(bank_dir), n_files=n_files, findings=tuple(sorted(set(findings)))
    )


def _at(item: Item, field: str, severity: str, message: str, rule: str) -> Finding:
    return Finding(str(item.path), item.line(field) or 1, field, severity, message, rule)


_CODE = re.compile(r"^```.*?^```[^\n]*$|`[^`\n]+`", re.M | re.S)


def _without_emphasis(text: str) -> str:
    """The text without code (SQL's NOT is not a negative stem) and without emphasized spans."""
    return _EMPHASIS.sub(" ", _CODE.sub(" ", text))


def _question_sentence(text: str) -> str:
    body = text.strip()
    parts = re.split(r"(?<=[.!?])\s+", body)
    return parts[-1] if parts else body


def negative_stem_words(stem: str) -> list[str]:
    """Unemphasized negative words of a stem (upper case anywhere, or in the question)."""
    plain = _without_emphasis(stem)
    words = [m.group(1) for m in _NEG_UPPER.finditer(plain)]
    words += [m.group(1) for m in _NEG_ANY.finditer(_question_sentence(plain))]
    seen: list[str] = []
    for w in words:
        if w.upper() not in [s.upper() for s in seen]:
            seen.append(w)
    return seen


def _placeholders(item: Item) -> list[Finding]:
    texts = [("stem", item.stem), ("rationale", item.rationale or "")]
    texts += [(f"options.{k}", v) for k, v in item.options.items()]
    texts += [(f"score_levels.{k}", v) for k, v in item.score_levels.items()]
    return [
        _at(item, field, WARNING, "placeholder TODO left in the text", "todo")
        for field, text in texts
        if "TODO" in text
    ]


def _guidelines(item: Item, ratio: float, min_diff: int) -> list[Finding]:
    out = _placeholders(item)
    written = item.data.get("word_count")
    if isinstance(written, int) and not isinstance(written, bool):
        derived = count_words(item.stem, *item.options.values())
        if abs(written - derived) > max(2, 0.1 * derived):
            out.append(
                _at(
                    item,
                    "word_count",
                    WARNING,
                    f"word_count {written} but stem and options have {derived} words "
                    "(leave it out to have it derived)",
                    "word-count",
                )
            )
    for letter, text in item.options.items():
        match = _ABOVE.search(text)
        if match:
            out.append(
                _at(
                    item,
                    f"options.{letter}",
                    WARNING,
                    f"avoid '{match.group(0)}' as an option",
                    "all-none-above",
                )
            )
    negatives = negative_stem_words(item.stem)
    if negatives:
        shown = ", ".join(w.upper() for w in negatives)
        out.append(
            _at(
                item,
                "stem",
                WARNING,
                f"negative stem ({shown}) without emphasis: write **{negatives[0].upper()}** "
                "or rephrase positively",
                "negative-stem",
            )
        )
    if item.type == "mcq" and len(item.key) == 1 and item.key[0] in item.options:
        key_len = len(item.options[item.key[0]].strip())
        others = [len(t.strip()) for k, t in item.options.items() if k != item.key[0]]
        if others:
            mean = sum(others) / len(others)
            if key_len > ratio * mean and key_len - mean >= min_diff:
                out.append(
                    _at(
                        item,
                        f"options.{item.key[0]}",
                        WARNING,
                        f"the key has {key_len} characters, {key_len / mean:.1f} times the mean "
                        f"distractor length ({mean:.0f}); length cues the answer "
                        f"(threshold {ratio:g}x and {min_diff} characters)",
                        "long-key",
                    )
                )
    return out


def _set_findings(bank: Bank) -> list[Finding]:
    members: dict[str, list[Item]] = defaultdict(list)
    for item in bank:
        if item.set is not None:
            members[item.set].append(item)
    out = []
    has_files = (Path(bank.root) / "sets").is_dir()
    for set_id, items in members.items():
        if has_files and set_id not in bank.sets:
            for item in items:
                out.append(
                    _at(
                        item,
                        "set",
                        ERROR,
                        f"set '{set_id}' has no file sets/{set_id}.yaml",
                        "set-missing",
                    )
                )
        if len(items) == 1:
            out.append(
                _at(items[0], "set", WARNING, f"set '{set_id}' has only this item", "lonely-set")
            )
        for item in items:
            clash = [e for e in item.enemies if bank.get(e) is not None and bank[e].set == set_id]
            if clash:
                out.append(
                    _at(
                        item,
                        "enemies",
                        ERROR,
                        f"enemies {', '.join(clash)} are in the same set '{set_id}', which travels "
                        "together",
                        "enemy-in-set",
                    )
                )
    for set_id, item_set in bank.sets.items():
        listed = set(item_set.items)
        for i, member in enumerate(item_set.items):
            where = f"items[{i}]"
            line = item_set.lines.get(where, item_set.lines.get("items", 1))
            item = bank.get(member)
            if item is None:
                message, rule = f"item '{member}' is not in the bank", "set-item-missing"
            elif item.set != set_id:
                message, rule = (
                    f"item '{member}' has set {item.set!r}, not '{set_id}'",
                    "set-mismatch",
                )
            else:
                continue
            out.append(Finding(str(item_set.path), line, where, ERROR, message, rule))
        for item in members.get(set_id, []):
            if item.id not in listed:
                out.append(
                    _at(
                        item,
                        "set",
                        ERROR,
                        f"set file {item_set.path} does not list this item",
                        "set-mismatch",
                    )
                )
        if item_set.outcomes:
            for item in members.get(set_id, []):
                if item.outcome not in item_set.outcomes:
                    out.append(
                        _at(
                            item,
                            "outcome",
                            WARNING,
                            f"outcome {item.outcome} is not among the set's outcomes "
                            f"({', '.join(item_set.outcomes)})",
                            "set-outcome",
                        )
                    )
    return out


def key_position_test(bank: Bank) -> list[dict[str, Any]]:
    """Chi-square test of mcq key positions against uniform, per number of options.

    Returns one record per option count k with ``counts`` (per position), ``n``, ``chi2``,
    ``p`` (``None`` when an expected count is below 5 and the test is not run).
    """
    by_k: dict[int, Counter] = defaultdict(Counter)
    for item in bank:
        if item.type == "mcq" and len(item.key) == 1 and item.key[0] in item.options:
            letters = list(item.options)
            by_k[len(letters)][letters.index(item.key[0])] += 1
    records = []
    for k in sorted(by_k):
        counts = [by_k[k][pos] for pos in range(k)]
        n = sum(counts)
        chi2 = p = None
        if n / k >= 5:
            res = _stats.chisquare(counts)
            chi2, p = float(res.statistic), float(res.pvalue)
        records.append({"options": k, "counts": counts, "n": n, "chi2": chi2, "p": p})
    return records


def _balance_findings(bank: Bank, alpha: float) -> list[Finding]:
    out = []
    for rec in key_position_test(bank):
        if rec["p"] is not None and rec["p"] < alpha:
            k = rec["options"]
            shown = ", ".join(f"{chr(ord('A') + pos)}: {c}" for pos, c in enumerate(rec["counts"]))
            out.append(
                Finding(
                    str(Path(bank.items_dir)),
                    0,
                    "key",
                    WARNING,
                    f"key positions of the {rec['n']} mcq items with {k} options are unbalanced "
                    f"({shown}; chi-square = {rec['chi2']:.1f}, df = {k - 1}, p = {rec['p']:.2g} "
                    f"< {alpha:g})",
                    "key-balance",
                )
            )
    return out
