"""Open Badges 3.0: signing against the W3C test vectors, issuance, and every way verification
must fail (each with its own verdict), checked by independent libraries where possible."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import stat
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

pytest.importorskip("pyld")

from credentials_helpers import CANDIDATES, RESULTS, write_spec

from psychometrics.credentials import dataintegrity, keys, statuslist, vcjwt
from psychometrics.credentials.achievement import (
    base_url,
    build_achievement,
    issuer_profile,
    report_evidence,
    report_url,
)
from psychometrics.credentials.bake import (
    bake_png,
    bake_svg,
    default_badge_png,
    default_badge_svg,
    extract_png,
    extract_svg,
)
from psychometrics.credentials.contexts import UnknownContextError
from psychometrics.credentials.issue import identity_object, issue_credentials
from psychometrics.credentials.results import read_candidates, read_results
from psychometrics.credentials.revocation import change_status
from psychometrics.credentials.schema import schema_errors
from psychometrics.credentials.store import BadgeStore
from psychometrics.credentials.verify import EXIT_CODES, verify_credential, verify_file
from psychometrics.errors import InputError
from psychometrics.program.spec import load_spec

VECTORS = Path(__file__).parent / "data" / "credentials" / "w3c-vc-di-eddsa"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


# --------------------------------------------------------------------------------------------
# W3C vc-di-eddsa test vector (eddsa-rdfc-2022), byte for byte
# --------------------------------------------------------------------------------------------


def _vector(name: str) -> str:
    return (VECTORS / name).read_text(encoding="utf-8")


def test_eddsa_rdfc_2022_reproduces_the_w3c_test_vector():
    pair = json.loads(_vector("keyPair.json"))
    signed = json.loads(_vector("signedDataInt.json"))
    unsigned = {k: v for k, v in signed.items() if k != "proof"}
    key = keys.issuer_from_private(keys.ed25519_from_multibase(pair["privateKeyMultibase"]))
    assert key.public.multibase() == pair["publicKeyMultibase"]
    assert key.verification_method == signed["proof"]["verificationMethod"]

    assert dataintegrity.canonicalize(unsigned) == _vector("canonDocDataInt.txt")
    config = {k: v for k, v in signed["proof"].items() if k != "proofValue"}
    config["@context"] = unsigned["@context"]
    assert dataintegrity.canonicalize(config) == _vector("proofCanonDataInt.txt")
    data = dataintegrity.hash_data(unsigned, config)
    assert data[:32].hex() == _vector("proofHashDataInt.txt").strip()
    assert data[32:].hex() == _vector("docHashDataInt.txt").strip()
    assert data.hex() == _vector("combinedHashDataInt.txt").strip()

    created = datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC)
    ours = dataintegrity.sign(unsigned, key, created=created)
    assert ours["proof"]["proofValue"] == _vector("sigBTC58DataInt.txt").strip()
    assert ours == signed
    assert dataintegrity.check_proof(signed, key.public).valid
    other = keys.generate_key()
    assert not dataintegrity.check_proof(signed, other.public).valid


def test_contexts_are_never_fetched():
    doc = {"@context": ["https://example.com/unknown/v1"], "name": "x"}
    with pytest.raises(UnknownContextError, match="never fetches"):
        dataintegrity.canonicalize(doc)


# --------------------------------------------------------------------------------------------
# Status list encoding (W3C Bitstring Status List v1.0)
# --------------------------------------------------------------------------------------------


def test_status_list_matches_the_w3c_example_and_bit_order():
    # the spec's example of an empty 16 KiB list (Bitstring Status List v1.0, example 2)
    published = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"
    assert statuslist.decode_list(published) == bytes(16384)
    bits = statuslist.set_status(statuslist.empty_list(), 0, 1, size=1)
    assert bits[0] == 0x80  # index 0 is the left-most bit of the first byte
    bits = statuslist.set_status(statuslist.empty_list(), 5, statuslist.REVOKED)
    assert bits[1] == 0b0010_0000  # entry 5 of 2-bit entries: bits 10..11 (MSB first) = 0b10
    assert statuslist.get_status(bits, 5) == statuslist.REVOKED
    assert statuslist.decode_list(statuslist.encode_list(bits)) == bits
    with pytest.raises(IndexError):
        statuslist.get_status(bits, 65536)


# --------------------------------------------------------------------------------------------
# Issuance
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def issued(tmp_path_factory):
    folder = tmp_path_factory.mktemp("badges")
    spec = load_spec(write_spec(folder))
    (folder / "results.csv").write_text(RESULTS, encoding="utf-8")
    (folder / "candidates.csv").write_text(CANDIDATES, encoding="utf-8")
    key = keys.generate_key()
    store = BadgeStore(folder / "out")
    achievement = build_achievement(spec, issuer_id=key.issuer_id, scale_cut=480)
    args = dict(
        candidates=read_candidates(folder / "candidates.csv"),
        key=key,
        store=store,
        achievement=achievement,
        issuer=issuer_profile(spec, key.issuer_id),
        status_list_url=store.status_list_url(base_url(spec), spec.credential.id),
        valid_for_months=36,
        evidence=report_evidence(spec, report_url(spec)),
    )
    rows = read_results(folder / "results.csv")
    summary = issue_credentials(rows, **args)
    return {"folder": folder, "spec": spec, "key": key, "store": store, "summary": summary,
            "args": args, "rows": rows, "achievement": achievement}  # fmt: skip


def _file(issued, candidate: str, suffix: str) -> Path:
    return issued["store"].credential_stem(candidate, "2026-w1").with_suffix(suffix)


def _load(issued, candidate: str) -> dict:
    return json.loads(_file(issued, candidate, ".json").read_text(encoding="utf-8"))


def test_achievement_has_the_cut_alignments_and_validates(issued):
    achievement = issued["achievement"]
    assert schema_errors(achievement, definition="Achievement") == []
    assert achievement["achievementType"] == "MicroCredential"
    (description,) = achievement["resultDescription"]
    assert description["resultType"] == "ScaledScore"
    assert description["requiredValue"] == "480"
    assert (description["valueMin"], description["valueMax"]) == ("200", "800")
    assert [a["targetCode"] for a in achievement["alignment"]] == [
        o.id for o in issued["spec"].outcomes
    ]
    assert "modified-Angoff" in achievement["criteria"]["narrative"]
    assert "480" in achievement["criteria"]["narrative"]
    assert achievement["creator"]["email"] == "registrar@example.org"


def test_only_passing_candidates_get_credentials(issued):
    summary = issued["summary"]
    assert sorted(c for c, _i, _s in summary.issued) == ["C001", "C003", "C004"]
    assert summary.not_passed == 1
    assert not _file(issued, "C002", ".jwt").exists()


def test_every_issued_credential_validates_against_the_official_schema(issued):
    for candidate in ("C001", "C003", "C004"):
        credential = _load(issued, candidate)
        assert schema_errors(credential) == [], candidate
        token = _file(issued, candidate, ".jwt").read_text().strip()
        payload = vcjwt.jwt_payload_unverified(token)
        body = {k: v for k, v in payload.items() if k not in ("iss", "jti", "nbf", "exp", "sub")}
        assert schema_errors(body) == [], candidate


def test_credential_content(issued):
    credential = _load(issued, "C001")
    subject = credential["credentialSubject"]
    assert credential["validFrom"] == "2026-11-24T00:00:00Z"
    assert credential["validUntil"] == "2029-11-24T00:00:00Z"
    assert subject["result"][0]["value"] == "518"
    (identity,) = subject["identifier"]
    # recomputed here from the OB 3.0 definition: sha256$hex(sha256(email + salt))
    expected = hashlib.sha256(("ann.lee@example.org" + identity["salt"]).encode()).hexdigest()
    assert identity["identityHash"] == f"sha256${expected}"
    assert "ann.lee" not in json.dumps(credential).lower()
    assert _load(issued, "C004")["credentialSubject"]["id"] == "did:example:c004"
    assert credential["credentialStatus"]["type"] == "BitstringStatusListEntry"
    assert credential["evidence"][0]["id"].endswith(
        "/reports/data-analytics-fundamentals/index.html"
    )
    assert credential["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"


def test_round_trip_verifies_both_formats(issued):
    for suffix in (".json", ".jwt"):
        check = verify_file(_file(issued, "C001", suffix), now=NOW)
        assert check.verdict == "valid", check.reason
    token = _file(issued, "C001", ".jwt").read_text().strip()
    assert verify_credential(
        token, now=NOW, status_lists=(issued["store"].folder / "status-list.json",)
    ).valid


def test_issuance_is_idempotent_unless_asked(issued):
    before = {c: i for c, i, _s in issued["summary"].issued}
    content = _file(issued, "C001", ".json").read_bytes()
    again = issue_credentials(issued["rows"], **issued["args"])
    assert again.issued == ()
    assert dict(again.unchanged) == before
    assert _file(issued, "C001", ".json").read_bytes() == content
    rows = [r for r in issued["rows"] if r.candidate_id == "C004"]
    fresh = issue_credentials(rows, **issued["args"], reissue=True)
    assert fresh.issued[0][1] != before["C004"]
    ledger = issued["store"].read_ledger()
    assert [e.candidate_id for e in ledger].count("C004") == 2
    assert len({e.status_index for e in ledger}) == len(ledger)


def test_independent_libraries_accept_the_credentials(issued):
    jwt = pytest.importorskip("jwt")  # PyJWT
    nacl = pytest.importorskip("nacl.signing")
    from pyld import jsonld

    from psychometrics.credentials.contexts import document_loader

    key = issued["key"]
    token = _file(issued, "C001", ".jwt").read_text().strip()
    claims = jwt.decode(token, key.public.key, algorithms=["EdDSA"], options={"verify_exp": False})
    assert claims["jti"] == _load(issued, "C001")["id"]
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, keys.generate_key().public.key, algorithms=["EdDSA"])

    # eddsa-rdfc-2022 recomputed from the spec text with pyld, hashlib and PyNaCl
    credential = _load(issued, "C001")
    (proof,) = credential["proof"]
    unsecured = {k: v for k, v in credential.items() if k != "proof"}
    config = {k: v for k, v in proof.items() if k != "proofValue"} | {
        "@context": unsecured["@context"]
    }
    options = {
        "algorithm": "URDNA2015",
        "format": "application/n-quads",
        "documentLoader": document_loader,
    }
    message = (
        hashlib.sha256(jsonld.normalize(config, options).encode()).digest()
        + hashlib.sha256(jsonld.normalize(unsecured, options).encode()).digest()
    )
    import base58

    signature = base58.b58decode(proof["proofValue"][1:])
    raw = keys.multibase_decode(proof["verificationMethod"].split("#")[1])[2:]
    nacl.VerifyKey(raw).verify(message, signature)  # raises BadSignatureError when wrong


# --------------------------------------------------------------------------------------------
# Each failure has its own verdict
# --------------------------------------------------------------------------------------------


def _resign(issued, credential: dict, key) -> dict:
    unsigned = {k: v for k, v in credential.items() if k != "proof"}
    signed = dataintegrity.sign(unsigned, key)
    signed["proof"] = [signed["proof"]]
    return signed


def test_one_changed_byte_is_tampered(issued, tmp_path):
    text = _file(issued, "C001", ".json").read_text()
    changed = text.replace('"value": "518"', '"value": "519"')
    assert changed != text
    path = tmp_path / "c.json"
    path.write_text(changed)
    check = verify_file(path, now=NOW, status_lists=(issued["store"].folder / "status-list.json",))
    assert (check.verdict, check.exit_code) == ("tampered", EXIT_CODES["tampered"])
    token = _file(issued, "C001", ".jwt").read_text().strip()
    head, body, sig = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    at = raw.index(b'"518"') + 3
    raw[at] = ord("9")
    forged = ".".join((head, base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("="), sig))
    assert verify_credential(forged, now=NOW).verdict == "tampered"


def test_a_swapped_key_fails(issued):
    credential = _load(issued, "C001")
    other = keys.generate_key()
    resigned = _resign(issued, credential, other)  # another key, same issuer claimed
    check = verify_credential(resigned, now=NOW)
    assert check.verdict == "wrong-key"
    assert "not a key of the issuer" in check.reason
    # the issuer's key named, but the signature made by another key
    forged = copy.deepcopy(credential)
    forged["proof"][0]["proofValue"] = resigned["proof"][0]["proofValue"]
    assert verify_credential(forged, now=NOW).verdict == "tampered"
    token = vcjwt.sign_jwt(credential, keys.issuer_from_private(other.private))
    assert verify_credential(token, now=NOW).verdict == "wrong-key"


def test_expired_and_not_yet_valid(issued):
    old = verify_file(_file(issued, "C003", ".json"), now=NOW)
    assert old.verdict == "expired" and "2023-01-10" in old.reason
    early = datetime(2026, 11, 1, tzinfo=UTC)
    assert verify_file(_file(issued, "C001", ".jwt"), now=early).verdict == "not-yet-valid"


def test_unknown_context_fails(issued):
    credential = _load(issued, "C001")
    credential["@context"].append("https://evil.example/context.jsonld")
    check = verify_credential(credential, now=NOW)
    assert check.verdict == "unknown-context"
    assert "evil.example" in check.reason


def test_schema_violation_fails(issued):
    credential = _load(issued, "C001")
    del credential["credentialSubject"]["achievement"]
    check = verify_credential(credential, now=NOW)
    assert check.verdict == "schema" and "achievement" in check.reason


def test_revoked_and_suspended_each_fail(tmp_path, issued):
    store = BadgeStore(tmp_path / "out")
    args = dict(issued["args"], store=store)
    issue_credentials(issued["rows"], **args)
    c1 = store.credential_stem("C001", "2026-w1")
    c4 = store.credential_stem("C004", "2026-w1")
    change_status(store, "C001", "revoke", key=issued["key"])
    change_status(store, "C004", "suspend", key=issued["key"])
    for suffix in (".json", ".jwt"):
        assert verify_file(c1.with_suffix(suffix), now=NOW).verdict == "revoked"
        assert verify_file(c4.with_suffix(suffix), now=NOW).verdict == "suspended"
    assert EXIT_CODES["revoked"] != EXIT_CODES["suspended"]
    with pytest.raises(InputError, match="revocation is final"):
        change_status(store, "C001", "reinstate", key=issued["key"])
    change_status(store, "C004", "reinstate", key=issued["key"])
    assert verify_file(c4.with_suffix(".json"), now=NOW).verdict == "valid"
    # the status list is itself signed: a forged list is refused
    path = store.folder / "status-list.json"
    doc = json.loads(path.read_text())
    doc["credentialSubject"]["encodedList"] = statuslist.encode_list(statuslist.empty_list())
    path.write_text(json.dumps(doc))
    check = verify_file(c1.with_suffix(".json"), now=NOW)
    assert check.verdict == "status-unavailable" and "signature" in check.reason
    with pytest.raises(InputError, match="not by this key"):
        change_status(store, "C004", "suspend", key=keys.generate_key())


def test_status_list_missing_is_its_own_verdict(issued, tmp_path):
    path = tmp_path / "alone.json"
    path.write_bytes(_file(issued, "C001", ".json").read_bytes())
    check = verify_file(path, now=NOW)
    assert check.verdict == "status-unavailable" and "--status-list" in check.reason
    assert verify_file(path, now=NOW, check_status=False).valid


def test_all_verdicts_have_distinct_exit_codes():
    codes = list(EXIT_CODES.values())
    assert len(set(codes)) == len(codes)
    assert EXIT_CODES["valid"] == 0 and all(c not in (1, 2) for c in codes)


# --------------------------------------------------------------------------------------------
# Keys, did:web, RSA
# --------------------------------------------------------------------------------------------


def test_private_key_is_0600_and_never_overwritten(tmp_path):
    key = keys.generate_key()
    key_path, did_path = keys.write_issuer_keys(tmp_path, key)
    assert stat.S_IMODE(os.stat(key_path).st_mode) == 0o600
    assert "PRIVATE" not in did_path.read_text()
    assert "private" not in repr(key).lower() or "private=" not in repr(key)
    loaded = keys.load_issuer_key(key_path)
    assert loaded.issuer_id == key.issuer_id
    with pytest.raises(InputError, match="never overwritten"):
        keys.write_issuer_keys(tmp_path, keys.generate_key())


def test_did_web_issuer_needs_its_did_document(tmp_path, issued):
    key = keys.generate_key(did_web="badges.example.org:issuers:osc")
    assert keys.did_web_url(key.issuer_id) == "https://badges.example.org/issuers/osc/did.json"
    credential = _load(issued, "C001")
    credential["issuer"] = dict(credential["issuer"], id=key.issuer_id)
    credential["credentialSubject"]["achievement"]["creator"]["id"] = key.issuer_id
    signed = _resign(issued, credential, key)
    check = verify_credential(signed, now=NOW, check_status=False)
    assert check.verdict == "wrong-key" and "did.json" in check.reason
    check = verify_credential(
        signed, now=NOW, check_status=False, did_documents=(key.did_document(),)
    )
    assert check.valid, check.reason


def test_rsa_issuer_signs_rs256_checked_by_pyjwt(issued):
    jwt = pytest.importorskip("jwt")
    key = keys.generate_key(algorithm="RSA")
    credential = {k: v for k, v in _load(issued, "C001").items() if k != "proof"}
    credential["issuer"] = dict(credential["issuer"], id=key.issuer_id)
    token = vcjwt.sign_jwt(credential, key)
    assert vcjwt.jwt_header(token)["alg"] == "RS256"
    assert jwt.decode(token, key.public.key, algorithms=["RS256"])["iss"] == key.issuer_id
    assert verify_credential(token, now=NOW, check_status=False).valid
    with pytest.raises(ValueError, match="Ed25519"):
        dataintegrity.sign(credential, key)


# --------------------------------------------------------------------------------------------
# Baking
# --------------------------------------------------------------------------------------------


def test_baked_svg_round_trip(issued, tmp_path):
    credential = _load(issued, "C001")
    token = _file(issued, "C001", ".jwt").read_text().strip()
    svg = default_badge_svg("Data Analytics Fundamentals")
    for payload in (credential, token):
        baked = bake_svg(svg, payload)
        assert 'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"' in baked
        extracted = extract_svg(baked)
        assert (json.loads(extracted) if isinstance(payload, dict) else extracted) == payload
        path = tmp_path / "badge.svg"
        path.write_text(baked)
        status = (issued["store"].folder / "status-list.json",)
        assert verify_file(path, now=NOW, status_lists=status).valid
        with pytest.raises(ValueError, match="already carries"):
            bake_svg(baked, payload)
    assert _file(issued, "C001", ".json").exists()


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("candidate_id,administration_id,passed\nC1,w1,true\n", "missing column(s) scale_score"),
        ("candidate_id,administration_id,scale_score,passed\nC1,w1,500,maybe\n", ":2: passed"),
        ("candidate_id,administration_id,scale_score,passed\nC1,w1,high,true\n", ":2: scale_score"),
        (
            "candidate_id,administration_id,scale_score,passed,completed_on\nC1,w1,5,true,2026-13-01\n",
            ":2: completed_on",
        ),
        (
            "candidate_id,administration_id,scale_score,passed\nC1,w1,5,true\nC1,w1,6,true\n",
            "appears twice",
        ),
    ],
)
def test_bad_results_name_file_line_and_field(tmp_path, text, message):
    path = tmp_path / "results.csv"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        read_results(path)
    assert message in str(info.value) and str(path) in str(info.value)


def test_bad_candidates_are_refused(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("candidate_id,email\nC1,not-an-email\n")
    with pytest.raises(InputError, match=":2: email: not an email"):
        read_candidates(path)
    path.write_text("candidate_id,name\nC1,x\n")
    with pytest.raises(InputError, match="'email' or a 'did'"):
        read_candidates(path)


def test_identity_hash_is_salted():
    a, b = identity_object("x@example.org"), identity_object("x@example.org")
    assert a["identityHash"] != b["identityHash"] and a["salt"] != b["salt"]
    fixed = identity_object(" X@Example.org ", salt="abc")
    assert fixed["identityHash"] == "sha256$" + hashlib.sha256(b"x@example.orgabc").hexdigest()


def test_spec_issuer_fields_are_validated(tmp_path):
    from psychometrics.program.spec import check_spec

    bad = write_spec(tmp_path, extra="  issuer_email: nobody\n  image: ftp://x\n")
    text = bad.read_text().replace("  issuer_email: registrar@example.org\n", "")
    text = text.replace("    title: Data and measurement\n",
                        "    title: Data and measurement\n    case_uri: not a uri\n")  # fmt: skip
    bad.write_text(text)
    messages = [p.message for p in check_spec(bad) if p.severity == "error"]
    assert any("issuer_email: expected an email" in m for m in messages)
    assert any("image: expected an http(s) URL" in m for m in messages)
    assert any("case_uri: expected a URI" in m for m in messages)
    good = load_spec(write_spec(tmp_path, valid_for_months=24))
    assert good.credential.valid_for_months == 24
    assert good.credential.issuer_url == "https://credentials.example.org"
    assert date(2026, 1, 1)  # the module imports date for NOW's sake


def test_rsa_did_web_document_resolves_its_jwk():
    key = keys.generate_key(algorithm="RSA", did_web="rsa.example.org")
    document = key.did_document()
    assert document["verificationMethod"][0]["publicKeyJwk"]["kty"] == "RSA"
    resolved = keys.public_key_from_did(key.verification_method, did_documents=(document,))
    assert resolved is not None and resolved.raw() == key.public.raw()
    assert (
        keys.public_key_from_did("did:web:other.example.org#key-1", did_documents=(document,))
        is None
    )


def test_a_proof_for_another_purpose_is_refused(issued):
    credential = _load(issued, "C001")
    unsigned = {k: v for k, v in credential.items() if k != "proof"}
    signed = dataintegrity.sign(unsigned, issued["key"], proof_purpose="authentication")
    signed["proof"] = [signed["proof"]]  # the OB 3.0 schema wants a list
    check = verify_credential(signed, now=NOW, check_status=False)
    assert check.verdict == "wrong-key" and "assertionMethod" in check.reason


def test_a_jwt_signed_by_another_library_with_an_embedded_jwk_and_a_vc_claim(issued):
    """PyJWT signs (not credkit), in the VC Data Model 1.1 style some issuers use: the key as a
    ``jwk`` header and the credential in a ``vc`` claim."""
    jwt = pytest.importorskip("jwt")
    key = keys.generate_key()
    credential = {
        k: v for k, v in _load(issued, "C001").items() if k not in ("proof", "credentialStatus")
    }
    credential["issuer"] = dict(credential["issuer"], id=key.issuer_id)
    claims = {"vc": credential, "iss": key.issuer_id, "jti": credential["id"]}
    token = jwt.encode(claims, key.private, algorithm="EdDSA", headers={"jwk": key.public.jwk()})
    assert verify_credential(token, now=NOW).valid
    stranger = keys.generate_key()
    token = jwt.encode(
        claims, stranger.private, algorithm="EdDSA", headers={"jwk": stranger.public.jwk()}
    )
    check = verify_credential(token, now=NOW)
    assert check.verdict == "wrong-key" and "embedded key" in check.reason
    garbled = _file(issued, "C001", ".jwt").read_text().strip()
    head, body, sig = garbled.split(".")
    assert verify_credential(f"{head}.{body[:40]}!{body[41:]}.{sig}", now=NOW).verdict == "tampered"


def test_case_uris_become_cfitem_alignments(tmp_path):
    path = write_spec(tmp_path)
    uri = "https://case.example.org/uri/2b3c4d5e-0000-4000-8000-000000000001"
    path.write_text(
        path.read_text().replace(
            "    title: Data and measurement\n",
            f"    title: Data and measurement\n    case_uri: {uri}\n",
        )
    )
    spec = load_spec(path)
    assert spec.outcomes[0].case_uri == uri
    achievement = build_achievement(spec, issuer_id="did:example:issuer", scale_cut=482.5)
    first, second = achievement["alignment"][:2]
    assert (first["targetUrl"], first["targetType"], first["targetCode"]) == (uri, "CFItem", "DA1")
    assert "targetType" not in second and second["targetUrl"].endswith("#outcome-DA2")
    assert achievement["resultDescription"][0]["requiredValue"] == "482.5"
    assert schema_errors(achievement, definition="Achievement") == []


def test_baked_png_round_trip(issued, tmp_path):
    credential = _load(issued, "C001")
    token = _file(issued, "C001", ".jwt").read_text().strip()
    status = (issued["store"].folder / "status-list.json",)
    for payload in (credential, token):
        baked = bake_png(default_badge_png(), payload)
        extracted = extract_png(baked)
        assert (json.loads(extracted) if isinstance(payload, dict) else extracted) == payload
        path = tmp_path / "badge.png"
        path.write_bytes(baked)
        assert verify_file(path, now=NOW, status_lists=status).valid
        with pytest.raises(ValueError, match="already carries"):
            bake_png(baked, payload)
    broken = bytearray(baked)
    broken[-20] ^= 0xFF  # inside the credential chunk: its CRC no longer matches
    path.write_bytes(bytes(broken))
    check = verify_file(path, now=NOW, status_lists=status)
    assert check.verdict == "malformed" and "CRC" in check.reason


def test_png_baking_is_read_by_pillow(issued):
    image = pytest.importorskip("PIL.Image")
    import io

    token = _file(issued, "C001", ".jwt").read_text().strip()
    picture = image.open(io.BytesIO(bake_png(default_badge_png(), token)))
    picture.load()
    assert picture.size == (64, 64)
    assert picture.text["openbadgecredential"] == token
