from __future__ import annotations

import pandas as pd
import pytest

from orthotune._errors import InvalidInputError
from orthotune.analysis import analyze_errors, read_predictions, read_tags
from tests.analysis.conftest import predictions_frame


@pytest.fixture
def preds_file(tmp_path):
    path = tmp_path / "predictions.csv"
    predictions_frame().to_csv(path, index=False)
    return path


def test_per_class_errors_share_and_ceiling(preds_file):
    result = analyze_errors(read_predictions(preds_file))
    assert result.split == "dev"
    assert (result.n, result.errors) == (100, 12)
    assert result.error_rate == pytest.approx(0.12)
    worst = result.classes[0]  # sorted by errors: the planted class b
    assert worst.label == "b"
    assert worst.errors == 8
    assert worst.error_rate == pytest.approx(8 / 28)
    assert worst.share_of_errors == pytest.approx(8 / 12)
    assert worst.ceiling_error == pytest.approx(0.04)
    assert "from 12.00% to 4.00%" in result.ceiling_sentence("b")
    assert sum(c.share_of_errors for c in result.classes) == pytest.approx(1.0)


def test_top_confusion_and_misclassified_examples(preds_file):
    result = analyze_errors(read_predictions(preds_file))
    top = result.confusions[0]
    assert (top.true_label, top.predicted_label, top.count) == ("b", "c", 6)
    assert result.misclassified_total == 12
    first = result.misclassified[0]
    assert first.confidence == pytest.approx(0.9 / 1.0)
    assert first.margin == pytest.approx(0.85)
    assert all(m.true_label != m.predicted_label for m in result.misclassified)


def test_tags_table_percent_of_total_and_ceiling(preds_file, tmp_path):
    frame = predictions_frame()
    dev_errors = frame[(frame.split == "dev") & (frame.y_true != frame.y_pred)]
    b_to_c = dev_errors[(dev_errors.y_true == "b") & (dev_errors.y_pred == "c")].id.tolist()
    tags = pd.DataFrame(
        {"id": b_to_c, "tags": ["blurry;mislabeled"] * 2 + ["blurry"] * (len(b_to_c) - 2)}
    )
    path = tmp_path / "tags.csv"
    tags.to_csv(path, index=False)
    preds = read_predictions(preds_file)
    result = analyze_errors(preds, tags=read_tags(path, known_ids=preds.ids))
    rows = {t.tag: t for t in result.tags}
    assert rows["blurry"].count == 6
    assert rows["blurry"].share_of_errors == pytest.approx(0.5)
    assert rows["blurry"].ceiling_error == pytest.approx(0.06)
    assert rows["mislabeled"].share_of_errors == pytest.approx(2 / 12)
    assert result.untagged_errors == 6


def test_tags_one_column_per_tag(tmp_path, preds_file):
    path = tmp_path / "tags.csv"
    pd.DataFrame({"id": ["e0", "e1"], "Too big": ["1", "0"], "Blurry": ["x", "yes"]}).to_csv(
        path, index=False
    )
    tags = read_tags(path, known_ids=read_predictions(preds_file).ids)
    assert tags == {"e0": ["Too big", "Blurry"], "e1": ["Blurry"]}


def test_tags_with_unknown_ids_name_a_few(tmp_path, preds_file):
    path = tmp_path / "tags.csv"
    pd.DataFrame({"id": ["e0", "nope1", "nope2"], "tags": ["blurry"] * 3}).to_csv(path, index=False)
    with pytest.raises(InvalidInputError, match=r"2 id\(s\) not in the predictions: nope1, nope2"):
        read_tags(path, known_ids=read_predictions(preds_file).ids)


def test_predictions_without_y_true_is_refused(tmp_path):
    path = tmp_path / "p.csv"
    pd.DataFrame({"id": [1], "y_pred": ["a"]}).to_csv(path, index=False)
    with pytest.raises(InvalidInputError, match="no y_true column"):
        read_predictions(path)


def test_run_folder_without_predictions_is_refused(tmp_path):
    with pytest.raises(InvalidInputError, match=r"without predictions\.parquet"):
        read_predictions(tmp_path)


def test_unknown_split_is_refused(preds_file):
    with pytest.raises(InvalidInputError, match="split 'test' is not in the predictions"):
        analyze_errors(read_predictions(preds_file), split="test")


def test_a_tab_separated_predictions_file_with_decimal_commas_reads_the_same(tmp_path, preds_file):
    other = tmp_path / "predictions_tab.csv"
    predictions_frame().to_csv(other, index=False, sep="\t", decimal=",")
    plain, tab = (
        analyze_errors(read_predictions(preds_file)),
        analyze_errors(read_predictions(other)),
    )
    assert (tab.n, tab.errors) == (plain.n, plain.errors) == (100, 12)
    assert tab.misclassified[0].confidence == pytest.approx(plain.misclassified[0].confidence)


def test_a_probability_cell_that_is_no_number_is_one_line(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("y_true,p_a,p_b\na,0.9,0.1\nb,20 %,0.8\n")
    with pytest.raises(InvalidInputError, match=r"p_a of row 1 holds .20 %., not a probability"):
        read_predictions(path)


def test_a_tag_cell_that_is_neither_yes_nor_no_is_refused_and_comments_are_no_tag(
    tmp_path, preds_file
):
    path = tmp_path / "tags.csv"
    known = read_predictions(preds_file).ids
    frame = pd.DataFrame({"id": ["e0", "e1"], "Blurry": ["x", ""], "Comments": ["dark", "ok"]})
    frame.to_csv(path, index=False)
    assert read_tags(path, known_ids=known) == {"e0": ["Blurry"]}  # the lecture's table
    frame.assign(Blurry=["x", "maybe"]).to_csv(path, index=False)  # was read as "not tagged"
    with pytest.raises(InvalidInputError, match=r"column 'Blurry' holds 'maybe' at id e1; accep"):
        read_tags(path, known_ids=known)


def test_ids_and_labels_of_a_predictions_file_are_read_as_written(tmp_path):
    # ids "00163" read as numbers were "163", and a --tags file naming "00163" was refused
    path = tmp_path / "p.csv"
    path.write_text("id,y_true,y_pred,split\n00163,1.0,1,dev\n00001,0,1,dev\n")
    preds = read_predictions(path)  # labels as before: 1.0 is the class 1
    assert preds.ids.tolist() == ["00163", "00001"] and preds.class_names == ("0", "1")
    (tmp_path / "tags.csv").write_text("id,tags\n00001,blurry\n")
    result = analyze_errors(preds, tags=read_tags(tmp_path / "tags.csv"), split="dev")
    assert [m.id for m in result.misclassified] == ["00001"]
