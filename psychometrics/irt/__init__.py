"""Item response theory: models, calibration, scoring, information and fit."""

from psychometrics.irt.calibration import (
    CalibrationResult,
    CalibrationWarning,
    ConvergenceWarning,
    calibrate,
)
from psychometrics.irt.inference import ParameterCovariance, WaldResult, wald_test
from psychometrics.irt.models import (
    MODELS,
    ItemParameters,
    category_probabilities,
    expected_scores,
    item_information,
    log_category_probabilities,
    summed_score_likelihood,
    test_characteristic_curve,
    test_information,
)
from psychometrics.irt.params_io import read_params, write_params

__all__ = [
    "MODELS",
    "CalibrationResult",
    "CalibrationWarning",
    "ConvergenceWarning",
    "ItemParameters",
    "ParameterCovariance",
    "WaldResult",
    "calibrate",
    "category_probabilities",
    "expected_scores",
    "item_information",
    "log_category_probabilities",
    "read_params",
    "summed_score_likelihood",
    "test_characteristic_curve",
    "test_information",
    "wald_test",
    "write_params",
]
