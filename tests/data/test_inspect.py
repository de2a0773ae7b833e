import json

import numpy as np
import pytest
import torch

from orthotune.data import Dataset, InspectReport, LoadOptions, find_duplicates, inspect_data


def test_duplicates_within_and_across_parts_and_conflicts():
    x = torch.tensor(
        [[1.0, 2], [1.0, 2], [3.0, 4], [3.0, 4], [5.0, 6], [5.0, 6], [7.0, -0.0], [7.0, 0.0]]
    )
    y = torch.tensor([0, 0, 1, 1, 0, 1, 0, 0])
    ds = Dataset(x=x, y=y, class_names=("a", "b"), ids=np.array(list("abcdefgh"), dtype=object))
    where = np.array(
        ["train", "train", "train", "dev", "test", "test", "train", "test"], dtype=object
    )
    dup, conflicts = find_duplicates(ds, where)
    assert dup.groups == 3 and dup.redundant_examples == 3  # (a,b), (c,d), (g,h): -0 == +0
    assert dup.within_one_part == 1 and dup.across_parts == 2
    assert dup.held_out_copies_of_train == {"dev": 1, "test": 1}
    assert conflicts.groups == 1 and conflicts.examples == 2
    assert conflicts.shown[0].ids == ["e", "f"] and conflicts.shown[0].labels == ["a", "b"]
    from orthotune.data._inspect import _across_parts

    assert _across_parts(dup, conflicts) == (  # 1 of 4 repeated inputs with several labels
        "2 duplicate group(s) span parts; held-out examples that copy a training example: 1 in "
        "dev, 1 in test — trained on and evaluated (leakage); remove the copies"
    )
    # copies in dev and test only: evaluated twice, never trained on (a sweep read "leakage")
    dup, conflicts = find_duplicates(
        ds, np.array(["train", "train", "dev", "test"] * 2, dtype=object)
    )
    assert dup.across_parts >= 1 and not dup.held_out_copies_of_train
    assert _across_parts(dup, conflicts).startswith(
        f"{dup.across_parts} duplicate group(s) span held-out parts only (none is in train)"
    )


def test_inputs_of_few_values_repeat_by_nature_and_bound_the_error(write_csv):
    # a table of a few few-valued columns: identical rows are people alike, not copies (a new
    # user's fertility and military tables were told to remove 94 % and 99.9 % of their rows)
    import pandas as pd

    g = np.random.default_rng(0)
    frame = pd.DataFrame({"a": g.integers(0, 3, 400), "b": g.integers(0, 2, 400)})
    frame["label"] = np.where(g.random(400) < 0.3 + 0.2 * frame["a"], "yes", "no")
    report = inspect_data(str(write_csv(frame.to_csv(index=False))), LoadOptions(), seed=0)
    assert (report.duplicates.distinct_inputs, report.duplicates.rows) == (6, 400)
    # the reference: each (a, b)'s minority labels, over all rows
    counts = frame.groupby(["a", "b"])["label"].value_counts().unstack(fill_value=0)
    least = 1 - counts.max(axis=1).sum() / 400
    assert report.conflicts.least_error == pytest.approx(least, abs=1e-12)
    copies, conflicting = report.warnings[-2:]
    assert copies.startswith(
        "the inputs take few values (6 distinct among 400 examples), so identical examples are "
        "expected, not copies: held-out examples equal to a training example ("
    ) and copies.endswith("are what new data would bring; keep them")
    assert conflicting == (
        "6 input(s) carry several labels (400 examples): where identical inputs are the data's "
        "nature that is the label's own uncertainty given them: no model that reads only these "
        f"inputs errs less than {least:.2%} on these examples (more discriminating attributes "
        "would lower it)"
    )
    assert not any("remove the copies" in w or "contradictory" in w for w in report.warnings)
    # the largest groups are the ones shown
    for shown in (report.duplicates.examples, report.conflicts.shown):
        sizes = [group.size for group in shown]
        assert len(sizes) == 5 and sizes == sorted(sizes, reverse=True)
    assert report.conflicts.shown[0].size == frame.groupby(["a", "b"]).size().max()


def test_repeated_inputs_that_mostly_carry_several_labels_are_alike_by_chance(write_csv):
    # a new user's GSSvocab survey: 16,854 distinct inputs among 28,786 rows (above FEW_INPUTS),
    # 5,136 of its repeated inputs with several labels, was told to remove 2,508 held-out rows
    import pandas as pd

    g = np.random.default_rng(1)
    frame = pd.DataFrame({"a": g.integers(0, 150, 400)})
    frame["label"] = np.where(g.random(400) < 0.5, "yes", "no")  # the input says nothing
    report = inspect_data(str(write_csv(frame.to_csv(index=False))), LoadOptions(), seed=0)
    counts = frame.groupby("a")["label"].agg(["size", "nunique"])
    repeated, several = int((counts["size"] >= 2).sum()), int((counts["nunique"] >= 2).sum())
    assert report.duplicates.repeated_inputs == repeated and report.conflicts.groups == several
    assert report.duplicates.distinct_inputs > 100 and 2 * several >= repeated  # the case
    copies = next(w for w in report.warnings if "copies" in w)
    assert copies.startswith(
        f"most inputs seen more than once carry several labels ({several:,} of {repeated:,}), "
        "as examples alike by chance do and copies do not, so identical examples are expected"
    ) and copies.endswith("keep them")
    assert not any("remove the copies" in w or "contradictory" in w for w in report.warnings)


def test_input_ids_group_exactly_identical_inputs_even_when_hashes_collide(monkeypatch):
    import pandas as pd

    from orthotune.data._inspect import _input_ids

    g = np.random.default_rng(0)
    x = g.integers(0, 3, size=(500, 4)).astype(np.float32)
    x[::7, 1] = np.nan  # every NaN the same input
    x[::11, 2] = -0.0 * (x[::11, 2] == 0) + x[::11, 2] * (x[::11, 2] != 0)  # −0 is 0
    reference = pd.DataFrame(np.nan_to_num(x, nan=-99.0) + 0.0).groupby([0, 1, 2, 3]).ngroup()
    # the same partition of the rows (ids are a relabelling)
    for ids in (_input_ids(x), _input_ids(x.reshape(500, 2, 2))):
        pairs = pd.crosstab(ids, reference.to_numpy())
        assert ((pairs > 0).sum(axis=1) == 1).all() and ((pairs > 0).sum(axis=0) == 1).all()
    # every row one hash: the rows' bytes decide
    flat = lambda frame, index: pd.Series(np.zeros(len(frame), dtype=np.uint64))  # noqa: E731
    monkeypatch.setattr(pd.util, "hash_pandas_object", flat)
    pairs = pd.crosstab(_input_ids(x), reference.to_numpy())
    assert ((pairs > 0).sum(axis=1) == 1).all() and ((pairs > 0).sum(axis=0) == 1).all()
    assert len(set(_input_ids(np.zeros((5, 0), dtype=np.float32)))) == 1


def test_inspect_csv_reports_nan_sources_split_and_warnings(write_csv):
    rows = ["f,g,site,label"]
    for i in range(60):
        f = "" if i in (3, 9) else str(i % 7)
        rows.append(f"{f},{i % 5},{'ab'[i % 2]},{'xyz'[i % 3] if i < 57 else 'x'}")
    rows.append("1,1,a,y")
    rows.append("1,1,a,z")  # the same input as the previous row with another label
    path = write_csv("\n".join(rows) + "\n")
    report = inspect_data(str(path), LoadOptions(source="site"), seed=3)
    assert report.n == 62 and report.input_shape == [3]  # f, "f (missing)", g
    assert [(c.name, c.count) for c in report.classes] == [("x", 22), ("y", 20), ("z", 20)]
    assert report.imbalance_ratio == 22 / 20
    assert [(c.column, c.nan) for c in report.nonfinite] == [("f", 2)]
    assert {s.name: s.count for s in report.sources} == {"a": 32, "b": 30}
    assert report.split is not None and report.split.train_dev  # two sources → train-dev
    sizes = {p.name: p.size for p in report.split.parts}
    assert sizes == {"train": 26, "train-dev": 12, "dev": 12, "test": 12}
    assert all(set(p.sources) == {"a", "b"} for p in report.split.parts)
    assert report.conflicts.groups >= 1
    assert report.impute == "auto" and not any("--impute" in w for w in report.warnings)
    assert report.filled == [
        "f: 2 missing → filled from the row's other values, plus a 0/1 'was missing' column"
    ]
    strict = inspect_data(str(path), LoadOptions(source="site", impute="none"), seed=3)
    assert any("--impute" in w for w in strict.warnings) and strict.filled == []
    parsed = InspectReport.model_validate_json(report.model_dump_json())
    assert parsed == report and json.loads(report.model_dump_json())["schema_version"] == 1


def test_inspect_reports_a_split_it_cannot_make(write_csv):
    path = write_csv("f,label\n1,a\n2,b\n3,c\n4,d\n5,e\n6,a\n")  # too rare even for train
    report = inspect_data(str(path))
    assert report.split is None
    assert "class 'b' has 1 example(s)" in report.split_error


def test_inspect_a_dataframe_names_it_and_keeps_the_loaders_warnings():
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "rownames": np.arange(1, 201),  # R's saved row names: left out, with a warning
            "age": np.where(rng.random(200) < 0.1, np.nan, rng.normal(40, 9, 200)),
            "label": rng.choice(["p", "q"], 200),
        }
    )
    report = inspect_data(frame, LoadOptions(target="label"))
    assert report.data == "DataFrame" and report.n == 200 and report.read_as == ""
    assert report.filled and report.filled[0].startswith("age: ")
    assert any(w.startswith("column 'rownames' holds 1…200") for w in report.warnings)
    # the column keywords the other jobs take (a TypeError before), target=0 for column 0
    named = inspect_data(frame.assign(size=rng.normal(size=200)), target="label", drop="age")
    assert named.n == 200 and not named.filled
    numbered = inspect_data(pd.DataFrame(np.c_[rng.integers(0, 2, 50), rng.normal(size=(50, 2))]),
                            target=0)  # fmt: skip
    assert numbered.n == 50 and len(numbered.classes) == 2
    from orthotune import InvalidInputError

    with pytest.raises(InvalidInputError, match=r"inspect_data: .*accepted: target, weight"):
        inspect_data(frame, label="label")
    with pytest.raises(InvalidInputError, match=r"give the column keywords or a LoadOptions"):
        inspect_data(frame, LoadOptions(target="label"), id="age")
