"""The orthogonal knobs for each problem, in the lecture's order and words.

Orthogonalization: each problem has its own knobs, and turning one should move that problem
only. The lists follow the lecture's "Guidelines for Minimizing Errors" table (columns "Training
error is high / Bias is high", "Dev (validation) error is high / Variance is high" and "Bayes
error or Human-level error is high"), its "Overcome the Data Mismatch Problem" and "Combining
Data from Different Distributions" slides, and the "Knobs for Tuning the Training Process"
table ("Fit a test set: Bigger dev set"). Each knob has a stable machine-readable ``id`` (the
autopilot dispatches on it) and the lecture's ``words`` (what the user reads).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

__all__ = ["HUMAN_LEVEL_KNOBS", "KNOBS", "Knob", "Problem", "knobs_for"]


class Problem(StrEnum):
    """The dominant problem a diagnosis points at (what to work on next)."""

    AVOIDABLE_BIAS = "avoidable_bias"
    VARIANCE = "variance"
    DATA_MISMATCH = "data_mismatch"
    DEV_OVERFITTING = "dev_overfitting"
    NONE = "none"


class Knob(BaseModel):
    """One thing to try: a stable id, the lecture's words and the slide they come from."""

    model_config = ConfigDict(frozen=True)

    id: str
    words: str
    source: str


_GUIDE = "Guidelines for Minimizing Errors"

KNOBS: dict[Problem, tuple[Knob, ...]] = {
    Problem.AVOIDABLE_BIAS: (
        Knob(
            id="bigger_network",
            source=_GUIDE,
            words="Better or bigger network architecture (more parameters to enrich the too "
            "simple model)",
        ),
        Knob(id="xavier_init", source=_GUIDE, words="Xavier initialization"),
        Knob(
            id="better_optimizer",
            source=_GUIDE,
            words="Use better optimization algorithms (e.g. Adam, RMSprop, momentum)",
        ),
        Knob(id="train_longer", source=_GUIDE, words="Train longer (more epochs)"),
        Knob(id="transfer_learning", source=_GUIDE, words="Transfer learning"),
        Knob(
            id="hyperparameter_search",
            source=_GUIDE,
            words="Better hyperparameter (network structure) search",
        ),
    ),
    Problem.VARIANCE: (
        Knob(
            id="smaller_network",
            source=_GUIDE,
            words="Better or smaller network architecture (less parameters avoiding overshooting)",
        ),
        Knob(id="regularization", source=_GUIDE, words="Regularization (L2, dropout)"),
        Knob(
            id="more_training_data",
            source=_GUIDE,
            words="Bigger training set of the same distributions as the dev set",
        ),
        Knob(id="early_stopping", source=_GUIDE, words="Early stopping"),
        Knob(id="transfer_learning", source=_GUIDE, words="Transfer learning"),
        Knob(
            id="hyperparameter_search",
            source=_GUIDE,
            words="Better hyperparameter (network structure) search",
        ),
        Knob(id="data_augmentation", source=_GUIDE, words="Data augmentation"),
    ),
    Problem.DATA_MISMATCH: (
        Knob(
            id="noise_augmentation",
            source="Overcome the Data Mismatch Problem",
            words="Add typical noise to training data (synthesize training data more similar "
            "to real-world data)",
        ),
        Knob(
            id="blur_augmentation",
            source="Overcome the Data Mismatch Problem",
            words="Blur training data",
        ),
        Knob(
            id="distortion_augmentation",
            source="Overcome the Data Mismatch Problem",
            words="Add some distortions to training data",
        ),
        Knob(
            id="more_dev_like_training_data",
            source=_GUIDE,
            words="Bigger training set of the same distributions as the dev set",
        ),
        Knob(
            id="mix_distributions",
            source="Combining Data from Different Distributions",
            words="Take the data from all distributions together and shuffle them, then split "
            "them into training, dev and test sets",
        ),
    ),
    Problem.DEV_OVERFITTING: (
        Knob(
            id="bigger_dev_set",
            source="Knobs for Tuning the Training Process",
            words="Bigger dev set",
        ),
    ),
    Problem.NONE: (),
}

#: The "Bayes error or Human-level error is high" column: the data itself limits the model.
HUMAN_LEVEL_KNOBS: tuple[Knob, ...] = (
    Knob(
        id="clean_data",
        source=_GUIDE,
        words="Clean data (remove possible bugs, inaccuracy, blurred data, outliers etc.)",
    ),
    Knob(id="add_attributes", source=_GUIDE, words="Add discriminating attributes"),
    Knob(
        id="remove_ambiguity", source=_GUIDE, words="Remove ambiguity (contradictory training data)"
    ),
    Knob(id="reconstruct_data", source=_GUIDE, words="Reconstruct training data"),
)


def knobs_for(problem: Problem | str) -> list[Knob]:
    """The ordered knobs for ``problem`` (empty for ``none``)."""
    return list(KNOBS[Problem(problem)])
