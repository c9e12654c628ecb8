"""The ``credkit`` command: a thin click layer over the library.

Each domain defines its commands in its own module (``calibrate``, ``scoring``, ``bank``,
``assembly``, ``analysis``, ``cutscore``, ``build``, ...). This module only builds the group, and
imports a domain's module when one of its commands runs: ``credkit --help`` and
``credkit --version`` never import numpy or scipy. No psychometrics lives in the CLI.
"""

from __future__ import annotations

import click

from psychometrics import __version__
from psychometrics.cli._common import CredkitGroup, LazyCommand

# The top-level commands in the order ``credkit --help`` lists them: the lifecycle, then tools.
# Each names the module and object that define it, and its one-line help (a test checks that the
# line is the command's own first docstring line, so the two cannot drift apart).
COMMANDS: tuple[LazyCommand, ...] = (
    LazyCommand(
        "init",
        "build",
        "init_command",
        "Scaffold a new credential program in DIRECTORY (specs/, item_bank/items/, reports/).",
    ),
    LazyCommand(
        "bank",
        "bank",
        "bank_group",
        "Work with the item bank (one YAML file per item under BANK/items/).",
    ),
    LazyCommand(
        "spec",
        "assembly",
        "spec_group",
        "Credential specs (specs/<credential>.yaml).",
    ),
    LazyCommand(
        "assemble",
        "assembly",
        "assemble",
        "Propose the parallel forms SPEC asks for from its bank (maximin MILP, HiGHS).",
    ),
    LazyCommand(
        "forms",
        "forms",
        "forms_group",
        "Published forms: the frozen forms that candidates take (SPEC's forms folder).",
    ),
    LazyCommand(
        "retakes",
        "retakes",
        "retakes_group",
        "Retake policy (the spec's retakes: block) across the spec's administrations.",
    ),
    LazyCommand(
        "analyze",
        "analysis",
        "analyze",
        "Classical item analysis (and DIF with --group) of RESPONSES.csv.",
    ),
    LazyCommand(
        "dif",
        "dif",
        "dif_command",
        "IRT DIF: likelihood-ratio and Wald tests of each item across groups.",
    ),
    LazyCommand(
        "calibrate",
        "calibrate",
        "calibrate_command",
        "Calibrate the items of RESPONSES.csv by marginal maximum likelihood (EM).",
    ),
    LazyCommand(
        "score",
        "scoring",
        "score",
        "Estimate theta (EAP, MAP, ML or WLE) for every person in RESPONSES.csv.",
    ),
    LazyCommand(
        "score-table",
        "scoring",
        "score_table_cmd",
        "Summed score -> EAP theta table (Lord-Wingersky), optionally with a reporting scale.",
    ),
    LazyCommand(
        "info",
        "scoring",
        "info",
        "Test information, conditional SEM and TCC over a theta grid; marginal reliability.",
    ),
    LazyCommand(
        "fit",
        "scoring",
        "fit",
        "Item fit (S-X2, infit/outfit), global fit (M2, RMSEA), Q3 local dependence, person fit.",
    ),
    LazyCommand(
        "dimensionality",
        "scoring",
        "dimensionality_cmd",
        (
            "Eigenvalues of the inter-item correlation matrix (tetrachoric/polychoric by default,"
            " or Pearson); first-to-second ratio, and parallel analysis with --parallel N."
        ),
    ),
    LazyCommand(
        "link",
        "scoring",
        "link",
        "Put a new calibration on the base scale through common items (A, B; a/A, A*b + B, c).",
    ),
    LazyCommand(
        "equate",
        "scoring",
        "equate",
        "IRT equating: raw score on form X -> equivalent raw score on form Y.",
    ),
    LazyCommand(
        "cutscore",
        "cutscore",
        "cutscore",
        "Standard setting: Angoff, bookmark, Hofstee, Beuk, contrasting groups, borderline.",
    ),
    LazyCommand(
        "classify",
        "cutscore",
        "classify",
        "Decision accuracy and consistency at a cut (Rudner, Lee or Livingston-Lewis).",
    ),
    LazyCommand(
        "build",
        "build",
        "build_command",
        "Run the whole pipeline for the credential SPEC and write its validity report.",
    ),
    LazyCommand(
        "keys",
        "credentials",
        "keys_group",
        "Issuer signing keys and identity (did:key or did:web) for Open Badges.",
    ),
    LazyCommand(
        "badge",
        "credentials",
        "badge_group",
        "Open Badges 3.0: the achievement, issuing, verifying, revoking and baking credentials.",
    ),
    LazyCommand(
        "issue",
        "credentials",
        "issue_command",
        "Issue signed OpenBadgeCredentials to SPEC's candidates who passed.",
    ),
    LazyCommand(
        "verify",
        "credentials",
        "verify_command",
        "Verify Open Badges credentials: files (JSON, VC-JWT, baked SVG) or VC-JWT text.",
    ),
    LazyCommand(
        "revoke",
        "credentials",
        "revoke_command",
        "Revoke CREDENTIAL (a credential id, or a candidate id) in the badge folder BADGES.",
    ),
    LazyCommand(
        "suspend",
        "credentials",
        "suspend_command",
        "Suspend CREDENTIAL (a credential id, or a candidate id) in the badge folder BADGES.",
    ),
    LazyCommand(
        "reinstate",
        "credentials",
        "reinstate_command",
        "Lift the suspension of CREDENTIAL (a credential id, or a candidate id) in BADGES.",
    ),
    LazyCommand(
        "pathway",
        "credentials",
        "pathway_group",
        "Stackable pathways: higher credentials earned by holding other credentials.",
    ),
)


@click.group(
    cls=CredkitGroup,
    lazy_commands=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="credkit")
def main() -> None:
    """credkit: psychometrics for credential programs.

    Item banks, classical item analysis, IRT calibration, test assembly, standard setting and
    the validity report. All IRT numbers are in the logistic metric (D = 1).
    """
