"""The Open Badges commands end to end: keys, achievement, issue, verify (one exit code per
verdict), suspend/reinstate/revoke, pathway check and issue, bake; bad input is one line."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

pytest.importorskip("pyld")

from click.testing import CliRunner
from credentials_helpers import CANDIDATES, RESULTS, write_spec

from psychometrics.cli import main
from psychometrics.credentials.verify import EXIT_CODES


def run(*args: str, code: int = 0):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == code, (args, result.output, result.stderr)
    assert "Traceback" not in result.output + result.stderr
    return result


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    spec = write_spec(root)
    (root / "results.csv").write_text(RESULTS)
    (root / "candidates.csv").write_text(CANDIDATES)
    keys = run("keys", "new", str(root / "keys"))
    key = root / "keys" / "issuer-key.pem"
    out = root / "badges"
    files = ("--results", str(root / "results.csv"), "--candidates", str(root / "candidates.csv"))
    run("issue", str(spec), *files, "--key", str(key), "--out", str(out), "--cut", "482")
    return {"root": root, "spec": spec, "key": key, "out": out, "keys_output": keys.output}


def _cred(program, candidate: str, suffix: str) -> Path:
    return program["out"] / "credentials" / f"{candidate}_2026-w1{suffix}"


def test_keys_new_writes_0600_and_never_prints_the_key(program, tmp_path):
    key = program["key"]
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    body = "".join(key.read_text().splitlines()[1:-1])
    assert body and body not in program["keys_output"]
    assert "did:key:z6Mk" in program["keys_output"]
    again = run("keys", "new", str(key.parent), code=1)
    assert again.stderr.count("\n") == 1 and "never overwritten" in again.stderr
    web = run("keys", "new", str(tmp_path / "web"), "--did-web", "badges.example.org", "--json")
    info = json.loads(web.output)
    assert info["issuer_id"] == "did:web:badges.example.org"
    assert info["host_did_document_at"] == "https://badges.example.org/.well-known/did.json"
    assert body not in web.output


def test_verify_exit_codes_and_messages(program, tmp_path):
    ok = run("verify", str(_cred(program, "C001", ".json")), str(_cred(program, "C001", ".svg")),
             "--at", "2026-12-01")  # fmt: skip
    assert ok.output.count("VALID") == 2
    token = _cred(program, "C001", ".jwt").read_text().strip()
    as_json = run("verify", token, "--at", "2026-12-01", "--json",
                  "--status-list", str(program["out"] / "status-list.json"))  # fmt: skip
    assert json.loads(as_json.output)[0]["verdict"] == "valid"

    expired = run("verify", str(_cred(program, "C003", ".json")), "--at", "2026-12-01",
                  code=EXIT_CODES["expired"])  # fmt: skip
    assert "INVALID (expired)" in expired.output

    forged = tmp_path / "forged.json"
    forged.write_text(_cred(program, "C001", ".json").read_text().replace('"518"', '"519"'))
    status = ("--status-list", str(program["out"] / "status-list.json"))
    run("verify", str(forged), "--at", "2026-12-01", *status, code=EXIT_CODES["tampered"])

    unknown = json.loads(_cred(program, "C001", ".json").read_text())
    unknown["@context"].append("https://example.net/ctx.jsonld")
    forged.write_text(json.dumps(unknown))
    res = run("verify", str(forged), *status, code=EXIT_CODES["unknown-context"])
    assert "unknown JSON-LD context https://example.net/ctx.jsonld" in res.output


def test_suspend_reinstate_revoke(program):
    key, out = str(program["key"]), str(program["out"])
    c4 = str(_cred(program, "C004", ".jwt"))
    run("suspend", out, "C004", "--key", key)
    res = run("verify", c4, "--at", "2026-12-01", code=EXIT_CODES["suspended"])
    assert "suspended" in res.output
    run("reinstate", out, "C004", "--key", key)
    run("verify", c4, "--at", "2026-12-01")
    run("badge", "revoke", out, "C004", "--key", key)
    run("verify", c4, "--at", "2026-12-01", code=EXIT_CODES["revoked"])
    again = run("reinstate", out, "C004", "--key", key, code=1)
    assert "revocation is final" in again.stderr
    run("revoke", out, "C999", "--key", key, code=1)


def test_issue_again_is_idempotent(program):
    ledger = (program["out"] / "ledger.csv").read_text()
    res = run("issue", str(program["spec"]), "--results", str(program["root"] / "results.csv"),
              "--candidates", str(program["root"] / "candidates.csv"), "--key",
              str(program["key"]), "--out", str(program["out"]), "--json")  # fmt: skip
    summary = json.loads(res.output)
    assert summary["issued"] == [] and len(summary["unchanged"]) == 3
    assert (program["out"] / "ledger.csv").read_text() == ledger


def test_achievement_command(program, tmp_path):
    res = run("badge", "achievement", str(program["spec"]), "--key", str(program["key"]),
              "--cut", "482")  # fmt: skip
    achievement = json.loads(res.output)
    assert achievement["resultDescription"][0]["requiredValue"] == "482"
    res = run("badge", "achievement", str(program["spec"]), "--key", str(program["key"]), code=1)
    assert "--cut" in res.stderr and res.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("results", "candidates", "message"),
    [
        (RESULTS.replace("518,true", "518,yes please"), CANDIDATES, "results.csv:2: passed:"),
        (RESULTS, CANDIDATES.replace("C001,Ann.Lee@example.org,\n", ""), "DID for candidate C001"),
        (RESULTS, "candidate_id\nC001\n", "candidates.csv:1: needs an 'email' or a 'did' column"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line(program, tmp_path, results, candidates, message):
    (tmp_path / "results.csv").write_text(results)
    (tmp_path / "candidates.csv").write_text(candidates)
    out = tmp_path / "out"
    res = run("issue", str(program["spec"]), "--results", str(tmp_path / "results.csv"),
              "--candidates", str(tmp_path / "candidates.csv"), "--key", str(program["key"]),
              "--out", str(out), "--cut", "482", code=1)  # fmt: skip
    assert message in res.stderr and res.stderr.count("\n") == 1
    assert not (out / "ledger.csv").exists()


def test_pathway_check_and_issue(program, tmp_path):
    pathway = tmp_path / "pathway.yaml"
    pathway.write_text(
        "pathway:\n  id: stack\n  title: Stack\n  issuer_url: https://credentials.example.org\n"
        "requires:\n  n_of:\n    n: 1\n    of:\n      - credential: data-analytics-fundamentals\n"
        "        min_score: 500\n      - credential: other\n"
    )
    c1, c3 = str(_cred(program, "C001", ".json")), str(_cred(program, "C003", ".json"))
    res = run("pathway", "check", str(pathway), c3, "--at", "2026-12-01", code=1)
    assert "incomplete" in res.output and "expired" in res.output
    res = run("pathway", "check", str(pathway), c1, "--email", "ann.lee@example.org", "--json")
    assert json.loads(res.output)["complete"] is True
    res = run("pathway", "check", str(pathway), c1, "--email", "bob@example.org", code=1)
    assert "not-the-holder" in res.output
    out = tmp_path / "stacked"
    run("pathway", "issue", str(pathway), c1, "--email", "ann.lee@example.org", "--candidate-id",
        "C001", "--key", str(program["key"]), "--out", str(out))  # fmt: skip
    stacked = out / "credentials" / "C001_stack.json"
    run("verify", str(stacked))
    evidence = json.loads(stacked.read_text())["evidence"]
    assert [e["id"] for e in evidence] == [json.loads(Path(c1).read_text())["id"]]
    res = run("pathway", "issue", str(pathway), c3, "--email", "cy@example.org", "--key",
              str(program["key"]), "--out", str(out), code=1)  # fmt: skip
    assert "not complete" in res.stderr


def test_missing_extra_is_one_clear_line(tmp_path):
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['base58'] = None\n"
        "from psychometrics.cli import main\n"
        f"main(['keys', 'new', {str(tmp_path / 'k')!r}])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "credkit: error: badges: Open Badges needs the optional library 'base58': "
        "pip install 'credkit[badges]'"
    ]
    assert not (tmp_path / "k").exists()


def test_bake_png_and_svg(program, tmp_path):
    jwt = str(_cred(program, "C001", ".jwt"))
    status = ("--status-list", str(program["out"] / "status-list.json"), "--at", "2026-12-01")
    run("badge", "bake", jwt, "-o", str(tmp_path / "b.png"))
    assert (tmp_path / "b.png").read_bytes()[:4] == b"\x89PNG"
    run("verify", str(tmp_path / "b.png"), *status)
    run("badge", "bake", str(_cred(program, "C001", ".json")), "-o", str(tmp_path / "b.svg"))
    run("verify", str(tmp_path / "b.svg"), *status)
    res = run("badge", "bake", jwt, "--image", str(tmp_path / "b.png"), "-o",
              str(tmp_path / "c.png"), code=1)  # fmt: skip
    assert "already carries a credential" in res.stderr and not (tmp_path / "c.png").exists()
