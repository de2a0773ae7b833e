import pytest

from orthotune import InvalidInputError
from orthotune.select import compare_table

CLASS_TABLE = {
    "Classifier": list("ABCDEF"),
    "Class A": ["95%", "96%", "92%", "94%", "97%", "99%"],
    "Class B": ["90%", "93%", "93%", "95%", "98%", "91%"],
    "Class C": ["94%", "97%", "95%", "99%", "95%", "96%"],
    "Class D": ["99%", "94%", "97%", "94%", "97%", "92%"],
    "Average": ["94.5%", "95.0%", "94.3%", "95.5%", "96.8%", "94.5%"],
    "latency_ms": ["70", "95", "35", "240", "980", "60"],
}
EXPECTED = {
    "A": (94.5, 94.39),
    "B": (95.0, 94.97),
    "C": (94.25, 94.21),
    "D": (95.5, 95.46),
    "E": (96.75, 96.74),
    "F": (94.5, 94.39),
}


def test_lecture_class_table_average_and_harmonic_mean():
    result = compare_table(CLASS_TABLE)
    assert result.class_columns == ["class_a", "class_b", "class_c", "class_d"]
    assert result.metric_columns == ["latency_ms"]
    assert "column 'Average' is recomputed from the per-class scores" in result.notes
    values = {r.name: r.values for r in result.ranking.rows}
    for name, (average, harmonic) in EXPECTED.items():
        assert values[name]["average"] * 100 == pytest.approx(average, abs=5e-3)
        assert values[name]["harmonic_mean"] * 100 == pytest.approx(harmonic, abs=5e-3)
    assert result.ranking.metric == "harmonic_mean" and result.ranking.choice == "E"


def test_average_subject_to_latency_chooses_b():
    result = compare_table(CLASS_TABLE, metric="average", constraints=["latency_ms<100"])
    assert result.ranking.choice == "B"
    assert result.ranking.pareto_front == ["B", "C", "D", "E", "F"]


def test_precision_recall_table_gets_f1_and_chooses_c():
    table = {"name": ["A", "B", "C"], "precision": [0.96, 0.98, 0.94], "recall": [0.9, 0.88, 0.93]}
    result = compare_table(table)
    assert result.derived == ["f1"]
    assert result.ranking.metric == "f1" and result.ranking.choice == "C"
    f1 = {r.name: r.values["f1"] for r in result.ranking.rows}
    assert f1 == pytest.approx({"A": 0.9290, "B": 0.9273, "C": 0.9350}, abs=5e-5)
    assert compare_table(table, beta=2).ranking.metric == "f2"


def test_a_unit_in_brackets_is_the_name_a_constraint_uses_and_not_a_rate():
    table = {"Model": ["A", "B"], "Accuracy": ["0.9", "0.95"], "Latency (ms)": ["10", "20"]}
    table["Size [MB]"] = ["3", "40"]  # were read as rates: "10 is above 1"
    result = compare_table(table, constraints=["latency_ms<15", "size_mb<5"])
    assert result.metric_columns == ["accuracy", "latency_ms", "size_mb"]
    assert result.ranking.choice == "A" and result.ranking.pareto_front == ["A", "B"]


def test_bare_percent_numbers_in_rate_columns_are_refused_with_a_hint():
    with pytest.raises(InvalidInputError, match="write 95% if you meant percent"):
        compare_table({"name": ["A"], "accuracy": ["95"]})


def test_non_numbers_are_named():
    with pytest.raises(InvalidInputError, match="latency_ms of A is 'fast'"):
        compare_table({"name": ["A"], "accuracy": ["0.9"], "latency_ms": ["fast"]})


def test_unknown_metric_lists_columns():
    with pytest.raises(InvalidInputError, match="accepted are latency_ms, average, harmonic_mean"):
        compare_table(CLASS_TABLE, metric="speed")


def test_costs_and_speeds_are_quantities_not_rates():
    table = {"name": ["A", "B"], "accuracy": ["0.9", "0.95"], "cost_usd": ["12", "30"]}
    table |= {"Energy (kWh)": ["3", "5"], "price": ["2", "9"], "throughput": ["100", "50"]}
    result = compare_table(table, constraints=["cost_usd<20"])  # "12 is above 1: write 12%"
    assert result.class_columns == [] and result.ranking.choice == "A"
    assert set(result.metric_columns) == {"accuracy", "cost_usd", "energy_kwh", "price"} | {
        "throughput"
    }
    assert result.ranking.pareto_front == ["A", "B"]  # A costs less, B is more accurate


def test_a_constraint_on_a_column_the_table_lacks_names_the_columns():
    table = {"name": ["A", "B"], "accuracy": ["0.9", "0.95"], "latency_ms": ["50", "80"]}
    with pytest.raises(InvalidInputError, match=r"unknown metric 'memory': accepted are accuracy"):
        compare_table(table, constraints=["memory<10"])  # was "memory< 10 is above 1"


def test_a_quantity_read_as_a_class_score_says_how_to_name_it():
    with pytest.raises(InvalidInputError, match=r"12 is above 1.*if it holds a quantity, name its"):
        compare_table({"name": ["A"], "accuracy": ["0.9"], "speed": ["12"]})


@pytest.mark.parametrize("error", ["Error rate", "Error (%)", "misclassification_rate"])
def test_an_error_column_however_headed_is_minimized(error):
    result = compare_table({"classifier": ["A", "B"], error: ["12%", "3%"]})
    assert result.ranking.direction == "minimize" and result.ranking.choice == "B"


@pytest.mark.parametrize(
    "table",
    [
        {"model": ["A", "B"], "latency_ms": ["20", "50"], "f1": ["0.60", "0.95"]},
        {"model": ["A", "B"], "f1": ["0.60", "0.95"], "latency_ms": ["20", "50"]},
        {"model": ["A", "B"], "params": ["1000", "5000"], "balanced_accuracy": ["0.55", "0.95"]},
    ],
)
def test_the_default_metric_is_a_score_never_a_cost_whatever_the_column_order(table):
    result = compare_table(table)  # the first column, latency_ms or params, was optimized
    assert result.ranking.metric in ("f1", "balanced_accuracy") and result.ranking.choice == "B"


def test_a_table_of_costs_alone_asks_for_the_metric():
    with pytest.raises(
        InvalidInputError,
        match=r"no score or error rate to optimize, only params, latency_ms: give --metric NAME",
    ):
        compare_table({"model": ["A", "B"], "params": ["1", "2"], "latency_ms": ["5", "2"]})
    costs = {"model": ["A", "B"], "params": ["1", "2"], "latency_ms": ["5", "2"]}
    assert compare_table(costs, metric="latency_ms").ranking.choice == "B"


def test_a_beta_with_no_precision_and_recall_to_use_it_is_refused():
    table = {"model": ["A", "B"], "f1": ["0.8", "0.9"], "latency_ms": ["10", "20"]}
    with pytest.raises(
        InvalidInputError,
        match=r"--beta 2: the table has no precision and recall columns to compute f2 from "
        r"\(columns: f1, latency_ms\); drop --beta",
    ):
        compare_table(table, beta=2)  # the table's f1 was ranked, and nothing said
    assert compare_table(table).ranking.choice == "B"


def test_rows_without_names_are_named_by_their_row_numbers_from_0():
    # as ids and every other message number a table's rows (a sweep found "row 1" for the first)
    result = compare_table({"accuracy": ["0.91", "0.95"], "latency_ms": ["10", "30"]})
    assert sorted(r.name for r in result.ranking.rows) == ["row 0", "row 1"]
    assert result.ranking.choice == "row 1"
