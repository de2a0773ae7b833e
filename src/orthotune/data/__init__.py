"""Data layer: load, validate, split, normalize, weight and augment classification data."""

from orthotune.data._augment import AUGMENT_PRESETS, Augmenter, AugmentPolicy, parse_policy
from orthotune.data._dataset import SPLIT_PARTS, Dataset, ReferenceLevels

__all__ = [
    "AUGMENT_PRESETS",
    "SPLIT_PARTS",
    "AugmentPolicy",
    "Augmenter",
    "Dataset",
    "ReferenceLevels",
    "parse_policy",
]
