"""orthotune.analysis — error analysis, ceilings and tags; class imbalance; label issues
(confident learning, the iterative loop, cluster disagreement) and cleaning; data mismatch.

``analyze_errors(read_predictions(PATH), tags=read_tags(FILE))`` → ``ErrorAnalysis``;
``make_method("confident").find(dataset)`` → ``LabelIssues``; ``apply_cleaning(...)`` writes a
cleaned copy and an audit log; ``detect_imbalance(y, names)`` → ``ImbalanceReport``;
``domain_classifier(train_x, dev_x)`` → ``DomainShift``; ``synthesize_toward(train_x, dev_x)``;
``run_saliency(RUN_DIR, mask_path=…)`` → ``SaliencyReport`` (attributions of misclassified
examples, the deletion test, the share of attribution outside the object).
``learning_curve(train, dev, spec, config)`` → ``LearningCurve`` (would more data help?).
"""

from orthotune.analysis._attribution import (
    ATTRIBUTION_METHODS,
    DEFAULT_ATTRIBUTION,
    DeletionTest,
    Saliency,
    SaliencyReport,
    attribute,
    deletion_curves,
    deletion_test,
    read_mask,
    run_saliency,
    saliency_report,
)
from orthotune.analysis._clean import APPLY_MODES, CleaningOutcome, apply_cleaning, check_out_dir
from orthotune.analysis._cluster import ClusterDisagreement, cluster_disagreement
from orthotune.analysis._confident import ConfidentLearning, cleanlab_issues
from orthotune.analysis._errors import (
    ClassErrors,
    ConfusionPair,
    ErrorAnalysis,
    Misclassified,
    TagRow,
    analyze_errors,
    read_tags,
)
from orthotune.analysis._fit import FitRecipe, fit_predict, out_of_fold
from orthotune.analysis._imbalance import (
    ImbalanceReport,
    Remedy,
    detect_imbalance,
    oversample_index,
)
from orthotune.analysis._iterative import IterativeCleaning, flag_label_issues
from orthotune.analysis._label_issues import (
    CleaningRound,
    LabelIssueMethod,
    LabelIssues,
    Suspect,
)
from orthotune.analysis._learning_curve import (
    DEFAULT_FRACTIONS,
    CurvePoint,
    LearningCurve,
    PowerLaw,
    fit_power_law,
    learning_curve,
    minimum_train_examples,
    nested_order,
)
from orthotune.analysis._methods import (
    CLASS_SUSPECTS,
    DEFAULT_METHOD,
    MANY_SUSPECTS,
    METHODS,
    find_issues,
    make_method,
)
from orthotune.analysis._mismatch import (
    DomainShift,
    FeatureShift,
    MismatchReport,
    SourceError,
    SynthesisChoice,
    candidate_policies,
    dev_likeness_weights,
    domain_classifier,
    mismatch_from_predictions,
    synthesize_toward,
)
from orthotune.analysis._predictions import (
    Predictions,
    read_predictions,
    write_held_out_predictions,
)
from orthotune.analysis._report import ErrorReport, error_report
from orthotune.analysis._store import save_result

__all__ = [
    "APPLY_MODES",
    "ATTRIBUTION_METHODS",
    "CLASS_SUSPECTS",
    "DEFAULT_ATTRIBUTION",
    "DEFAULT_FRACTIONS",
    "DEFAULT_METHOD",
    "MANY_SUSPECTS",
    "METHODS",
    "ClassErrors",
    "CleaningOutcome",
    "CleaningRound",
    "ClusterDisagreement",
    "ConfidentLearning",
    "ConfusionPair",
    "CurvePoint",
    "DeletionTest",
    "DomainShift",
    "ErrorAnalysis",
    "ErrorReport",
    "FeatureShift",
    "FitRecipe",
    "ImbalanceReport",
    "IterativeCleaning",
    "LabelIssueMethod",
    "LabelIssues",
    "LearningCurve",
    "Misclassified",
    "MismatchReport",
    "PowerLaw",
    "Predictions",
    "Remedy",
    "Saliency",
    "SaliencyReport",
    "SourceError",
    "Suspect",
    "SynthesisChoice",
    "TagRow",
    "analyze_errors",
    "apply_cleaning",
    "attribute",
    "candidate_policies",
    "check_out_dir",
    "cleanlab_issues",
    "cluster_disagreement",
    "deletion_curves",
    "deletion_test",
    "detect_imbalance",
    "dev_likeness_weights",
    "domain_classifier",
    "error_report",
    "find_issues",
    "fit_power_law",
    "fit_predict",
    "flag_label_issues",
    "learning_curve",
    "make_method",
    "minimum_train_examples",
    "mismatch_from_predictions",
    "nested_order",
    "out_of_fold",
    "oversample_index",
    "read_mask",
    "read_predictions",
    "read_tags",
    "run_saliency",
    "saliency_report",
    "save_result",
    "synthesize_toward",
    "write_held_out_predictions",
]
