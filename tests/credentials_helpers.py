"""Fixtures shared by the Open Badges tests: a spec copy with an issuer profile, results, keys."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "specs" / "data-analytics-fundamentals.yaml"


def write_spec(folder: Path, *, valid_for_months: int | None = 36, extra: str = "") -> Path:
    """The example spec with an issuer profile, its paths made absolute, in ``folder``."""
    text = SPEC.read_text(encoding="utf-8")
    kept = ("  issuer_url:", "  issuer_email:", "  valid_for_months:")
    text = "".join(line for line in text.splitlines(True) if not line.startswith(kept))
    lines = "  issuer_url: https://credentials.example.org\n  issuer_email: registrar@example.org\n"
    if valid_for_months:
        lines += f"  valid_for_months: {valid_for_months}\n"
    lines += extra
    text = text.replace("  issuer: Open Skills Credentialing Board\n",
                        "  issuer: Open Skills Credentialing Board\n" + lines, 1)  # fmt: skip
    text = text.replace("bank: ../item_bank", f"bank: {ROOT / 'item_bank'}")
    text = text.replace(
        "forms: forms/data-analytics-fundamentals/",
        f"forms: {ROOT / 'specs' / 'forms' / 'data-analytics-fundamentals'}/",
    )
    text = text.replace(" data/", f" {ROOT / 'specs' / 'data'}/")
    path = folder / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    return path


RESULTS = (
    "candidate_id,administration_id,form_id,attempt,raw_score,max_raw_score,theta,theta_se,"
    "scale_score,passed,completed_on\n"
    "C001,2026-w1,form-A,1,31,40,0.35,0.31,518,true,2026-11-24\n"
    "C002,2026-w1,form-B,1,18,40,-1.10,0.33,445,false,2026-11-25\n"
    "C003,2026-w1,form-A,1,35,40,1.02,0.36,551,true,2020-01-10\n"
    "C004,2026-w1,form-B,1,27,40,-0.05,0.30,498,true,2026-11-26\n"
)
CANDIDATES = (
    "candidate_id,email,did\n"
    "C001,Ann.Lee@example.org,\n"
    "C002,bob@example.org,\n"
    "C003,cy@example.org,\n"
    "C004,,did:example:c004\n"
)
