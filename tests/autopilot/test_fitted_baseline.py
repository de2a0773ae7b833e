"""The default baseline's epochs fit the time budget (``autopilot._fitted``): a one-cycle
schedule cut at the deadline leaves a model mid-warm-up (6 CNNs of 5-fold cross-validation on
1,000 64×64 images, cut after 3 of 30 epochs by a 120-s budget: 46 % training error), so the
baseline trains fewer epochs, on the hold-out split when the folds' six models would leave it
fewer, or the run is refused in one line. The pace is set here (a per-example cost), as
``fit.epoch_seconds`` would measure it on a slow machine."""

import pytest

import orthotune
from orthotune import InvalidInputError
from orthotune.autopilot import AutopilotSettings
from orthotune.autopilot import _fitted as fitted_module
from orthotune.autopilot import _loop as loop
from orthotune.data import load_dataset, make_split, prepare
from orthotune.fit import Candidate, baseline

SMALL = "builtin:synthetic?n=300&classes=3&features=5&seed=3"  # 180 train rows: 5-fold


def _pace(monkeypatch, seconds_per_example: float) -> list:
    """Every epoch costs ``seconds_per_example`` per example each of its models learns from."""
    asked = []

    def epoch_seconds(cand, x, y, *, folds, device, precision):
        asked.append(folds)
        models = 1 if folds is None else 1 + (folds - 1)  # the full model + K × (K-1)/K
        return seconds_per_example * len(y) * models

    monkeypatch.setattr(fitted_module, "epoch_seconds", epoch_seconds)
    return asked


def _start(spec: str = SMALL):
    ds = load_dataset(spec)
    held = prepare(ds, make_split(ds, seed=0))
    settings = AutopilotSettings()
    model, config = baseline(ds.input_shape, ds.num_classes)
    data, folds, config, _ = loop._validation(held, settings, config)
    return Candidate("baseline", model, config, label="mlp baseline"), data, folds, held, settings


def _fit(cand, data, folds, held, settings, left):
    return fitted_module.fitted_baseline(
        cand,
        data,
        folds,
        held,
        left,
        budget_s=settings.budget_s,
        device="cpu",
        precision=settings.precision,
    )


def test_a_baseline_that_fits_keeps_its_epochs(monkeypatch):
    cand, data, folds, held, settings = _start()
    assert folds == 5  # few examples: the decisions cross-validate
    _pace(monkeypatch, 1e-4)  # 240 pooled rows × 5 × 1e-4 = 0.12 s an epoch, 3.6 s in all
    assert _fit(cand, data, folds, held, settings, left=20.0) == (cand, None)


def test_a_baseline_too_long_for_the_budget_trains_fewer_epochs_on_the_hold_out_split(monkeypatch):
    cand, data, folds, held, settings = _start()
    asked = _pace(monkeypatch, 1e-3)  # folds: 1.2 s an epoch; hold-out (180 rows): 0.18 s
    fitted, holding = _fit(cand, data, folds, held, settings, left=10.0)
    assert asked == [5, None]
    assert fitted.config.epochs == int(fitted_module.BASELINE_SHARE * 10.0 / 0.18) == 18
    assert fitted.label == "mlp baseline, 18 of its 30 epochs to fit the budget"
    assert (
        holding
        == "5-fold cross-validation would leave the baseline 2 of its 30 epochs within the budget"
    )
    assert fitted.config.model_copy(update={"epochs": 30}) == cand.config  # nothing else changes


def test_without_folds_the_epochs_shrink_and_the_split_stays(monkeypatch):
    cand, data, folds, held, settings = _start("builtin:synthetic?n=4000&classes=3&features=5")
    assert folds is None
    asked = _pace(monkeypatch, 1e-3)  # 2,400 train rows: 2.4 s an epoch
    fitted, holding = _fit(cand, data, folds, held, settings, left=30.0)
    assert (fitted.config.epochs, holding, asked) == (4, None, [None])


def test_a_baseline_whose_one_epoch_exceeds_the_time_left_is_one_line(monkeypatch):
    cand, data, folds, held, settings = _start()
    _pace(monkeypatch, 1.0)  # folds: 1,200 s an epoch; even the hold-out's one model 180 s
    with pytest.raises(
        InvalidInputError,
        match=r"^one epoch of the baseline model \(its 6 models of 5-fold cross-validation\) "
        r"takes about 1200 s on this machine, more than its third \(33 s\) of the 100 s the "
        r"budget leaves it \(reading the data and what came before the baseline took 200 s of "
        r"it\): give --budget \d+m for its 30 epochs, or --trials N \(no time limit\)$",
    ):
        _fit(cand, data, folds, held, settings, left=100.0)


def test_a_refused_run_leaves_no_run_folder_behind(monkeypatch, tmp_path):
    _pace(monkeypatch, 10.0)
    for out, made in ((tmp_path / "new", False), (tmp_path / "empty", True)):
        if made:
            out.mkdir()  # the user's own empty folder stays, empty
        with pytest.raises(InvalidInputError, match=r"^one epoch of the baseline model"):
            orthotune.tune(SMALL, budget="60s", out=out)
        assert out.exists() == made and not (made and any(out.iterdir()))
    # with a count budget there is no time to fit: the same pace trains the whole baseline
    summary = orthotune.tune(SMALL, trials=1, out=tmp_path / "count")
    assert summary.decisions.steps[0].variants[0].label == "mlp baseline"  # its 30 epochs


def test_seconds_in_a_reason_show_a_shortfall_below_ten():
    from orthotune.autopilot._fitted import about

    assert [about(s) for s in (0.04, 0.36, 2.34, 9.94, 9.96, 125.4, -3.0)] == [
        "0.04",
        "0.4",
        "2.3",
        "9.9",
        "10",
        "125",
        "0",
    ]  # fmt: skip (below 0.1 s two digits: "takes about 0.0 s, more than the 0.0 s" said nothing)


def test_a_larger_cost_never_reads_like_the_time_left():
    from orthotune.autopilot._fitted import apart

    # a new-user sweep: "its cheapest variant needs about 25 s, and 25 s are left"
    assert apart(25.4, 24.8) == ("25.4", "24.8")
    assert apart(2.344, 2.336) == ("2.344", "2.336")  # as many digits as it takes, up to 3
    assert apart(2.344, 2.331) == ("2.34", "2.33")
    assert apart(125.4, 40.0) == ("125", "40")  # apart already: as ``about`` says them
    assert apart(24.8, 25.4) == ("25", "25")  # it fits: no shortfall to show
    assert apart(30.0, -1.0) == ("30", "0")
