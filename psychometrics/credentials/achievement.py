"""The Open Badges 3.0 ``Achievement`` and issuer ``Profile`` a credential spec describes.

The achievement states how it is earned (the exam, the standard-setting method, the cut on the
reporting scale), aligns to each learning outcome (its CASE CFItem URI when the spec gives one)
and describes the scale score as a ``ScaledScore`` result whose ``requiredValue`` is the cut.
Nothing is recomputed here: the cut comes from the spec (a theta given directly) or from the
validity report, through the caller.

References
----------
.. [1] 1EdTech, "Open Badges Specification v3.0", sections B.1.1 (Achievement), B.1.3
   (Alignment), B.1.16 (Profile), B.1.20 (ResultDescription), https://www.imsglobal.org/spec/ob/v3p0/
"""

from __future__ import annotations

import math
from typing import Any

from psychometrics.program.spec import Spec

__all__ = [
    "achievement_id",
    "build_achievement",
    "issuer_profile",
    "report_evidence",
    "report_url",
    "scale_cut_from_spec",
]

_METHOD_NAMES = {
    "angoff": "a modified-Angoff study",
    "yes-no-angoff": "a yes/no Angoff study",
    "bookmark": "a bookmark study",
    "hofstee": "the Hofstee compromise method",
    "beuk": "the Beuk compromise method",
    "contrasting-groups": "the contrasting-groups method",
    "borderline-group": "the borderline-group method",
    "borderline-regression": "the borderline-regression method",
}


def base_url(spec: Spec) -> str:
    """Where the program hosts its badge files (``credential.base_url`` or ``issuer_url``)."""
    url = spec.credential.base_url or spec.credential.issuer_url
    if not url:
        raise ValueError(
            "credential.base_url (or credential.issuer_url) is needed to name the achievement"
        )
    return url.rstrip("/")


def achievement_id(spec: Spec) -> str:
    """``<base_url>/achievements/<credential id>``: the achievement's stable URL."""
    return f"{base_url(spec)}/achievements/{spec.credential.id}"


def report_url(spec: Spec) -> str:
    """Where the validity report is published by default: ``<base_url>/reports/<id>/index.html``."""
    return f"{base_url(spec)}/reports/{spec.credential.id}/index.html"


def report_evidence(spec: Spec, url: str) -> list[dict[str, Any]]:
    """The validity report as a credential's ``evidence``."""
    return [
        {
            "id": url,
            "type": ["Evidence"],
            "name": f"Validity report: {spec.credential.title}",
            "description": "The exam's validity evidence: reliability, decision accuracy and "
            "consistency, item analysis, fairness (DIF) and the standard-setting study.",
            "genre": "Validity report",
        }
    ]


def issuer_profile(spec: Spec, issuer_id: str) -> dict[str, Any]:
    """The issuer ``Profile``: the signing identity (a DID) with the spec's name, url, email."""
    cred = spec.credential
    profile: dict[str, Any] = {"id": issuer_id, "type": ["Profile"]}
    if cred.issuer:
        profile["name"] = cred.issuer
    if cred.issuer_url:
        profile["url"] = cred.issuer_url
    if cred.issuer_email:
        profile["email"] = cred.issuer_email
    return profile


def scale_cut_from_spec(spec: Spec) -> float | None:
    """The cut on the reporting scale when the spec gives the theta cut directly (else None).

    The spec's own linear scale is applied (``round(slope * theta + intercept)`` clipped to
    ``[min, max]``); a standard-setting cut must come from the validity report instead.
    """
    cut = spec.cut_score
    if cut is None or cut.theta is None:
        return None
    if cut.scale is None:
        return float(cut.theta)
    value = cut.scale.slope * cut.theta + cut.scale.intercept
    value = round(value, cut.scale.round)
    if cut.scale.min is not None:
        value = max(value, cut.scale.min)
    if cut.scale.max is not None:
        value = min(value, cut.scale.max)
    return float(value)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _criteria(spec: Spec, cut: float, report_url: str | None) -> str:
    cs = spec.cut_score
    form = spec.form
    parts = [
        f"Earned by passing the {spec.credential.title} examination: a {form.length}-item test "
        f"covering {len(spec.outcomes)} learning outcomes, on forms assembled to one blueprint "
        "and published before administration."
    ]
    if cs is not None and cs.method:
        how = _METHOD_NAMES.get(cs.method, cs.method)
        parts.append(f"The passing standard was set by {how}")
        if cs.form:
            parts[-1] += f" on {cs.form}"
        parts[-1] += " and carried to every form through its test characteristic curve."
    elif cs is not None and cs.theta is not None:
        parts.append(f"The passing standard is theta = {cs.theta:g} (logistic IRT metric).")
    scale = cs.scale if cs is not None else None
    if scale is not None:
        parts.append(
            f"Scores are reported on a scale from {_number(scale.min or 0)} to "
            f"{_number(scale.max or 0)}; the cut is a scale score of {_number(cut)}."
            if scale.min is not None and scale.max is not None
            else f"The cut is a scale score of {_number(cut)}."
        )
    else:
        parts.append(f"The cut is a score of {_number(cut)}.")
    if report_url:
        parts.append(f"The validity evidence is published in the validity report: {report_url}")
    return " ".join(parts)


def build_achievement(
    spec: Spec,
    *,
    issuer_id: str,
    scale_cut: float,
    report_url: str | None = None,
) -> dict[str, Any]:
    """The Open Badges 3.0 ``Achievement`` of a credential spec.

    Parameters
    ----------
    spec : Spec
        The loaded credential spec.
    issuer_id : str
        The issuer's identifier (the DID that signs).
    scale_cut : float
        The cut on the reporting scale (the validity report's "scale score" cut).
    report_url : str, optional
        Where the validity report is published (named in the criteria).

    Returns
    -------
    dict
        JSON-ready ``Achievement`` (with ``creator``: the issuer Profile).
    """
    if not isinstance(scale_cut, int | float) or not math.isfinite(scale_cut):
        raise ValueError(f"scale_cut must be a finite number, got {scale_cut!r}")
    cred = spec.credential
    aid = achievement_id(spec)
    achievement: dict[str, Any] = {
        "id": aid,
        "type": ["Achievement"],
        "name": cred.title,
        "description": cred.description or cred.title,
        "criteria": {"id": f"{aid}#criteria", "narrative": _criteria(spec, scale_cut, report_url)},
        "creator": issuer_profile(spec, issuer_id),
    }
    if cred.achievement_type:
        known = {
            "Achievement", "ApprenticeshipCertificate", "Assessment", "Assignment",
            "AssociateDegree", "Award", "Badge", "BachelorDegree", "Certificate",
            "CertificateOfCompletion", "Certification", "CommunityService", "Competency",
            "Course", "CoCurricular", "Degree", "Diploma", "DoctoralDegree", "Fieldwork",
            "GeneralEducationDevelopment", "JourneymanCertificate", "LearningProgram",
            "License", "Membership", "ProfessionalDoctorate", "QualityAssuranceCredential",
            "MasterCertificate", "MasterDegree", "MicroCredential", "ResearchDoctorate",
            "SecondarySchoolDiploma",
        }  # fmt: skip
        kind = cred.achievement_type
        achievement["achievementType"] = (
            kind
            if kind in known or kind.startswith("ext:")
            else ("ext:" + "".join(ch for ch in kind if ch.isalnum() or ch in ".-_"))
        )
    if cred.version:
        achievement["version"] = cred.version
    if cred.image:
        achievement["image"] = {"id": cred.image, "type": "Image"}
    alignments = []
    for outcome in spec.outcomes:
        entry: dict[str, Any] = {
            "type": ["Alignment"],
            "targetName": outcome.title,
            "targetUrl": outcome.case_uri or f"{aid}#outcome-{outcome.id}",
            "targetCode": outcome.id,
        }
        if outcome.description:
            entry["targetDescription"] = outcome.description
        if outcome.case_uri:
            entry["targetType"] = "CFItem"
            entry["targetFramework"] = cred.title
        alignments.append(entry)
    achievement["alignment"] = alignments
    description: dict[str, Any] = {
        "id": f"{aid}#scale-score",
        "type": ["ResultDescription"],
        "name": "Scale score",
        "resultType": "ScaledScore",
        "requiredValue": _number(scale_cut),
    }
    scale = spec.cut_score.scale if spec.cut_score is not None else None
    if scale is not None and scale.min is not None:
        description["valueMin"] = _number(scale.min)
    if scale is not None and scale.max is not None:
        description["valueMax"] = _number(scale.max)
    achievement["resultDescription"] = [description]
    achievement["humanCode"] = cred.id
    return achievement
