"""Stackable pathways: every combination of held, missing, expired and revoked credentials,
against an oracle written from the requirement's definition; the stacked credential."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

pytest.importorskip("pyld")

from psychometrics.credentials import keys
from psychometrics.credentials.issue import issue_credentials
from psychometrics.credentials.pathway import check_pathway, load_pathway
from psychometrics.credentials.results import Candidate, ResultRow
from psychometrics.credentials.revocation import change_status
from psychometrics.credentials.schema import schema_errors
from psychometrics.credentials.stacking import issue_stacked
from psychometrics.credentials.store import BadgeStore
from psychometrics.credentials.verify import verify_file
from psychometrics.errors import InputError

BASE = "https://credentials.example.org"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
STATES = ("held", "missing", "expired", "revoked")
NAMES = ("alpha", "beta", "gamma")
HOLDER = "holder@example.org"


def _achievement(name: str, issuer_id: str) -> dict:
    aid = f"{BASE}/achievements/{name}"
    return {
        "id": aid,
        "type": ["Achievement"],
        "name": name.title(),
        "description": f"The {name} credential.",
        "criteria": {"narrative": "Pass the exam."},
        "resultDescription": [
            {"id": f"{aid}#scale-score", "type": ["ResultDescription"], "name": "Scale score",
             "resultType": "ScaledScore", "requiredValue": "480"}
        ],
    }  # fmt: skip


@pytest.fixture(scope="module")
def held(tmp_path_factory):
    """For each achievement, a verified credential in each state (held, expired, revoked)."""
    root = tmp_path_factory.mktemp("pathway")
    key = keys.generate_key()
    issuer = {"id": key.issuer_id, "type": ["Profile"], "name": "Board"}
    people = {
        "h-held": Candidate("h-held", HOLDER),
        "h-expired": Candidate("h-expired", HOLDER),
        "h-revoked": Candidate("h-revoked", HOLDER),
        "other": Candidate("other", "someone.else@example.org"),
    }
    out: dict[tuple[str, str], object] = {}
    for name in NAMES:
        store = BadgeStore(root / name)
        rows = [
            ResultRow("h-held", "w1", 530.0, True, date(2026, 6, 1), 1, 2),
            ResultRow("h-expired", "w1", 530.0, True, date(2020, 6, 1), 1, 3),
            ResultRow("h-revoked", "w1", 530.0, True, date(2026, 6, 1), 1, 4),
            ResultRow("other", "w1", 530.0, True, date(2026, 6, 1), 1, 5),
        ]
        issue_credentials(
            rows, candidates=people, key=key, store=store,
            achievement=_achievement(name, key.issuer_id), issuer=issuer,
            status_list_url=f"{BASE}/status/{name}.json", valid_for_months=36,
        )  # fmt: skip
        change_status(store, "h-revoked", "revoke", key=key)
        for state, cand in (("held", "h-held"), ("expired", "h-expired"), ("revoked", "h-revoked"),
                            ("other", "other")):  # fmt: skip
            path = store.credential_stem(cand, "w1").with_suffix(".json")
            out[(name, state)] = (path, verify_file(path, now=NOW))
    return {"root": root, "key": key, "credentials": out}


def _pathway_file(folder: Path, requires: str, name: str = "p.yaml") -> Path:
    path = folder / name
    path.write_text(
        "pathway:\n  id: data-analyst-associate\n  title: Data Analyst Associate\n"
        "  achievement_type: Certificate\n  issuer: Board\n"
        f"  issuer_url: {BASE}\n  valid_for_months: 24\nrequires:\n{requires}",
        encoding="utf-8",
    )
    return path


SHAPES = {
    "all": ("  all_of:\n    - credential: alpha\n    - credential: beta\n    - credential: gamma\n",
            lambda met: all(met)),
    "any": ("  any_of:\n    - credential: alpha\n    - credential: beta\n    - credential: gamma\n",
            lambda met: any(met)),
    "two": ("  n_of:\n    n: 2\n    of:\n      - credential: alpha\n      - credential: beta\n"
            "      - credential: gamma\n", lambda met: sum(met) >= 2),
    "nested": ("  all_of:\n    - credential: alpha\n    - any_of:\n        - credential: beta\n"
               "        - credential: gamma\n", lambda met: met[0] and (met[1] or met[2])),
}  # fmt: skip


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_combination_of_held_missing_expired_revoked(held, tmp_path, shape):
    text, oracle = SHAPES[shape]
    pathway = load_pathway(_pathway_file(tmp_path, text))
    for combo in itertools.product(STATES, repeat=3):
        presented = [
            held["credentials"][(name, state)][1]
            for name, state in zip(NAMES, combo, strict=True)
            if state != "missing"
        ]
        result = check_pathway(pathway, presented, today=NOW.date(), email=HOLDER)
        met = [state == "held" for state in combo]
        assert result.complete == oracle(met), (shape, combo)
        assert [leaf.status for leaf in result.leaves] == list(combo), combo
        if result.complete:
            assert result.missing == ()
        else:
            text_missing = " ".join(result.missing)
            for name, state in zip(NAMES, combo, strict=True):
                if state != "held" and shape == "all":
                    assert f"{name} [{state}" in text_missing


def test_best_credential_counts_when_several_are_presented(held, tmp_path):
    pathway = load_pathway(_pathway_file(tmp_path, SHAPES["all"][0]))
    creds = held["credentials"]
    presented = [creds[(n, s)][1] for n in NAMES for s in ("revoked", "expired", "held")]
    assert check_pathway(pathway, presented, today=NOW.date()).complete


def test_minimum_score_window_and_holder(held, tmp_path):
    text = ("  all_of:\n    - credential: alpha\n      min_score: 540\n"
            "    - credential: beta\n      within_months: 3\n")  # fmt: skip
    pathway = load_pathway(_pathway_file(tmp_path, text))
    creds = held["credentials"]
    presented = [creds[("alpha", "held")][1], creds[("beta", "held")][1]]
    result = check_pathway(pathway, presented, today=NOW.date())
    assert [leaf.status for leaf in result.leaves] == ["below-minimum", "outside-window"]
    assert "530" in result.leaves[0].reason and "2026-06-01" in result.leaves[1].reason
    loose = load_pathway(_pathway_file(tmp_path, SHAPES["all"][0]))
    others = [creds[(n, "other")][1] for n in NAMES]
    assert check_pathway(loose, others, today=NOW.date()).complete  # no holder named
    result = check_pathway(loose, others, today=NOW.date(), email=HOLDER)
    assert {leaf.status for leaf in result.leaves} == {"not-the-holder"}


def test_stacked_credential_cites_what_it_rests_on(held, tmp_path):
    pathway = load_pathway(_pathway_file(tmp_path, SHAPES["two"][0]))
    creds = held["credentials"]
    presented = [creds[("alpha", "held")][1], creds[("gamma", "held")][1]]
    check = check_pathway(pathway, presented, today=NOW.date(), email=HOLDER)
    store = BadgeStore(tmp_path / "stacked")
    holder = Candidate("holder", HOLDER)
    cid, stem, written = issue_stacked(pathway, check, key=held["key"], store=store, holder=holder)
    assert written
    credential = json.loads(Path(stem).with_suffix(".json").read_text())
    assert schema_errors(credential) == []
    cited = {e["id"] for e in credential["evidence"]}
    assert cited == {v.credential_id for v in presented}
    achievement = credential["credentialSubject"]["achievement"]
    assert achievement["id"] == f"{BASE}/achievements/data-analyst-associate"
    assert achievement["achievementType"] == "Certificate"
    assert "2 of" in achievement["criteria"]["narrative"]
    now = datetime.now(UTC)
    assert verify_file(Path(stem).with_suffix(".json"), now=now).valid
    assert verify_file(Path(stem).with_suffix(".jwt"), now=now).valid
    again = issue_stacked(pathway, check, key=held["key"], store=store, holder=holder)
    assert again == (cid, stem, False)
    incomplete = check_pathway(pathway, presented[:1], today=NOW.date())
    with pytest.raises(InputError, match="not complete"):
        issue_stacked(pathway, incomplete, key=held["key"], store=store, holder=holder)


@pytest.mark.parametrize(
    ("requires", "message"),
    [
        ("  all_of: []\n", ":9: requires.all_of: expected a non-empty list"),
        (
            "  n_of:\n    n: 4\n    of:\n      - credential: a\n",
            "requires.n_of.n: expected a whole",
        ),
        ("  some_of:\n    - credential: a\n", "requires.some_of: unknown requirement"),
        ("  all_of:\n    - credential: a\n      min_score: high\n", "min_score: expected a number"),
        ("  all_of:\n    - credential: a b\n", "credential: expected a credential id"),
    ],
)
def test_bad_pathway_files_name_line_and_field(tmp_path, requires, message):
    path = _pathway_file(tmp_path, requires)
    with pytest.raises(InputError) as info:
        load_pathway(path)
    assert message in str(info.value) and str(path) in str(info.value)
