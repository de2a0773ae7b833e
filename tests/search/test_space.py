"""Search spaces: validation, YAML round trip, conditional params, reverse-log rendering."""

from __future__ import annotations

import math

import optuna
import pytest

from orthotune._errors import InvalidInputError
from orthotune.search import CategoricalParam, FloatParam, IntParam, SearchSpace

optuna.logging.set_verbosity(optuna.logging.WARNING)

YAML = """
architecture: {type: categorical, choices: [mlp, cnn1d]}
channels: {type: int, low: 8, high: 64, log: true, when: {architecture: [cnn1d]}}
lr: {type: float, low: 1e-4, high: 1e-1, scale: log}
beta: {type: float, low: 0.9, high: 0.999, scale: reverse_log}
dropout: {type: float, low: 0.0, high: 0.5}
"""


def test_yaml_round_trip_and_python_equal():
    space = SearchSpace.from_yaml(YAML)
    assert list(space) == ["architecture", "channels", "lr", "beta", "dropout"]
    assert space["lr"] == FloatParam(low=1e-4, high=0.1, scale="log")  # "1e-4" read as number
    assert SearchSpace.from_yaml(space.to_yaml()) == space
    py = SearchSpace(
        {
            "architecture": CategoricalParam(choices=("mlp", "cnn1d")),
            "channels": IntParam(low=8, high=64, log=True, when={"architecture": ["cnn1d"]}),
            "lr": FloatParam(low=1e-4, high=1e-1, scale="log"),
            "beta": FloatParam(low=0.9, high=0.999, scale="reverse_log"),
            "dropout": FloatParam(low=0.0, high=0.5),
        }
    )
    assert py == space


def test_yaml_file(tmp_path):
    path = tmp_path / "space.yaml"
    path.write_text(YAML)
    assert len(SearchSpace.from_yaml(str(path))) == 5
    with pytest.raises(InvalidInputError, match="does not exist"):
        SearchSpace.from_yaml(str(tmp_path / "missing.yaml"))


def test_suggest_respects_conditions_and_records_beta():
    space = SearchSpace.from_yaml(YAML)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    seen = set()
    for _ in range(40):
        trial = study.ask()
        values = space.suggest(trial)
        assert space.contains(values)
        assert ("channels" in values) == (values["architecture"] == "cnn1d")
        # Optuna holds 1 - beta, the user sees beta
        assert "1-beta" in trial.params and "beta" not in trial.params
        assert math.isclose(values["beta"], 1 - trial.params["1-beta"])
        assert trial.user_attrs["params"] == values
        study.tell(trial, values["lr"])
        assert space.values_of(study.trials[-1]) == pytest.approx(values)
        seen.add(values["architecture"])
    assert seen == {"mlp", "cnn1d"}


def test_reverse_log_spreads_over_decades():
    space = SearchSpace({"beta": FloatParam(low=0.9, high=0.999, scale="reverse_log")})
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    betas = []
    for _ in range(400):
        t = study.ask()
        betas.append(space.suggest(t, record=False)["beta"])
        study.tell(t, 0.0)
    assert all(0.9 <= b <= 0.999 for b in betas)
    above = sum(b > 0.99 for b in betas) / len(betas)
    assert 0.4 < above < 0.6  # linear sampling would put ~9 % above 0.99


def test_log_scale_spreads_over_decades():
    space = SearchSpace({"lr": FloatParam(low=1e-4, high=1.0, scale="log")})
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    lrs = []
    for _ in range(400):
        t = study.ask()
        lrs.append(space.suggest(t, record=False)["lr"])
        study.tell(t, 0.0)
    below = sum(lr < 1e-2 for lr in lrs) / len(lrs)
    assert 0.4 < below < 0.6  # α = 10^r, r uniform in [-4, 0]


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        ({"x": {"type": "float", "low": 1, "high": 0}}, "inverted range"),
        ({"x": {"type": "int", "low": 3, "high": 3}}, "empty range"),
        ({"x": {"type": "float", "low": 0, "high": 1, "scale": "log"}}, "non-positive bound 0"),
        ({"x": {"type": "int", "low": -1, "high": 5, "log": True}}, "non-positive bound -1"),
        ({"x": {"type": "float", "low": 0.9, "high": 1.0, "scale": "reverse_log"}}, "high < 1"),
        ({"x": {"type": "float", "low": 0.1, "high": 1.0, "scale": "cubic"}}, "linear, log"),
        ({"x": {"type": "double", "low": 0, "high": 1}}, "float, int, categorical"),
        ({"x": {"type": "categorical", "choices": []}}, "no choices"),
        ({"x": {"type": "float", "low": "a", "high": 1}}, "low='a'"),
        ({"x": {"type": "float", "high": 1}}, "has no low"),
        ({"x": {"type": "float", "low": 0, "high": 1, "step": 2}}, "unknown key 'step'"),
        ({"x": {"type": "int", "low": 1, "high": 4, "when": {"arch": ["cnn"]}}}, "not declared"),
        (
            {
                "a": {"type": "categorical", "choices": ["mlp"]},
                "x": {"type": "int", "low": 1, "high": 4, "when": {"a": ["cnn"]}},
            },
            "accepted are values among",
        ),
        ({}, "empty"),
        ("nonsense", "mapping"),
    ],
)
def test_bad_spaces_are_one_line_errors(raw, match):
    with pytest.raises(InvalidInputError, match=match) as info:
        SearchSpace.from_dict(raw)
    assert "\n" not in str(info.value)


def test_bad_yaml():
    with pytest.raises(InvalidInputError, match="does not parse"):
        SearchSpace.from_yaml("x: {type: float, low: [")
