"""Strategies: one contract for all, the grid's coarse-to-fine zoom, PBT's exploit/explore."""

from __future__ import annotations

import math

import optuna
import pytest

from orthotune._errors import InvalidInputError
from orthotune.search import (
    PBT,
    STRATEGIES,
    CategoricalParam,
    FloatParam,
    GridZoom,
    IntParam,
    SearchSpace,
    Strategy,
    make_strategy,
    max_epochs,
    open_storage,
    open_study,
)

optuna.logging.set_verbosity(optuna.logging.WARNING)

SPACE = SearchSpace(
    {
        "architecture": CategoricalParam(choices=("mlp", "cnn1d")),
        "conv_blocks": IntParam(low=1, high=3, when={"architecture": ("cnn1d",)}),
        "lr": FloatParam(low=1e-4, high=1e-1, scale="log"),
        "beta": FloatParam(low=0.8, high=0.999, scale="reverse_log"),
        "dropout": FloatParam(low=0.0, high=0.5),
        "epochs": IntParam(low=1, high=9),
    }
)


def objective(values):
    """Cheap analytic score, best at lr = 10^-2.3, beta = 0.99, little dropout, cnn."""
    score = -((math.log10(values["lr"]) + 2.3) ** 2)
    score -= (math.log10(1 - values["beta"]) + 2) ** 2
    score -= values["dropout"]
    return score + (0.3 if values["architecture"] == "cnn1d" else 0.0)


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_strategy_contract(name, tmp_path):
    strategy = make_strategy(name, seed=3)
    assert isinstance(strategy, Strategy) and strategy.name == name
    # between epochs only PBT acts (exploit/explore); the others leave the members as sampled
    hook = strategy.exploit_hook(SPACE)
    assert (hook is not None) == (name == "pbt")
    if hook is not None:
        assert hook(1, [0.9, 0.1, 0.5, 0.4], [{"lr": 0.01}] * 4)[0][:2] == (1, 0)
    storage = open_storage(None, run_dir=tmp_path)
    study = open_study(
        storage, study_name="s", sampler=strategy.sampler(), pruner=strategy.pruner(SPACE)
    )
    told = 0
    for _ in range(6):
        trials = strategy.ask(study, SPACE, 4)
        assert len(trials) <= 4
        if not trials:
            break
        numbers = [t.number for t in trials]
        assert len(set(numbers)) == len(numbers)
        for t in trials:
            values = t.user_attrs["params"]
            assert SPACE.contains(values), values
            assert SPACE.values_of(study._storage.get_trial(t._trial_id)) == pytest.approx(values)
            for epoch in range(2):
                t.report(objective(values) - 1 + epoch, epoch)
            study.tell(t, objective(values))
            told += 1
    assert told >= 4
    states = {t.state for t in study.trials}
    assert states == {optuna.trial.TrialState.COMPLETE}
    # a fresh strategy object on the same study keeps going (resume) without repeating numbers
    again = make_strategy(name, seed=3).ask(study, SPACE, 2)
    numbers = [t.number for t in study.trials]
    assert len(numbers) == len(set(numbers))
    assert all(SPACE.contains(t.user_attrs["params"]) for t in again)


def test_unknown_strategy():
    with pytest.raises(InvalidInputError, match="'bayes' is unknown: accepted are grid, random"):
        make_strategy("bayes")


def test_hyperband_prunes_over_epochs():
    pruner = make_strategy("hyperband").pruner(SPACE)
    assert isinstance(pruner, optuna.pruners.HyperbandPruner)
    assert max_epochs(SPACE) == 9


def test_tpe_stops_members_below_the_median():
    pruner = make_strategy("tpe").pruner(SPACE)
    study = optuna.create_study(direction="maximize", pruner=pruner)
    for value in (0.8, 0.85, 0.9, 0.95):  # four finished references
        t = study.ask()
        for epoch in range(4):
            t.report(value, epoch)
        study.tell(t, value)
    weak, strong = study.ask(), study.ask()
    for epoch in range(3):
        weak.report(0.5, epoch)
        strong.report(0.99, epoch)
    assert weak.should_prune() and not strong.should_prune()


START = {
    "architecture": "cnn1d",
    "conv_blocks": 7,
    "lr": 0.5,
    "beta": 0.9,
    "dropout": 0.1,
    "epochs": 4,
    "optimizer": "adamw",
}


@pytest.mark.parametrize("name", ["tpe", "hyperband"])
def test_model_based_search_starts_from_the_starting_point(name):
    strategy = make_strategy(name, seed=0)
    strategy.start = START
    study = optuna.create_study(direction="maximize", sampler=strategy.sampler())
    # the start is a batch of its own (a population would share its steps with the others)
    (first,) = strategy.ask(study, SPACE, 3)
    # projected: conv_blocks and lr clipped into range, the unknown optimizer left out
    assert first.user_attrs["params"] == {
        "architecture": "cnn1d",
        "conv_blocks": 3,
        "lr": 0.1,
        "beta": pytest.approx(0.9),
        "dropout": 0.1,
        "epochs": 4,
    }
    rest = strategy.ask(study, SPACE, 2)
    assert len(rest) == 2
    assert all(t.user_attrs["params"] != first.user_attrs["params"] for t in rest)
    for t in (first, *rest):
        study.tell(t, 0.5)
    # a study that has trials (a resumed one) is not started again
    again = make_strategy(name, seed=0)
    again.start = START
    assert all(t.user_attrs["params"]["lr"] != 0.1 for t in again.ask(study, SPACE, 4))


def test_random_search_ignores_the_starting_point():
    strategy = make_strategy("random", seed=0)
    strategy.start = START
    study = optuna.create_study(direction="maximize", sampler=strategy.sampler())
    assert all(t.user_attrs["params"]["lr"] != 0.1 for t in strategy.ask(study, SPACE, 4))


def test_project_keeps_what_the_space_can_take():
    values = {
        "architecture": "mlp",
        "conv_blocks": 2,
        "lr": 1e-9,
        "beta": 0.95,
        "dropout": 0.7,
        "epochs": 4.6,
    }
    assert SPACE.project(values) == {
        "architecture": "mlp",
        "lr": 1e-4,
        "beta": 0.95,
        "dropout": 0.5,
        "epochs": 5,
    }  # conv_blocks inactive
    assert SPACE.project({"architecture": "gru", "lr": float("nan")}) == {}


def _run_grid(space, strategy, f):
    study = optuna.create_study(direction="maximize", sampler=strategy.sampler())
    levels = {}
    while True:
        trials = strategy.ask(study, space, 8)
        if not trials:
            break
        for t in trials:
            v = t.user_attrs["params"]
            level = t.user_attrs["grid_level"]
            study.tell(t, f(v))
            best = levels.get(level)
            if best is None or f(v) > f(best):
                levels[level] = v
    return study, levels


def test_grid_zoom_finds_optimum_the_coarse_grid_misses():
    optimum = -3.1  # log10 of the best lr: between the coarse points -3.75 and -2.5
    space = SearchSpace(
        {
            "act": CategoricalParam(choices=("relu", "tanh")),
            "lr": FloatParam(low=1e-5, high=1.0, scale="log"),
        }
    )

    def f(v):
        return -((math.log10(v["lr"]) - optimum) ** 2) + (0.1 if v["act"] == "tanh" else 0)

    study, levels = _run_grid(space, GridZoom(points=5, levels=3), f)
    assert sorted(levels) == [0, 1, 2]
    coarse_error = abs(math.log10(levels[0]["lr"]) - optimum)
    fine_error = abs(math.log10(levels[2]["lr"]) - optimum)
    assert coarse_error > 0.5  # the coarse grid alone misses it
    assert fine_error < 0.05  # the zoomed grids find it
    assert levels[2]["act"] == "tanh"
    assert len(study.trials) == 10 + 5 + 5  # 5 lr x 2 act, then 5 lr around the best, twice


def test_grid_zoom_reverse_log_and_int():
    space = SearchSpace(
        {
            "beta": FloatParam(low=0.9, high=0.9999, scale="reverse_log"),
            "width": IntParam(low=8, high=512, log=True),
        }
    )

    def f(v):
        return -((math.log10(1 - v["beta"]) + 2.6) ** 2) - (math.log2(v["width"]) - 7) ** 2

    _, levels = _run_grid(space, GridZoom(points=5, levels=3, max_points=25), f)
    assert abs(math.log10(1 - levels[2]["beta"]) + 2.6) < 0.1
    assert abs(math.log2(levels[2]["width"]) - 7) < 0.25  # coarse: 181 (7.5)


def test_grid_resumes_in_a_new_process_state(tmp_path):
    space = SearchSpace({"lr": FloatParam(low=1e-4, high=1.0, scale="log")})
    storage = open_storage(None, run_dir=tmp_path)
    study = open_study(storage, study_name="g")
    first = GridZoom(points=5, levels=2).ask(study, space, 3)
    for t in first:
        study.tell(t, -abs(math.log10(t.user_attrs["params"]["lr"]) + 2))
    # a new strategy object (as after a restart) asks only the 2 missing coarse points
    rest = GridZoom(points=5, levels=2).ask(study, space, 10)
    assert [t.user_attrs["grid_index"] for t in rest] == [3, 4]
    assert all(t.user_attrs["grid_level"] == 0 for t in rest)


def test_grid_subsamples_large_spaces():
    space = SearchSpace({f"x{i}": FloatParam(low=0.0, high=1.0) for i in range(6)})
    points = GridZoom(points=5, max_points=40).grid(space, 0, None)
    assert len(points) == 40 and len({tuple(p.values()) for p in points}) == 40


def test_pbt_exploit_and_explore():
    pbt = PBT(seed=0, fraction=0.25)
    scores = [0.5, 0.9, float("nan"), 0.7, 0.1, 0.95, 0.6, 0.8]
    pairs = pbt.exploit(scores)
    losers = {loser for loser, _ in pairs}
    assert losers == {2, 4}  # NaN and the lowest
    assert all(w in (1, 5) for _, w in pairs)  # from the top quarter
    values = {"lr": 0.01, "beta": 0.9, "dropout": 0.4, "epochs": 5, "architecture": "mlp"}
    out = pbt.explore(values, SPACE)
    assert out["epochs"] == 5 and out["architecture"] == "mlp"
    assert out["lr"] / 0.01 == pytest.approx(0.8) or out["lr"] / 0.01 == pytest.approx(1.2)
    assert (1 - out["beta"]) / 0.1 in (pytest.approx(0.8), pytest.approx(1.2))
    assert SPACE["dropout"].low <= out["dropout"] <= SPACE["dropout"].high
    with pytest.raises(InvalidInputError, match="exploit_every=0"):
        PBT(exploit_every=0)


@pytest.mark.parametrize("coherent", [False, True])
def test_a_coherent_batch_shares_its_structure(tmp_path, coherent):
    strategy = make_strategy("random", seed=5)
    strategy.coherent = coherent
    study = open_study(
        open_storage(None, run_dir=tmp_path), study_name="c", sampler=strategy.sampler()
    )
    trials = strategy.ask(study, SPACE, 8)
    values = [t.user_attrs["params"] for t in trials]
    structures = {(v["architecture"], v.get("conv_blocks")) for v in values}
    assert (len(structures) == 1) == coherent
    assert len({v["lr"] for v in values}) == 8  # the continuous knobs are sampled per trial
    assert len({v["epochs"] for v in values}) > 1  # a population holds epochs per member
