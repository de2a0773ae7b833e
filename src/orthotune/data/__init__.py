"""Data layer: load, validate, split, normalize and weight classification data.

``load_dataset(DATA, LoadOptions(...))`` → ``Dataset`` (DATA may be a pandas DataFrame;
``frame_file`` keeps one as a Parquet file that loads the same; or a folder of images with one
folder per class, ``_images``); ``unlabelled_examples`` reads examples to predict that have no
labels (an NPZ file without 'y', a folder of images without class folders);
``dataset_from_arrays(x, y)`` → ``Dataset`` (arrays in memory, checked like an NPZ file);
``make_split(ds, seed=…)`` → ``Split``;
``Normalizer.fit(ds.x[split.train])``; ``prepare(ds, split)`` → ``PreparedData``
(``bins=T``: feature vectors with T quantile-bin components per numeric feature, ``Bins``);
``weighted_mean_loss(loss, weights)``;
``inspect_data(DATA)`` → ``InspectReport`` (``orthotune data inspect``);
``Augmenter.from_policy("standard")(x, generator=g)`` augments a training batch.
"""

from orthotune.data._augment import AUGMENT_PRESETS, Augmenter, AugmentPolicy, parse_policy
from orthotune.data._bins import Bins
from orthotune.data._builtin import BUILTINS, cache_dir, make_synthetic
from orthotune.data._dataset import SPLIT_PARTS, Dataset, ReferenceLevels
from orthotune.data._encoding import (
    ArrayEncoding,
    ColumnEncoding,
    TableEncoding,
    describe_filled,
    describe_left_out,
    encode_array,
    encode_frame,
)
from orthotune.data._inspect import InspectReport, find_duplicates, inspect_data
from orthotune.data._load import (
    as_table,
    dataset_from_arrays,
    frame_file,
    label_names,
    load_dataset,
    load_with_report,
    numeric_objects,
    read_table_file,
    unlabelled,
    unlabelled_examples,
)
from orthotune.data._normalize import Normalizer
from orthotune.data._options import DEFAULT_TARGETS, IMPUTE_METHODS, LoadOptions, load_options
from orthotune.data._prepare import Part, PreparedData, prepare
from orthotune.data._split import (
    Split,
    SplitPolicy,
    check_dev_part,
    check_train_part,
    controlled_round,
    make_split,
    parse_ratios,
    policy_dev_size,
    policy_sizes,
    split_policy,
    stratified_folds,
    warn_without_test,
)
from orthotune.data._weights import class_balance_weights, weighted_mean_loss

__all__ = [
    "AUGMENT_PRESETS",
    "BUILTINS",
    "DEFAULT_TARGETS",
    "IMPUTE_METHODS",
    "SPLIT_PARTS",
    "ArrayEncoding",
    "AugmentPolicy",
    "Augmenter",
    "Bins",
    "ColumnEncoding",
    "Dataset",
    "InspectReport",
    "LoadOptions",
    "Normalizer",
    "Part",
    "PreparedData",
    "ReferenceLevels",
    "Split",
    "SplitPolicy",
    "TableEncoding",
    "as_table",
    "cache_dir",
    "check_dev_part",
    "check_train_part",
    "class_balance_weights",
    "controlled_round",
    "dataset_from_arrays",
    "describe_filled",
    "describe_left_out",
    "encode_array",
    "encode_frame",
    "find_duplicates",
    "frame_file",
    "inspect_data",
    "label_names",
    "load_dataset",
    "load_options",
    "load_with_report",
    "make_split",
    "make_synthetic",
    "numeric_objects",
    "parse_policy",
    "parse_ratios",
    "policy_dev_size",
    "policy_sizes",
    "prepare",
    "read_table_file",
    "split_policy",
    "stratified_folds",
    "unlabelled",
    "unlabelled_examples",
    "warn_without_test",
    "weighted_mean_loss",
]
