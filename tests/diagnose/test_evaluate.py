import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import precision_recall_fscore_support

from orthotune import InvalidInputError
from orthotune.diagnose import Problem, evaluate_predictions

CLASSES = ["cat", "dog", "bird"]


def _predictions(seed=0, splits=(("train", 3000, 0.97), ("dev", 1000, 0.90))):
    rng = np.random.default_rng(seed)
    frames = []
    for split, n, acc in splits:
        y = rng.integers(0, 3, n)
        logits = rng.normal(size=(n, 3))
        logits[np.arange(n), y] += np.where(rng.random(n) < acc, 5.0, -5.0)
        p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
        frame = pd.DataFrame(
            {
                "id": np.arange(n),
                "y_true": np.array(CLASSES)[y],
                "split": split,
                "source": rng.choice(["web", "phone"], n),
            }
        )
        for i, c in enumerate(CLASSES):
            frame[f"p_{c}"] = p[:, i]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def test_per_split_reports_equal_sklearn_and_diagnosis_runs():
    table = _predictions()
    result = evaluate_predictions(table, human_error="1%")
    assert result.classes == CLASSES  # the p_ columns' order
    assert [s.split for s in result.splits] == ["train", "dev"]
    dev = table[table.split == "dev"]
    y_pred = np.array(CLASSES)[dev[[f"p_{c}" for c in CLASSES]].to_numpy().argmax(1)]
    _, r, _, _ = precision_recall_fscore_support(dev.y_true, y_pred, labels=CLASSES)
    np.testing.assert_allclose(result.splits[1].report.scores("recall"), r)
    assert result.splits[1].n == 1000 and result.splits[1].confidence.ece is not None
    d = result.diagnosis
    assert d.levels.dev.n == 1000 and d.levels.train.n == 3000
    assert d.levels.dev.error == pytest.approx(result.splits[1].report.error)
    assert d.problem == Problem.AVOIDABLE_BIAS  # ~3 % train error vs 1 % human
    assert set(d.levels.dev_sources) == {"web", "phone"}


def test_a_split_written_as_training_or_validation_is_its_part():
    table = _predictions(splits=(("Training", 300, 0.97), ("validation", 100, 0.90)))
    result = evaluate_predictions(table, human_error="1%")
    assert [(s.split, s.n) for s in result.splits] == [("train", 300), ("dev", 100)]
    assert result.diagnosis.levels.dev.n == 100


def test_without_split_there_is_one_table_and_no_diagnosis():
    table = pd.DataFrame({"y_true": [0, 1, 1, 2], "y_pred": [0, 1, 2, 2]})
    result = evaluate_predictions(table)
    assert [s.split for s in result.splits] == ["all"]
    assert result.diagnosis is None and "no diagnosis" in result.notes[0]
    assert result.splits[0].report.accuracy == 0.75


def test_y_pred_wins_over_probabilities_for_labels_and_positive_class_is_reported():
    table = pd.DataFrame({"y_true": [0, 1], "y_pred": [1, 1], "p_0": [0.6, 0.2], "p_1": [0.4, 0.8]})
    result = evaluate_predictions(table, positive_class="1")
    assert result.splits[0].report.accuracy == 0.5
    assert result.splits[0].report.binary.precision == 0.5
    # said: accuracy from y_pred beside confidence and ECE from p_ columns that disagree
    assert any(
        n.startswith(
            "y_pred is not the class of the largest p_<class> in 1 of 2 scored row(s) (the "
            "first at row 0: y_pred '1', largest p_0)"
        )
        for n in result.notes
    )
    labelled = pd.DataFrame({"y_true": [None, 0, 1], "y_pred": [0, 0, 0], "p_0": [1, 0.9, 0.3]})
    labelled["p_1"] = 1 - labelled["p_0"]
    said = evaluate_predictions(labelled).notes
    assert any("in 1 of 2 scored row(s) (the first at row 2: y_pred '0'" in n for n in said)
    agreeing = _predictions()
    agreeing["y_pred"] = np.array(CLASSES)[
        agreeing[[f"p_{c}" for c in CLASSES]].to_numpy().argmax(1)
    ]
    assert not any("largest p_" in n for n in evaluate_predictions(agreeing).notes)


@pytest.mark.parametrize(
    ("table", "match"),
    [
        ({"y_pred": [0, 1]}, "no y_true column \\(columns: y_pred\\)"),
        ({"y_true": [0, 1]}, "neither y_pred nor p_<class> columns"),
        (  # a true label written as another number: a type slip, not a class
            {"y_true": [1, 0, 1], "y_pred": [1.0, 0.0, 2.5]},
            r"never seen in the true labels: 2.5 .*check their spelling and type",
        ),
        (  # was "y_pred holds labels never seen in the true labels: 'nan'"
            {"y_true": [0, 1, None, 1], "y_pred": [0, 1, None, None]},
            r"y_pred is empty in 1 labelled row\(s\), the first at row 3: give every row",
        ),
        (
            {"id": [5, 6], "y_true": [0, 1], "p_0": [0.5, 0.3], "p_1": [0.5, 0.3]},
            "row 1 \\(id 6\\) sum to 0.6",
        ),
        (  # was an internal error: could not convert string to float: '38.4%'
            {"id": [5, 6], "y_true": [0, 1], "p_0": [0.5, "38.4%"], "p_1": [0.5, 0.616]},
            r"p_0 of row 1 \(id 6\) holds '38.4%', not a probability; accepted: a number in",
        ),
        (
            {"y_true": [0, 1], "y_pred": [0, 1], "split": ["train", "holdout"]},
            "split column holds \\['holdout'\\]: accepted values are train, train-dev, dev, test",
        ),
    ],
)
def test_bad_predictions_are_one_line_errors(table, match):
    with pytest.raises(InvalidInputError, match=match):
        evaluate_predictions(pd.DataFrame(table))


def test_a_predicted_class_no_true_label_has_is_scored_with_a_warning(caplog):
    # a 3-class model on a test set without its third class: it was refused ("never seen")
    table = pd.DataFrame({"y_true": ["a", "b", "a", "b"], "y_pred": ["a", "c", "a", "b"]})
    with caplog.at_level("WARNING"):
        report = evaluate_predictions(table).splits[0].report
    assert report.accuracy == 0.75
    assert "y_pred holds 1 label(s) that no true label has ('c')" in caplog.text


def test_known_columns_are_found_whatever_their_case_and_options_are_checked_anyway():
    table = {"Split": ["train", "train", "dev", "dev"], "Y_True": list("abab")}
    table["y_pred"] = list("aabb")
    ev = evaluate_predictions(table, human_error="5%")  # "Split" was taken for no split
    assert [s.split for s in ev.splits] == ["train", "dev"] and ev.diagnosis is not None
    no_split = {"y_true": list("ab"), "y_pred": list("ab")}
    with pytest.raises(InvalidInputError, match=r"tolerance 'abc' is not a rate"):
        evaluate_predictions(no_split, tolerance="abc")  # was passed unchecked: no diagnosis


def test_a_refused_probability_row_is_named_by_its_row_in_the_file():
    rows = 20
    table = {
        "split": ["train"] * 14 + ["dev"] * 6,
        "y_true": ["", "", "", *("ab"[i % 2] for i in range(3, rows))],  # 3 rows to predict
        "y_pred": ["ab"[i % 2] for i in range(rows)],
        "p_a": [0.8 if i % 2 == 0 else 0.2 for i in range(rows)],
    }
    table["p_b"] = [1 - p for p in table["p_a"]]
    table["p_a"][10], table["p_b"][10] = 0.5, 0.7
    with pytest.raises(InvalidInputError, match=r"probabilities of row 10 sum to 1.2"):
        evaluate_predictions(table)  # was "row 7": counted among the labelled rows


def test_list_cells_and_labels_written_otherwise_are_one_line_each():
    lists = pd.DataFrame({"y_true": [["a"], ["b"]], "y_pred": [["a"], ["b"]]})
    with pytest.raises(InvalidInputError, match=r"y_true holds a list at row 0: give one value"):
        evaluate_predictions(lists)  # numpy's "setting an array element": an internal error
    adult = {"split": ["train", "dev"] * 4, "y_true": ["<=50K.", ">50K."] * 4}
    adult["y_pred"] = ["<=50K", ">50K"] * 4
    with pytest.raises(
        InvalidInputError,
        match=r"y_pred holds label\(s\) that y_true writes otherwise \(case, a final '.', "
        r"spaces\): '<=50K' \(y_true: '<=50K.'\), '>50K' \(y_true: '>50K.'\): write each",
    ):
        evaluate_predictions(adult)  # every prediction was scored wrong, at exit 0


def test_dev_from_a_source_train_has_none_of_says_the_gap_mixes_variance_and_mismatch():
    n = 400
    table = {
        "split": ["train"] * n + ["dev"] * n,
        "source": ["web"] * n + ["phone"] * n,
        "y_true": ["ab"[i % 2] for i in range(2 * n)],
    }
    table["y_pred"] = [y if i % 10 else "b" for i, y in enumerate(table["y_true"])]
    ev = evaluate_predictions(table, human_error="1%")
    assert any(
        note.startswith("dev holds source(s) train has none of (phone): dev − train then mixes")
        for note in ev.notes
    )
    table["split"] = ["train"] * (n // 2) + ["train-dev"] * (n // 2) + ["dev"] * n
    assert not any("dev holds source" in note for note in evaluate_predictions(table).notes)
