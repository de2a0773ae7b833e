"""orthotune.metrics — every score from one confusion matrix, plus confidence and latency.

The confusion matrix is one ``bincount``; precision, recall, F_beta, accuracy and their
macro / micro / weighted / harmonic averages are closed forms of it (scikit-learn is the test
oracle, not the implementation). Probabilities give confidence, the top-2 margin (hesitation)
and the expected calibration error with its reliability bins; ``calibrate_temperature``
fits temperature scaling on dev logits (cross-fitted); ``measure_latency`` times a torch model
(torch is imported only there).
"""

from orthotune.metrics._classification import (
    Averages,
    ClassificationReport,
    ClassScores,
    class_average,
    classification_report,
    fbeta_from_precision_recall,
    harmonic_mean,
    report_from_confusion,
)
from orthotune.metrics._confidence import (
    ConfidenceSummary,
    ReliabilityBin,
    check_probabilities,
    confidence,
    confidence_summary,
    expected_calibration_error,
    probability_columns,
    reliability_bins,
    top2_margin,
)
from orthotune.metrics._confusion import MAX_CLASSES, confusion_matrix
from orthotune.metrics._labels import EncodedLabels, encode_labels, label_keys, plain_integer
from orthotune.metrics._latency import Latency, measure_latency
from orthotune.metrics._temperature import (
    TemperatureScaling,
    calibrate_temperature,
    fit_temperature,
    softmax,
)

__all__ = [
    "MAX_CLASSES",
    "Averages",
    "ClassScores",
    "ClassificationReport",
    "ConfidenceSummary",
    "EncodedLabels",
    "Latency",
    "ReliabilityBin",
    "TemperatureScaling",
    "calibrate_temperature",
    "check_probabilities",
    "class_average",
    "classification_report",
    "confidence",
    "confidence_summary",
    "confusion_matrix",
    "encode_labels",
    "expected_calibration_error",
    "fbeta_from_precision_recall",
    "fit_temperature",
    "harmonic_mean",
    "label_keys",
    "measure_latency",
    "plain_integer",
    "probability_columns",
    "reliability_bins",
    "report_from_confusion",
    "softmax",
    "top2_margin",
]
