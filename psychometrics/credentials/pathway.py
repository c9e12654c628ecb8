"""Stackable pathways: a higher credential earned by holding other credentials.

A pathway file (YAML) names the stacked credential and its requirement::

    pathway:
      id: data-analyst-associate            # the stacked credential
      title: Data Analyst Associate
      achievement_type: Certificate
      description: ...
      issuer: Open Skills Credentialing Board
      issuer_url: https://credentials.example.org
      valid_for_months: 36
    requires:                               # all_of / any_of: [...] / n_of: {n: 2, of: [...]}
      all_of:
        - credential: data-analytics-fundamentals   # <base_url>/achievements/<id>
          min_score: 480                            # optional: the credential's scale score
          within_months: 36                         # optional: earned at most this long ago
        - achievement: https://other.example/achievements/sql   # a full achievement id

Every presented credential is verified first (proof, schema, dates, status, issuer key); a
requirement is met by a valid credential for its achievement that meets its minimum score and
window. The check says which requirements are met, and what is missing and why.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from psychometrics.credentials.issue import add_months, email_matches
from psychometrics.credentials.verify import Verification
from psychometrics.errors import InputError
from psychometrics.fileio import read_user_text

__all__ = [
    "LeafResult",
    "Pathway",
    "PathwayCheck",
    "Requirement",
    "check_pathway",
    "load_pathway",
]

_PATHWAY_KEYS = (
    "id",
    "title",
    "version",
    "achievement_type",
    "description",
    "issuer",
    "issuer_id",
    "issuer_url",
    "issuer_email",
    "base_url",
    "image",
    "valid_for_months",
)
_LEAF_KEYS = ("credential", "achievement", "min_score", "within_months", "name")


@dataclass(frozen=True)
class Requirement:
    """A node of the requirement tree.

    Attributes
    ----------
    kind : {"all_of", "any_of", "n_of", "credential"}
    n : int
        How many children must be met (``n_of``; ``all_of``: all; ``any_of``: 1).
    children : tuple of Requirement
    achievement_id : str
        A leaf's achievement.
    min_score, within_months
        A leaf's optional conditions.
    label : str
        How the leaf is named to users.
    """

    kind: str
    n: int = 0
    children: tuple[Requirement, ...] = ()
    achievement_id: str = ""
    min_score: float | None = None
    within_months: int | None = None
    label: str = ""

    def leaves(self) -> list[Requirement]:
        if self.kind == "credential":
            return [self]
        return [leaf for child in self.children for leaf in child.leaves()]

    def describe(self) -> str:
        """The requirement in words."""
        if self.kind == "credential":
            extra = []
            if self.min_score is not None:
                extra.append(f"a score of at least {self.min_score:g}")
            if self.within_months is not None:
                extra.append(f"earned within {self.within_months} months")
            return self.label + (f" ({', '.join(extra)})" if extra else "")
        inner = "; ".join(child.describe() for child in self.children)
        if self.kind == "all_of":
            return f"all of: {inner}"
        if self.kind == "any_of":
            return f"any of: {inner}"
        return f"{self.n} of: {inner}"


@dataclass(frozen=True)
class Pathway:
    """A loaded pathway file: the stacked credential's description and its requirement."""

    id: str
    title: str
    requirement: Requirement
    path: Path
    info: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = "") -> Any:
        return self.info.get(key, default)

    @property
    def base_url(self) -> str:
        url = self.get("base_url") or self.get("issuer_url")
        return str(url).rstrip("/")

    @property
    def achievement_id(self) -> str:
        return f"{self.base_url}/achievements/{self.id}"


class _Lines:
    def __init__(self, text: str) -> None:
        self.lines: dict[tuple, int] = {}
        try:
            node = yaml.compose(text)
        except yaml.YAMLError:
            node = None
        if node is not None:
            self._walk(node, ())

    def _walk(self, node: yaml.Node, path: tuple) -> None:
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                self.lines[path + (key.value,)] = key.start_mark.line + 1
                self._walk(value, path + (key.value,))
                self.lines[path + (key.value,)] = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for i, value in enumerate(node.value):
                self._walk(value, path + (i,))

    def of(self, path: tuple) -> int | None:
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path)


def _dotted(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_pathway(path: str | os.PathLike[str]) -> Pathway:
    """Read and validate a pathway file; one :class:`InputError` naming the line and field."""
    file = Path(path)
    text = read_user_text(file)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(
            f"not valid YAML: {getattr(exc, 'problem', exc)}",
            file=file,
            line=mark.line + 1 if mark else None,
        ) from None
    lines = _Lines(text)

    def fail(where: tuple, message: str) -> InputError:
        return InputError(message, file=file, line=lines.of(where), field=_dotted(where) or None)

    if not isinstance(data, dict) or "pathway" not in data or "requires" not in data:
        raise fail((), "a pathway file has a 'pathway:' block and a 'requires:' block")
    unknown = set(data) - {"pathway", "requires"}
    if unknown:
        raise fail((sorted(unknown)[0],), "unknown key (known: pathway, requires)")
    info = data["pathway"]
    if not isinstance(info, dict):
        raise fail(("pathway",), "expected a mapping")
    for key in info:
        if key not in _PATHWAY_KEYS:
            raise fail(("pathway", key), f"unknown key (known: {', '.join(_PATHWAY_KEYS)})")
    for key in ("id", "title"):
        if not isinstance(info.get(key), str) or not info[key].strip():
            raise fail(("pathway", key), "required text")
    if not re.match(r"^[A-Za-z0-9._-]+$", info["id"]):
        raise fail(("pathway", "id"), "use letters, digits, '-', '_' and '.' only")
    months = info.get("valid_for_months")
    if months is not None and (
        isinstance(months, bool) or not isinstance(months, int) or months < 1
    ):
        raise fail(("pathway", "valid_for_months"), "expected a whole number of months >= 1")
    for key in ("issuer_url", "base_url", "image"):
        if info.get(key) is not None and not re.match(r"^https?://\S+$", str(info[key])):
            raise fail(("pathway", key), "expected an http(s) URL")
    if not (info.get("base_url") or info.get("issuer_url")):
        raise fail(("pathway",), "give base_url or issuer_url (where the achievements live)")
    base = str(info.get("base_url") or info.get("issuer_url")).rstrip("/")

    def node(value: Any, where: tuple) -> Requirement:
        if not isinstance(value, dict) or not value:
            raise fail(where, "expected all_of, any_of, n_of or a credential")
        if "credential" in value or "achievement" in value:
            for key in value:
                if key not in _LEAF_KEYS:
                    raise fail(where + (key,), f"unknown key (known: {', '.join(_LEAF_KEYS)})")
            if "credential" in value and "achievement" in value:
                raise fail(where, "give credential or achievement, not both")
            if "credential" in value:
                ident = value["credential"]
                if not isinstance(ident, str) or not re.match(r"^[A-Za-z0-9._-]+$", ident):
                    raise fail(where + ("credential",), "expected a credential id")
                achievement, label = f"{base}/achievements/{ident}", ident
            else:
                achievement = value["achievement"]
                if not isinstance(achievement, str) or not re.match(r"^\S+:\S+$", achievement):
                    raise fail(where + ("achievement",), "expected an achievement id (a URI)")
                label = achievement
            label = str(value.get("name") or label)
            score = value.get("min_score")
            if score is not None and (
                isinstance(score, bool) or not isinstance(score, int | float)
            ):
                raise fail(where + ("min_score",), "expected a number")
            window = value.get("within_months")
            if window is not None and (
                isinstance(window, bool) or not isinstance(window, int) or window < 1
            ):
                raise fail(where + ("within_months",), "expected a whole number of months >= 1")
            return Requirement(
                "credential",
                achievement_id=achievement,
                min_score=None if score is None else float(score),
                within_months=window,
                label=label,
            )
        if len(value) != 1:
            raise fail(where, "one of all_of, any_of, n_of per requirement")
        ((kind, body),) = value.items()
        if kind in ("all_of", "any_of"):
            if not isinstance(body, list) or not body:
                raise fail(where + (kind,), "expected a non-empty list")
            children = tuple(node(v, where + (kind, i)) for i, v in enumerate(body))
            n = len(children) if kind == "all_of" else 1
            return Requirement(kind, n=n, children=children)
        if kind == "n_of":
            if not isinstance(body, dict) or set(body) != {"n", "of"}:
                raise fail(where + (kind,), "expected {n: <count>, of: [...]}")
            if not isinstance(body["of"], list) or not body["of"]:
                raise fail(where + (kind, "of"), "expected a non-empty list")
            children = tuple(node(v, where + (kind, "of", i)) for i, v in enumerate(body["of"]))
            n = body["n"]
            if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= len(children):
                raise fail(
                    where + (kind, "n"), f"expected a whole number from 1 to {len(children)}"
                )
            return Requirement(kind, n=n, children=children)
        raise fail(where + (kind,), "unknown requirement (all_of, any_of, n_of, credential)")

    requirement = node(data["requires"], ("requires",))
    return Pathway(info["id"], info["title"], requirement, file.resolve(), dict(info))


@dataclass(frozen=True)
class LeafResult:
    """How one required credential stands.

    Attributes
    ----------
    requirement : str
        The requirement in words.
    status : str
        ``held``, ``missing``, ``expired``, ``revoked``, ``suspended``, ``below-minimum``,
        ``outside-window``, ``not-the-holder`` or ``invalid``.
    credential_id : str
        The credential that meets it (held) or the closest one presented ('' when missing).
    reason : str
    """

    requirement: str
    achievement_id: str
    status: str
    credential_id: str = ""
    reason: str = ""

    @property
    def met(self) -> bool:
        return self.status == "held"


@dataclass(frozen=True)
class PathwayCheck:
    """Whether a holder's credentials complete a pathway, and what is missing."""

    pathway_id: str
    complete: bool
    leaves: tuple[LeafResult, ...]
    missing: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "pathway": self.pathway_id,
            "complete": self.complete,
            "requirements": [
                {
                    "requirement": leaf.requirement,
                    "achievement": leaf.achievement_id,
                    "status": leaf.status,
                    "credential_id": leaf.credential_id,
                    "reason": leaf.reason,
                }
                for leaf in self.leaves
            ],
            "missing": list(self.missing),
        }


_RANK = {
    "held": 0,
    "below-minimum": 1,
    "outside-window": 2,
    "suspended": 3,
    "expired": 4,
    "revoked": 5,
    "not-the-holder": 6,
    "invalid": 7,
}


def _subject(credential: dict[str, Any]) -> dict[str, Any]:
    subject = credential.get("credentialSubject")
    return subject if isinstance(subject, dict) else {}


def _achievement_of(credential: dict[str, Any]) -> str:
    achievement = _subject(credential).get("achievement")
    return str(achievement.get("id", "")) if isinstance(achievement, dict) else ""


def _score_of(credential: dict[str, Any]) -> float | None:
    for result in _subject(credential).get("result") or []:
        try:
            return float(result.get("value"))
        except (TypeError, ValueError, AttributeError):
            continue
    return None


def is_holder(credential: dict[str, Any], *, email: str = "", did: str = "") -> bool:
    """Whether the credential's subject is the person with ``email`` or ``did``."""
    subject = _subject(credential)
    if did and subject.get("id") == did:
        return True
    if email:
        return any(
            isinstance(i, dict) and email_matches(i, email) for i in subject.get("identifier") or []
        )
    return False


def _leaf(
    req: Requirement,
    presented: list[Verification],
    today: date,
    email: str,
    did: str,
) -> LeafResult:
    best: LeafResult | None = None
    text = req.describe()
    for check in presented:
        cred = check.credential or {}
        if _achievement_of(cred) != req.achievement_id:
            continue
        cid = check.credential_id
        if check.verdict in ("expired", "revoked", "suspended"):
            result = LeafResult(text, req.achievement_id, check.verdict, cid, check.reason)
        elif not check.valid:
            result = LeafResult(text, req.achievement_id, "invalid", cid, check.reason)
        elif (email or did) and not is_holder(cred, email=email, did=did):
            result = LeafResult(
                text, req.achievement_id, "not-the-holder", cid, "issued to someone else"
            )
        else:
            score = _score_of(cred)
            start = str(cred.get("validFrom", ""))[:10]
            if req.min_score is not None and (score is None or score < req.min_score):
                result = LeafResult(
                    text,
                    req.achievement_id,
                    "below-minimum",
                    cid,
                    f"score {score if score is not None else 'none'} < {req.min_score:g}",
                )
            elif req.within_months is not None and (
                not start or add_months(date.fromisoformat(start), req.within_months) < today
            ):
                result = LeafResult(
                    text,
                    req.achievement_id,
                    "outside-window",
                    cid,
                    f"earned {start}, more than {req.within_months} months ago",
                )
            else:
                result = LeafResult(text, req.achievement_id, "held", cid, "")
        if best is None or _RANK[result.status] < _RANK[best.status]:
            best = result
    return best or LeafResult(text, req.achievement_id, "missing", "", "not presented")


def _evaluate(req: Requirement, results: dict[int, LeafResult]) -> tuple[bool, list[str]]:
    if req.kind == "credential":
        leaf = results[id(req)]
        if leaf.met:
            return True, []
        why = leaf.status if leaf.status == "missing" else f"{leaf.status}: {leaf.reason}"
        return False, [f"{req.describe()} [{why}]"]
    outcomes = [_evaluate(child, results) for child in req.children]
    met = sum(ok for ok, _ in outcomes)
    if met >= req.n:
        return True, []
    if req.kind == "all_of":
        return False, [m for ok, missing in outcomes if not ok for m in missing]
    options = [m for ok, missing in outcomes if not ok for m in missing]
    return False, [f"{req.n - met} more of: " + "; ".join(options)]


def check_pathway(
    pathway: Pathway,
    presented: list[Verification],
    *,
    today: date | None = None,
    email: str = "",
    did: str = "",
) -> PathwayCheck:
    """Whether verified credentials complete ``pathway``.

    Parameters
    ----------
    pathway : Pathway
    presented : list of Verification
        The holder's credentials, already verified (:func:`~.verify.verify_file`).
    today : date, optional
        The day the windows are measured to (default: today, UTC).
    email, did : str
        The holder; when given, credentials issued to someone else do not count.
    """
    day = today or datetime.now(UTC).date()
    leaves = pathway.requirement.leaves()
    results = {id(leaf): _leaf(leaf, presented, day, email, did) for leaf in leaves}
    complete, missing = _evaluate(pathway.requirement, results)
    return PathwayCheck(
        pathway.id, complete, tuple(results[id(leaf)] for leaf in leaves), tuple(missing)
    )
