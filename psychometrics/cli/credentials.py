"""Open Badges 3.0: ``credkit keys``, ``credkit badge``, ``credkit issue``, ``credkit verify``,
``credkit revoke`` / ``suspend`` / ``reinstate`` and ``credkit pathway``: thin commands over
psychometrics.credentials."""

from __future__ import annotations

import json
import math
import sys
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import click

from psychometrics.cli._common import UserError, echo_json, parse_date_option
from psychometrics.errors import InputError

_STATUS_LIST = click.option(
    "--status-list",
    "status_lists",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="A local copy of a status list credential (repeatable). Lists named status-list.json "
    "or status-list.jwt next to a credential, or one or two folders above it, are found anyway.",
)
_DID_DOCUMENT = click.option(
    "--did-document",
    "did_documents",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="An issuer's did.json, to resolve a did:web issuer offline (repeatable).",
)
_AT = click.option(
    "--at",
    "at",
    default=None,
    metavar="YYYY-MM-DD",
    help="Check validity dates and windows on this day (default: now).",
)
_CUT = click.option(
    "--cut",
    type=float,
    default=None,
    help="The cut on the reporting scale. Default: the badge folder's achievement.json, else "
    "the spec's theta cut on its scale, else the validity report's decision.json "
    "(reports/<credential id>/, written by credkit build).",
)
_REPORT_URL = click.option(
    "--report-url",
    default=None,
    help="Where the validity report is published "
    "(default <base_url>/reports/<credential id>/index.html).",
)
_JSON = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON only.")
_KEY = click.option(
    "--key",
    "key_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="The issuer's private key (issuer-key.pem from `credkit keys new`; a did.json beside "
    "it gives a did:web identity).",
)


def _load_spec(spec: str):
    from psychometrics.program.spec import load_spec

    return load_spec(spec)


def _did_documents(paths: tuple[str, ...]) -> tuple[dict[str, Any], ...]:
    from psychometrics.credentials.keys import read_did_document

    return tuple(read_did_document(p) for p in paths)


def _is_file(text: str) -> bool:
    try:
        return Path(text).is_file()
    except (OSError, ValueError):  # a JWT is longer than a file name may be
        return False


def _when(at: str | None) -> datetime | None:
    day = parse_date_option(at, "--at")
    return None if day is None else datetime.combine(day, time(12, 0), tzinfo=UTC)


# ---------------------------------------------------------------------------------------------
# keys
# ---------------------------------------------------------------------------------------------


@click.group("keys")
def keys_group() -> None:
    """Issuer signing keys and identity (did:key or did:web) for Open Badges."""


@keys_group.command("new")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option(
    "--algorithm",
    type=click.Choice(["Ed25519", "RSA"], case_sensitive=False),
    default="Ed25519",
    show_default=True,
    help="Ed25519 signs both proof formats (EdDSA VC-JWT and eddsa-rdfc-2022); RSA (3072 bits) "
    "signs VC-JWT with RS256 only.",
)
@click.option(
    "--did-web",
    default=None,
    metavar="DOMAIN[:PATH]",
    help="Use did:web:DOMAIN[:PATH] (host the written did.json there); default did:key.",
)
@_JSON
def keys_new(directory: str, algorithm: str, did_web: str | None, as_json: bool) -> None:
    """Create an issuer key pair in DIRECTORY: issuer-key.pem (mode 0600) and did.json.

    The private key is never printed. An existing key is never overwritten.
    """
    from psychometrics.credentials.keys import did_web_url, generate_key, write_issuer_keys

    name = "RSA" if algorithm.lower() == "rsa" else "Ed25519"
    try:
        key = generate_key(algorithm=name, did_web=did_web)
    except ValueError as exc:
        raise UserError(f"--did-web: {exc}") from None
    key_path, did_path = write_issuer_keys(directory, key)
    info = {
        "issuer_id": key.issuer_id,
        "verification_method": key.verification_method,
        "algorithm": name,
        "private_key": str(key_path),
        "did_document": str(did_path),
    }
    if key.issuer_id.startswith("did:web:"):
        info["host_did_document_at"] = did_web_url(key.issuer_id)
    if as_json:
        echo_json(info)
        return
    click.echo(f"issuer: {key.issuer_id}")
    click.echo(f"private key: {key_path} (mode 0600; keep it secret, back it up)")
    click.echo(f"DID document: {did_path}")
    if "host_did_document_at" in info:
        click.echo(f"host the DID document at {info['host_did_document_at']}")


# ---------------------------------------------------------------------------------------------
# badge: achievement, issue, verify, status changes, bake
# ---------------------------------------------------------------------------------------------


@click.group("badge")
def badge_group() -> None:
    """Open Badges 3.0: the achievement, issuing, verifying, revoking and baking credentials."""


def _scale_cut(spec, cut: float | None, store) -> float:
    from psychometrics.credentials.achievement import scale_cut_from_spec

    if cut is not None:
        return cut
    if store is not None and store.achievement_path.is_file():
        try:
            saved = json.loads(store.achievement_path.read_text(encoding="utf-8"))
            return float(saved["resultDescription"][0]["requiredValue"])
        except (ValueError, KeyError, IndexError, TypeError):
            raise InputError(
                "cannot read the cut (resultDescription[0].requiredValue)",
                file=store.achievement_path,
            ) from None
    value = scale_cut_from_spec(spec)
    if value is None:
        value = _report_scale_cut(spec)
    if value is None:
        raise UserError(
            "--cut: give the cut on the reporting scale (the validity report's scale-score cut); "
            "the spec sets it by standard setting and no report of it was found (credkit build)"
        )
    return value


def _report_scale_cut(spec) -> float | None:
    """The reporting-scale cut that ``credkit build`` recorded in the validity report's
    decision.json, in the program's default report folder (``reports/<credential id>`` beside
    the ``specs/`` folder holding the spec), or None without one. A spec outside a ``specs/``
    folder has no program layout to look in (the working directory is never searched)."""
    from psychometrics.program.build.output import DECISION_FILE, DECISION_FORMAT, default_out_dir

    if Path(spec.path).resolve().parent.name != "specs":
        return None
    path = default_out_dir(Path(spec.path), spec.credential.id) / DECISION_FILE
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the recorded cut: {exc}", file=path) from None
    if not isinstance(record, dict) or record.get("format") != DECISION_FORMAT:
        raise InputError(f"not a {DECISION_FORMAT} file", file=path, field="format")
    value = record.get("scale_cut")
    if value is None:
        return None
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError("scale_cut must be a number", file=path, field="scale_cut")
    return float(value)


def _report_url(spec, url: str | None) -> str:
    from psychometrics.credentials.achievement import report_url

    return url or report_url(spec)


def _issuer_id(spec, key) -> str:
    issuer_id = spec.credential.issuer_id
    if key is not None:
        if issuer_id and issuer_id != key.issuer_id:
            raise InputError(
                f"credential.issuer_id is {issuer_id}, but the key's identity is {key.issuer_id}",
                file=spec.path,
                line=spec.line("credential", "issuer_id"),
                field="credential.issuer_id",
            )
        return key.issuer_id
    if not issuer_id:
        raise UserError("give --key (the issuer's key), or set credential.issuer_id in the spec")
    return issuer_id


def _need_base_url(spec) -> None:
    from psychometrics.credentials.achievement import base_url

    try:
        base_url(spec)
    except ValueError as exc:
        raise InputError(
            str(exc), file=spec.path, line=spec.line("credential"), field="credential"
        ) from None


@badge_group.command("achievement")
@click.argument("spec", type=click.Path(dir_okay=False))
@_CUT
@click.option(
    "--key",
    "key_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="The issuer's key (its DID becomes the creator's id).",
)
@_REPORT_URL
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the Achievement here (default: print it).",
)
def achievement_command(
    spec: str, cut: float | None, key_path: str | None, report_url: str | None, out: str | None
) -> None:
    """Write the Open Badges 3.0 Achievement that SPEC describes (JSON)."""
    from psychometrics.credentials.achievement import build_achievement
    from psychometrics.credentials.keys import load_issuer_key
    from psychometrics.credentials.schema import schema_errors
    from psychometrics.fileio import write_output_text

    loaded = _load_spec(spec)
    _need_base_url(loaded)
    key = load_issuer_key(key_path) if key_path else None
    achievement = build_achievement(
        loaded,
        issuer_id=_issuer_id(loaded, key),
        scale_cut=_scale_cut(loaded, cut, None),
        report_url=_report_url(loaded, report_url),
    )
    errors = schema_errors(achievement, definition="Achievement")
    if errors:  # a spec value the schema refuses
        raise InputError(f"the achievement fails the Open Badges schema: {errors[0]}", file=spec)
    text = json.dumps(achievement, indent=2, ensure_ascii=False) + "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        write_output_text(out, text, inputs=(spec,), field="--out")
        click.echo(f"wrote {out}", err=True)


@click.command("issue")
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option(
    "--results",
    required=True,
    type=click.Path(dir_okay=False),
    help="Per-candidate results CSV: candidate_id, administration_id, scale_score, "
    "passed [, completed_on, attempt, ...] (the build's results.csv).",
)
@click.option(
    "--candidates",
    required=True,
    type=click.Path(dir_okay=False),
    help="Recipients CSV: candidate_id and email and/or did.",
)
@_KEY
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="The badge folder: achievement.json, status-list.json, ledger.csv, credentials/.",
)
@click.option(
    "--administration",
    default=None,
    help="Issue for this administration only (default: every row).",
)
@click.option(
    "--candidate",
    "only",
    multiple=True,
    metavar="ID",
    help="Issue for this candidate only (repeatable; default: every passing candidate).",
)
@_CUT
@_REPORT_URL
@click.option(
    "--image",
    type=click.Path(dir_okay=False),
    default=None,
    help="An SVG image to bake each credential into (default: a plain badge).",
)
@click.option(
    "--reissue",
    is_flag=True,
    help="Issue again with new credential ids (default: a candidate already issued "
    "for the administration keeps the credential).",
)
@_JSON
def issue_command(
    spec: str,
    results: str,
    candidates: str,
    key_path: str,
    out_dir: str,
    administration: str | None,
    only: tuple[str, ...],
    cut: float | None,
    report_url: str | None,
    image: str | None,
    reissue: bool,
    as_json: bool,
) -> None:
    """Issue signed OpenBadgeCredentials to SPEC's candidates who passed.

    Each credential is written as VC-JWT (.jwt) and, with an Ed25519 key, as JSON with an
    embedded eddsa-rdfc-2022 proof (.json), and baked into an SVG badge (.svg).
    """
    from psychometrics.credentials.achievement import (
        base_url,
        build_achievement,
        issuer_profile,
        report_evidence,
    )
    from psychometrics.credentials.bake import bake_svg, default_badge_svg
    from psychometrics.credentials.issue import issue_credentials
    from psychometrics.credentials.keys import load_issuer_key
    from psychometrics.credentials.results import read_candidates, read_results
    from psychometrics.credentials.store import BadgeStore
    from psychometrics.fileio import check_can_write_in, read_user_text

    loaded = _load_spec(spec)
    _need_base_url(loaded)
    key = load_issuer_key(key_path)
    issuer_id = _issuer_id(loaded, key)
    rows = read_results(results)
    if administration is not None:
        rows = [r for r in rows if r.administration_id == administration]
        if not rows:
            raise InputError(f"no rows for administration {administration!r}", file=results)
    if only:
        unknown = sorted(set(only) - {r.candidate_id for r in rows})
        if unknown:
            raise InputError(f"no results for candidate {unknown[0]}", file=results)
        rows = [r for r in rows if r.candidate_id in set(only)]
    people = read_candidates(candidates)
    svg = read_user_text(image) if image else default_badge_svg(loaded.credential.title)
    if "<svg" not in svg:
        raise InputError("not an SVG image", file=image)
    check_can_write_in(out_dir, field="--out", include_self=True)
    store = BadgeStore(out_dir)
    url = _report_url(loaded, report_url)
    achievement = build_achievement(
        loaded, issuer_id=issuer_id, scale_cut=_scale_cut(loaded, cut, store), report_url=url
    )
    evidence = report_evidence(loaded, url)
    summary = issue_credentials(
        rows,
        candidates=people,
        key=key,
        store=store,
        achievement=achievement,
        issuer=issuer_profile(loaded, issuer_id),
        status_list_url=store.status_list_url(base_url(loaded), loaded.credential.id),
        valid_for_months=loaded.credential.valid_for_months,
        evidence=evidence,
        reissue=reissue,
        candidates_file=candidates,
    )
    store.write_json(store.achievement_path, achievement)
    for _cand, _cid, stem in summary.issued:
        stem_path = Path(stem)
        source = stem_path.with_suffix(".json")
        baked = (
            bake_svg(svg, json.loads(source.read_text(encoding="utf-8")))
            if source.is_file()
            else bake_svg(svg, stem_path.with_suffix(".jwt").read_text(encoding="utf-8").strip())
        )
        store.write_text(stem_path.with_suffix(".svg"), baked)
    if as_json:
        echo_json(
            {
                "issued": [
                    {"candidate_id": c, "credential_id": i, "file": s} for c, i, s in summary.issued
                ],
                "unchanged": [
                    {"candidate_id": c, "credential_id": i} for c, i in summary.unchanged
                ],
                "not_passed": summary.not_passed,
                "status_list": summary.status_list,
                "issuer": issuer_id,
            }
        )
        return
    click.echo(
        f"issued {len(summary.issued)} credential(s), {len(summary.unchanged)} already issued "
        f"(unchanged), {summary.not_passed} candidate(s) did not pass; issuer {issuer_id}"
    )
    click.echo(f"badge folder: {out_dir} (status list: {summary.status_list})")


@click.command("verify")
@click.argument("credentials", nargs=-1, required=True)
@_STATUS_LIST
@_DID_DOCUMENT
@_AT
@click.option("--no-status", is_flag=True, help="Do not check revocation/suspension.")
@_JSON
def verify_command(
    credentials: tuple[str, ...],
    status_lists: tuple[str, ...],
    did_documents: tuple[str, ...],
    at: str | None,
    no_status: bool,
    as_json: bool,
) -> None:
    """Verify Open Badges credentials: files (JSON, VC-JWT, baked SVG) or VC-JWT text.

    Checks the proof, the official Open Badges 3.0 JSON Schema, the validity dates, the status
    list (revoked, suspended) and that the key is the issuer's; prints a verdict and the reason
    for each. Exit status: 0 valid, 3 malformed, 4 unknown context, 5 schema, 6 wrong key,
    7 tampered, 8 not yet valid, 9 expired, 10 revoked, 11 suspended, 12 status unavailable
    (the first failure's, when several are given). Nothing is fetched from the network.
    """
    from psychometrics.credentials.vcjwt import looks_like_jwt
    from psychometrics.credentials.verify import verify_credential, verify_file

    docs = _did_documents(did_documents)
    now = _when(at)
    for path in status_lists:
        if not Path(path).is_file():
            raise InputError("status list file not found", file=path, field="--status-list")
    results = []
    for item in credentials:
        if _is_file(item):
            check = verify_file(
                item,
                status_lists=status_lists,
                did_documents=docs,
                now=now,
                check_status=not no_status,
            )
        elif looks_like_jwt(item):
            check = verify_credential(
                item,
                status_lists=status_lists,
                did_documents=docs,
                now=now,
                check_status=not no_status,
            )
            item = "(JWT)"
        else:
            raise InputError("no such file, and not a JWT", file=item)
        results.append((item, check))
    if as_json:
        echo_json([{"input": name, **check.to_dict()} for name, check in results])
    else:
        for name, check in results:
            word = "VALID" if check.valid else f"INVALID ({check.verdict})"
            click.echo(f"{name}: {word}: {check.reason}")
    failing = [check for _name, check in results if not check.valid]
    if failing:
        sys.exit(failing[0].exit_code)


def _status_command(action: str):
    @click.command(action)
    @click.argument("badges", type=click.Path(file_okay=False))
    @click.argument("credential")
    @_KEY
    @_JSON
    def command(badges: str, credential: str, key_path: str, as_json: bool) -> None:
        from psychometrics.credentials.keys import load_issuer_key
        from psychometrics.credentials.revocation import change_status
        from psychometrics.credentials.store import BadgeStore

        if not Path(badges).is_dir():
            raise InputError("badge folder not found", file=badges)
        change = change_status(
            BadgeStore(badges), credential, action, key=load_issuer_key(key_path)
        )
        if as_json:
            echo_json(change.__dict__)
        else:
            click.echo(
                f"{change.credential_id}: {change.before} -> {change.after} "
                f"(status list {change.status_list}, entry {change.status_index})"
            )

    return command


revoke_command = _status_command("revoke")
revoke_command.help = (
    "Revoke CREDENTIAL (a credential id, or a candidate id) in the badge folder BADGES.\n\n"
    "The signed status list is replaced atomically. Revocation is final."
)
suspend_command = _status_command("suspend")
suspend_command.help = (
    "Suspend CREDENTIAL (a credential id, or a candidate id) in the badge folder BADGES.\n\n"
    "The signed status list is replaced atomically; `credkit reinstate` lifts a suspension."
)
reinstate_command = _status_command("reinstate")
reinstate_command.help = (
    "Lift the suspension of CREDENTIAL (a credential id, or a candidate id) in BADGES."
)


@badge_group.command("bake")
@click.argument("credential", type=click.Path(dir_okay=False))
@click.option(
    "--image",
    type=click.Path(dir_okay=False),
    default=None,
    help="The SVG or PNG image to bake into (default: a plain badge, PNG when --out ends in .png).",
)
@click.option(
    "-o",
    "--out",
    required=True,
    type=click.Path(dir_okay=False),
    help="The baked image to write (SVG or PNG, as the image).",
)
def bake_command(credential: str, image: str | None, out: str) -> None:
    """Bake CREDENTIAL (JSON with a proof, or VC-JWT) into an SVG or PNG badge image."""
    from psychometrics.credentials.bake import (
        bake_png,
        bake_svg,
        default_badge_png,
        default_badge_svg,
        is_png,
    )
    from psychometrics.credentials.verify import load_presented
    from psychometrics.fileio import atomic_write_bytes, check_output_path, read_user_text

    read_user_text(credential)
    try:
        presented = load_presented(credential)
    except ValueError as exc:
        raise InputError(str(exc), file=credential) from None
    name = str(presented.get("name", "Open Badge")) if isinstance(presented, dict) else "Open Badge"
    if image is not None:
        try:
            picture = Path(image).read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read the image: {exc.strerror or exc}", file=image) from None
    elif out.lower().endswith(".png"):
        picture = default_badge_png()
    else:
        picture = default_badge_svg(name).encode("utf-8")
    try:
        if is_png(picture):
            baked = bake_png(picture, presented)
        else:
            baked = bake_svg(picture.decode("utf-8-sig"), presented).encode("utf-8")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(str(exc), file=image or credential) from None
    check_output_path(out, inputs=(credential, image), field="--out")
    try:
        atomic_write_bytes(out, baked)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", file=out, field="--out") from None
    click.echo(f"wrote {out}", err=True)


for _command in (issue_command, verify_command, revoke_command, suspend_command, reinstate_command):
    badge_group.add_command(_command)


# ---------------------------------------------------------------------------------------------
# pathway
# ---------------------------------------------------------------------------------------------


@click.group("pathway")
def pathway_group() -> None:
    """Stackable pathways: higher credentials earned by holding other credentials."""


def _check_pathway(pathway_file, credentials, status_lists, did_documents, at, email, did):
    from psychometrics.credentials.pathway import check_pathway, load_pathway
    from psychometrics.credentials.verify import verify_file

    pathway = load_pathway(pathway_file)
    docs = _did_documents(did_documents)
    now = _when(at)
    verified = []
    for path in credentials:
        if not Path(path).is_file():
            raise InputError("credential file not found", file=path)
        verified.append(
            (path, verify_file(path, status_lists=status_lists, did_documents=docs, now=now))
        )
    check = check_pathway(
        pathway,
        [v for _p, v in verified],
        today=(now or datetime.now(UTC)).date(),
        email=email or "",
        did=did or "",
    )
    return pathway, verified, check


_HOLDER = [
    click.option("--email", default=None, help="The holder's email (matched to hashed ids)."),
    click.option("--did", default=None, help="The holder's DID."),
]


def _holder(function):
    for option in reversed(_HOLDER):
        function = option(function)
    return function


@pathway_group.command("check")
@click.argument("pathway_file", metavar="PATHWAY", type=click.Path(dir_okay=False))
@click.argument("credentials", nargs=-1, type=click.Path(dir_okay=False))
@_holder
@_STATUS_LIST
@_DID_DOCUMENT
@_AT
@_JSON
def pathway_check(
    pathway_file: str,
    credentials: tuple[str, ...],
    email: str | None,
    did: str | None,
    status_lists: tuple[str, ...],
    did_documents: tuple[str, ...],
    at: str | None,
    as_json: bool,
) -> None:
    """Verify a holder's CREDENTIALS and say whether they complete PATHWAY, and what is missing.

    Exit status 0 when the pathway is complete, 1 when it is not.
    """
    _pathway, verified, check = _check_pathway(
        pathway_file, credentials, status_lists, did_documents, at, email, did
    )
    if as_json:
        payload = check.to_dict()
        payload["credentials"] = [{"file": p, **v.to_dict()} for p, v in verified]
        echo_json(payload)
    else:
        for path, v in verified:
            click.echo(f"{path}: {'valid' if v.valid else v.verdict}: {v.reason}")
        for leaf in check.leaves:
            mark = "met" if leaf.met else leaf.status
            extra = f" ({leaf.credential_id})" if leaf.credential_id else ""
            click.echo(f"  [{mark}] {leaf.requirement}{extra}")
        if check.complete:
            click.echo(f"pathway {check.pathway_id}: complete")
        else:
            click.echo(
                f"pathway {check.pathway_id}: incomplete; missing: {'; '.join(check.missing)}"
            )
    if not check.complete:
        sys.exit(1)


@pathway_group.command("issue")
@click.argument("pathway_file", metavar="PATHWAY", type=click.Path(dir_okay=False))
@click.argument("credentials", nargs=-1, required=True, type=click.Path(dir_okay=False))
@_holder
@click.option(
    "--candidate-id",
    default=None,
    help="The issuer's id for the holder (names the files; default: from the DID or a hash "
    "of the email).",
)
@_KEY
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="The pathway's badge folder (status list, ledger, credentials/).",
)
@_STATUS_LIST
@_DID_DOCUMENT
@click.option("--reissue", is_flag=True, help="Issue again with a new credential id.")
@_JSON
def pathway_issue(
    pathway_file: str,
    credentials: tuple[str, ...],
    email: str | None,
    did: str | None,
    candidate_id: str | None,
    key_path: str,
    out_dir: str,
    status_lists: tuple[str, ...],
    did_documents: tuple[str, ...],
    reissue: bool,
    as_json: bool,
) -> None:
    """Issue PATHWAY's stacked credential to the holder of CREDENTIALS (all must verify).

    The holder is named by --email or --did, and every credential counted must be theirs; the
    stacked credential cites them as evidence.
    """
    from psychometrics.credentials.bake import bake_svg, default_badge_svg
    from psychometrics.credentials.keys import load_issuer_key
    from psychometrics.credentials.results import Candidate
    from psychometrics.credentials.stacking import issue_stacked
    from psychometrics.credentials.store import BadgeStore

    if not email and not did:
        raise UserError("name the holder with --email or --did")
    key = load_issuer_key(key_path)
    pathway, _verified, check = _check_pathway(
        pathway_file, credentials, status_lists, did_documents, None, email, did
    )
    from psychometrics.fileio import check_can_write_in

    check_can_write_in(out_dir, field="--out", include_self=True)
    store = BadgeStore(out_dir)
    cid, stem, written = issue_stacked(
        pathway,
        check,
        key=key,
        store=store,
        holder=Candidate(candidate_id or "", email or "", did or ""),
        reissue=reissue,
    )
    if written:
        source = Path(stem).with_suffix(".json")
        payload: Any = (
            json.loads(source.read_text(encoding="utf-8"))
            if source.is_file()
            else Path(stem).with_suffix(".jwt").read_text(encoding="utf-8").strip()
        )
        store.write_text(
            Path(stem).with_suffix(".svg"), bake_svg(default_badge_svg(pathway.title), payload)
        )
    if as_json:
        echo_json({"credential_id": cid, "file": stem, "written": written})
    else:
        state = "issued" if written else "already issued (unchanged)"
        click.echo(f"{pathway.id}: {state} {cid} -> {stem}.jwt")
