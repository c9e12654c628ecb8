"""Standard setting: cut-score methods and conversion of a cut between raw, theta and scale scores.

Methods
-------
=======================  ==========================================================================
method                   the cut
=======================  ==========================================================================
modified Angoff          raw cut = sum over the form's items of the mean probability rating
Yes/No Angoff            the same with 0/1 ratings
bookmark                 theta at which the bookmarked page of the ordered item booklet is answered
                         with probability RP: ``b + ln((RP - c) / (1 - RP)) / a`` (3PL)
Hofstee                  where the observed fail-rate curve crosses the line from
                         (min cut, max fail) to (max cut, min fail)
Beuk                     where the observed pass-rate curve crosses the line through the panel's
                         mean (cut, pass rate) with slope SD(pass rate) / SD(cut)
contrasting groups       score at which P(master | score) = 0.5 by logistic regression (or the
                         Youden-optimal ROC cut)
borderline group         median score of the examinees judged borderline
borderline regression    score predicted at the borderline rating by regressing score on rating
=======================  ==========================================================================

A theta cut carries to every parallel form through that form's test characteristic curve (TCC):
the raw cut of a form is ``TCC(theta_cut)`` rounded by a stated rule (default: up, so that no
summed score below the expected score of the borderline candidate passes). A raw cut on one form
is carried to theta by inverting that form's TCC with Brent's method.

All IRT numbers are in the logistic metric (D = 1).

Modules
-------
=====================  ======================================================================
module                 purpose
=====================  ======================================================================
``ratings``            panel ratings (Angoff, Yes/No, bookmark): :class:`Ratings`, loader
``judgments``          scores files, examinee and panel judgments: :class:`Table`, loaders
``conversion``         theta <-> raw through a form's TCC, rounding rules, reporting scale
``agreement``          rater agreement (ICC) and outlying raters
``angoff``             modified and Yes/No Angoff
``bookmark``           ordered item booklet and bookmark cuts
``compromise``         Hofstee and Beuk
``examinee_centered``  contrasting groups, borderline group and borderline regression
``cut``                the spec's ``cut_score`` block: :func:`set_cut_score`
=====================  ======================================================================

Everything public is importable from ``psychometrics.standard_setting`` itself.

References
----------
Angoff, W. H. (1971). Scales, norms, and equivalent scores. In R. L. Thorndike (Ed.),
    *Educational Measurement* (2nd ed., pp. 508-600). American Council on Education.
Beuk, C. H. (1984). A method for reaching a compromise between absolute and relative standards in
    examinations. *Journal of Educational Measurement*, 21(2), 147-152.
Cizek, G. J., & Bunch, M. B. (2007). *Standard Setting: A Guide to Establishing and Evaluating
    Performance Standards on Tests*. Sage.
Hambleton, R. K., & Pitoniak, M. J. (2006). Setting performance standards. In R. L. Brennan
    (Ed.), *Educational Measurement* (4th ed., pp. 433-470). American Council on Education/Praeger.
Hofstee, W. K. B. (1983). The case for compromise in educational selection and grading. In
    S. B. Anderson & J. S. Helmick (Eds.), *On Educational Testing* (pp. 109-127). Jossey-Bass.
Mitzel, H. C., Lewis, D. M., Patz, R. J., & Green, D. R. (2001). The bookmark procedure:
    Psychological perspectives. In G. J. Cizek (Ed.), *Setting Performance Standards* (pp.
    249-281). Erlbaum.
Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: Uses in assessing rater
    reliability. *Psychological Bulletin*, 86(2), 420-428.
"""

from psychometrics.standard_setting.agreement import ICCResult, flag_outlying_raters, icc
from psychometrics.standard_setting.angoff import AngoffResult, angoff
from psychometrics.standard_setting.bookmark import (
    BookmarkResult,
    OrderedItemBooklet,
    bookmark,
    ordered_item_booklet,
    rp_location,
)
from psychometrics.standard_setting.compromise import (
    BeukResult,
    HofsteeResult,
    beuk,
    beuk_from_judgments,
    hofstee,
)
from psychometrics.standard_setting.conversion import (
    ROUNDING_RULES,
    THETA_BOUNDS,
    ReportingScale,
    ThetaFromRaw,
    raw_for_theta,
    round_raw,
    theta_for_raw,
)
from psychometrics.standard_setting.cut import METHODS, CutScoreResult, set_cut_score
from psychometrics.standard_setting.examinee_centered import (
    BorderlineResult,
    ContrastingGroupsResult,
    borderline_group,
    borderline_regression,
    contrasting_groups,
)
from psychometrics.standard_setting.judgments import (
    MASTER_LABELS,
    NONMASTER_LABELS,
    PANEL_COLUMNS,
    Table,
    mastery_from_labels,
    numeric_ratings,
    read_examinee_judgments,
    read_panel_judgments,
    read_table,
)
from psychometrics.standard_setting.ratings import RATING_KINDS, Ratings, read_ratings

__all__ = [
    "MASTER_LABELS",
    "METHODS",
    "NONMASTER_LABELS",
    "PANEL_COLUMNS",
    "RATING_KINDS",
    "ROUNDING_RULES",
    "THETA_BOUNDS",
    "AngoffResult",
    "BeukResult",
    "BookmarkResult",
    "BorderlineResult",
    "ContrastingGroupsResult",
    "CutScoreResult",
    "HofsteeResult",
    "ICCResult",
    "OrderedItemBooklet",
    "Ratings",
    "ReportingScale",
    "Table",
    "ThetaFromRaw",
    "angoff",
    "beuk",
    "beuk_from_judgments",
    "bookmark",
    "borderline_group",
    "borderline_regression",
    "contrasting_groups",
    "flag_outlying_raters",
    "hofstee",
    "icc",
    "mastery_from_labels",
    "numeric_ratings",
    "ordered_item_booklet",
    "raw_for_theta",
    "read_examinee_judgments",
    "read_panel_judgments",
    "read_ratings",
    "read_table",
    "round_raw",
    "rp_location",
    "set_cut_score",
    "theta_for_raw",
]
