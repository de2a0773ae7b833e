"""The train / train-dev / dev / test split (lecture: "How to split data").

Sizes (``policy_sizes``): dev = test = min(20 % of n, max(10 000, 1 % of n)) — 60/20/20 for
small data, 10 000 each in the middle, 98/1/1 from 1 M examples up — unless ``ratios`` override
them (70/15/15, 80/10/10 …). A train-dev set (same distribution as train, never trained on, as
large as dev) is carved out of train by default when the data has more than one source or a
``dev_source`` is given, and on request otherwise.

How examples are assigned (``make_split``):
- examples with a ``preset_split`` (``--split-col``, MNIST-1D's canonical test set) keep it; the
  policy fills what is left of each part's size from the other examples;
- all sources are shuffled together and the split is stratified by class: each part gets each
  class's share within one example (a controlled rounding of the class × part quotas), and each
  source's share within each class likewise;
- every source with at least as many examples as parts then appears in every part (a swap inside
  one class fixes a source a part lacks; only when no such swap exists does a swap across classes
  — which may cost that class's count one more example — keep this promise). This holds whenever
  each part has at least as many examples as there are such sources;
- with ``dev_source``, dev and test come from that source only (each at most a quarter of its
  examples, so that at least half of it stays for training), and train-dev from the rest;
- a class with fewer examples than parts to fill goes to train whole, and a note (a warning in
  the terminal, ``data inspect``) says it cannot be measured on dev or test — a long tail of
  rare classes is common in real labels, and refusing the file made the user merge or delete
  them by hand; it is refused (name and count) only when train cannot hold those examples, or
  under ``dev_source``;
- the same seed gives the same split.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from orthotune._errors import InvalidInputError
from orthotune._records import SPLIT_SCHEMA_VERSION
from orthotune.data._dataset import SPLIT_PARTS, Dataset
from orthotune.data._validate import Origin, check_class_sizes, check_dev_source

log = logging.getLogger(__name__)


def policy_dev_size(n: int) -> int:
    """The lecture's dev (= test) size: min(20 % of n, max(10 000, 1 % of n))."""
    return min(n // 5, max(10_000, n // 100))


def policy_sizes(
    n: int, *, ratios: tuple[float, float, float] | None = None, train_dev: bool = False
) -> dict[str, int]:
    """Part sizes for n examples (a pure function: no data needed).

    ``ratios`` (train, dev, test) replace the policy's dev/test sizes; train-dev, when asked
    for, is as large as dev and comes out of train.
    """
    if ratios is None:
        dev = test = policy_dev_size(n)
    else:
        dev = int(n * ratios[1] + 0.5)
        test = int(n * ratios[2] + 0.5)
    train_dev_size = dev if train_dev else 0
    return {
        "train": n - dev - test - train_dev_size,
        "train-dev": train_dev_size,
        "dev": dev,
        "test": test,
    }


def parse_ratios(text: str) -> tuple[float, float, float]:
    """``"70/15/15"``, ``"0.7/0.15/0.15"``, ``"80,10,10"`` or ``"60:20:20"`` → fractions."""
    pieces = [p for p in re.split(r"[/,:\s]+", str(text).strip()) if p]
    try:
        values = [float(p.rstrip("%")) for p in pieces]
    except ValueError:
        values = []
    if len(values) != 3:
        raise InvalidInputError(
            f"split ratios {text!r} are not three numbers train/dev/test: give e.g. 70/15/15 "
            "or 0.8/0.1/0.1"
        )
    return _check_ratios(tuple(values), text=str(text))


def _check_ratios(values: tuple[float, ...], *, text: str) -> tuple[float, float, float]:
    total = sum(values)
    if total > 1.0 + 1e-6:  # percentages
        values = tuple(v / 100.0 for v in values)
        total = sum(values)
    if (
        len(values) != 3
        or not all(np.isfinite(v) and v > 0 for v in values)
        or abs(total - 1.0) > 1e-3
    ):
        raise InvalidInputError(
            f"split ratios {text} must be three positive shares train/dev/test summing to 100 % "
            "(or 1): give e.g. 60/20/20, 70/15/15 or 98/1/1"
        )
    return (values[0] / total, values[1] / total, values[2] / total)


@dataclass(frozen=True)
class SplitPolicy:
    """What ``make_split`` is asked for; ``None`` means "the lecture's default"."""

    ratios: tuple[float, float, float] | None = None
    train_dev: bool | None = None
    dev_source: str | None = None

    def __post_init__(self) -> None:
        if self.ratios is not None:
            checked = _check_ratios(tuple(float(r) for r in self.ratios), text=str(self.ratios))
            object.__setattr__(self, "ratios", checked)

    def wants_train_dev(self, sources: np.ndarray | None) -> bool:
        """Train-dev by default when there is more than one source or a dev source."""
        if self.train_dev is not None:
            return self.train_dev
        many = sources is not None and len(set(sources.tolist())) > 1
        return many or self.dev_source is not None


@dataclass(frozen=True, eq=False)
class Split:
    """Positions (``np.int64``, sorted) of the examples in each part; ``train_dev`` may be
    empty. ``to_json`` gives the ids per part, saved with a run as ``split.json``."""

    train: np.ndarray
    train_dev: np.ndarray
    dev: np.ndarray
    test: np.ndarray
    seed: int | None = None
    notes: tuple[str, ...] = field(default=())

    def parts(self) -> dict[str, np.ndarray]:
        """``{"train": …, "train-dev": …, "dev": …, "test": …}`` in that order."""
        return {
            "train": self.train,
            "train-dev": self.train_dev,
            "dev": self.dev,
            "test": self.test,
        }

    def sizes(self) -> dict[str, int]:
        return {name: len(idx) for name, idx in self.parts().items()}

    def part(self, dataset: Dataset, name: str) -> Dataset:
        """The examples of one part as a Dataset."""
        if name not in SPLIT_PARTS:
            raise InvalidInputError(f"split part {name!r} is unknown; accepted: {SPLIT_PARTS}")
        return dataset.subset(self.parts()[name])

    def assignment(self, n: int) -> np.ndarray:
        """The part name of each of the ``n`` examples (``""`` for none)."""
        out = np.full(n, "", dtype=object)
        for name, idx in self.parts().items():
            out[idx] = name
        return out

    def to_json(self, dataset: Dataset) -> dict:
        """``{"schema_version", "seed", "sizes", "ids": {part: [id, …]}}`` (JSON-able)."""
        return {
            "schema_version": SPLIT_SCHEMA_VERSION,
            "seed": self.seed,
            "sizes": self.sizes(),
            "ids": {name: [str(i) for i in dataset.ids[idx]] for name, idx in self.parts().items()},
        }

    @classmethod
    def from_ids(
        cls, dataset: Dataset, ids: Mapping[str, Sequence[str]], *, seed: int | None = None
    ) -> Split:
        """The split that puts the examples with these ids in these parts."""
        position = {str(i): k for k, i in enumerate(dataset.ids)}
        found: dict[str, np.ndarray] = {}
        seen: dict[int, str] = {}
        for name in ids:
            if name not in SPLIT_PARTS:
                raise InvalidInputError(
                    f"split part {name!r} is unknown; accepted: {', '.join(SPLIT_PARTS)}"
                )
        for name in SPLIT_PARTS:
            positions = []
            for i in ids.get(name, ()):
                k = position.get(str(i))
                if k is None:
                    raise InvalidInputError(
                        f"split puts id {i!r} in {name} but {dataset.name} has no example with "
                        "that id: use the split saved for this data"
                    )
                if k in seen:
                    raise InvalidInputError(
                        f"split puts id {i!r} in both {seen[k]} and {name}: each example "
                        "belongs to one part"
                    )
                seen[k] = name
                positions.append(k)
            found[name] = np.sort(np.asarray(positions, dtype=np.int64))
        return cls(
            train=found["train"],
            train_dev=found["train-dev"],
            dev=found["dev"],
            test=found["test"],
            seed=seed,
        )

    @classmethod
    def from_json(cls, dataset: Dataset, data: Mapping) -> Split:
        """Inverse of ``to_json``."""
        if data.get("schema_version") != SPLIT_SCHEMA_VERSION or "ids" not in data:
            raise InvalidInputError(
                f"split data has schema_version {data.get('schema_version')!r}; accepted: "
                f"{SPLIT_SCHEMA_VERSION} with 'ids': use a split.json written by orthotune"
            )
        return cls.from_ids(dataset, data["ids"], seed=data.get("seed"))


# --- the assignment ----------------------------------------------------------------------------


def controlled_round(
    row_sums: np.ndarray, col_sums: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Integers M[i, j] ∈ {⌊q⌋, ⌈q⌉} of q = row_i · col_j / total with exact row and column
    sums (such a rounding always exists: the transportation polytope is integral).

    Entries with 0 < q < 1 are rounded up first (so small classes reach small parts), then the
    largest remainders; remaining units are placed along augmenting paths.
    """
    rows = np.asarray(row_sums, dtype=np.int64)
    cols = np.asarray(col_sums, dtype=np.int64)
    total = int(rows.sum())
    assert total == int(cols.sum()), "row and column sums differ"
    if total == 0:
        return np.zeros((len(rows), len(cols)), dtype=np.int64)
    prod = np.outer(rows, cols)
    floor, rem = prod // total, prod % total
    need_r = rows - floor.sum(1)
    need_c = cols - floor.sum(0)
    allowed = rem > 0
    extra = np.zeros_like(floor)
    candidates = np.argwhere(allowed)
    if len(candidates):
        ci, cj = candidates[:, 0], candidates[:, 1]
        order = np.lexsort((rng.random(len(ci)), -rem[ci, cj], floor[ci, cj] != 0))
        for i, j in zip(ci[order], cj[order], strict=True):
            if need_r[i] > 0 and need_c[j] > 0:
                extra[i, j] = 1
                need_r[i] -= 1
                need_c[j] -= 1
    while need_r.sum() > 0:  # augmenting path: row → free column, through rows that give way
        start = int(np.flatnonzero(need_r > 0)[0])
        parent_col: dict[int, int] = {}  # column → row that reached it
        parent_row: dict[int, int] = {start: -1}  # row → column it was reached through
        frontier, end = [start], None
        while frontier and end is None:
            nxt = []
            for i in frontier:
                for j in np.flatnonzero(allowed[i] & (extra[i] == 0)):
                    j = int(j)
                    if j in parent_col:
                        continue
                    parent_col[j] = i
                    if need_c[j] > 0:
                        end = j
                        break
                    for i2 in np.flatnonzero(extra[:, j] == 1):
                        i2 = int(i2)
                        if i2 not in parent_row:
                            parent_row[i2] = j
                            nxt.append(i2)
                if end is not None:
                    break
            frontier = nxt
        if end is None:
            raise RuntimeError("controlled rounding found no augmenting path")  # invariant
        j = end
        need_c[j] -= 1
        while True:
            i = parent_col[j]
            extra[i, j] = 1
            back = parent_row[i]
            if back == -1:
                need_r[i] -= 1
                break
            extra[i, back] = 0
            j = back
    return floor + extra


def _cover_sources(
    part_of: np.ndarray, classes: np.ndarray, sources: np.ndarray, n_parts: int
) -> None:
    """Swap examples until every source with ≥ n_parts examples is in every part (in place)."""
    n_src = int(sources.max()) + 1
    counts = np.zeros((n_src, n_parts), dtype=np.int64)
    np.add.at(counts, (sources, part_of), 1)
    protected = counts.sum(1) >= n_parts
    while True:
        missing = np.argwhere(protected[:, None] & (counts == 0))
        progress = False
        for s, p in missing:
            if counts[s, p] > 0:
                continue
            donors = (sources == s) & (part_of != p) & (counts[s, part_of] >= 2)
            takers = (
                (part_of == p) & (sources != s) & (~protected[sources] | (counts[sources, p] >= 2))
            )
            if not donors.any() or not takers.any():
                continue
            common = np.intersect1d(classes[donors], classes[takers])
            if common.size:  # same class: class counts per part stay as they were
                e = int(np.flatnonzero(donors & (classes == common[0]))[0])
                f = int(np.flatnonzero(takers & (classes == common[0]))[0])
            else:
                e, f = int(np.flatnonzero(donors)[0]), int(np.flatnonzero(takers)[0])
            pe = int(part_of[e])
            part_of[e], part_of[f] = p, pe
            counts[s, pe] -= 1
            counts[s, p] += 1
            counts[sources[f], p] -= 1
            counts[sources[f], pe] += 1
            progress = True
        if not progress:
            break


def _partition(
    positions: np.ndarray,
    y: np.ndarray,
    sources: np.ndarray | None,
    sizes: Mapping[str, int],
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Split ``positions`` into parts of exactly ``sizes``, stratified by class (and by source
    within each class), then make every sizeable source appear in every part."""
    names = [name for name, k in sizes.items() if k > 0]
    out = {name: np.zeros(0, dtype=np.int64) for name in sizes}
    if not names or len(positions) == 0:
        return out
    part_sizes = np.array([sizes[name] for name in names], dtype=np.int64)
    assert int(part_sizes.sum()) == len(positions), "sizes must add up to the examples"
    _, cls = np.unique(y[positions], return_inverse=True)
    if sources is None:
        src = np.zeros(len(positions), dtype=np.int64)
    else:
        _, src = np.unique(sources[positions], return_inverse=True)
    per_class = controlled_round(np.bincount(cls), part_sizes, rng)  # [K, P]
    part_of = np.empty(len(positions), dtype=np.int64)
    for k in range(per_class.shape[0]):
        members = rng.permutation(np.flatnonzero(cls == k))
        src_codes, src_counts = np.unique(src[members], return_counts=True)
        per_source = controlled_round(src_counts, per_class[k], rng)  # [S_k, P]
        for s, counts in zip(src_codes, per_source, strict=True):
            mine = members[src[members] == s]
            part_of[mine] = np.repeat(np.arange(len(names)), counts)
    if sources is not None:
        _cover_sources(part_of, cls, src, len(names))
    for j, name in enumerate(names):
        out[name] = np.sort(positions[part_of == j])
    return out


def _check_nothing_to_place(policy: SplitPolicy) -> None:
    """Every example's part is preset: the options that size or fill parts have nothing to act
    on, and are refused in one line rather than ignored (``--train-dev`` asked for a train-dev
    set that stayed empty; ``--dev-source phone`` left web rows in dev)."""
    given = [
        flag
        for flag, on in (
            ("--split-ratios", policy.ratios is not None),
            ("--train-dev", policy.train_dev is True),
            ("--dev-source", policy.dev_source is not None),
        )
        if on
    ]
    if given:
        raise InvalidInputError(
            f"{', '.join(given)}: every example's part is given by the split column, so there "
            "is nothing for them to place; drop them, or leave the split cell empty on the rows "
            "they should place (write train-dev cells for a train-dev set)"
        )


def make_split(dataset: Dataset, *, seed: int, policy: SplitPolicy | None = None) -> Split:
    """The split the policy makes of ``dataset`` (see the module docstring)."""
    policy = policy or SplitPolicy()
    n = len(dataset)
    y = dataset.y.numpy()
    sources = dataset.source
    train_dev = policy.wants_train_dev(sources)
    targets = policy_sizes(n, ratios=policy.ratios, train_dev=train_dev)
    needed = ["train", "dev", "test"] + (["train-dev"] if train_dev else [])
    empty = [p for p in needed if targets[p] <= 0]
    if empty:
        how = f"ratios {_ratio_text(policy.ratios)}" if policy.ratios else "the policy"
        fix = "give more data" + (" or larger dev/test ratios" if policy.ratios else "")
        raise InvalidInputError(
            f"{dataset.name}: {n} examples are too few: under {how} the {', '.join(empty)} "
            f"set(s) would be empty: {fix}"
        )
    preset = dataset.preset_split
    if preset is None:
        preset = np.full(n, "", dtype=object)
    fixed = {name: np.flatnonzero(preset == name).astype(np.int64) for name in SPLIT_PARTS}
    free = np.flatnonzero(preset == "").astype(np.int64)
    if n and not len(free):
        _check_nothing_to_place(policy)
    notes: list[str] = []
    warned: list[str] = []  # notes the terminal shows too
    if len(free) < n:
        notes.append(f"{n - len(free)} examples keep their preset part")

    # What is left of each part's size for the free examples (test, then dev, then train-dev).
    left = len(free)
    want: dict[str, int] = {}
    for name in ("test", "dev", "train-dev"):
        target = max(0, targets[name] - len(fixed[name]))
        want[name] = min(target, left)
        if want[name] < target and len(free):  # every example preset: no policy size to miss
            got = len(fixed[name]) + want[name]
            notes.append(f"{name} gets {got} examples, not {targets[name]}")
        left -= want[name]
    want["train"] = left

    rng = np.random.default_rng(seed)
    counts = _class_counts(y[free], dataset.class_names)
    if policy.dev_source is None:
        to_fill = [p for p in SPLIT_PARTS if want[p] > 0]
        rare = [k for k, c in enumerate(counts.values()) if 0 < c < len(to_fill)]
        whole = free[np.isin(y[free], rare)]  # the rare classes' examples: all in train
        if len(free) and (not rare or want["train"] < len(whole)):
            check_class_sizes(counts, to_fill, dataset.name)
        if rare:
            want["train"] -= len(whole)
            free = np.setdiff1d(free, whole)
            names = [dataset.class_names[k] for k in rare]
            shown = ", ".join(repr(c) for c in names[:5]) + (" …" if len(names) > 5 else "")
            note = (
                f"{len(names)} class(es) with fewer than {len(to_fill)} examples ({shown}; "
                f"{len(whole)} examples) are all in train: too few to be measured on "
                f"{' and '.join(p for p in to_fill if p != 'train')}"
            )
            notes.append(note)
            warned.append(note)
        parts = _partition(free, y, sources, {p: want[p] for p in SPLIT_PARTS}, rng)
        parts["train"] = np.sort(np.concatenate([parts["train"], whole]))
    else:
        parts = _dev_source_split(
            dataset, free, want, fixed, policy.dev_source, train_dev, rng, notes
        )

    final = {name: np.sort(np.concatenate([fixed[name], parts[name]])) for name in SPLIT_PARTS}
    learned = set(y[final["train"]].tolist())
    unseen = sorted({int(k) for p in SPLIT_PARTS for k in y[final[p]]} - learned)
    if unseen and len(final["train"]):  # a preset split (test/d/ beside train/a, b, c)
        names = [dataset.class_names[k] for k in unseen]
        note = (
            f"{len(names)} class(es) have no train example ({', '.join(map(repr, names[:5]))}"
            f"{' …' if len(names) > 5 else ''}): the model never learns them, and their "
            "examples in the other parts always count as errors"
        )
        notes.append(note)
        warned.append(note)
    split = Split(
        train=final["train"],
        train_dev=final["train-dev"],
        dev=final["dev"],
        test=final["test"],
        seed=seed,
        notes=tuple(notes),
    )
    for note in notes:
        log.log(logging.WARNING if note in warned else logging.INFO, "%s: %s", dataset.name, note)
    return split


def check_train_part(split: Split, name: str) -> None:
    """Every command that trains refuses a split with no training example — a file's own
    split that names dev and test only — in one line, before its run folder (a new user's got
    "cannot fit a normalizer on data of shape (0, 5)" from tune, and train left a run behind)."""
    if len(split.train) == 0:
        held = [p for p, rows in split.parts().items() if len(rows)]
        only = f" (only {', '.join(held)})" if held else ""
        raise InvalidInputError(
            f"{name}: the split has no training examples{only}: mark some rows 'train', or "
            "leave their split empty so that the split policy takes train from them"
        )


def check_dev_part(split: Split, name: str, needs: str) -> None:
    """A command that ``needs`` dev (in words: "tune chooses every model on dev") refuses a
    split with no dev example — a file's own split that names train and test only — in one
    line; ``train`` takes one, as it chooses nothing. Training examples are checked first."""
    check_train_part(split, name)
    if len(split.dev) == 0:
        held = [p for p, rows in split.parts().items() if len(rows)]
        raise InvalidInputError(
            f"{name}: the split has no dev examples (only {', '.join(held)}), and {needs}: "
            "mark some rows 'dev', or leave their split empty so that the split policy takes "
            "dev from them"
        )


def warn_without_test(split: Split, name: str) -> None:
    """A split with no test example (a file's own split of train and dev only) is run, with a
    warning: no test error will judge the chosen model."""
    if len(split.test) == 0:
        log.warning(
            "%s: the split has no test examples: the chosen model's test error will not be "
            "measured (the test set judges it once, at the end); mark some rows 'test', or "
            "leave their split empty so that the split policy takes test from them",
            name,
        )


def _class_counts(y: np.ndarray, class_names: Sequence[str]) -> dict[str, int]:
    counts = np.bincount(y, minlength=len(class_names))
    return {name: int(k) for name, k in zip(class_names, counts, strict=True)}


def _dev_source_split(
    dataset: Dataset,
    free: np.ndarray,
    want: dict[str, int],
    fixed: dict[str, np.ndarray],
    dev_source: str,
    train_dev: bool,
    rng: np.random.Generator,
    notes: list[str],
) -> dict[str, np.ndarray]:
    """Dev and test from ``dev_source`` only; train and train-dev from everything else."""
    name = dataset.name
    sources = dataset.source
    check_dev_source(dev_source, sources, Origin(name))
    y = dataset.y.numpy()
    inside = free[sources[free] == dev_source]
    outside = free[sources[free] != dev_source]
    quarter = len(inside) // 4
    dev, test = min(want["dev"], quarter), min(want["test"], quarter)
    if (want["dev"] > 0 and dev == 0) or (want["test"] > 0 and test == 0):
        raise InvalidInputError(
            f"{name}: --dev-source {dev_source!r} has {len(inside)} example(s) to split, too few "
            "for dev and test (each takes at most a quarter of it, so at least 4 are needed): "
            "give a larger source"
        )
    if (dev, test) != (want["dev"], want["test"]):
        notes.append(
            f"dev and test hold {dev} and {test} examples of {dev_source!r} (a quarter of it "
            f"each at most; the policy asked for {want['dev']} and {want['test']})"
        )
    check_class_sizes(
        _class_counts(y[free], dataset.class_names),
        ["train", "train-dev", "dev", "test"] if train_dev else ["train", "dev", "test"],
        name,
    )
    first = _partition(
        inside, y, None, {"dev": dev, "test": test, "rest": len(inside) - dev - test}, rng
    )
    pool = np.sort(np.concatenate([outside, first["rest"]]))
    train_dev_size = (len(fixed["dev"]) + dev - len(fixed["train-dev"])) if train_dev else 0
    train_dev_size = max(0, min(train_dev_size, len(pool) - 1))
    second = _partition(
        pool,
        y,
        sources,
        {"train": len(pool) - train_dev_size, "train-dev": train_dev_size},
        rng,
    )
    return {"train": second["train"], "train-dev": second["train-dev"], **first}


def _ratio_text(ratios: tuple[float, float, float]) -> str:
    return "/".join(f"{100 * r:g}" for r in ratios)


def stratified_folds(y: np.ndarray, *, folds: int, seed: int) -> np.ndarray:
    """The fold (0 … folds−1) of each example for K-fold cross-validation: each class's rows
    are shuffled and dealt round-robin from a random first fold, so every fold holds each class
    in proportion (± 1 example)."""
    y = np.asarray(y)
    if folds < 2 or folds > len(y):
        raise InvalidInputError(
            f"folds={folds} for {len(y)} examples: accepted is 2 … {len(y)}; fix: use e.g. 5"
        )
    rng = np.random.default_rng(seed)
    fold_of = np.empty(len(y), dtype=np.int64)
    for c in np.unique(y):
        rows = np.flatnonzero(y == c)
        rng.shuffle(rows)
        fold_of[rows] = (np.arange(len(rows)) + rng.integers(folds)) % folds
    return fold_of


def split_policy(
    *,
    ratios: str | None = None,
    train_dev: bool | None = None,
    dev_source: str | None = None,
) -> SplitPolicy:
    """The ``SplitPolicy`` of ``--split-ratios``, ``--train-dev`` and ``--dev-source``."""
    return SplitPolicy(
        ratios=None if ratios is None else parse_ratios(ratios),
        train_dev=train_dev,
        dev_source=dev_source,
    )
