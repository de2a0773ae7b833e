"""Data layer: load, validate, split, normalize, weight and augment classification data."""

from orthotune.data._dataset import SPLIT_PARTS, Dataset, ReferenceLevels

__all__ = ["SPLIT_PARTS", "Dataset", "ReferenceLevels"]
