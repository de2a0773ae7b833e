"""``inspect_data``: what ``orthotune data inspect`` reports, as a typed object.

Size, input shape, classes with counts and the imbalance ratio, NaN/inf per column, sources,
reference levels, the split the policy would make (sizes, classes and sources per part), exact
duplicate examples (same input and label; within one part, and across parts — leakage into
train-dev/dev/test) and identical inputs with conflicting labels (the lecture's "contradictory
training data"). NaN and inf are reported here rather than refused; training refuses them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, Field

from orthotune._errors import InvalidInputError
from orthotune._tables import CSV_SUFFIXES, csv_dialect, table_suffix
from orthotune.data._dataset import SPLIT_PARTS, Dataset
from orthotune.data._encoding import NonFinite, describe_filled
from orthotune.data._load import FRAME_NAME, load_with_report
from orthotune.data._options import LoadOptions, load_options
from orthotune.data._split import Split, SplitPolicy, check_train_part, make_split

if TYPE_CHECKING:
    import pandas as pd

INSPECT_SCHEMA_VERSION = 1
MAX_GROUPS_SHOWN = 5
MAX_IDS_SHOWN = 10


class Count(BaseModel):
    name: str
    count: int
    fraction: float


class NonFiniteColumn(BaseModel):
    column: str
    nan: int
    inf: int


class PartSummary(BaseModel):
    name: str
    size: int
    fraction: float
    classes: dict[str, int]
    sources: dict[str, int] = Field(default_factory=dict)


class SplitSummary(BaseModel):
    seed: int
    rule: str = Field(description="how dev/test sizes were chosen")
    train_dev: bool
    dev_source: str | None = None
    preset: int = Field(description="examples whose part was fixed beforehand")
    parts: list[PartSummary]
    notes: list[str] = Field(default_factory=list)


class ExampleGroup(BaseModel):
    ids: list[str] = Field(description=f"ids of the group (first {MAX_IDS_SHOWN})")
    size: int
    labels: list[str]
    parts: list[str]


class DuplicateReport(BaseModel):
    """Groups of ≥ 2 examples with identical input and label."""

    groups: int
    redundant_examples: int = Field(description="examples beyond the first of each group")
    within_one_part: int = Field(description="groups whose members all lie in one part")
    across_parts: int = Field(description="groups spanning parts: leakage")
    held_out_copies_of_train: dict[str, int] = Field(
        default_factory=dict,
        description="per held-out part, its examples that duplicate a train example",
    )
    rows: int = Field(default=0, description="examples compared")
    distinct_inputs: int = Field(default=0, description="distinct inputs among them")
    repeated_inputs: int = Field(default=0, description="distinct inputs of two examples or more")
    examples: list[ExampleGroup] = Field(default_factory=list)


# distinct inputs per example at or below which identical examples are the data's nature, not
# copies: each input then repeats four times on average (a file copied into itself twice
# repeats each row twice). A new user's fertility table (7 columns of 2 to 53 values; 9,276
# distinct inputs among 254,654 rows) and military (5 columns, 1.4 M rows) were told to
# "remove the copies" — 94 % and 99.9 % of the rows — and that nearly every row was
# "contradictory training data"
FEW_INPUTS = 0.25


def repeats_by_nature(duplicates: DuplicateReport, conflicts: ConflictReport) -> str | None:
    """Why identical examples are the data's nature, not copies (None: they may be copies):
    the inputs take few values (``FEW_INPUTS``), or most inputs seen more than once carry
    several labels — a copied record keeps its label, while people alike by a few coarse
    attributes do not share one (a new user's GSSvocab survey: 16,854 distinct inputs among
    28,786 rows, 5,136 of its repeated inputs with several labels, was told to remove 2,508
    held-out rows as leakage)."""
    if duplicates.rows and duplicates.distinct_inputs <= FEW_INPUTS * duplicates.rows:
        return (
            f"the inputs take few values ({duplicates.distinct_inputs:,} distinct among "
            f"{duplicates.rows:,} examples)"
        )
    if duplicates.repeated_inputs and 2 * conflicts.groups >= duplicates.repeated_inputs:
        return (
            f"most inputs seen more than once carry several labels ({conflicts.groups:,} of "
            f"{duplicates.repeated_inputs:,}), as examples alike by chance do and copies do not"
        )
    return None


def _across_parts(duplicates: DuplicateReport, conflicts: ConflictReport) -> str:
    """The warning for duplicate groups that span parts: leakage where a held-out part copies
    training examples; otherwise held-out parts that share examples, none trained on (a sweep:
    "3 duplicate group(s) span parts: the same example is trained on and evaluated" where two
    of the three groups lay in dev and test only)."""
    copies = duplicates.held_out_copies_of_train
    named = ", ".join(f"{n:,} in {part}" for part, n in copies.items())
    nature = repeats_by_nature(duplicates, conflicts)
    if copies and nature:
        return (
            f"{nature}, so identical examples are expected, not copies: held-out examples "
            f"equal to a training example ({named}) are what new data would bring; keep them"
        )
    if copies:
        return (
            f"{duplicates.across_parts} duplicate group(s) span parts; held-out examples that "
            f"copy a training example: {named} — trained on and evaluated (leakage); remove "
            "the copies"
        )
    return (
        f"{duplicates.across_parts} duplicate group(s) span held-out parts only (none is in "
        "train): the same example is evaluated twice, in two parts meant to be independent; "
        "remove the copies"
    )


class ConflictReport(BaseModel):
    """Groups of identical inputs that carry different labels (contradictory data)."""

    groups: int
    examples: int = Field(description="examples in such groups")
    shown: list[ExampleGroup] = Field(default_factory=list)
    least_error: float = Field(
        default=0.0,
        description="the error of the best rule of these inputs on these examples: each "
        "input's most frequent label (no model that reads only these inputs errs less here)",
    )


class InspectReport(BaseModel):
    schema_version: int = INSPECT_SCHEMA_VERSION
    data: str
    n: int
    input_shape: list[int]
    num_features: int
    classes: list[Count]
    imbalance_ratio: float = Field(description="largest class count / smallest class count")
    weights: dict[str, float] | None = Field(default=None, description="min, mean, max of s(i)")
    nonfinite: list[NonFiniteColumn] = Field(default_factory=list)
    impute: str = "none"
    filled: list[str] = Field(
        default_factory=list, description="what --impute does to each column with missing values"
    )
    read_as: str = Field(
        default="", description="a CSV's delimiter, decimal mark and encoding, when not , . UTF-8"
    )
    dates: list[str] = Field(
        default_factory=list, description="columns read as dates (days since 1970, UTC)"
    )
    sources: list[Count] | None = None
    human_error: float | None = None
    bayes_error: float | None = None
    reference_note: str = ""
    split: SplitSummary | None = None
    split_error: str | None = Field(default=None, description="why the policy cannot split")
    duplicates: DuplicateReport
    conflicts: ConflictReport
    warnings: list[str] = Field(default_factory=list)


def _counts(values: Sequence[str] | np.ndarray, order: Sequence[str] | None = None) -> list[Count]:
    names, counts = np.unique(np.asarray(values, dtype=object).astype(str), return_counts=True)
    found = dict(zip(names.tolist(), counts.tolist(), strict=True))
    order = list(order) if order is not None else sorted(found)
    total = max(1, sum(found.values()))
    return [Count(name=k, count=found.get(k, 0), fraction=found.get(k, 0) / total) for k in order]


# rows compared at once when the hashed groups are checked against their first row
_CHECKED_ROWS = 65536


def _input_ids(x: np.ndarray) -> np.ndarray:
    """One id per distinct input (−0 = +0, every NaN the same), ids in sorted order of a 64-bit
    hash of each row's bytes; every row is then compared with its group's first, so the
    groups are exact (a collision falls back to sorting the rows' bytes). Sorting the bytes
    themselves held 1.9 GB beside a 327,346 × 388 table's 508 MB of features (a new user's
    flights: ``data inspect`` at 3 GB)."""
    import pandas as pd

    flat = np.array(x.reshape(len(x), -1), dtype=np.float32, order="C")  # one copy, in place:
    flat += np.float32(0.0)  # −0 → +0
    flat[np.isnan(flat)] = np.float32(np.nan)  # one NaN
    bits = flat.view(np.uint32)
    if bits.shape[1] == 0:
        return np.zeros(len(bits), dtype=np.int64)
    hashes = pd.util.hash_pandas_object(pd.DataFrame(bits, copy=False), index=False)
    _, first, ids = np.unique(hashes.to_numpy(), return_index=True, return_inverse=True)
    ids = ids.ravel()
    for at in range(0, len(bits), _CHECKED_ROWS):
        rows = slice(at, at + _CHECKED_ROWS)
        if not np.array_equal(bits[rows], bits[first[ids[rows]]]):  # two inputs, one hash
            keys = np.ascontiguousarray(bits).view(np.dtype((np.void, 4 * bits.shape[1])))
            return np.unique(keys.ravel(), return_inverse=True)[1].ravel()
    return ids


def _group(ds: Dataset, members: np.ndarray, where: np.ndarray) -> ExampleGroup:
    y = ds.y.numpy()
    return ExampleGroup(
        ids=[str(i) for i in ds.ids[members[:MAX_IDS_SHOWN]]],
        size=len(members),
        labels=sorted({ds.class_names[k] for k in y[members]}),
        parts=[p for p in SPLIT_PARTS if p in set(where[members])],
    )


def find_duplicates(ds: Dataset, where: np.ndarray) -> tuple[DuplicateReport, ConflictReport]:
    """Exact duplicates (input and label) and conflicting labels on identical inputs.

    ``where`` is each example's part name (``""`` when there is no split).
    """
    y = ds.y.numpy().astype(np.int64)
    k = max(1, ds.num_classes)
    if len(ds) == 0:
        empty = DuplicateReport(groups=0, redundant_examples=0, within_one_part=0, across_parts=0)
        return empty, ConflictReport(groups=0, examples=0)
    inputs = _input_ids(ds.x.numpy())  # one id per distinct input
    _, same = np.unique(inputs * k + y, return_inverse=True)
    same = same.ravel()  # one id per distinct (input, label)

    # duplicates: groups of (input, label) with ≥ 2 members
    sizes = np.bincount(same)
    dup_groups = np.flatnonzero(sizes >= 2)
    dup_groups = dup_groups[np.argsort(-sizes[dup_groups], kind="stable")]  # largest shown first
    order = np.argsort(same, kind="stable")
    starts = np.concatenate([[0], np.cumsum(sizes)])
    within = across = 0
    shown_across: list[ExampleGroup] = []
    shown_within: list[ExampleGroup] = []
    held_out: dict[str, int] = {}
    for g in dup_groups:
        members = order[starts[g] : starts[g + 1]]
        parts = set(where[members])
        if len(parts) > 1:
            across += 1
            if len(shown_across) < MAX_GROUPS_SHOWN:
                shown_across.append(_group(ds, members, where))
            if "train" in parts:
                for p in parts - {"train", ""}:
                    held_out[p] = held_out.get(p, 0) + int((where[members] == p).sum())
        else:
            within += 1
            if len(shown_within) < MAX_GROUPS_SHOWN:
                shown_within.append(_group(ds, members, where))
    duplicates = DuplicateReport(
        groups=len(dup_groups),
        redundant_examples=int((sizes[dup_groups] - 1).sum()),
        within_one_part=within,
        across_parts=across,
        held_out_copies_of_train={p: held_out[p] for p in SPLIT_PARTS if p in held_out},
        examples=(shown_across + shown_within)[:MAX_GROUPS_SHOWN],
        rows=len(y),
        distinct_inputs=int(inputs.max()) + 1,
        repeated_inputs=int((np.bincount(inputs) >= 2).sum()),
    )

    # conflicts: one input, several labels
    pairs, pair_counts = np.unique(inputs * k + y, return_counts=True)
    labels_per_input = np.bincount(pairs // k)
    most = np.zeros(len(labels_per_input), dtype=np.int64)
    np.maximum.at(most, pairs // k, pair_counts)  # each input's most frequent label's count
    conflict_inputs = np.flatnonzero(labels_per_input >= 2)
    members = np.bincount(inputs)[conflict_inputs]
    conflict_inputs = conflict_inputs[np.argsort(-members, kind="stable")]  # largest first
    in_conflict = np.isin(inputs, conflict_inputs)
    shown = [
        _group(ds, np.flatnonzero(inputs == g), where) for g in conflict_inputs[:MAX_GROUPS_SHOWN]
    ]
    conflicts = ConflictReport(
        groups=len(conflict_inputs),
        examples=int(in_conflict.sum()),
        shown=shown,
        least_error=float(1.0 - most.sum() / len(y)),
    )
    return duplicates, conflicts


def _split_summary(ds: Dataset, split: Split, policy: SplitPolicy, seed: int) -> SplitSummary:
    y = ds.y.numpy()
    parts = []
    for name, idx in split.parts().items():
        classes = np.bincount(y[idx], minlength=ds.num_classes)
        sources = {}
        if ds.source is not None:
            sources = {c.name: c.count for c in _counts(ds.source[idx]) if c.count}
        parts.append(
            PartSummary(
                name=name,
                size=len(idx),
                fraction=len(idx) / max(1, len(ds)),
                classes={c: int(k) for c, k in zip(ds.class_names, classes, strict=True)},
                sources=sources,
            )
        )
    preset = 0 if ds.preset_split is None else int((ds.preset_split != "").sum())
    if preset == len(ds):  # no example was left to the policy
        rule = "every example's part is given by the split column"
    elif policy.ratios is not None:
        rule = "ratios " + "/".join(f"{100 * r:g}" for r in policy.ratios)
    else:
        rule = "dev = test = min(20 % of n, max(10,000, 1 % of n))"
    return SplitSummary(
        seed=seed,
        rule=rule,
        train_dev=len(split.train_dev) > 0,
        dev_source=policy.dev_source,
        preset=preset,
        parts=parts,
        notes=list(split.notes),
    )


def _nonfinite_columns(report: NonFinite) -> list[NonFiniteColumn]:
    names = list(dict.fromkeys([*report.nan, *report.inf]))
    return [
        NonFiniteColumn(column=c, nan=report.nan.get(c, 0), inf=report.inf.get(c, 0)) for c in names
    ]


class _Kept(logging.Handler):
    """Keeps the data layer's warnings as lines (without the file's name in front)."""

    def __init__(self, file: str) -> None:
        super().__init__(logging.WARNING)
        self.file, self.lines = file, []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage().removeprefix(f"{self.file}: "))


@contextmanager
def _warnings_kept(file: str) -> Iterator[list[str]]:
    """The data layer's warnings while the block runs, as a list (the report's warnings, and
    --json's), instead of log lines on stderr; when the block refuses the data, they go to
    stderr after all, before the refusal (a short line's warning says what the error that
    follows comes from)."""
    logger = logging.getLogger("orthotune.data")
    kept, propagate = _Kept(file), logger.propagate
    logger.addHandler(kept)
    logger.propagate = False
    refused = False
    try:
        yield kept.lines
    except InvalidInputError:
        refused = True
        raise
    finally:
        logger.removeHandler(kept)
        logger.propagate = propagate
        for line in kept.lines if refused else ():
            logger.warning("%s: %s", file, line)


def inspect_data(
    spec: str | pd.DataFrame,
    options: LoadOptions | None = None,
    *,
    seed: int = 0,
    policy: SplitPolicy | None = None,
    **columns: object,
) -> InspectReport:
    """Load DATA (or a pandas DataFrame) leniently (NaN/inf reported, not refused) and
    describe it (see module doc). ``columns``: the flags by name where no ``options`` is given
    (``target="churn"``, ``id=``, ``drop=`` …, as ``load_options`` takes them; ``target=0``
    names a DataFrame's column 0), as the other jobs take them."""
    if columns:
        if options is not None:
            raise InvalidInputError(
                f"inspect_data got options= and {', '.join(columns)}=: give the column "
                "keywords or a LoadOptions, not both"
            )
        try:
            options = load_options(**columns)  # type: ignore[arg-type]
        except TypeError as err:  # an unknown keyword
            raise InvalidInputError(
                f"inspect_data: {err}; accepted: target, weight, source, id, drop, split_col, "
                "dev_source, impute"
            ) from None
    options = options or LoadOptions()
    if policy is None:
        policy = SplitPolicy(dev_source=options.dev_source)
    split_summary, split_error = None, None
    in_memory = not isinstance(spec, str | Path)  # a DataFrame: no file, no dialect
    # how the loader's warnings name the file
    file = FRAME_NAME if in_memory else str(Path(spec).expanduser())
    with _warnings_kept(file) as warnings:  # what loading and splitting warned of
        loaded = load_with_report(spec, options, allow_nonfinite=True)
        ds = loaded.dataset
        n = len(ds)
        where = np.full(n, "", dtype=object)
        try:
            split = make_split(ds, seed=seed, policy=policy)
            where = split.assignment(n)
            split_summary = _split_summary(ds, split, policy, seed)
        except InvalidInputError as err:
            split_error = str(err)
            warnings.append(f"no split: {err}")
        else:
            try:  # described, and said: every command that trains refuses it
                check_train_part(split, ds.name)
            except InvalidInputError as err:
                warnings.append(f"training refuses this split: {err}")
    y = ds.y.numpy()
    class_counts = np.bincount(y, minlength=ds.num_classes)
    present = class_counts[class_counts > 0]
    imbalance = float(present.max() / present.min()) if present.size else 1.0

    duplicates, conflicts = find_duplicates(ds, where)
    nonfinite = _nonfinite_columns(loaded.nonfinite)
    weights = None
    if ds.weights is not None:
        w = ds.weights.double()
        weights = {"min": float(w.min()), "mean": float(w.mean()), "max": float(w.max())}

    if nonfinite and options.impute == "none":
        total = sum(c.nan for c in nonfinite)
        if total:
            warnings.append(
                f"{total} missing (NaN) values: training refuses them under --impute none; "
                "leave --impute at auto, or use mean|median"
            )
        if any(c.inf for c in nonfinite):
            warnings.append("infinite values: training refuses them; fix or --drop the columns")
    if imbalance >= 10:
        warnings.append(
            f"class imbalance ratio {imbalance:.1f}: consider class-balancing weights and a "
            "per-class metric (F1) rather than accuracy"
        )
    if duplicates.across_parts:
        warnings.append(_across_parts(duplicates, conflicts))
    if conflicts.groups and repeats_by_nature(duplicates, conflicts):
        warnings.append(
            f"{conflicts.groups:,} input(s) carry several labels ({conflicts.examples:,} "
            "examples): where identical inputs are the data's nature that is the label's own "
            f"uncertainty given them: no model that reads only these inputs errs less than "
            f"{conflicts.least_error:.2%} on these examples (more discriminating attributes "
            "would lower it)"
        )
    elif conflicts.groups:
        warnings.append(
            f"{conflicts.groups} input(s) carry conflicting labels ({conflicts.examples} "
            "examples): contradictory training data; check their labels (each input's most "
            f"frequent label errs on {conflicts.least_error:.2%} of the examples)"
        )

    return InspectReport(
        data=FRAME_NAME if in_memory else str(spec),
        n=n,
        input_shape=list(ds.input_shape),
        num_features=int(np.prod(ds.input_shape)) if ds.input_shape else 0,
        classes=[
            Count(name=c, count=int(k), fraction=float(k) / max(1, n))
            for c, k in zip(ds.class_names, class_counts, strict=True)
        ],
        imbalance_ratio=imbalance,
        weights=weights,
        nonfinite=nonfinite,
        impute=options.impute,
        filled=describe_filled(ds),
        read_as=""
        if in_memory or table_suffix(spec) not in CSV_SUFFIXES
        else csv_dialect(Path(spec).expanduser()).describe(),
        dates=[c.name for c in getattr(ds.encoding, "columns", []) if c.kind == "date"],
        sources=None if ds.source is None else _counts(ds.source),
        human_error=ds.reference.human_error,
        bayes_error=ds.reference.bayes_error,
        reference_note=ds.reference.note,
        split=split_summary,
        split_error=split_error,
        duplicates=duplicates,
        conflicts=conflicts,
        warnings=warnings,
    )
