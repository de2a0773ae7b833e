"""Default spaces per data shape and params → (ModelSpec, TrainConfig)."""

from __future__ import annotations

import optuna
import pytest
import torch

from orthotune._errors import InvalidInputError
from orthotune.fit import baseline
from orthotune.models import build_model
from orthotune.search import (
    FloatParam,
    SearchSpace,
    check_vocabulary,
    default_space,
    load_space,
    params_to_candidate,
    starting_point,
)

optuna.logging.set_verbosity(optuna.logging.WARNING)


@pytest.mark.parametrize(
    ("shape", "archs"),
    [((20,), ("mlp",)), ((1, 40), ("mlp", "cnn1d")), ((1, 8, 8), ("mlp", "cnn2d"))],
)
def test_default_space_builds_trainable_models(shape, archs):
    space = default_space(shape, 3)
    assert space["architecture"].choices == archs
    for name in ("lr", "l2", "batch_size", "epochs", "optimizer", "dropout", "init", "width"):
        assert name in space
    assert space["lr"].scale == "log" and space["beta"].scale == "reverse_log"
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    kinds = set()
    for _ in range(12):
        trial = study.ask()
        values = space.suggest(trial)
        spec, config = params_to_candidate(values, input_shape=shape, num_classes=3)
        kinds.add(spec.kind)
        out = build_model(spec)(torch.zeros(2, *shape))
        assert out.shape == (2, 3)
        assert config.lr == values["lr"] and config.epochs == values["epochs"]
        if values["optimizer"] == "adam":
            assert config.beta1 == values["beta1"]
        study.tell(trial, 0.0)
    assert kinds == set(archs)


@pytest.mark.parametrize("shape", [(20,), (1, 40), (1, 8, 8)])
def test_default_space_holds_the_starting_point(shape):
    space = default_space(shape, 3)
    point = space.project(starting_point(shape, 3, architectures=space["architecture"].choices))
    assert space.contains({"width": 32, **point})  # complete but the width a CNN does not use
    spec, config = params_to_candidate(point, input_shape=shape, num_classes=3)
    recipe_spec, recipe = baseline(shape, 3)
    for name in ("optimizer", "lr", "l2", "schedule", "batch_size", "epochs", "beta1", "beta2"):
        assert getattr(config, name) == pytest.approx(getattr(recipe, name)), name
    assert spec.kind == recipe_spec.kind and spec.batch_norm and spec.hidden == recipe_spec.hidden
    assert build_model(spec)(torch.zeros(2, *shape)).shape == (2, 3)


def test_a_space_without_cnns_starts_from_the_mlp():
    point = starting_point((1, 40), 10, architectures=("mlp",))
    assert point["architecture"] == "mlp" and point["depth"] == 2 and "conv_blocks" not in point


def test_params_to_candidate_mapping_and_defaults():
    spec, config = params_to_candidate(
        {"architecture": "cnn", "width": 64, "depth": 2, "conv_blocks": 3, "lr": 0.01},
        input_shape=(1, 40),
        num_classes=10,
    )
    assert spec.kind == "cnn1d" and spec.hidden == (64, 64) and len(spec.conv) == 3
    assert config.lr == 0.01 and config.optimizer == "adam"  # TrainConfig default kept


def test_unknown_names_are_refused_with_the_list():
    with pytest.raises(InvalidInputError, match=r"'learning_rate' is unknown: accepted are .*lr"):
        params_to_candidate({"learning_rate": 0.1}, input_shape=(4,), num_classes=2)
    space = SearchSpace({"momentum": FloatParam(low=0.5, high=0.9)})
    with pytest.raises(InvalidInputError, match="'momentum' is unknown"):
        check_vocabulary(space)
    # accepted and recorded, then overridden by --precision for every trial
    space = SearchSpace.from_yaml("precision: {type: categorical, choices: [fp32, bf16]}")
    with pytest.raises(InvalidInputError, match="'precision' is not searched: one precision"):
        check_vocabulary(space)


def test_invalid_combination_is_one_line():
    with pytest.raises(InvalidInputError, match="architecture 'cnn2d'"):
        params_to_candidate({"architecture": "cnn2d"}, input_shape=(4,), num_classes=2)
    with pytest.raises(InvalidInputError, match="dropout"):
        params_to_candidate({"dropout": 1.5}, input_shape=(4,), num_classes=2)
    with pytest.raises(InvalidInputError, match="batch size 1 with batch normalization"):
        params_to_candidate({"batch_norm": True, "batch_size": 1}, input_shape=(4,), num_classes=2)


def test_load_space_checks_vocabulary(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(
        "lr: {type: float, low: 1.0e-4, high: 0.1, scale: log}\nfoo: {type: int, low: 1, high: 2}\n"
    )
    with pytest.raises(InvalidInputError, match="'foo' is unknown"):
        load_space(str(path))


def test_a_space_may_search_the_focal_gamma_and_each_trial_trains_with_its_own(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("focal_gamma: {type: categorical, choices: [0.0, 2.0]}\n")
    space = load_space(str(path))
    study = optuna.create_study(sampler=optuna.samplers.GridSampler({"focal_gamma": [0.0, 2.0]}))
    seen = set()
    for _ in range(2):
        values = space.suggest(study.ask())
        _, config = params_to_candidate(values, input_shape=(4,), num_classes=2)
        seen.add(config.focal_gamma)
    assert seen == {0.0, 2.0}
    with pytest.raises(InvalidInputError, match="focal_gamma"):
        params_to_candidate({"focal_gamma": -1.0}, input_shape=(4,), num_classes=2)


def test_training_cost_ranks_steps_and_flops():
    from orthotune.models import ModelSpec
    from orthotune.search._candidate import STEP_FLOPS, training_cost
    from orthotune.train import TrainConfig

    linear = ModelSpec(kind="mlp", input_shape=(20,), num_classes=4, hidden=())
    wide = ModelSpec(kind="mlp", input_shape=(20,), num_classes=4, hidden=(512, 512))
    cfg = TrainConfig(epochs=10, batch_size=100)
    # a linear 20 → 4 model: 160 forward FLOPs an example; 10 epochs of 10 steps
    assert training_cost(linear, cfg, 1000) == 100 * (STEP_FLOPS + 100 * 160)
    assert training_cost(linear, cfg, 1000) < training_cost(wide, cfg, 1000)
    small_batches = cfg.model_copy(update={"batch_size": 10})
    assert training_cost(linear, small_batches, 1000) > training_cost(linear, cfg, 1000)
    assert training_cost(linear, cfg.model_copy(update={"epochs": 5}), 1000) < training_cost(
        linear, cfg, 1000
    )
